/**
 * Incoming federation against a scripted remote server: a small
 * ActivityPub server in this file (on 127.0.0.4) with its own actors and
 * keys serves WebFinger, actors, notes, replies collections and an outbox,
 * records what our server delivers to it, and POSTs activities to our
 * inboxes signed (draft-cavage HTTP Signatures) with its actors' keys.
 * Every effect is observed through the Mastodon API.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { generateCryptoKeyPair, getDocumentLoader, signRequest } from "@fedify/fedify";
import { CryptographicKey, Endpoints, Person } from "@fedify/fedify/vocab";
import { startServer, type TestServer } from "./helpers/server.ts";
import { eventually } from "./helpers/timelines.ts";
import { namedUser, type User } from "./helpers/social.ts";

setDefaultTimeout(60_000);
const AP = "application/activity+json";
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
/** Mastodon's context (the parts these activities use). */
const CONTEXT = ["https://www.w3.org/ns/activitystreams", { Hashtag: "as:Hashtag", sensitive: "as:sensitive", toot: "http://joinmastodon.org/ns#" }];
const WAIT = 15_000;
const documentLoader = getDocumentLoader({ allowPrivateAddress: true });

interface FakeActor {
  name: string;
  uri: string;
  keyId: string;
  privateKey: CryptoKey;
}

interface Remote {
  origin: string;
  host: string;
  actors: Record<string, FakeActor>;
  /** Documents served at paths (notes, collections). */
  documents: Map<string, unknown>;
  received: { path: string; json: any }[];
  waitFor(match: (json: any) => boolean): Promise<any>;
  stop(): void;
}

async function startRemote(names: string[], extra: Record<string, Record<string, unknown>> = {}): Promise<Remote> {
  const documents = new Map<string, unknown>();
  const received: { path: string; json: any }[] = [];
  let origin = "";
  const server = Bun.serve({
    hostname: "127.0.0.4",
    port: 0,
    async fetch(request) {
      const url = new URL(request.url);
      if (url.pathname === "/.well-known/webfinger") {
        const match = /^acct:([^@]+)@(.+)$/.exec(url.searchParams.get("resource") ?? "");
        if (!match || match[2] !== new URL(origin).host || !documents.has(`/users/${match[1]}`)) return new Response("", { status: 404 });
        return Response.json(
          { subject: `acct:${match[1]}@${match[2]}`, links: [{ rel: "self", type: AP, href: `${origin}/users/${match[1]}` }] },
          { headers: { "content-type": "application/jrd+json" } },
        );
      }
      if (request.method === "POST") {
        received.push({ path: url.pathname, json: await request.json() });
        return new Response(null, { status: 202 });
      }
      const document = documents.get(url.pathname + url.search) ?? documents.get(url.pathname);
      if (document === undefined) return new Response("not found", { status: 404 });
      return new Response(JSON.stringify(document), { headers: { "content-type": AP } });
    },
  });
  origin = `http://127.0.0.4:${server.port}`;
  const actors: Record<string, FakeActor> = {};
  for (const name of names) {
    const keys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    const uri = `${origin}/users/${name}`;
    const person = new Person({
      id: new URL(uri),
      preferredUsername: name,
      name: name.toUpperCase(),
      inbox: new URL(`${uri}/inbox`),
      outbox: new URL(`${uri}/outbox`),
      followers: new URL(`${uri}/followers`),
      endpoints: new Endpoints({ sharedInbox: new URL(`${origin}/inbox`) }),
      publicKey: new CryptographicKey({ id: new URL(`${uri}#main-key`), owner: new URL(uri), publicKey: keys.publicKey }),
    });
    const json = (await person.toJsonLd({ contextLoader: documentLoader })) as Record<string, unknown>;
    documents.set(`/users/${name}`, { ...json, ...(extra[name] ?? {}) });
    actors[name] = { name, uri, keyId: `${uri}#main-key`, privateKey: keys.privateKey };
  }
  return {
    origin,
    host: new URL(origin).host,
    actors,
    documents,
    received,
    async waitFor(match) {
      return eventually(async () => received.find((r) => match(r.json))?.json, "a delivery to the remote", WAIT);
    },
    stop: () => server.stop(true),
  };
}

let server: TestServer;
let remote: Remote;
let alice: User & { uri: string };
let mallory: FakeActor;
let eve: FakeActor;
let zed: FakeActor;
let counter = 0;

/** POSTs `activity` to our inbox, signed with `signer`'s key (the activity's actor unless a forgery is wanted). */
async function deliver(activity: Record<string, unknown>, signer?: FakeActor, path = "/inbox"): Promise<number> {
  const body = JSON.stringify({ "@context": CONTEXT, ...activity });
  const request = new Request(new URL(path, server.url), { method: "POST", headers: { "content-type": AP }, body });
  const key = signer ?? Object.values(remote.actors).find((a) => a.uri === activity.actor)!;
  const response = await fetch(await signRequest(request, key.privateKey, new URL(key.keyId)));
  await response.text();
  return response.status;
}

function id(actor: FakeActor, kind: string): string {
  return `${actor.uri}/${kind}/${++counter}`;
}

function note(actor: FakeActor, content: string, extra: Record<string, unknown> = {}): Record<string, unknown> & { id: string } {
  const noteId = id(actor, "notes");
  return {
    id: noteId,
    type: "Note",
    attributedTo: actor.uri,
    content: `<p>${content}</p>`,
    published: new Date().toISOString(),
    to: [PUBLIC],
    cc: [`${actor.uri}/followers`],
    ...extra,
  };
}

function create(actor: FakeActor, object: Record<string, unknown>): Record<string, unknown> {
  return { id: `${object.id}/activity`, type: "Create", actor: actor.uri, to: object.to, cc: object.cc, object };
}

async function get(path: string): Promise<any> {
  const response = await alice.client.get(path);
  if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

async function account(actor: FakeActor): Promise<any> {
  return get(`/api/v1/accounts/lookup?acct=${actor.name}@${remote.host}`);
}

async function aliceAccount(): Promise<any> {
  return get(`/api/v1/accounts/${alice.id}`);
}

async function statusesOf(actor: FakeActor): Promise<any[]> {
  return get(`/api/v1/accounts/${(await account(actor)).id}/statuses`);
}

async function relationship(accountId: string): Promise<any> {
  return (await get(`/api/v1/accounts/relationships?id[]=${accountId}`))[0];
}

beforeAll(async () => {
  server = await startServer({ env: { ALLOW_PRIVATE_ADDRESS: "true" } });
  remote = await startRemote(["mallory", "eve", "zed", "nina"], {});
  [mallory, eve, zed] = [remote.actors.mallory!, remote.actors.eve!, remote.actors.zed!];
  alice = { ...(await namedUser(server, "alice")), uri: `${server.url}/users/alice` };
}, 60_000);

afterAll(async () => {
  remote?.stop();
  await server?.stop();
});

describe("refused deliveries change nothing", () => {
  test("an unsigned POST is refused with 401", async () => {
    const follow = { "@context": CONTEXT, id: id(mallory, "follows"), type: "Follow", actor: mallory.uri, object: alice.uri };
    for (const path of ["/inbox", "/users/alice/inbox"]) {
      const response = await fetch(new URL(path, server.url), { method: "POST", headers: { "content-type": AP }, body: JSON.stringify(follow) });
      expect(response.status).toBe(401);
    }
    await Bun.sleep(500);
    expect((await aliceAccount()).followers_count).toBe(0);
  });

  test("an activity signed by one actor's key claiming another actor is refused", async () => {
    const status = await deliver({ id: id(eve, "follows"), type: "Follow", actor: eve.uri, object: alice.uri }, mallory);
    expect(status).toBe(401);
    await Bun.sleep(500);
    expect((await aliceAccount()).followers_count).toBe(0);
  });
});

describe("follows", () => {
  let followId: string;

  test("a Follow of an unlocked account makes a follower and is answered with an Accept naming it", async () => {
    followId = id(mallory, "follows");
    expect(await deliver({ id: followId, type: "Follow", actor: mallory.uri, object: alice.uri }, undefined, "/users/alice/inbox")).toBe(202);
    await eventually(async () => (await aliceAccount()).followers_count === 1, "mallory following alice", WAIT);
    const accept = await remote.waitFor((json) => json.type === "Accept");
    expect(accept.actor).toBe(alice.uri);
    expect(accept.object.id ?? accept.object).toBe(followId);
    const followers = await get(`/api/v1/accounts/${alice.id}/followers`);
    expect(followers.map((a: any) => a.acct)).toEqual([`mallory@${remote.host}`]);
  });

  test("a replayed Follow changes nothing", async () => {
    expect(await deliver({ id: followId, type: "Follow", actor: mallory.uri, object: alice.uri })).toBe(202);
    await Bun.sleep(1500);
    expect((await aliceAccount()).followers_count).toBe(1);
  });

  test("a follow of a remote account becomes a follow when its Accept arrives", async () => {
    const malloryAccount = await account(mallory);
    const rel = (await alice.client.post(`/api/v1/accounts/${malloryAccount.id}/follow`)).body;
    expect(rel.requested).toBe(true);
    const follow = await remote.waitFor((json) => json.type === "Follow" && json.actor === alice.uri && json.object === mallory.uri);
    expect(await deliver({ id: id(mallory, "accepts"), type: "Accept", actor: mallory.uri, object: follow })).toBe(202);
    await eventually(async () => (await relationship(malloryAccount.id)).following, "alice following mallory", WAIT);
  });
});

describe("statuses", () => {
  test("a Create mentioning a local account is stored and notifies it", async () => {
    const object = note(mallory, "Hi @alice, welcome", {
      tag: [{ type: "Mention", href: alice.uri, name: "@alice" }, { type: "Hashtag", name: "#Welcome", href: `${remote.origin}/tags/welcome` }],
      cc: [alice.uri, `${mallory.uri}/followers`],
    });
    expect(await deliver(create(mallory, object))).toBe(202);
    const mention = await eventually(
      async () => ((await get("/api/v1/notifications")) as any[]).find((n) => n.type === "mention" && n.status.uri === object.id),
      "the mention notification",
      WAIT,
    );
    expect(mention.status.content).toContain("welcome");
    expect(mention.status.tags.map((t: any) => t.name)).toEqual(["Welcome"]);
    expect(mention.status.mentions.map((m: any) => m.acct)).toEqual(["alice"]);
  });

  test("a post of a followed account reaches the home timeline; an Update edits it; a Delete removes it", async () => {
    const object = note(mallory, "Original text");
    expect(await deliver(create(mallory, object))).toBe(202);
    const inHome = await eventually(
      async () => ((await get("/api/v1/timelines/home")) as any[]).find((s) => s.uri === object.id),
      "mallory's post in alice's home",
      WAIT,
    );
    const updated = { ...object, content: "<p>Edited text</p>", updated: new Date(Date.now() + 1000).toISOString() };
    const update = { id: `${object.id}#update`, type: "Update", actor: mallory.uri, to: object.to, cc: object.cc, object: updated };
    expect(await deliver(update)).toBe(202);
    const edited = await eventually(async () => {
      const status = await get(`/api/v1/statuses/${inHome.id}`);
      return status.content.includes("Edited") ? status : null;
    }, "the edit", WAIT);
    expect(edited.edited_at).not.toBeNull();
    // Replayed: nothing new in the history.
    expect(await deliver({ ...update, id: `${object.id}#update-again` })).toBe(202);
    await Bun.sleep(1000);
    expect((await get(`/api/v1/statuses/${inHome.id}/history`)).length).toBe(2);

    const del = { id: `${object.id}#delete`, type: "Delete", actor: mallory.uri, to: [PUBLIC], object: { id: object.id, type: "Tombstone" } };
    expect(await deliver(del)).toBe(202);
    await eventually(async () => (await alice.client.get(`/api/v1/statuses/${inHome.id}`)).status === 404, "the deletion", WAIT);
  });

  test("a Create of someone nobody here follows, mentioning nobody, is ignored", async () => {
    const object = note(eve, "Nobody asked");
    expect(await deliver(create(eve, object))).toBe(202);
    await Bun.sleep(1500);
    expect((await statusesOf(eve)).some((s) => s.uri === object.id)).toBe(false);
  });

  test("a Create whose object is attributed to someone else is ignored", async () => {
    const object = { ...note(mallory, "Forged @alice"), attributedTo: eve.uri, tag: [{ type: "Mention", href: alice.uri }] };
    expect(await deliver(create(mallory, object))).toBe(202);
    await Bun.sleep(1500);
    const notifications = (await get("/api/v1/notifications")) as any[];
    expect(notifications.some((n) => n.status?.uri === object.id)).toBe(false);
    expect((await statusesOf(eve)).some((s) => s.uri === object.id)).toBe(false);
  });
});

describe("interactions with local statuses", () => {
  let status: { id: string; uri: string };

  beforeAll(async () => {
    status = (await alice.client.post("/api/v1/statuses", { status: "Like me", visibility: "public" })).body;
  });

  test("Like and Undo(Like): favourites_count and the notification", async () => {
    const like = { id: id(mallory, "likes"), type: "Like", actor: mallory.uri, object: status.uri };
    expect(await deliver(like)).toBe(202);
    await eventually(async () => (await get(`/api/v1/statuses/${status.id}`)).favourites_count === 1, "the favourite", WAIT);
    await eventually(async () => ((await get("/api/v1/notifications?types[]=favourite")) as any[]).length === 1, "the notification", WAIT);
    // A Misskey reaction from another actor counts as a favourite too.
    expect(await deliver({ id: id(zed, "likes"), type: "Like", actor: zed.uri, object: status.uri, _misskey_reaction: "👍", content: "👍" })).toBe(202);
    await eventually(async () => (await get(`/api/v1/statuses/${status.id}`)).favourites_count === 2, "the reaction", WAIT);
    expect(await deliver({ id: `${like.id}/undo`, type: "Undo", actor: mallory.uri, object: like })).toBe(202);
    await eventually(async () => (await get(`/api/v1/statuses/${status.id}`)).favourites_count === 1, "the undone favourite", WAIT);
  });

  test("Announce and Undo(Announce): reblogs_count and the notification", async () => {
    const announce = { id: id(mallory, "announces"), type: "Announce", actor: mallory.uri, object: status.uri, to: [PUBLIC], cc: [`${mallory.uri}/followers`] };
    expect(await deliver(announce)).toBe(202);
    await eventually(async () => (await get(`/api/v1/statuses/${status.id}`)).reblogs_count === 1, "the boost", WAIT);
    await eventually(
      async () => ((await get("/api/v1/notifications?types[]=reblog")) as any[]).some((n) => n.account.acct === `mallory@${remote.host}`),
      "the reblog notification",
      WAIT,
    );
    expect(await deliver(announce)).toBe(202);
    expect(await deliver({ id: `${announce.id}/undo`, type: "Undo", actor: mallory.uri, object: announce })).toBe(202);
    await eventually(async () => (await get(`/api/v1/statuses/${status.id}`)).reblogs_count === 0, "the undone boost", WAIT);
  });

  test("a reply from a stranger to a local status is kept and counted", async () => {
    const reply = note(zed, "A reply from afar", { inReplyTo: status.uri });
    expect(await deliver(create(zed, reply))).toBe(202);
    const context = await eventually(async () => {
      const thread = await get(`/api/v1/statuses/${status.id}/context`);
      return thread.descendants.length === 1 ? thread : null;
    }, "the reply in the thread", WAIT);
    expect(context.descendants[0].uri).toBe(reply.id);
    expect((await get(`/api/v1/statuses/${status.id}`)).replies_count).toBe(1);
  });

  test("a Flag is accepted", async () => {
    const flag = { id: id(mallory, "flags"), type: "Flag", actor: mallory.uri, object: [alice.uri, status.uri], content: "spam" };
    expect(await deliver(flag)).toBe(202);
  });
});

describe("resolution and backfill", () => {
  test("a status URL resolves through search, and viewing its context backfills replies never delivered", async () => {
    const root = note(eve, "A thread on the remote server");
    const reply = note(zed, "A reply nobody sent us", { inReplyTo: root.id });
    const nested = note(eve, "And a reply to the reply", { inReplyTo: reply.id });
    for (const [object, replies] of [
      [root, [reply.id]],
      [reply, [nested.id]],
      [nested, []],
    ] as const) {
      const path = new URL(object.id as string).pathname;
      remote.documents.set(path, { "@context": CONTEXT, ...object, replies: `${object.id}/replies` });
      remote.documents.set(`${path}/replies`, {
        "@context": CONTEXT,
        id: `${object.id}/replies`,
        type: "Collection",
        first: { id: `${object.id}/replies?page=1`, type: "CollectionPage", partOf: `${object.id}/replies`, items: replies },
      });
      remote.documents.set(`${path}/replies?page=1`, {
        "@context": CONTEXT,
        id: `${object.id}/replies?page=1`,
        type: "CollectionPage",
        partOf: `${object.id}/replies`,
        items: replies,
      });
    }
    const found = await get(`/api/v2/search?resolve=true&type=statuses&q=${encodeURIComponent(root.id as string)}`);
    expect(found.statuses.length).toBe(1);
    const rootId = found.statuses[0].id;
    await get(`/api/v1/statuses/${rootId}/context`);
    const context = await eventually(async () => {
      const thread = await get(`/api/v1/statuses/${rootId}/context`);
      return thread.descendants.length === 2 ? thread : null;
    }, "the backfilled replies", WAIT);
    expect(context.descendants.map((s: any) => s.uri)).toEqual([reply.id, nested.id]);
    expect(context.descendants[1].in_reply_to_id).toBe(context.descendants[0].id);
  });

  test("a newly resolved account's recent posts are fetched from its outbox", async () => {
    const nina = remote.actors.nina!;
    const posts = [note(nina, "First post"), note(nina, "Second post")];
    remote.documents.set("/users/nina/outbox", {
      "@context": CONTEXT,
      id: `${nina.uri}/outbox`,
      type: "OrderedCollection",
      totalItems: 2,
      first: `${nina.uri}/outbox?page=true`,
    });
    remote.documents.set("/users/nina/outbox?page=true", {
      "@context": CONTEXT,
      id: `${nina.uri}/outbox?page=true`,
      type: "OrderedCollectionPage",
      partOf: `${nina.uri}/outbox`,
      orderedItems: posts.map((p) => create(nina, p)),
    });
    const found = await get(`/api/v2/search?resolve=true&type=accounts&q=${encodeURIComponent(`@nina@${remote.host}`)}`);
    expect(found.accounts[0].acct).toBe(`nina@${remote.host}`);
    const statuses = await eventually(async () => {
      const list = await get(`/api/v1/accounts/${found.accounts[0].id}/statuses`);
      return list.length === 2 ? list : null;
    }, "nina's recent posts", WAIT);
    expect(statuses.map((s: any) => s.uri).sort()).toEqual(posts.map((p) => p.id).sort());
  });
});

describe("blocks and moves", () => {
  test("Move: alice's follow of mallory moves to the account that lists mallory as an alias", async () => {
    const malloryAccount = await account(mallory);
    expect((await relationship(malloryAccount.id)).following).toBe(true);
    const evePath = "/users/eve";
    remote.documents.set(evePath, { ...(remote.documents.get(evePath) as object), alsoKnownAs: [mallory.uri] });
    expect(await deliver({ id: id(mallory, "moves"), type: "Move", actor: mallory.uri, object: mallory.uri, target: eve.uri })).toBe(202);
    const eveAccount = await account(eve);
    await eventually(async () => (await relationship(eveAccount.id)).requested, "alice requesting to follow eve", WAIT);
    await eventually(async () => !(await relationship(malloryAccount.id)).following, "alice no longer following mallory", WAIT);
    await remote.waitFor((json) => json.type === "Follow" && json.actor === alice.uri && json.object === eve.uri);
    expect((await get(`/api/v1/accounts/${malloryAccount.id}`)).moved?.acct).toBe(`eve@${remote.host}`);
  });

  test("Block: the blocker's follow of the local account ends", async () => {
    expect((await aliceAccount()).followers_count).toBe(1);
    expect(await deliver({ id: id(mallory, "blocks"), type: "Block", actor: mallory.uri, object: alice.uri })).toBe(202);
    await eventually(async () => (await aliceAccount()).followers_count === 0, "mallory's follow removed", WAIT);
    const rel = await relationship((await account(mallory)).id);
    expect(rel.blocked_by).toBe(true);
  });
});
