/**
 * Two instances of this server federating with each other, each action
 * observed through the Mastodon API on the other side: A on
 * http://127.0.0.2:PORT (alice, dave) and B on http://127.0.0.3:PORT (bob,
 * carol — locked), both with ALLOW_PRIVATE_ADDRESS=true.
 *
 * Handles keep the port (LOCAL_DOMAIN=host:port): WebFinger of
 * `bob@127.0.0.3` would ask port 80, where nothing listens.
 *
 * Delivery goes through each side's queues (events, then Fedify's), so
 * every observation polls (`eventually`, up to 15 s).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { freePort, startServer, type TestServer } from "./helpers/server.ts";
import { eventually } from "./helpers/timelines.ts";
import { namedUser, type User as LocalUser } from "./helpers/social.ts";

setDefaultTimeout(60_000);
const WAIT = 15_000;

/** A user together with the instance it lives on. */
interface User extends LocalUser {
  server: TestServer;
}

async function startInstance(host: string): Promise<{ server: TestServer; domain: string }> {
  const port = await freePort();
  const domain = `${host}:${port}`;
  const server = await startServer({
    host,
    env: { PORT: String(port), PUBLIC_URL: `http://${domain}`, LOCAL_DOMAIN: domain, ALLOW_PRIVATE_ADDRESS: "true", LOG_LEVEL: process.env.FED_LOG_LEVEL ?? "warning" },
  });
  return { server, domain };
}

async function user(server: TestServer, username: string): Promise<User> {
  return { ...(await namedUser(server, username)), server };
}

async function get(u: User, path: string): Promise<any> {
  const response = await u.client.get(path);
  if (response.status !== 200) throw new Error(`GET ${path} on ${u.server.url}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

async function post(u: User, path: string, body?: unknown): Promise<any> {
  const response = await u.client.post(path, body);
  if (response.status !== 200) throw new Error(`POST ${path} on ${u.server.url}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** The remote account `handle` as `viewer`'s server knows it, resolved through search. */
async function resolveAccount(viewer: User, handle: string): Promise<any> {
  const found = await get(viewer, `/api/v2/search?resolve=true&type=accounts&q=${encodeURIComponent(handle)}`);
  const account = found.accounts.find((a: any) => a.acct === handle.replace(/^@/, ""));
  if (!account) throw new Error(`${handle} not found from ${viewer.server.url}: ${JSON.stringify(found)}`);
  return account;
}

async function relationship(viewer: User, accountId: string): Promise<any> {
  const [rel] = await get(viewer, `/api/v1/accounts/relationships?id[]=${accountId}`);
  return rel;
}

/** `viewer`'s copy of a status of the other server, found by its URI in their home timeline. */
async function homeStatusByUri(viewer: User, uri: string): Promise<any> {
  return eventually(
    async () => ((await get(viewer, "/api/v1/timelines/home?limit=40")) as any[]).find((s) => s.uri === uri || s.reblog?.uri === uri),
    `${uri} in ${viewer.username}'s home`,
    WAIT,
  );
}

async function notification(viewer: User, type: string, fromAcct: string, statusUri?: string): Promise<any> {
  return eventually(
    async () =>
      ((await get(viewer, `/api/v1/notifications?types[]=${type}`)) as any[]).find(
        (n) => n.type === type && n.account.acct === fromAcct && (statusUri === undefined || n.status?.uri === statusUri),
      ),
    `a ${type} notification from ${fromAcct} for ${viewer.username}`,
    WAIT,
  );
}

let A: { server: TestServer; domain: string };
let B: { server: TestServer; domain: string };
let alice: User;
let dave: User;
let bob: User;
let carol: User;
let erin: User;
/** Each side's ids of the other side's accounts. */
let bobOnA: any;
let carolOnA: any;
let aliceOnB: any;
/** bob's first post: its URI and its ids on both sides. */
let post1: { uri: string; idB: string; idA: string };

beforeAll(async () => {
  [A, B] = await Promise.all([startInstance("127.0.0.2"), startInstance("127.0.0.3")]);
  [alice, dave, bob, carol, erin] = await Promise.all([
    user(A.server, "alice"),
    user(A.server, "dave"),
    user(B.server, "bob"),
    user(B.server, "carol"),
    user(B.server, "erin"),
  ]);
  const locked = await carol.client.patch("/api/v1/accounts/update_credentials", { locked: true });
  expect(locked.status).toBe(200);
}, 120_000);

afterAll(async () => {
  if (process.env.FED_LOG_LEVEL) console.log(`--- A ---\n${A?.server.output()}\n--- B ---\n${B?.server.output()}`);
  await Promise.all([A?.server.stop(), B?.server.stop()]);
});

describe("two instances", () => {
  test("search with resolve=true finds @bob on the other server", async () => {
    bobOnA = await resolveAccount(alice, `@bob@${B.domain}`);
    expect(bobOnA.username).toBe("bob");
    expect(bobOnA.url).toStartWith(B.server.url);
    // And the lookup endpoint answers for the known account, and resolves an unknown one.
    const lookedUp = await get(alice, `/api/v1/accounts/lookup?acct=bob@${B.domain}`);
    expect(lookedUp.id).toBe(bobOnA.id);
    carolOnA = await get(alice, `/api/v1/accounts/lookup?acct=carol@${B.domain}`);
    expect(carolOnA.acct).toBe(`carol@${B.domain}`);
    expect(carolOnA.locked).toBe(true);
  });

  test("following an unlocked account: requested, then following once B accepts", async () => {
    const rel = await post(alice, `/api/v1/accounts/${bobOnA.id}/follow`);
    expect(rel.following || rel.requested).toBe(true);
    await eventually(async () => (await relationship(alice, bobOnA.id)).following, "alice following bob on A", WAIT);
    const bobOnB = await eventually(async () => {
      const account = await get(bob, `/api/v1/accounts/${bob.id}`);
      return account.followers_count === 1 ? account : null;
    }, "bob's followers count on B", WAIT);
    expect(bobOnB.followers_count).toBe(1);
    aliceOnB = (await get(bob, `/api/v1/accounts/${bob.id}/followers`))[0];
    expect(aliceOnB.acct).toBe(`alice@${A.domain}`);
    await notification(bob, "follow", `alice@${A.domain}`);
  });

  test("following a locked account: a request on B, following on A once carol authorizes", async () => {
    const rel = await post(alice, `/api/v1/accounts/${carolOnA.id}/follow`);
    expect(rel.requested).toBe(true);
    const requester = await eventually(
      async () => ((await get(carol, "/api/v1/follow_requests")) as any[]).find((a) => a.acct === `alice@${A.domain}`),
      "alice's request in carol's follow requests",
      WAIT,
    );
    expect((await relationship(alice, carolOnA.id)).following).toBe(false);
    await post(carol, `/api/v1/follow_requests/${requester.id}/authorize`);
    await eventually(async () => (await relationship(alice, carolOnA.id)).following, "alice following carol on A", WAIT);
    expect((await relationship(alice, carolOnA.id)).requested).toBe(false);
  });

  test("bob's post reaches alice's home on A", async () => {
    const status = await post(bob, "/api/v1/statuses", { status: "Hello from B #federation", visibility: "public" });
    const onA = await homeStatusByUri(alice, status.uri);
    expect(onA.content).toContain("Hello from B");
    expect(onA.account.acct).toBe(`bob@${B.domain}`);
    expect(onA.tags.map((t: any) => t.name)).toEqual(["federation"]);
    post1 = { uri: status.uri, idB: status.id, idA: onA.id };
  });

  test("alice's reply appears in the thread on B, and bob is notified of the mention", async () => {
    const reply = await post(alice, "/api/v1/statuses", {
      status: `@bob@${B.domain} Hello back from A`,
      in_reply_to_id: post1.idA,
    });
    expect(reply.mentions.map((m: any) => m.acct)).toEqual([`bob@${B.domain}`]);
    const context = await eventually(async () => {
      const thread = await get(bob, `/api/v1/statuses/${post1.idB}/context`);
      return thread.descendants.some((s: any) => s.uri === reply.uri) ? thread : null;
    }, "alice's reply in bob's thread on B", WAIT);
    const replyOnB = context.descendants.find((s: any) => s.uri === reply.uri);
    expect(replyOnB.in_reply_to_id).toBe(post1.idB);
    expect(replyOnB.account.acct).toBe(`alice@${A.domain}`);
    const mention = await notification(bob, "mention", `alice@${A.domain}`, reply.uri);
    expect(mention.status.content).toContain("Hello back from A");
    const onB = await get(bob, `/api/v1/statuses/${post1.idB}`);
    expect(onB.replies_count).toBe(1);
  });

  test("a reply A was never sent is backfilled when alice opens the thread", async () => {
    // erin has no followers on A and does not mention anyone there: her reply is delivered to nobody on A.
    const reply = await post(erin, "/api/v1/statuses", { status: "A reply only B knows about", in_reply_to_id: post1.idB });
    await Bun.sleep(1000);
    // The first look finds only what was delivered (the backfill it starts runs in the background).
    const before = await get(alice, `/api/v1/statuses/${post1.idA}/context`);
    expect(before.descendants.some((s: any) => s.uri === reply.uri)).toBe(false);
    const context = await eventually(async () => {
      const thread = await get(alice, `/api/v1/statuses/${post1.idA}/context`);
      return thread.descendants.some((s: any) => s.uri === reply.uri) ? thread : null;
    }, "erin's reply backfilled on A", WAIT);
    const onA = context.descendants.find((s: any) => s.uri === reply.uri);
    expect(onA.in_reply_to_id).toBe(post1.idA);
    expect(onA.account.acct).toBe(`erin@${B.domain}`);
  });

  test("a mention of an account B has never seen resolves it and notifies it on A", async () => {
    const status = await post(bob, "/api/v1/statuses", { status: `@dave@${A.domain} have you met alice?` });
    expect(status.mentions.map((m: any) => m.acct)).toEqual([`dave@${A.domain}`]);
    const mention = await notification(dave, "mention", `bob@${B.domain}`, status.uri);
    expect(mention.status.mentions.map((m: any) => m.acct)).toEqual(["dave"]);
  });

  test("a favourite from A counts on B and notifies bob", async () => {
    await post(alice, `/api/v1/statuses/${post1.idA}/favourite`);
    await eventually(async () => (await get(bob, `/api/v1/statuses/${post1.idB}`)).favourites_count === 1, "favourites_count 1 on B", WAIT);
    await notification(bob, "favourite", `alice@${A.domain}`, post1.uri);
  });

  test("a boost from A counts on B and notifies bob", async () => {
    const reblog = await post(alice, `/api/v1/statuses/${post1.idA}/reblog`);
    expect(reblog.reblog.id).toBe(post1.idA);
    await eventually(async () => (await get(bob, `/api/v1/statuses/${post1.idB}`)).reblogs_count === 1, "reblogs_count 1 on B", WAIT);
    await notification(bob, "reblog", `alice@${A.domain}`, post1.uri);
    const rebloggedBy = await get(bob, `/api/v1/statuses/${post1.idB}/reblogged_by`);
    expect(rebloggedBy.map((a: any) => a.acct)).toEqual([`alice@${A.domain}`]);
  });

  test("bob's edit shows on A with edited_at", async () => {
    const edited = await bob.client.put(`/api/v1/statuses/${post1.idB}`, { status: "Hello from B, edited #federation" });
    expect(edited.status).toBe(200);
    const onA = await eventually(async () => {
      const status = await get(alice, `/api/v1/statuses/${post1.idA}`);
      return status.content.includes("edited") ? status : null;
    }, "the edit on A", WAIT);
    expect(onA.edited_at).not.toBeNull();
    const history = await get(alice, `/api/v1/statuses/${post1.idA}/history`);
    expect(history.length).toBe(2);
  });

  test("bob's deleted post is gone on A", async () => {
    const doomed = await post(bob, "/api/v1/statuses", { status: "This will not last" });
    const onA = await homeStatusByUri(alice, doomed.uri);
    const deleted = await bob.client.delete(`/api/v1/statuses/${doomed.id}`);
    expect(deleted.status).toBe(200);
    await eventually(async () => (await alice.client.get(`/api/v1/statuses/${onA.id}`)).status === 404, "the deletion on A", WAIT);
  });

  test("bob boosts alice's post (resolved on B by its URL): counted and notified on A", async () => {
    const own = await post(alice, "/api/v1/statuses", { status: "Boost me, bob" });
    const ownOnB = await eventually(async () => {
      const found = await get(bob, `/api/v2/search?resolve=true&type=statuses&q=${encodeURIComponent(own.uri)}`);
      return found.statuses[0];
    }, "alice's post resolved on B by URL", WAIT);
    await post(bob, `/api/v1/statuses/${ownOnB.id}/reblog`);
    await eventually(async () => (await get(alice, `/api/v1/statuses/${own.id}`)).reblogs_count === 1, "bob's boost counted on A", WAIT);
    await notification(alice, "reblog", `bob@${B.domain}`, own.uri);
  });

  test("bob blocks alice: A's follow of bob is removed", async () => {
    const aliceOnBNow = await resolveAccount(bob, `@alice@${A.domain}`);
    await post(bob, `/api/v1/accounts/${aliceOnBNow.id}/block`);
    await eventually(async () => !(await relationship(alice, bobOnA.id)).following, "alice no longer following bob on A", WAIT);
    expect((await get(bob, `/api/v1/accounts/${bob.id}`)).followers_count).toBe(0);
  });

  test("alice unfollows carol: carol's followers count drops on B", async () => {
    expect((await get(carol, `/api/v1/accounts/${carol.id}`)).followers_count).toBe(1);
    await post(alice, `/api/v1/accounts/${carolOnA.id}/unfollow`);
    await eventually(async () => (await get(carol, `/api/v1/accounts/${carol.id}`)).followers_count === 0, "carol's followers count on B", WAIT);
  });
});
