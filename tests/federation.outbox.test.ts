/**
 * Outgoing federation: local statuses served as ActivityPub objects, the
 * actors' collections, and activities delivered to another server — a
 * small fake ActivityPub server in this file (on 127.0.0.3) with its own
 * actors and keys, whose inboxes record what arrives and verify its HTTP
 * signatures against our actors' published keys.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  detachSignature,
  generateCryptoKeyPair,
  getDocumentLoader,
  signRequest,
  verifyJsonLd,
  verifyObject,
  verifyRequest,
} from "@fedify/fedify";
import {
  Activity,
  Announce,
  Collection,
  CollectionPage,
  Create,
  CryptographicKey,
  Document,
  Endpoints,
  Hashtag,
  Mention,
  Note,
  OrderedCollection,
  OrderedCollectionPage,
  Person,
  Question,
} from "@fedify/fedify/vocab";
import sharp from "sharp";
import { api, signUp } from "./helpers/client.ts";
import { startServer, type TestServer } from "./helpers/server.ts";

const AP = "application/activity+json";
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
setDefaultTimeout(60_000);

const documentLoader = getDocumentLoader({ allowPrivateAddress: true });

async function getAp(url: string, headers: Record<string, string> = {}) {
  return fetch(url, { headers: { accept: AP, ...headers }, redirect: "manual" });
}

async function getJson(url: string): Promise<any> {
  const response = await getAp(url);
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  expect(response.headers.get("content-type")).toContain(AP);
  return response.json();
}

/**
 * An activity's Linked Data signature (RSA, as Mastodon checks) and its
 * FEP-8b32 proof (Ed25519), which covers the document without the former.
 */
async function expectSignedJson(json: any) {
  expect(json.signature?.type).toBe("RsaSignature2017");
  expect(await verifyJsonLd(json, { documentLoader, contextLoader: documentLoader })).toBe(true);
  expect(json.proof?.cryptosuite).toBe("eddsa-jcs-2022");
  expect(await verifyObject(Activity, detachSignature(json), { documentLoader, contextLoader: documentLoader })).not.toBeNull();
}

const hrefs = (urls: (URL | null)[]) => urls.map((u) => u?.href);
/** JSON-LD compaction writes a one-element array as its element. */
const list = (value: unknown): any[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

// ---------------------------------------------------------------------------
// The fake remote server

interface Received {
  path: string;
  json: any;
  /** The verified signing key's owner, or null when the HTTP signature didn't verify. */
  signer: string | null;
  spec: "rfc9421" | "draft-cavage";
}

interface FakeActor {
  name: string;
  uri: string;
  inbox: string;
  keyId: string;
  privateKey: CryptoKey;
}

interface FakeRemote {
  origin: string;
  host: string;
  /** Deliveries accepted (signature verified). */
  received: Received[];
  /** Deliveries refused for being signed with RFC 9421, which this server (like older Mastodon) doesn't read. */
  refusedRfc9421: number;
  actors: Record<string, FakeActor>;
  /** Resolves once an activity matching `match` has arrived (polling the recorded list). */
  waitFor(match: (r: Received) => boolean, timeoutMs?: number): Promise<Received>;
  stop(): void;
}

/**
 * Actors: `zoe` has a shared inbox (/inbox), as Mastodon's do; `yuri` has
 * only his own inbox, as GoToSocial's. Inboxes read draft-cavage HTTP
 * signatures only and answer 401 to RFC 9421 ones, so senders must
 * double-knock.
 */
async function startFakeRemote(): Promise<FakeRemote> {
  const received: Received[] = [];
  let refusedRfc9421 = 0;
  const keys: Record<string, CryptoKeyPair> = {};
  for (const name of ["zoe", "yuri"]) keys[name] = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  let origin = "";
  const actorDocs = new Map<string, unknown>();

  const server = Bun.serve({
    hostname: "127.0.0.3",
    port: 0,
    async fetch(request) {
      const url = new URL(request.url);
      if (url.pathname === "/.well-known/webfinger") {
        const resource = url.searchParams.get("resource") ?? "";
        const match = /^acct:([^@]+)@(.+)$/.exec(resource);
        const name = match && match[2] === new URL(origin).host ? match[1]! : null;
        if (!name || !keys[name]) return new Response("not found", { status: 404 });
        return Response.json(
          { subject: resource, links: [{ rel: "self", type: AP, href: `${origin}/users/${name}` }] },
          { headers: { "content-type": "application/jrd+json" } },
        );
      }
      const actor = /^\/users\/([a-z]+)$/.exec(url.pathname);
      if (actor && request.method === "GET" && actorDocs.has(actor[1]!)) {
        return new Response(JSON.stringify(actorDocs.get(actor[1]!)), { headers: { "content-type": AP } });
      }
      if (request.method === "POST" && (url.pathname === "/inbox" || /^\/users\/[a-z]+\/inbox$/.test(url.pathname))) {
        const spec = request.headers.has("signature-input") ? "rfc9421" : "draft-cavage";
        if (spec === "rfc9421") {
          refusedRfc9421++;
          return new Response("unsupported signature", { status: 401 });
        }
        const key = await verifyRequest(request.clone(), { documentLoader, contextLoader: documentLoader });
        if (!key) return new Response("bad signature", { status: 401 });
        const json = await request.json();
        received.push({ path: url.pathname, json, signer: key.ownerId?.href ?? null, spec });
        return new Response(null, { status: 202 });
      }
      return new Response("not found", { status: 404 });
    },
  });
  origin = `http://127.0.0.3:${server.port}`;
  const actors: Record<string, FakeActor> = {};
  for (const name of Object.keys(keys)) {
    const uri = `${origin}/users/${name}`;
    const person = new Person({
      id: new URL(uri),
      preferredUsername: name,
      name: name.toUpperCase(),
      inbox: new URL(`${uri}/inbox`),
      outbox: new URL(`${uri}/outbox`),
      followers: new URL(`${uri}/followers`),
      endpoints: name === "zoe" ? new Endpoints({ sharedInbox: new URL(`${origin}/inbox`) }) : null,
      publicKey: new CryptographicKey({ id: new URL(`${uri}#main-key`), owner: new URL(uri), publicKey: keys[name]!.publicKey }),
    });
    actorDocs.set(name, await person.toJsonLd({ contextLoader: documentLoader }));
    actors[name] = { name, uri, inbox: `${uri}/inbox`, keyId: `${uri}#main-key`, privateKey: keys[name]!.privateKey };
  }

  return {
    origin,
    host: new URL(origin).host,
    received,
    get refusedRfc9421() {
      return refusedRfc9421;
    },
    actors,
    async waitFor(match, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const found = received.find(match);
        if (found) return found;
        await Bun.sleep(100);
      }
      throw new Error(`nothing matching arrived; received:\n${JSON.stringify(received.map((r) => [r.path, r.json.type, r.json.id]), null, 1)}`);
    },
    stop: () => server.stop(true),
  };
}

// ---------------------------------------------------------------------------

let server: TestServer;
let origin: string;
let alice: { token: string; id: string; uri: string };
let bob: { token: string; id: string; uri: string };

async function user(name: string) {
  const { token, accountId } = await signUp(server, { username: name });
  return { token, id: accountId!, uri: `${origin}/users/${name}` };
}

async function post(token: string, body: Record<string, unknown>) {
  const response = await api(server, token).post("/api/v1/statuses", body);
  if (response.status !== 200) throw new Error(`posting failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as { id: string; uri: string; url: string };
}

beforeAll(async () => {
  server = await startServer({ host: "127.0.0.2", env: { ALLOW_PRIVATE_ADDRESS: "true" } });
  origin = new URL(server.url).origin;
  alice = await user("alice");
  bob = await user("bob");
}, 60_000);
afterAll(() => server?.stop());

describe("statuses as ActivityPub objects", () => {
  let publicStatus: { id: string; uri: string; url: string };

  beforeAll(async () => {
    publicStatus = await post(alice.token, {
      status: "Hello @bob, this is #Fedi",
      spoiler_text: "a warning",
      language: "en",
      visibility: "public",
    });
  });

  test("a public status is a Note with Mastodon's fields and addressing", async () => {
    expect(publicStatus.uri).toBe(`${origin}/users/alice/statuses/${publicStatus.id}`);
    const json = await getJson(publicStatus.uri);
    const note = await Note.fromJsonLd(json, { documentLoader, contextLoader: documentLoader });
    expect(note.id?.href).toBe(publicStatus.uri);
    expect(note.attributionId?.href).toBe(alice.uri);
    expect(note.url?.href).toBe(`${origin}/@alice/${publicStatus.id}`);
    expect(note.content?.toString()).toContain("this is");
    expect(json.contentMap?.en).toBe(json.content);
    expect(note.summary?.toString()).toBe("a warning");
    expect(note.sensitive).toBe(true);
    expect(note.published).not.toBeNull();
    expect(hrefs(note.toIds)).toEqual([PUBLIC]);
    expect(hrefs(note.ccIds)).toEqual([`${alice.uri}/followers`, bob.uri]);
    expect(note.repliesId?.href).toBe(`${publicStatus.uri}/replies`);

    const tags = await Array.fromAsync(note.getTags({ documentLoader, contextLoader: documentLoader }));
    const mention = tags.find((t) => t instanceof Mention) as Mention;
    expect(mention.href?.href).toBe(bob.uri);
    expect(mention.name?.toString()).toBe(`@bob@${new URL(origin).hostname}`);
    const hashtag = tags.find((t) => t instanceof Hashtag) as Hashtag;
    expect(hashtag.name?.toString()).toBe("#Fedi");
    expect(hashtag.href?.href).toBe(`${origin}/tags/Fedi`);
  });

  test("its /activity is the Create, and /@user/id serves the same Note to ActivityPub clients", async () => {
    const create = await Create.fromJsonLd(await getJson(`${publicStatus.uri}/activity`), { documentLoader, contextLoader: documentLoader });
    expect(create.id?.href).toBe(`${publicStatus.uri}/activity`);
    expect(create.actorId?.href).toBe(alice.uri);
    expect(create.objectId?.href).toBe(publicStatus.uri);
    expect(hrefs(create.toIds)).toEqual([PUBLIC]);

    const json = await getJson(publicStatus.url);
    expect(json.id).toBe(publicStatus.uri);
  });

  test("browsers don't get ActivityPub", async () => {
    const response = await fetch(publicStatus.uri, { headers: { accept: "text/html" } });
    expect(response.headers.get("content-type") ?? "").not.toContain(AP);
    const page = await fetch(publicStatus.url, { headers: { accept: "text/html" } });
    expect(page.headers.get("content-type") ?? "").not.toContain(AP);
  });

  test("unknown ids, other authors' paths and garbage are 404", async () => {
    expect((await getAp(`${origin}/users/alice/statuses/1`)).status).toBe(404);
    expect((await getAp(`${origin}/users/bob/statuses/${publicStatus.id}`)).status).toBe(404);
    expect((await getAp(`${origin}/users/alice/statuses/${publicStatus.id}x`)).status).toBe(404);
  });

  test("addressing follows the visibility", async () => {
    const unlisted = await post(alice.token, { status: "quiet @bob", visibility: "unlisted" });
    const note = await Note.fromJsonLd(await getJson(unlisted.uri), { documentLoader, contextLoader: documentLoader });
    expect(hrefs(note.toIds)).toEqual([`${alice.uri}/followers`]);
    expect(hrefs(note.ccIds)).toEqual([PUBLIC, bob.uri]);
  });

  test("followers-only and direct statuses are 404 to unsigned requests", async () => {
    const priv = await post(alice.token, { status: "friends only @bob", visibility: "private" });
    const direct = await post(alice.token, { status: "psst @bob", visibility: "direct" });
    for (const status of [priv, direct]) {
      expect((await getAp(status.uri)).status).toBe(404);
      expect((await getAp(`${status.uri}/activity`)).status).toBe(404);
      expect((await getAp(`${status.uri}/replies`)).status).toBe(404);
    }
  });

  test("a reply names its parent; a poll is a Question", async () => {
    const reply = await post(bob.token, { status: "@alice indeed", in_reply_to_id: publicStatus.id });
    const note = await Note.fromJsonLd(await getJson(reply.uri), { documentLoader, contextLoader: documentLoader });
    expect(note.replyTargetId?.href).toBe(publicStatus.uri);

    const poll = await post(alice.token, { status: "Tea or coffee?", poll: { options: ["Tea", "Coffee"], expires_in: 3600 } });
    const json = await getJson(poll.uri);
    expect(json.type).toBe("Question");
    const question = await Question.fromJsonLd(json, { documentLoader, contextLoader: documentLoader });
    const options = await Array.fromAsync(question.getExclusiveOptions({ documentLoader, contextLoader: documentLoader }));
    expect(options.map((o) => o.name?.toString())).toEqual(["Tea", "Coffee"]);
    expect(question.endTime).not.toBeNull();
    expect(question.voters).toBe(0);
  });

  test("a reblog's URI is its Announce; it has no Note", async () => {
    const reblog = (await api(server, bob.token).post(`/api/v1/statuses/${publicStatus.id}/reblog`)).body;
    expect(reblog.uri).toBe(`${origin}/users/bob/statuses/${reblog.id}/activity`);
    const json = await getJson(reblog.uri);
    const announce = await Announce.fromJsonLd(json, { documentLoader, contextLoader: documentLoader });
    expect(announce.actorId?.href).toBe(bob.uri);
    expect(announce.objectId?.href).toBe(publicStatus.uri);
    expect(hrefs(announce.toIds)).toEqual([PUBLIC]);
    expect(hrefs(announce.ccIds)).toEqual([alice.uri, `${bob.uri}/followers`]);
    expect((await getAp(`${origin}/users/bob/statuses/${reblog.id}`)).status).toBe(404);
    await api(server, bob.token).post(`/api/v1/statuses/${publicStatus.id}/unreblog`);
  });

  test("attachments are Documents with their media type, URL, description and size", async () => {
    const image = await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 10, g: 20, b: 30 } } }).png().toBuffer();
    const form = new FormData();
    form.append("file", new File([new Uint8Array(image)], "pic.png", { type: "image/png" }));
    form.append("description", "a dark rectangle");
    const media = await api(server, alice.token).post("/api/v2/media", form);
    expect(media.status).toBe(200);
    const status = await post(alice.token, { status: "look", media_ids: [media.body.id], sensitive: true });
    const note = await Note.fromJsonLd(await getJson(status.uri), { documentLoader, contextLoader: documentLoader });
    const [document] = await Array.fromAsync(note.getAttachments({ documentLoader, contextLoader: documentLoader }));
    expect(document).toBeInstanceOf(Document);
    const doc = document as Document;
    expect(doc.mediaType).toBe("image/png");
    expect(doc.url?.toString()).toBe(media.body.url);
    expect(doc.name?.toString()).toBe("a dark rectangle");
    expect([doc.width, doc.height]).toEqual([40, 30]);
    expect(note.sensitive).toBe(true);
  });

  test("a deleted status is gone", async () => {
    const doomed = await post(alice.token, { status: "soon gone" });
    expect((await getAp(doomed.uri)).status).toBe(200);
    await api(server, alice.token).delete(`/api/v1/statuses/${doomed.id}`);
    expect((await getAp(doomed.uri)).status).toBe(404);
  });
});

describe("collections", () => {
  let carol: { token: string; id: string; uri: string };
  let dave: { token: string; id: string; uri: string };

  beforeAll(async () => {
    carol = await user("carol");
    dave = await user("dave");
  });

  async function pages(collectionUrl: string, max = 10): Promise<{ root: any; pages: any[] }> {
    const root = await getJson(collectionUrl);
    const result: any[] = [];
    let next: string | undefined = typeof root.first === "string" ? root.first : root.first?.id;
    while (next && result.length < max) {
      const page = await getJson(next);
      result.push(page);
      next = typeof page.next === "string" ? page.next : page.next?.id;
    }
    return { root, pages: result };
  }

  test("the outbox pages public and unlisted statuses as Create, newest first", async () => {
    const posted: string[] = [];
    for (let i = 0; i < 22; i++) posted.push((await post(carol.token, { status: `post ${i}`, visibility: i === 3 ? "unlisted" : "public" })).uri);
    const hidden = await post(carol.token, { status: "followers only", visibility: "private" });
    await post(carol.token, { status: "@dave direct", visibility: "direct" });

    const { root, pages: pageList } = await pages(`${carol.uri}/outbox`);
    expect(root.type).toBe("OrderedCollection");
    expect(root.id).toBe(`${carol.uri}/outbox`);
    // The statuses count (direct messages don't count).
    expect(root.totalItems).toBe(23);
    expect(pageList.length).toBe(2);
    const page = await OrderedCollectionPage.fromJsonLd(pageList[0], { documentLoader, contextLoader: documentLoader });
    expect(page.partOfId?.href).toBe(`${carol.uri}/outbox`);
    const items = [...list(pageList[0].orderedItems), ...list(pageList[1].orderedItems)];
    expect(items.every((i: any) => i.type === "Create" && i.actor === carol.uri)).toBe(true);
    expect(items.map((i: any) => i.object.id)).toEqual([...posted].reverse());
    expect(items.map((i: any) => i.object.id)).not.toContain(hidden.uri);
    const activity = await Activity.fromJsonLd(items[0], { documentLoader, contextLoader: documentLoader });
    expect(activity).toBeInstanceOf(Create);
  });

  test("followers and following list actor URIs, unless the owner hides them", async () => {
    await api(server, dave.token).post(`/api/v1/accounts/${carol.id}/follow`);
    await api(server, carol.token).post(`/api/v1/accounts/${alice.id}/follow`);

    const followers = await pages(`${carol.uri}/followers`);
    expect(followers.root.type).toBe("OrderedCollection");
    expect(followers.root.totalItems).toBe(1);
    expect(list(followers.pages[0].orderedItems)).toEqual([dave.uri]);
    const following = await pages(`${carol.uri}/following`);
    expect(following.root.totalItems).toBe(1);
    expect(list(following.pages[0].orderedItems)).toEqual([alice.uri]);

    await api(server, carol.token).patch("/api/v1/accounts/update_credentials", { hide_collections: true });
    const hidden = await pages(`${carol.uri}/followers`);
    expect(hidden.root.totalItems).toBe(1);
    expect(list(hidden.pages[0].orderedItems)).toEqual([]);
    await api(server, carol.token).patch("/api/v1/accounts/update_credentials", { hide_collections: false });
  });

  test("featured lists pinned public statuses as Notes; featured tags is linked from the actor", async () => {
    const pinned = await post(carol.token, { status: "pin me" });
    const secret = await post(carol.token, { status: "pinned but followers only", visibility: "private" });
    for (const s of [pinned, secret]) expect((await api(server, carol.token).post(`/api/v1/statuses/${s.id}/pin`)).status).toBe(200);
    const json = await getJson(`${carol.uri}/collections/featured`);
    const collection = await OrderedCollection.fromJsonLd(json, { documentLoader, contextLoader: documentLoader });
    expect(collection.totalItems).toBe(1);
    const items = await Array.fromAsync(collection.getItems({ documentLoader, contextLoader: documentLoader }));
    expect(items.length).toBe(1);
    expect(items[0]).toBeInstanceOf(Note);
    expect(items[0]!.id?.href).toBe(pinned.uri);

    const actor = await getJson(carol.uri);
    expect(actor.featuredTags).toBe(`${carol.uri}/collections/tags`);
    const tags = await getJson(actor.featuredTags);
    expect(tags.type).toBe("OrderedCollection");
    expect(tags.totalItems).toBe(0);
  });

  test("a status's replies collection pages its public replies (FEP-7458)", async () => {
    const parent = await post(carol.token, { status: "reply to me" });
    const replies: string[] = [];
    for (let i = 0; i < 21; i++) replies.push((await post(dave.token, { status: `reply ${i}`, in_reply_to_id: parent.id })).uri);
    await post(dave.token, { status: "a private reply", in_reply_to_id: parent.id, visibility: "private" });

    const root = await getJson(`${parent.uri}/replies`);
    expect(root.type).toBe("Collection");
    expect(root.id).toBe(`${parent.uri}/replies`);
    expect(root.totalItems).toBe(21);
    const collection = await Collection.fromJsonLd(root, { documentLoader, contextLoader: documentLoader });
    const first = await getJson(collection.firstId!.href);
    expect(first.type).toBe("CollectionPage");
    const page = await CollectionPage.fromJsonLd(first, { documentLoader, contextLoader: documentLoader });
    expect(page.nextId).not.toBeNull();
    const second = await getJson(page.nextId!.href);
    expect([...list(first.items), ...list(second.items)]).toEqual(replies);
  });

  test("unknown actors' collections are 404", async () => {
    for (const path of ["outbox", "followers", "following", "collections/featured", "collections/tags"]) {
      expect((await getAp(`${origin}/users/nobody/${path}`)).status).toBe(404);
    }
    expect((await getAp(`${carol.uri}/outbox?cursor=garbage`)).status).toBe(404);
  });
});

describe("delivery to another server", () => {
  let remote: FakeRemote;
  let zoe: { id: string; uri: string; handle: string };
  let yuri: { id: string; uri: string; handle: string };
  let erin: { token: string; id: string; uri: string };

  /** Resolves a remote handle through the search API, as a client would. */
  async function resolve(handle: string) {
    const response = await api(server, erin.token).get(`/api/v2/search?type=accounts&resolve=true&q=${encodeURIComponent(handle)}`);
    expect(response.status).toBe(200);
    const account = response.body.accounts[0];
    if (!account) throw new Error(`${handle} did not resolve: ${JSON.stringify(response.body)}`);
    return account.id as string;
  }

  /** A GET of our server signed as one of the fake server's actors. */
  async function signedGet(url: string, actor: FakeActor) {
    const request = new Request(url, { headers: { accept: AP } });
    return fetch(await signRequest(request, actor.privateKey, new URL(actor.keyId)), { redirect: "manual" });
  }

  const arrived = (type: string, objectId?: string) => (r: Received) =>
    r.json.type === type && (objectId === undefined || (r.json.object?.id ?? r.json.object) === objectId);

  beforeAll(async () => {
    remote = await startFakeRemote();
    erin = await user("erin");
    zoe = { id: "", uri: remote.actors.zoe!.uri, handle: `zoe@${remote.host}` };
    yuri = { id: "", uri: remote.actors.yuri!.uri, handle: `yuri@${remote.host}` };
    zoe.id = await resolve(`@${zoe.handle}`);
    yuri.id = await resolve(`@${yuri.handle}`);
  });
  afterAll(() => remote?.stop());

  test("following a remote account sends a signed Follow and stays requested until it is accepted", async () => {
    const response = await api(server, erin.token).post(`/api/v1/accounts/${zoe.id}/follow`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ following: false, requested: true });

    const follow = await remote.waitFor(arrived("Follow"));
    // One-to-one activities go to the actor's own inbox.
    expect(follow.path).toBe("/users/zoe/inbox");
    expect(follow.signer).toBe(erin.uri);
    // RFC 9421 first; refused, the same delivery again with draft-cavage (Fedify's double-knock).
    expect(remote.refusedRfc9421).toBeGreaterThanOrEqual(1);
    expect(follow.spec).toBe("draft-cavage");
    expect(follow.json.actor).toBe(erin.uri);
    expect(follow.json.object).toBe(zoe.uri);
    expect(follow.json.id).toStartWith(`${erin.uri}#follows/`);
    // Also signed with a Linked Data signature and an FEP-8b32 proof (Ed25519).
    await expectSignedJson(follow.json);

    await Bun.sleep(500);
    const rel = await api(server, erin.token).get(`/api/v1/accounts/relationships?id[]=${zoe.id}`);
    expect(rel.body[0]).toMatchObject({ following: false, requested: true });

    // Withdrawing it undoes that very Follow.
    await api(server, erin.token).post(`/api/v1/accounts/${zoe.id}/unfollow`);
    const undo = await remote.waitFor((r) => r.json.type === "Undo" && r.json.object?.type === "Follow");
    expect(undo.path).toBe("/users/zoe/inbox");
    expect(undo.json.object.id).toBe(follow.json.id);
    expect(undo.json.object.object).toBe(zoe.uri);
  });

  test("a public post mentioning a remote account reaches its shared inbox as a signed Create(Note)", async () => {
    const status = await post(erin.token, { status: `Hi @${zoe.handle} #hello` });
    const create = await remote.waitFor(arrived("Create", status.uri));
    expect(create.path).toBe("/inbox");
    expect(create.signer).toBe(erin.uri);
    expect(create.json.id).toBe(`${status.uri}/activity`);
    expect(create.json.to).toEqual(PUBLIC);
    const activity = await Create.fromJsonLd(create.json, { documentLoader, contextLoader: documentLoader });
    const note = (await activity.getObject({ documentLoader, contextLoader: documentLoader })) as Note;
    expect(note).toBeInstanceOf(Note);
    expect(hrefs(note.ccIds)).toEqual([`${erin.uri}/followers`, zoe.uri]);
    const tags = await Array.fromAsync(note.getTags({ documentLoader, contextLoader: documentLoader }));
    expect(tags.some((t) => t instanceof Mention && t.href?.href === zoe.uri)).toBe(true);
    await expectSignedJson(create.json);

    // Edits and deletes follow the same way, in order.
    await api(server, erin.token).put(`/api/v1/statuses/${status.id}`, { status: `Hi again @${zoe.handle}` });
    const update = await remote.waitFor(arrived("Update", status.uri));
    expect(update.json.object.content).toContain("again");
    await api(server, erin.token).delete(`/api/v1/statuses/${status.id}`);
    const del = await remote.waitFor(arrived("Delete", status.uri));
    expect(del.path).toBe("/inbox");
    expect(del.json.object.type).toBe("Tombstone");
    expect(del.signer).toBe(erin.uri);
  });

  test("a direct message goes only to the accounts it mentions, to their own inbox when they have no shared one", async () => {
    const status = await post(erin.token, { status: `@${yuri.handle} just you`, visibility: "direct" });
    const create = await remote.waitFor(arrived("Create", status.uri));
    expect(create.path).toBe("/users/yuri/inbox");
    expect(create.json.to).toEqual(yuri.uri);
    expect(create.json.cc).toBeUndefined();
    await Bun.sleep(1000);
    expect(remote.received.filter(arrived("Create", status.uri)).length).toBe(1);
  });

  test("followers-only statuses are served to signed requests from their audience only", async () => {
    const status = await post(erin.token, { status: `for @${zoe.handle} and followers`, visibility: "private" });
    const create = await remote.waitFor(arrived("Create", status.uri));
    expect(create.json.to).toEqual(`${erin.uri}/followers`);
    expect(create.json.cc).toEqual(zoe.uri);

    expect((await getAp(status.uri)).status).toBe(404);
    const asZoe = await signedGet(status.uri, remote.actors.zoe!);
    expect(asZoe.status).toBe(200);
    expect(((await asZoe.json()) as any).id).toBe(status.uri);
    expect((await signedGet(status.uri, remote.actors.yuri!)).status).toBe(404);
  });

  test("blocks are sent, and unblocking undoes them", async () => {
    await api(server, erin.token).post(`/api/v1/accounts/${yuri.id}/block`);
    const block = await remote.waitFor(arrived("Block"));
    expect(block.path).toBe("/users/yuri/inbox");
    expect(block.json.object).toBe(yuri.uri);
    await api(server, erin.token).post(`/api/v1/accounts/${yuri.id}/unblock`);
    const undo = await remote.waitFor((r) => r.json.type === "Undo" && r.json.object?.type === "Block");
    expect(undo.json.object.id).toBe(block.json.id);
  });

  test("local accounts' actions that concern nobody remote send nothing", async () => {
    const before = remote.received.length;
    await post(alice.token, { status: "just for us" });
    await api(server, alice.token).post(`/api/v1/accounts/${bob.id}/follow`);
    await Bun.sleep(1500);
    expect(remote.received.length).toBe(before);
  });

  test("posts reach remote followers through their shared inbox; followers-only ones too, direct ones not", async () => {
    const zoeActor = remote.actors.zoe!;
    const followId = `${zoe.uri}#follows/1`;
    const body = JSON.stringify({
      "@context": "https://www.w3.org/ns/activitystreams",
      id: followId,
      type: "Follow",
      actor: zoe.uri,
      object: erin.uri,
    });
    const request = new Request(`${erin.uri}/inbox`, { method: "POST", headers: { "content-type": AP }, body });
    const response = await fetch(await signRequest(request, zoeActor.privateKey, new URL(zoeActor.keyId)));
    expect(response.status).toBeLessThan(300);
    const accept = await remote.waitFor((r) => r.json.type === "Accept" && r.json.object?.id === followId);
    expect(accept.path).toBe("/users/zoe/inbox");

    const pub = await post(erin.token, { status: "hello followers" });
    expect((await remote.waitFor(arrived("Create", pub.uri))).path).toBe("/inbox");
    const priv = await post(erin.token, { status: "followers only", visibility: "private" });
    expect((await remote.waitFor(arrived("Create", priv.uri))).json.to).toEqual(`${erin.uri}/followers`);
    const direct = await post(erin.token, { status: "@bob hi", visibility: "direct" });
    await api(server, erin.token).patch("/api/v1/accounts/update_credentials", { display_name: "Erin E." });
    const update = await remote.waitFor((r) => r.json.type === "Update" && r.json.object?.type === "Person");
    expect(update.json.object.name).toBe("Erin E.");
    expect(remote.received.some(arrived("Create", direct.uri))).toBe(false);

    // Removing the follower tells them.
    await api(server, erin.token).post(`/api/v1/accounts/${zoe.id}/remove_from_followers`);
    const reject = await remote.waitFor((r) => r.json.type === "Reject" && r.json.object?.id === followId);
    expect(reject.path).toBe("/users/zoe/inbox");
  });
});
