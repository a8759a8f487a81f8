/**
 * Resolving remote accounts in-process against small ActivityPub servers
 * served here by Bun.serve on 127.0.0.1 (WebFinger and actor JSON), with a
 * minimal context: the database on a temporary DATA_DIR (PGlite, or
 * DATABASE_URL) and the federation context. One context allows private
 * addresses (as ALLOW_PRIVATE_ADDRESS=true does), another does not, and
 * must refuse every loopback and private target before sending anything.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFederation, MemoryKvStore } from "@fedify/fedify";
import { isActor } from "@fedify/fedify/vocab";
import { loadConfig } from "../src/config.ts";
import type { AppContext } from "../src/context.ts";
import { openDatabase, type Database } from "../src/db/index.ts";
import {
  RemoteAccountError,
  parseHandle,
  resolveRemoteAccount,
  resolveRemoteAccountOrNull,
  storeActor,
} from "../federation/remote-accounts.ts";
import { FetchRefusedError, RemoteFetchError, assertFetchable, guardedFetch, guardedLoaderFactories } from "../federation/ssrf.ts";
import { parseJsonLd } from "../federation/translate/index.ts";
import { backendEnv } from "./helpers/server.ts";

setDefaultTimeout(60_000);

interface Remote {
  server: ReturnType<typeof Bun.serve>;
  origin: string;
  host: string;
  /** Requests received, as "METHOD path". */
  log: string[];
  /** Signature headers of the actor fetches. */
  signatures: string[];
  actors: Map<string, Record<string, unknown>>;
  /** acct → actor URI, and the subject to answer with. */
  webfinger: Map<string, { actor: string; subject: string }>;
  failing: boolean;
}

const AP = "application/activity+json";

function startRemote(): Remote {
  const remote = {
    log: [] as string[],
    signatures: [] as string[],
    actors: new Map<string, Record<string, unknown>>(),
    webfinger: new Map<string, { actor: string; subject: string }>(),
    failing: false,
  } as Remote;
  remote.server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const url = new URL(request.url);
      remote.log.push(`${request.method} ${url.pathname}`);
      if (remote.failing) return new Response("down", { status: 503 });
      if (url.pathname === "/.well-known/webfinger") {
        const resource = url.searchParams.get("resource") ?? "";
        const entry = remote.webfinger.get(resource.replace(/^acct:/, "").toLowerCase());
        if (!entry) return new Response("not found", { status: 404 });
        return Response.json(
          {
            subject: entry.subject,
            links: [
              { rel: "http://webfinger.net/rel/profile-page", type: "text/html", href: entry.actor },
              { rel: "self", type: AP, href: entry.actor },
            ],
          },
          { headers: { "content-type": "application/jrd+json" } },
        );
      }
      if (url.pathname.startsWith("/@")) {
        return new Response(null, { status: 302, headers: { location: `/users/${url.pathname.slice(2)}` } });
      }
      if (url.pathname === "/huge") {
        return new Response("x".repeat(2 * 1024 * 1024), { headers: { "content-type": AP } });
      }
      if (url.pathname === "/slow") return Bun.sleep(2_000).then(() => new Response("late"));
      if (url.pathname === "/html") return new Response("<html></html>", { headers: { "content-type": "text/html" } });
      const actor = remote.actors.get(url.pathname);
      if (!actor) return new Response("not found", { status: 404 });
      remote.signatures.push(request.headers.get("signature") ?? "");
      return Response.json(actor, { headers: { "content-type": AP } });
    },
  });
  remote.host = `127.0.0.1:${remote.server.port}`;
  remote.origin = `http://${remote.host}`;
  return remote;
}

function person(remote: Remote, username: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const id = `${remote.origin}/users/${username}`;
  return {
    "@context": [
      "https://www.w3.org/ns/activitystreams",
      "https://w3id.org/security/v1",
      {
        toot: "http://joinmastodon.org/ns#",
        Emoji: "toot:Emoji",
        discoverable: "toot:discoverable",
        PropertyValue: "schema:PropertyValue",
        schema: "http://schema.org#",
        value: "schema:value",
        manuallyApprovesFollowers: "as:manuallyApprovesFollowers",
      },
    ],
    id,
    type: "Person",
    preferredUsername: username,
    name: `${username} :wave:`,
    summary: `<p>Hello <script>alert(1)</script><a href="javascript:alert(1)">x</a></p>`,
    url: `${remote.origin}/@${username}`,
    inbox: `${id}/inbox`,
    outbox: `${id}/outbox`,
    followers: `${id}/followers`,
    following: `${id}/following`,
    endpoints: { sharedInbox: `${remote.origin}/inbox` },
    manuallyApprovesFollowers: true,
    discoverable: true,
    published: "2020-01-02T03:04:05Z",
    icon: { type: "Image", mediaType: "image/png", url: `${remote.origin}/avatar.png` },
    attachment: [{ type: "PropertyValue", name: "Site", value: `<a href="https://site.example/" onclick="x">site</a>` }],
    tag: [{ type: "Emoji", id: `${remote.origin}/emoji/wave`, name: ":wave:", icon: { type: "Image", url: `${remote.origin}/wave.png` } }],
    ...extra,
  };
}

let dataDir: string;
let database: Database;
/** ALLOW_PRIVATE_ADDRESS=true. */
let ctx: AppContext;
/** The default: private addresses refused. */
let strict: AppContext;
let remote: Remote;
let other: Remote;

/**
 * Only what resolution touches: configuration and database (the
 * federation context is built from them); Redis, ClickHouse and media are
 * not used, and chDB binds one data path per test process.
 */
function minimalContext(env: Record<string, string>): AppContext {
  const config = loadConfig({ DATA_DIR: dataDir, PUBLIC_URL: "http://fedisky.test", ...env });
  return { config, database, sql: database.sql } as AppContext;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "fedisky-remote-accounts-"));
  const backend = await backendEnv();
  const env: Record<string, string> = backend.DATABASE_URL ? { DATABASE_URL: backend.DATABASE_URL } : {};
  database = await openDatabase(loadConfig({ DATA_DIR: dataDir, ...env }));
  ctx = minimalContext({ ...env, ALLOW_PRIVATE_ADDRESS: "true" });
  strict = minimalContext(env);
  remote = startRemote();
  other = startRemote();
  remote.actors.set("/users/bob", person(remote, "bob"));
  remote.webfinger.set(`bob@${remote.host}`, { actor: `${remote.origin}/users/bob`, subject: `acct:bob@${remote.host}` });
}, 60_000);

afterAll(async () => {
  remote?.server.stop(true);
  other?.server.stop(true);
  await database?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function stored(uri: string) {
  const [row] = await database.sql`SELECT * FROM accounts WHERE uri = ${uri}`;
  return row!;
}

describe("resolving with ALLOW_PRIVATE_ADDRESS=true", () => {
  test("a handle: WebFinger, then the actor, stored sanitised with its stats row and emoji", async () => {
    const account = await resolveRemoteAccount(ctx, `@bob@${remote.host}`);
    expect(account).toMatchObject({
      username: "bob",
      domain: remote.host,
      display_name: "bob :wave:",
      note: "<p>Hello x</p>",
      locked: true,
      bot: false,
      discoverable: true,
      uri: `${remote.origin}/users/bob`,
      url: `${remote.origin}/@bob`,
      avatar_url: `${remote.origin}/avatar.png`,
      actor_type: "Person",
      statuses_count: "0",
    });
    expect(account.fields).toEqual([
      { name: "Site", value: `<a href="https://site.example/" rel="nofollow noopener" target="_blank">site</a>`, verified_at: null },
    ]);
    expect(account.created_at.toISOString()).toBe("2020-01-02T03:04:05.000Z");

    const row = await stored(`${remote.origin}/users/bob`);
    expect(row).toMatchObject({
      inbox_url: `${remote.origin}/users/bob/inbox`,
      shared_inbox_url: `${remote.origin}/inbox`,
      outbox_url: `${remote.origin}/users/bob/outbox`,
      followers_url: `${remote.origin}/users/bob/followers`,
      following_url: `${remote.origin}/users/bob/following`,
    });
    expect(row.fetched_at).toBeInstanceOf(Date);

    const [emoji] = await database.sql`SELECT image_url, visible_in_picker FROM custom_emojis WHERE shortcode = 'wave' AND domain = ${remote.host}`;
    expect(emoji).toEqual({ image_url: `${remote.origin}/wave.png`, visible_in_picker: false });
  });

  test("the actor fetch is signed as the instance actor", () => {
    expect(remote.signatures.length).toBeGreaterThan(0);
    expect(remote.signatures[0]).toContain(`keyId="http://fedisky.test/actor#main-key"`);
  });

  test("a fresh copy is served from the database, by handle or URI, in any case", async () => {
    const before = remote.log.length;
    const byHandle = await resolveRemoteAccount(ctx, `BOB@${remote.host}`);
    const byUri = await resolveRemoteAccount(ctx, `${remote.origin}/users/bob`);
    const byAcct = await resolveRemoteAccount(ctx, `acct:bob@${remote.host}`);
    expect(new Set([byHandle.id, byUri.id, byAcct.id]).size).toBe(1);
    expect(remote.log.length).toBe(before);
  });

  test("a copy older than a day is refreshed; if the refresh fails, the old copy stays", async () => {
    const uri = `${remote.origin}/users/bob`;
    remote.actors.set("/users/bob", person(remote, "bob", { name: "Bob Renamed", manuallyApprovesFollowers: false }));
    await database.sql`UPDATE accounts SET fetched_at = now() - interval '25 hours' WHERE uri = ${uri}`;
    const refreshed = await resolveRemoteAccount(ctx, uri);
    expect(refreshed.display_name).toBe("Bob Renamed");
    expect(refreshed.locked).toBe(false);
    expect(Date.now() - (await stored(uri)).fetched_at.getTime()).toBeLessThan(60_000);

    await database.sql`UPDATE accounts SET fetched_at = now() - interval '25 hours' WHERE uri = ${uri}`;
    remote.failing = true;
    try {
      const stale = await resolveRemoteAccount(ctx, `bob@${remote.host}`);
      expect(stale.display_name).toBe("Bob Renamed");
      expect(stale.id).toBe(refreshed.id);
    } finally {
      remote.failing = false;
    }
    const [{ n }] = (await database.sql`SELECT count(*)::int AS n FROM accounts WHERE lower(username) = 'bob'`) as any;
    expect(n).toBe(1);
  });

  test("refresh: true fetches even a fresh copy", async () => {
    await database.sql`UPDATE accounts SET fetched_at = now() WHERE uri = ${`${remote.origin}/users/bob`}`;
    remote.actors.set("/users/bob", person(remote, "bob", { name: "Bob Again" }));
    expect((await resolveRemoteAccount(ctx, `bob@${remote.host}`)).display_name).toBe("Bob Renamed");
    expect((await resolveRemoteAccount(ctx, `bob@${remote.host}`, { refresh: true })).display_name).toBe("Bob Again");
  });

  test("a profile URL redirecting to the actor resolves to the same account", async () => {
    const bob = await resolveRemoteAccount(ctx, `${remote.origin}/users/bob`);
    expect((await resolveRemoteAccount(ctx, `${remote.origin}/@bob`, { refresh: true })).id).toBe(bob.id);
  });

  test("concurrent resolutions of a new actor store it once", async () => {
    remote.actors.set("/users/dora", person(remote, "dora"));
    remote.webfinger.set(`dora@${remote.host}`, { actor: `${remote.origin}/users/dora`, subject: `acct:dora@${remote.host}` });
    const results = await Promise.all([
      resolveRemoteAccount(ctx, `dora@${remote.host}`),
      resolveRemoteAccount(ctx, `@dora@${remote.host}`),
      resolveRemoteAccount(ctx, `${remote.origin}/users/dora`),
    ]);
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
  });

  test("movedTo links to the target when it is known, and never clears a link for an unknown one", async () => {
    const bob = `${remote.origin}/users/bob`;
    remote.actors.set("/users/dora", person(remote, "dora", { movedTo: bob }));
    const moved = await resolveRemoteAccount(ctx, `${remote.origin}/users/dora`, { refresh: true });
    const bobId = (await resolveRemoteAccount(ctx, bob)).id;
    expect(moved.moved_to_account_id).toBe(bobId);
    remote.actors.set("/users/dora", person(remote, "dora", { movedTo: "https://unknown.example/users/x" }));
    expect((await resolveRemoteAccount(ctx, `${remote.origin}/users/dora`, { refresh: true })).moved_to_account_id).toBe(bobId);
    remote.actors.set("/users/dora", person(remote, "dora"));
    expect((await resolveRemoteAccount(ctx, `${remote.origin}/users/dora`, { refresh: true })).moved_to_account_id).toBeNull();
  });

    test("a handle on another domain is kept when that domain's WebFinger vouches for the actor", async () => {
    // carol's actor lives on `other`, her handle on `remote` (like LOCAL_DOMAIN vs WEB_DOMAIN).
    const actor = `${other.origin}/users/carol`;
    other.actors.set("/users/carol", person(other, "carol"));
    remote.webfinger.set(`carol@${remote.host}`, { actor, subject: `acct:carol@${remote.host}` });
    other.webfinger.set(`carol@${other.host}`, { actor, subject: `acct:carol@${remote.host}` });

    const byUri = await resolveRemoteAccount(ctx, actor);
    expect(byUri.domain).toBe(remote.host);
    const byHandle = await resolveRemoteAccount(ctx, `carol@${remote.host}`, { refresh: true });
    expect(byHandle.id).toBe(byUri.id);

    // A host claiming a handle on a domain that does not confirm it keeps its own host.
    other.actors.set("/users/eve", person(other, "eve"));
    other.webfinger.set(`eve@${other.host}`, { actor: `${other.origin}/users/eve`, subject: `acct:eve@${remote.host}` });
    expect((await resolveRemoteAccount(ctx, `${other.origin}/users/eve`)).domain).toBe(other.host);
  });

  test("an actor Fedify already fetched is stored without fetching it again", async () => {
    remote.webfinger.set(`fred@${remote.host}`, { actor: `${remote.origin}/users/fred`, subject: `acct:fred@${remote.host}` });
    const parsed = await parseJsonLd(person(remote, "fred"));
    if (!parsed.ok || !isActor(parsed.object)) throw new Error("not an actor");
    const account = await storeActor(ctx, parsed.object);
    expect(account).toMatchObject({ username: "fred", domain: remote.host, note: "<p>Hello x</p>" });
    expect(remote.log).not.toContain("GET /users/fred");
    const before = remote.log.length;
    expect((await storeActor(ctx, parsed.object)).id).toBe(account.id);
    expect(remote.log.length).toBe(before);
  });

  test("local handles and URIs resolve to the local account without a request", async () => {
    await database.sql`INSERT INTO accounts (username) VALUES ('alice')`;
    const before = remote.log.length + other.log.length;
    expect((await resolveRemoteAccount(ctx, "@alice@fedisky.test")).username).toBe("alice");
    expect((await resolveRemoteAccount(ctx, "http://fedisky.test/users/alice")).domain).toBeNull();
    expect((await resolveRemoteAccount(ctx, "http://fedisky.test/@ALICE")).username).toBe("alice");
    await expect(resolveRemoteAccount(ctx, "@nobody@fedisky.test")).rejects.toMatchObject({ reason: "not-found" });
    expect(remote.log.length + other.log.length).toBe(before);
  });

  test("failures say why", async () => {
    const reason = (input: string) => resolveRemoteAccount(ctx, input).then(
      () => "resolved",
      (error) => (error instanceof RemoteAccountError ? error.reason : `threw ${error}`),
    );
    expect(await reason(`nobody@${remote.host}`)).toBe("not-found");
    expect(await reason(`${remote.origin}/users/nobody`)).toBe("not-found");
    expect(await reason("not a handle")).toBe("invalid");
    expect(await reason("ftp://x.example/users/a")).toBe("invalid");
    expect(await reason(`${remote.origin}/huge`)).toBe("unreachable");
    expect(await reason(`${remote.origin}/html`)).toBe("unreachable");

    // A document that is not an actor, or an actor whose id is on another server.
    remote.actors.set("/notes/1", { "@context": "https://www.w3.org/ns/activitystreams", id: `${remote.origin}/notes/1`, type: "Note", content: "hi" });
    expect(await reason(`${remote.origin}/notes/1`)).toBe("invalid-actor");
    remote.actors.set("/users/spoof", person(remote, "spoof", { id: "https://victim.example/users/spoof" }));
    expect(await reason(`${remote.origin}/users/spoof`)).toBe("invalid-actor");
    remote.actors.set("/users/weird", person(remote, "weird", { preferredUsername: "we ird/../x" }));
    expect(await reason(`${remote.origin}/users/weird`)).toBe("invalid-actor");

    expect(await resolveRemoteAccountOrNull(ctx, `nobody@${remote.host}`)).toBeNull();
  });
});

describe("without ALLOW_PRIVATE_ADDRESS", () => {
  test("a loopback handle or URI is refused, and nothing is sent", async () => {
    const before = remote.log.length;
    await expect(resolveRemoteAccount(strict, `bob@${remote.host}`, { refresh: true })).resolves.toMatchObject({ username: "bob" });
    // ↑ a stored copy is still served; a new account on a private address is refused outright:
    await expect(resolveRemoteAccount(strict, `zed@${remote.host}`)).rejects.toMatchObject({ reason: "refused" });
    await expect(resolveRemoteAccount(strict, `${remote.origin}/users/zed`)).rejects.toMatchObject({ reason: "refused" });
    await expect(resolveRemoteAccount(strict, `http://localhost:${remote.server.port}/users/zed`)).rejects.toMatchObject({ reason: "refused" });
    expect(remote.log.length).toBe(before);
  });

  test("private, link-local and loopback targets are refused before any connection", async () => {
    const policy = { allowPrivateAddress: false };
    for (const url of [
      "http://127.0.0.1/",
      "http://127.1.2.3:8080/x",
      "http://localhost/",
      "http://10.0.0.1/",
      "http://172.16.5.4/",
      "http://192.168.1.1/",
      "http://169.254.169.254/latest/meta-data/",
      "http://[::1]/",
      "http://[fe80::1]/",
      "http://[fc00::1]/",
      "http://0.0.0.0/",
      "file:///etc/passwd",
      "gopher://example.com/",
      "http://user:pass@example.com/",
    ]) {
      await expect(assertFetchable(url, policy)).rejects.toBeInstanceOf(FetchRefusedError);
    }
    await expect(assertFetchable("https://example.com/users/a", policy)).resolves.toBeInstanceOf(URL);
  });
});

describe("guardedFetch limits", () => {
  const open = { allowPrivateAddress: true };

  test("bodies over the cap are refused", async () => {
    await expect(guardedFetch(`${remote.origin}/huge`, { ...open, maxBytes: 1024 })).rejects.toMatchObject({ failure: "too-large" });
  });

  test("slow answers time out", async () => {
    const started = Date.now();
    await expect(guardedFetch(`${remote.origin}/slow`, { ...open, timeoutMs: 200 })).rejects.toMatchObject({ failure: "timeout" });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  test("redirects are followed a bounded number of times, each hop checked", async () => {
    const response = await guardedFetch(`${remote.origin}/@bob`, open, { headers: { accept: AP } });
    expect(response.url).toBe(`${remote.origin}/users/bob`);
    expect(response.status).toBe(200);
    await expect(guardedFetch(`${remote.origin}/@bob`, { ...open, maxRedirects: 0 })).rejects.toBeInstanceOf(RemoteFetchError);
  });
});

describe("parseHandle", () => {
  test("accepts the usual spellings and rejects the rest", () => {
    expect(parseHandle("@bob@Example.COM")).toEqual({ username: "bob", domain: "example.com" });
    expect(parseHandle("acct:bob@example.com:8080")).toEqual({ username: "bob", domain: "example.com:8080" });
    for (const bad of ["bob", "@bob", "https://example.com/@bob", "bob@exa mple.com", "bob@example.com/x", "a@b@c"]) {
      expect(parseHandle(bad)).toBeNull();
    }
  });
});

describe("guardedLoaderFactories", () => {
  test("plug into createFederation: private targets refused unless allowed, bodies capped", async () => {
    const federation = createFederation<void>({ kv: new MemoryKvStore(), ...guardedLoaderFactories({ allowPrivateAddress: false }) });
    const fctx = federation.createContext(new URL("http://fedisky.test"), undefined);
    await expect(fctx.documentLoader(`${remote.origin}/users/bob`)).rejects.toBeInstanceOf(FetchRefusedError);

    const open = createFederation<void>({ kv: new MemoryKvStore(), ...guardedLoaderFactories({ allowPrivateAddress: true, maxBytes: 64 * 1024 }) });
    const octx = open.createContext(new URL("http://fedisky.test"), undefined);
    expect((await octx.documentLoader(`${remote.origin}/users/bob`)).documentUrl).toBe(`${remote.origin}/users/bob`);
    await expect(octx.documentLoader(`${remote.origin}/huge`)).rejects.toMatchObject({ failure: "too-large" });
  });
});
