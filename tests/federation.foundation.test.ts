/**
 * The federation foundation over HTTP (WebFinger, actors, collections,
 * NodeInfo, host-meta, content negotiation) against real servers, and the
 * Postgres-backed KvStore and MessageQueue against a real database.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateCryptoKeyPair, signRequest } from "@fedify/fedify";
import { Application, CryptographicKey, Follow, Person, PropertyValue, Service } from "@fedify/fedify/vocab";
import packageJson from "../package.json";
import { loadConfig } from "../src/config.ts";
import { openDatabase, type Database } from "../src/db/index.ts";
import { PostgresKvStore } from "../federation/kv.ts";
import { PostgresMessageQueue } from "../federation/queue.ts";
import { api, signUp } from "./helpers/client.ts";
import { backendEnv, startServer, type TestServer } from "./helpers/server.ts";

const AP = "application/activity+json";
// Servers take seconds to start (PGlite) and RSA keys up to a second to generate.
const HOOK_TIMEOUT = 60_000;
setDefaultTimeout(60_000);

function get(server: TestServer, path: string, headers: Record<string, string> = {}) {
  return fetch(new URL(path, server.url), { headers, redirect: "manual" });
}

async function getJson(server: TestServer, path: string, accept = AP) {
  const response = await get(server, path, { accept });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, any>;
}

async function webfinger(server: TestServer, resource: string) {
  return get(server, `/.well-known/webfinger?resource=${encodeURIComponent(resource)}`);
}

describe("federation endpoints", () => {
  let server: TestServer;
  let origin: string;
  let actorUri: string;
  let aliceToken: string;

  beforeAll(async () => {
    server = await startServer();
    origin = new URL(server.url).origin;
    actorUri = `${origin}/users/alice`;
    aliceToken = (await signUp(server, { username: "alice" })).token;
  }, HOOK_TIMEOUT);
  afterAll(() => server?.stop());

  describe("WebFinger", () => {
    test("acct: resolves with the handle's domain and no port", async () => {
      const response = await webfinger(server, "acct:alice@localhost");
      expect(response.status).toBe(200);
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
      expect(response.headers.get("content-type")).toContain("application/jrd+json");
      const jrd = (await response.json()) as any;
      expect(jrd.subject).toBe("acct:alice@localhost");
      expect(jrd.aliases).toContain(actorUri);
      expect(jrd.links).toContainEqual({ rel: "self", type: AP, href: actorUri });
      expect(jrd.links).toContainEqual({ rel: "http://webfinger.net/rel/profile-page", href: `${origin}/@alice` });
    });

    test("the handle with PUBLIC_URL's port also resolves, to the port-less subject", async () => {
      const jrd = (await (await webfinger(server, `acct:alice@localhost:${server.port}`)).json()) as any;
      expect(jrd.subject).toBe("acct:alice@localhost");
    });

    test("handles match usernames case-insensitively", async () => {
      const response = await webfinger(server, "acct:ALICE@localhost");
      expect(response.status).toBe(200);
      expect(((await response.json()) as any).links).toContainEqual({ rel: "self", type: AP, href: actorUri });
    });

    test("the actor URI resolves, aliased to the handle", async () => {
      const response = await webfinger(server, actorUri);
      expect(response.status).toBe(200);
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
      const jrd = (await response.json()) as any;
      expect(jrd.subject).toBe(actorUri);
      expect(jrd.aliases).toContain("acct:alice@localhost");
      expect(jrd.links).toContainEqual({ rel: "self", type: AP, href: actorUri });
    });

    test("the profile page URL resolves", async () => {
      const jrd = (await (await webfinger(server, `${origin}/@alice`)).json()) as any;
      expect(jrd.links).toContainEqual({ rel: "self", type: AP, href: actorUri });
    });

    test("unknown users and foreign domains are 404", async () => {
      expect((await webfinger(server, "acct:nobody@localhost")).status).toBe(404);
      expect((await webfinger(server, "acct:alice@elsewhere.example")).status).toBe(404);
      expect((await webfinger(server, `${origin}/users/nobody`)).status).toBe(404);
    });

    test("a missing resource is a 400", async () => {
      expect((await get(server, "/.well-known/webfinger")).status).toBe(400);
    });
  });

  describe("actor", () => {
    test("is a Person with keys, endpoints and every collection", async () => {
      const response = await get(server, "/users/alice", { accept: AP });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toContain(AP);
      const json = await response.json();
      const person = await Person.fromJsonLd(json);
      expect(person.id?.href).toBe(actorUri);
      expect(person.preferredUsername?.toString()).toBe("alice");
      expect(person.url?.toString()).toBe(`${origin}/@alice`);
      expect(person.inboxId?.href).toBe(`${actorUri}/inbox`);
      expect(person.outboxId?.href).toBe(`${actorUri}/outbox`);
      expect(person.followersId?.href).toBe(`${actorUri}/followers`);
      expect(person.followingId?.href).toBe(`${actorUri}/following`);
      expect(person.featuredId?.href).toBe(`${actorUri}/collections/featured`);
      expect(person.endpoints?.sharedInbox?.href).toBe(`${origin}/inbox`);
      expect(person.manuallyApprovesFollowers).toBe(false);
      expect(person.published).not.toBeNull();
      const key = await person.getPublicKey();
      expect(key?.id?.href).toBe(`${actorUri}#main-key`);
      expect(key?.ownerId?.href).toBe(actorUri);
      const methods = await Array.fromAsync(person.getAssertionMethods());
      expect(methods.length).toBe(2);
      for (const method of methods) expect(method.controllerId?.href).toBe(actorUri);
    });

    test("is served for the JSON-LD ActivityStreams profile too", async () => {
      const json = await getJson(server, "/users/alice", 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"');
      expect(json.id).toBe(actorUri);
    });

    test("its collections resolve as empty ordered collections", async () => {
      for (const path of ["outbox", "followers", "following", "collections/featured"]) {
        const json = await getJson(server, `/users/alice/${path}`);
        expect(json.id).toBe(`${actorUri}/${path}`);
        expect(json.type).toBe("OrderedCollection");
        expect(json.totalItems).toBe(0);
      }
    });

    test("the profile URL asked for as ActivityPub serves the actor", async () => {
      const json = await getJson(server, "/@alice");
      expect(json.id).toBe(actorUri);
    });

    test("asked for as HTML, falls through to the web app", async () => {
      const response = await get(server, "/users/alice", { accept: "text/html" });
      expect(response.headers.get("content-type") ?? "").not.toContain(AP);
      const profile = await get(server, "/@alice", { accept: "text/html" });
      expect(profile.headers.get("content-type") ?? "").not.toContain(AP);
    });

    test("unknown actors get the API's JSON 404", async () => {
      const response = await get(server, "/users/nobody", { accept: AP });
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: expect.any(String) });
      expect((await get(server, "/users/nobody/followers", { accept: AP })).status).toBe(404);
    });

    test("routes that aren't federation's are left to Elysia", async () => {
      const response = await get(server, "/api/v1/no-such-endpoint", { accept: AP });
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: expect.any(String) });
    });

    test("reflects the profile: name, bio, fields, locked, bot as Service", async () => {
      const update = await api(server, aliceToken).patch("/api/v1/accounts/update_credentials", {
        display_name: "Alice A.",
        note: "Hello <world>",
        locked: true,
        bot: true,
        fields_attributes: { "0": { name: "Site", value: "https://alice.example/" }, "1": { name: "Pronouns", value: "she/her" } },
      });
      expect(update.status).toBe(200);
      const actor = await Service.fromJsonLd(await getJson(server, "/users/alice"));
      expect(actor.id?.href).toBe(actorUri);
      expect(actor.name?.toString()).toBe("Alice A.");
      expect(actor.summary?.toString()).toContain("Hello &lt;world&gt;");
      expect(actor.manuallyApprovesFollowers).toBe(true);
      const fields = (await Array.fromAsync(actor.getAttachments())).filter((a) => a instanceof PropertyValue);
      expect(fields.map((f) => f.name?.toString())).toEqual(["Site", "Pronouns"]);
      expect(fields[0]!.value?.toString()).toContain('href="https://alice.example/"');
      expect(fields[0]!.value?.toString()).toContain("me");
      expect(fields[1]!.value?.toString()).toBe("she/her");
    });

    test("an unsigned POST to an inbox is refused", async () => {
      for (const path of ["/inbox", "/users/alice/inbox"]) {
        const response = await fetch(new URL(path, server.url), {
          method: "POST",
          headers: { "content-type": AP },
          body: JSON.stringify({
            "@context": "https://www.w3.org/ns/activitystreams",
            id: "https://remote.example/activities/1",
            type: "Follow",
            actor: "https://remote.example/users/mallory",
            object: actorUri,
          }),
        });
        expect(response.status).toBe(401);
      }
    });
  });

  describe("instance actor", () => {
    test("is an Application at /actor with its own keys", async () => {
      const json = await getJson(server, "/actor");
      const actor = await Application.fromJsonLd(json);
      expect(actor.id?.href).toBe(`${origin}/actor`);
      expect(actor.preferredUsername?.toString()).toBe("localhost");
      expect(actor.endpoints?.sharedInbox?.href).toBe(`${origin}/inbox`);
      const key = await actor.getPublicKey();
      expect(key?.id?.href).toBe(`${origin}/actor#main-key`);
      const alice = await getJson(server, "/users/alice");
      expect(json.publicKey.publicKeyPem).not.toBe(alice.publicKey.publicKeyPem);
    });

    test("answers WebFinger as acct:LOCAL_DOMAIN@LOCAL_DOMAIN", async () => {
      const jrd = (await (await webfinger(server, "acct:localhost@localhost")).json()) as any;
      expect(jrd.links).toContainEqual({ rel: "self", type: AP, href: `${origin}/actor` });
    });
  });

  describe("NodeInfo", () => {
    test("discovery links 2.0 and 2.1 on PUBLIC_URL", async () => {
      const response = await get(server, "/.well-known/nodeinfo");
      expect(response.status).toBe(200);
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
      const jrd = (await response.json()) as any;
      expect(jrd.links).toContainEqual({ rel: "http://nodeinfo.diaspora.software/ns/schema/2.0", href: `${origin}/nodeinfo/2.0` });
      expect(jrd.links).toContainEqual({ rel: "http://nodeinfo.diaspora.software/ns/schema/2.1", href: `${origin}/nodeinfo/2.1` });
    });

    for (const version of ["2.0", "2.1"]) {
      test(`${version} describes the server and counts the account`, async () => {
        const response = await get(server, `/nodeinfo/${version}`);
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toContain(`schema/${version}#`);
        expect(response.headers.get("access-control-allow-origin")).toBe("*");
        const doc = (await response.json()) as any;
        expect(doc.version).toBe(version);
        expect(doc.software.name).toBe("fedisky");
        expect(doc.software.name).toMatch(/^[a-z0-9-]+$/);
        expect(doc.software.version).toBe(packageJson.version);
        expect(doc.protocols).toEqual(["activitypub"]);
        expect(doc.services).toEqual({ inbound: [], outbound: [] });
        expect(doc.openRegistrations).toBe(true);
        expect(doc.usage.users).toEqual({ total: 1, activeMonth: 1, activeHalfyear: 1 });
        expect(doc.usage.localPosts).toBe(0);
        expect(doc.metadata.nodeName).toBe("localhost");
        // 2.0's schema allows only name and version under software.
        if (version === "2.0") expect(Object.keys(doc.software).sort()).toEqual(["name", "version"]);
      });
    }
  });

  describe("host-meta", () => {
    test("XRD points at WebFinger on PUBLIC_URL", async () => {
      const response = await get(server, "/.well-known/host-meta");
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toContain("application/xrd+xml");
      const xml = await response.text();
      expect(xml).toContain('<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">');
      expect(xml).toContain(`<Link rel="lrdd" template="${origin}/.well-known/webfinger?resource={uri}"/>`);
    });

    test("and as JSON", async () => {
      const json = await getJson(server, "/.well-known/host-meta.json", "application/json");
      expect(json.links).toEqual([{ rel: "lrdd", template: `${origin}/.well-known/webfinger?resource={uri}` }]);
    });
  });

  describe("another Host header", () => {
    // Same server, reached by IP and with a forged Host: nothing may echo it back.
    const viaIp = (path: string, headers: Record<string, string> = {}) =>
      fetch(`http://127.0.0.1:${server.port}${path}`, { headers: { host: "evil.example", ...headers } });

    test("WebFinger, actor and NodeInfo still use PUBLIC_URL", async () => {
      const jrd = await (await viaIp(`/.well-known/webfinger?resource=${encodeURIComponent(actorUri)}`)).text();
      const actor = await (await viaIp("/users/alice", { accept: AP })).text();
      const discovery = await (await viaIp("/.well-known/nodeinfo")).text();
      const hostMeta = await (await viaIp("/.well-known/host-meta")).text();
      for (const body of [jrd, actor, discovery, hostMeta]) {
        expect(body).toContain(origin);
        expect(body).not.toContain("evil.example");
        expect(body).not.toContain("127.0.0.1");
      }
    });
  });

  test("keys survive a restart", async () => {
    const before = await getJson(server, "/users/alice");
    const instanceBefore = await getJson(server, "/actor");
    await server.restart();
    const after = await getJson(server, "/users/alice");
    const instanceAfter = await getJson(server, "/actor");
    expect(after.publicKey.publicKeyPem).toBe(before.publicKey.publicKeyPem);
    expect(after.assertionMethod).toEqual(before.assertionMethod);
    expect(instanceAfter.publicKey.publicKeyPem).toBe(instanceBefore.publicKey.publicKeyPem);
  });
});

describe("federation with LOCAL_DOMAIN set, registrations closed, private addresses allowed", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      env: { LOCAL_DOMAIN: "social.example", REGISTRATIONS: "closed", ALLOW_PRIVATE_ADDRESS: "true" },
    });
  }, HOOK_TIMEOUT);
  afterAll(() => server?.stop());

  test("the instance actor's handle uses LOCAL_DOMAIN while URLs stay on PUBLIC_URL", async () => {
    const response = await webfinger(server, "acct:social.example@social.example");
    expect(response.status).toBe(200);
    const jrd = (await response.json()) as any;
    expect(jrd.subject).toBe("acct:social.example@social.example");
    expect(jrd.links).toContainEqual({ rel: "self", type: AP, href: `${server.url}/actor` });
  });

  test("NodeInfo reports closed registrations and no users", async () => {
    const doc = await getJson(server, "/nodeinfo/2.1", "application/json");
    expect(doc.openRegistrations).toBe(false);
    expect(doc.usage.users.total).toBe(0);
  });

  test("the shared inbox accepts a correctly signed activity and refuses a tampered one", async () => {
    // A minimal remote actor served by the test itself, whose key the server fetches to verify.
    const keys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    let remoteDocument: unknown = null;
    const remote = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => new Response(JSON.stringify(remoteDocument), { headers: { "content-type": AP } }),
    });
    try {
      const actorId = new URL(`http://127.0.0.1:${remote.port}/actor`);
      const keyId = new URL(`${actorId.href}#main-key`);
      remoteDocument = await new Person({
        id: actorId,
        preferredUsername: "remote",
        inbox: new URL(`${actorId.href}/inbox`),
        publicKey: new CryptographicKey({ id: keyId, owner: actorId, publicKey: keys.publicKey }),
      }).toJsonLd();
      const follow = new Follow({
        id: new URL(`http://127.0.0.1:${remote.port}/follows/1`),
        actor: actorId,
        object: new URL(`${server.url}/actor`),
      });
      const body = JSON.stringify(await follow.toJsonLd());
      const sign = (payload: string) =>
        signRequest(
          new Request(`${server.url}/inbox`, { method: "POST", headers: { "content-type": AP }, body: payload }),
          keys.privateKey,
          keyId,
        );

      const signed = await sign(body);
      expect((await fetch(signed)).status).toBe(202);

      const tampered = await sign(body);
      const forged = new Request(tampered.url, {
        method: "POST",
        headers: tampered.headers,
        body: body.replace("follows/1", "follows/2"),
      });
      expect((await fetch(forged)).status).toBe(401);
    } finally {
      remote.stop(true);
    }
  });
});

describe("Postgres KvStore and MessageQueue", () => {
  let database: Database;
  let dataDir: string;
  let kv: PostgresKvStore;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "fedisky-fedtest-"));
    const env = await backendEnv();
    database = await openDatabase(loadConfig({ DATA_DIR: dataDir, ...(env.DATABASE_URL ? { DATABASE_URL: env.DATABASE_URL } : {}) }));
    kv = new PostgresKvStore(database.sql);
  }, HOOK_TIMEOUT);
  afterAll(async () => {
    await database?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const ms = (milliseconds: number) => Temporal.Duration.from({ milliseconds });

  describe("KvStore", () => {
    test("set, get, overwrite, delete", async () => {
      expect(await kv.get(["t", "missing"])).toBeUndefined();
      await kv.set(["t", "a"], { nested: [1, "two", null] });
      expect(await kv.get<unknown>(["t", "a"])).toEqual({ nested: [1, "two", null] });
      await kv.set(["t", "a"], "plain string");
      expect(await kv.get<string>(["t", "a"])).toBe("plain string");
      await kv.delete(["t", "a"]);
      expect(await kv.get(["t", "a"])).toBeUndefined();
      await kv.delete(["t", "a"]);
    });

    test("entries expire after their TTL", async () => {
      await kv.set(["ttl", "short"], 1, { ttl: ms(150) });
      await kv.set(["ttl", "long"], 2, { ttl: Temporal.Duration.from({ hours: 1 }) });
      expect(await kv.get<number>(["ttl", "short"])).toBe(1);
      await Bun.sleep(300);
      expect(await kv.get(["ttl", "short"])).toBeUndefined();
      expect(await kv.get<number>(["ttl", "long"])).toBe(2);
      await kv.set(["ttl", "gone"], 3, { ttl: ms(1) });
      await Bun.sleep(20);
      expect(await kv.sweepExpired()).toBeGreaterThanOrEqual(1);
    });

    test("cas swaps only on the expected value; absent means undefined", async () => {
      expect(await kv.cas(["cas", "k"], "x", 1)).toBe(false);
      expect(await kv.cas(["cas", "k"], undefined, 1)).toBe(true);
      expect(await kv.cas(["cas", "k"], undefined, 2)).toBe(false);
      expect(await kv.cas(["cas", "k"], 2, 3)).toBe(false);
      expect(await kv.cas(["cas", "k"], 1, { n: 3 })).toBe(true);
      expect(await kv.get<unknown>(["cas", "k"])).toEqual({ n: 3 });
      // An expired entry counts as absent.
      await kv.set(["cas", "old"], "stale", { ttl: ms(1) });
      await Bun.sleep(20);
      expect(await kv.cas(["cas", "old"], "stale", "new")).toBe(false);
      expect(await kv.cas(["cas", "old"], undefined, "new")).toBe(true);
      expect(await kv.get<string>(["cas", "old"])).toBe("new");
    });

    test("concurrent cas from an absent key lets exactly one win", async () => {
      const results = await Promise.all(Array.from({ length: 5 }, (_, i) => kv.cas(["cas", "race"], undefined, i)));
      expect(results.filter(Boolean).length).toBe(1);
    });

    test("list filters by key prefix, element-wise", async () => {
      await kv.set(["list", "a"], 1);
      await kv.set(["list", "a", "x"], 2);
      await kv.set(["list", "a", "y", "z"], 3);
      await kv.set(["list", "ab"], 4);
      await kv.set(["list", "a%"], 5);
      await kv.set(["list", "a", "expired"], 6, { ttl: ms(1) });
      await Bun.sleep(20);
      const listed = await Array.fromAsync(kv.list(["list", "a"]));
      expect(listed.map((e) => e.key).sort()).toEqual([["list", "a"], ["list", "a", "x"], ["list", "a", "y", "z"]]);
      expect(listed.find((e) => e.key.length === 3)?.value).toBe(2);
      const all = await Array.fromAsync(kv.list());
      expect(all.length).toBeGreaterThanOrEqual(5);
    });
  });

  describe("MessageQueue", () => {
    let queueCount = 0;
    /** A queue of its own per test, so leftovers never leak between tests. */
    const newQueue = (options: ConstructorParameters<typeof PostgresMessageQueue>[1] = {}) =>
      new PostgresMessageQueue(database.sql, { queue: `test-${++queueCount}`, pollIntervalMs: 50, ...options });

    async function until(predicate: () => boolean, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error("timed out");
        await Bun.sleep(20);
      }
    }

    async function remaining(queue: PostgresMessageQueue) {
      const [row] = await database.sql`SELECT count(*)::int AS n FROM jobs WHERE queue = ${queue.queue}`;
      return Number(row!.n);
    }

    test("delivers enqueued messages and deletes them once handled", async () => {
      const queue = newQueue();
      const seen: unknown[] = [];
      const controller = new AbortController();
      const listening = queue.listen((message) => void seen.push(message), { signal: controller.signal });
      await queue.enqueue({ type: "one", n: 1 });
      await queue.enqueueMany([{ type: "many", n: 2 }, { type: "many", n: 3 }]);
      await until(() => seen.length === 3);
      expect(seen).toContainEqual({ type: "one", n: 1 });
      expect(seen).toContainEqual({ type: "many", n: 3 });
      controller.abort();
      await listening;
      expect(await remaining(queue)).toBe(0);
    });

    test("a delayed message waits for its time", async () => {
      const queue = newQueue();
      const seen: number[] = [];
      const controller = new AbortController();
      const listening = queue.listen(() => void seen.push(Date.now()), { signal: controller.signal });
      const start = Date.now();
      await queue.enqueue({ delayed: true }, { delay: ms(600) });
      expect((await queue.getDepth()).delayed).toBe(1);
      await until(() => seen.length === 1);
      expect(seen[0]! - start).toBeGreaterThanOrEqual(550);
      controller.abort();
      await listening;
    });

    test("a failing handler is retried with backoff, then the job is dropped", async () => {
      const queue = newQueue({ retryBaseMs: 50, maxAttempts: 3 });
      let calls = 0;
      const controller = new AbortController();
      const listening = queue.listen(
        () => {
          calls++;
          throw new Error("boom");
        },
        { signal: controller.signal },
      );
      await queue.enqueue({ failing: true });
      await until(() => calls === 3);
      await Bun.sleep(300);
      expect(calls).toBe(3);
      expect(await remaining(queue)).toBe(0);
      controller.abort();
      await listening;
    });

    test("a job recovers when its handler succeeds on retry", async () => {
      const queue = newQueue({ retryBaseMs: 50 });
      let calls = 0;
      const controller = new AbortController();
      const listening = queue.listen(
        () => {
          if (++calls === 1) throw new Error("transient");
        },
        { signal: controller.signal },
      );
      await queue.enqueue({ flaky: true });
      await until(() => calls === 2);
      controller.abort();
      await listening;
      expect(await remaining(queue)).toBe(0);
    });

    test("a crashed worker's job runs again once its lease expires, a live lease is respected", async () => {
      const queue = newQueue();
      // As a worker that claimed these and died: one lease expired, one still live.
      await database.sql`
        INSERT INTO jobs (queue, payload, attempts, locked_until) VALUES
          (${queue.queue}, ${database.sql.json({ crashed: "expired" })}, 1, now() - interval '1 second'),
          (${queue.queue}, ${database.sql.json({ crashed: "live" })}, 1, now() + interval '1 hour')`;
      const seen: any[] = [];
      const controller = new AbortController();
      const listening = queue.listen((message) => void seen.push(message), { signal: controller.signal });
      await until(() => seen.length === 1);
      await Bun.sleep(200);
      expect(seen).toEqual([{ crashed: "expired" }]);
      controller.abort();
      await listening;
      expect(await remaining(queue)).toBe(1);
    });

    test("two listeners never run the same job", async () => {
      const queue = newQueue();
      const seen: number[] = [];
      const controller = new AbortController();
      const handler = async (message: { n: number }) => {
        seen.push(message.n);
        await Bun.sleep(5);
      };
      const listeners = [queue.listen(handler, { signal: controller.signal }), queue.listen(handler, { signal: controller.signal })];
      await queue.enqueueMany(Array.from({ length: 30 }, (_, n) => ({ n })));
      await until(() => seen.length >= 30);
      await Bun.sleep(200);
      expect(seen.length).toBe(30);
      expect(new Set(seen).size).toBe(30);
      controller.abort();
      await Promise.all(listeners);
    });

    test("messages sharing an ordering key run one at a time, in order", async () => {
      const queue = newQueue({ concurrency: 4 });
      const events: string[] = [];
      let running = 0;
      let maxRunning = 0;
      const controller = new AbortController();
      const listening = queue.listen(
        async (message: { key: string; n: number }) => {
          if (message.key === "k") {
            running++;
            maxRunning = Math.max(maxRunning, running);
          }
          events.push(`${message.key}${message.n}`);
          await Bun.sleep(30);
          if (message.key === "k") running--;
        },
        { signal: controller.signal },
      );
      for (let n = 0; n < 4; n++) await queue.enqueue({ key: "k", n }, { orderingKey: "k" });
      await queue.enqueue({ key: "free", n: 0 });
      await until(() => events.length === 5);
      controller.abort();
      await listening;
      expect(maxRunning).toBe(1);
      expect(events.filter((e) => e.startsWith("k"))).toEqual(["k0", "k1", "k2", "k3"]);
    });

    test("listen returns after abort, waiting for the handler in flight", async () => {
      const queue = newQueue();
      let finished = false;
      const controller = new AbortController();
      const listening = queue.listen(
        async () => {
          await Bun.sleep(200);
          finished = true;
        },
        { signal: controller.signal },
      );
      await queue.enqueue({ slow: true });
      await Bun.sleep(100);
      controller.abort();
      await listening;
      expect(finished).toBe(true);
      expect(await remaining(queue)).toBe(0);
    });
  });
});
