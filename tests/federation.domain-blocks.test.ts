/**
 * Instance domain blocks (`bun run admin domains …`, run against the running
 * server through its control socket) and authorized fetch (AUTHORIZED_FETCH=true),
 * against a scripted remote server on 127.0.0.5 that signs its requests
 * (draft-cavage) with its actors' keys and records what we deliver.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { generateCryptoKeyPair, getDocumentLoader, signRequest } from "@fedify/fedify";
import { CryptographicKey, Endpoints, Person } from "@fedify/fedify/vocab";
import { startServer, type TestServer } from "./helpers/server.ts";
import { eventually, namedUser, type User } from "./helpers/social.ts";

setDefaultTimeout(60_000);
const AP = "application/activity+json";
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
const CONTEXT = "https://www.w3.org/ns/activitystreams";
const documentLoader = getDocumentLoader({ allowPrivateAddress: true });
const ADMIN = join(import.meta.dir, "..", "src/cli/admin.ts");

interface FakeActor {
  name: string;
  uri: string;
  keyId: string;
  privateKey: CryptoKey;
}

let server: TestServer;
let alice: User & { uri: string };
let origin = "";
let host = "";
const actors: Record<string, FakeActor> = {};
const documents = new Map<string, unknown>();
const received: any[] = [];
let remote: ReturnType<typeof Bun.serve>;
let counter = 0;

async function admin(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(["bun", "run", ADMIN, ...argv], { env: server.env, cwd: join(import.meta.dir, ".."), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

async function deliver(actor: FakeActor, activity: Record<string, unknown>): Promise<number> {
  const body = JSON.stringify({ "@context": CONTEXT, ...activity });
  const request = new Request(new URL("/inbox", server.url), { method: "POST", headers: { "content-type": AP }, body });
  const response = await fetch(await signRequest(request, actor.privateKey, new URL(actor.keyId)));
  await response.text();
  return response.status;
}

async function signedGet(actor: FakeActor, url: string): Promise<Response> {
  const request = new Request(url, { headers: { accept: AP } });
  return fetch(await signRequest(request, actor.privateKey, new URL(actor.keyId)), { redirect: "manual" });
}

const unsignedGet = (url: string) => fetch(url, { headers: { accept: AP }, redirect: "manual" });

async function followersCount(): Promise<number> {
  const response = await alice.client.get(`/api/v1/accounts/${alice.id}`);
  return response.body.followers_count;
}

function follow(actor: FakeActor) {
  return { id: `${actor.uri}/follows/${++counter}`, type: "Follow", actor: actor.uri, object: alice.uri };
}

async function post(status: string): Promise<{ id: string }> {
  const response = await alice.client.post("/api/v1/statuses", { status, visibility: "public" });
  expect(response.status).toBe(200);
  return response.body;
}

beforeAll(async () => {
  server = await startServer({ env: { ALLOW_PRIVATE_ADDRESS: "true", AUTHORIZED_FETCH: "true" } });
  remote = Bun.serve({
    hostname: "127.0.0.5",
    port: 0,
    async fetch(request) {
      const url = new URL(request.url);
      if (url.pathname === "/.well-known/webfinger") {
        const match = /^acct:([^@]+)@(.+)$/.exec(url.searchParams.get("resource") ?? "");
        if (!match || match[2] !== host || !documents.has(`/users/${match[1]}`)) return new Response("", { status: 404 });
        return Response.json(
          { subject: `acct:${match[1]}@${match[2]}`, links: [{ rel: "self", type: AP, href: `${origin}/users/${match[1]}` }] },
          { headers: { "content-type": "application/jrd+json" } },
        );
      }
      if (request.method === "POST") {
        received.push(await request.json());
        return new Response(null, { status: 202 });
      }
      const document = documents.get(url.pathname);
      if (document === undefined) return new Response("not found", { status: 404 });
      return new Response(JSON.stringify(document), { headers: { "content-type": AP } });
    },
  });
  origin = `http://127.0.0.5:${remote.port}`;
  host = new URL(origin).host;
  for (const name of ["mallory", "eve"]) {
    const keys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    const uri = `${origin}/users/${name}`;
    const person = new Person({
      id: new URL(uri),
      preferredUsername: name,
      inbox: new URL(`${uri}/inbox`),
      outbox: new URL(`${uri}/outbox`),
      followers: new URL(`${uri}/followers`),
      endpoints: new Endpoints({ sharedInbox: new URL(`${origin}/inbox`) }),
      publicKey: new CryptographicKey({ id: new URL(`${uri}#main-key`), owner: new URL(uri), publicKey: keys.publicKey }),
    });
    documents.set(`/users/${name}`, await person.toJsonLd({ contextLoader: documentLoader }));
    actors[name] = { name, uri, keyId: `${uri}#main-key`, privateKey: keys.privateKey };
  }
  alice = { ...(await namedUser(server, "alice")), uri: `${server.url}/users/alice` };
}, 60_000);

afterAll(async () => {
  remote?.stop(true);
  await server?.stop();
});

describe("authorized fetch", () => {
  test("actors, collections and statuses need a signed GET; /actor, WebFinger and NodeInfo stay public", async () => {
    const status = await post("hello, signed world");
    const noteUrl = `${server.url}/users/alice/statuses/${status.id}`;
    for (const url of [alice.uri, noteUrl, `${alice.uri}/outbox`, `${alice.uri}/followers`]) {
      expect({ url, status: (await unsignedGet(url)).status }).toEqual({ url, status: 401 });
      const signed = await signedGet(actors.mallory!, url);
      expect({ url, status: signed.status }).toEqual({ url, status: 200 });
      await signed.text();
    }
    const note = await (await signedGet(actors.mallory!, noteUrl)).json();
    expect(note.type).toBe("Note");

    const instance = await unsignedGet(`${server.url}/actor`);
    expect(instance.status).toBe(200);
    expect((await instance.json()).publicKey).toBeDefined();
    const localHost = new URL(server.url).hostname;
    expect((await fetch(`${server.url}/.well-known/webfinger?resource=acct:alice@${localHost}`)).status).toBe(200);
    expect((await fetch(`${server.url}/nodeinfo/2.1`)).status).toBe(200);
  });
});

describe("domain blocks", () => {
  test("before the block, a Follow from the domain makes a follower", async () => {
    expect(await deliver(actors.mallory!, follow(actors.mallory!))).toBe(202);
    await eventually(async () => (await followersCount()) === 1, "mallory following alice", 15_000);
  });

  test("domains block suspends the domain, removes its follows and is listed", async () => {
    const blocked = await admin("domains", "block", host);
    expect(blocked.stderr).toBe("");
    expect(blocked.code).toBe(0);
    expect(blocked.stdout).toContain(`Blocked ${host} (suspend)`);
    expect(await followersCount()).toBe(0);

    const listed = await admin("domains", "list");
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${host.replace(/\./g, "\\.")}\\s+suspend\\s`, "m"));

    const api = await fetch(`${server.url}/api/v1/instance/domain_blocks`);
    const digest = new Bun.CryptoHasher("sha256").update(host).digest("hex");
    expect(await api.json()).toEqual([{ domain: host, digest, severity: "suspend", comment: null }]);
  });

  test("a signed activity from the suspended domain is answered 202 and changes nothing", async () => {
    expect(await deliver(actors.eve!, follow(actors.eve!))).toBe(202);
    expect(await deliver(actors.mallory!, follow(actors.mallory!))).toBe(202);
    await Bun.sleep(1_500);
    expect(await followersCount()).toBe(0);
    // eve was never stored, and she cannot be resolved now.
    expect((await alice.client.get(`/api/v1/accounts/lookup?acct=eve@${host}`)).status).toBe(404);
    const search = await alice.client.get(`/api/v2/search?resolve=true&type=accounts&q=${encodeURIComponent(`@eve@${host}`)}`);
    expect(search.body.accounts).toEqual([]);
  });

  test("nothing is delivered to it, and its signed GETs are refused", async () => {
    const before = received.length;
    await post(`@mallory@${host} are you there?`);
    await Bun.sleep(2_000);
    expect(received.slice(before).filter((json) => json.type === "Create")).toEqual([]);
    const refused = await signedGet(actors.mallory!, alice.uri);
    expect(refused.status).toBe(401);
  });

  test("domains unblock restores federation with it", async () => {
    const unblocked = await admin("domains", "unblock", host);
    expect(unblocked.code).toBe(0);
    expect(await (await fetch(`${server.url}/api/v1/instance/domain_blocks`)).json()).toEqual([]);

    const found = await alice.client.get(`/api/v2/search?resolve=true&type=accounts&q=${encodeURIComponent(`@eve@${host}`)}`);
    expect(found.body.accounts.map((a: any) => a.acct)).toEqual([`eve@${host}`]);

    expect(await deliver(actors.eve!, follow(actors.eve!))).toBe(202);
    await eventually(async () => (await followersCount()) === 1, "eve following alice", 15_000);
    const status = await post("back in touch");
    await eventually(async () => received.find((json) => json.type === "Create" && json.object?.id?.endsWith(`/statuses/${status.id}`)), "the Create delivered", 15_000);
    expect((await signedGet(actors.mallory!, alice.uri)).status).toBe(200);
  });

  test("silence marks the domain's accounts silenced", async () => {
    const silenced = await admin("domains", "block", host, "--severity", "silence");
    expect(silenced.code).toBe(0);
    expect(silenced.stdout).toMatch(/accounts silenced/);
    expect(await (await fetch(`${server.url}/api/v1/instance/domain_blocks`)).json()).toMatchObject([{ domain: host, severity: "silence" }]);
    // Silenced, not suspended: activities are still processed.
    const before = await followersCount();
    expect(await deliver(actors.mallory!, follow(actors.mallory!))).toBe(202);
    await eventually(async () => (await followersCount()) === before + 1, "mallory following alice again", 15_000);
    const mallory = await alice.client.get(`/api/v1/accounts/lookup?acct=mallory@${host}`);
    expect(mallory.body.limited).toBe(true);
    expect((await admin("domains", "unblock", host)).code).toBe(0);
    expect((await alice.client.get(`/api/v1/accounts/lookup?acct=mallory@${host}`)).body.limited).toBeUndefined();
  });
});
