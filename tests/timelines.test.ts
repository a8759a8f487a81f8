/**
 * Timelines end to end: fanout into home feeds (visibility, replies,
 * reblogs, unfollow, block, mute), the Redis feed rebuilt from Postgres
 * after a restart or flush, pagination, and the public and hashtag
 * timelines. Every feed under test is read once before the action, so the
 * feed exists in Redis and what shows up afterwards came from fanout, not
 * from a rebuild.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { RedisClient } from "bun";
import { startServer, type TestServer } from "./helpers/server.ts";
import { api } from "./helpers/client.ts";
import {
  buildHome,
  eventually,
  follow,
  homeIds,
  linkTo,
  newUser,
  ok,
  post,
  readAll,
  sentinel,
  timeline,
  unfollow,
  waitForHome,
  type User,
} from "./helpers/timelines.ts";

let server: TestServer;
let settle: () => Promise<void>;
setDefaultTimeout(60_000);

beforeAll(async () => {
  server = await startServer();
  settle = await sentinel(server);
}, 60_000);

afterAll(() => server?.stop());

const user = (prefix: string) => newUser(server, prefix);

describe("home timeline fanout", () => {
  test("a post reaches followers' homes and the author's own; unfollowing takes it out", async () => {
    const [alice, bob, carol] = await Promise.all([user("alice"), user("bob"), user("carol")]);
    await follow(bob, alice);
    await Promise.all([buildHome(alice, server), buildHome(bob, server), buildHome(carol, server)]);

    const status = await post(alice, { status: "hello followers" });
    await waitForHome(bob, server, status.id);
    await waitForHome(alice, server, status.id);
    await settle();
    expect(await homeIds(carol, server)).not.toContain(status.id);

    const page = await timeline(bob, server, "/api/v1/timelines/home");
    const shown = page.statuses.find((s) => s.id === status.id);
    expect(shown.account.id).toBe(alice.id);
    expect(shown.content).toContain("hello followers");

    await unfollow(bob, alice);
    await eventually(async () => !(await homeIds(bob, server)).includes(status.id), "the status to leave bob's home");
  });

  test("private reaches followers only; direct only the mentioned who follow; unlisted reaches followers", async () => {
    const [alice, bob, carol, dave] = await Promise.all([user("alice"), user("bob"), user("carol"), user("dave")]);
    await follow(bob, alice);
    await follow(dave, alice);
    await Promise.all([bob, carol, dave, alice].map((u) => buildHome(u, server)));

    const priv = await post(alice, { status: "followers only", visibility: "private" });
    const direct = await post(alice, {
      status: `@${bob.username} @${carol.username} secret`,
      visibility: "direct",
    });
    const unlisted = await post(alice, { status: "quietly public", visibility: "unlisted" });

    await waitForHome(bob, server, unlisted.id);
    await settle();
    const bobs = await homeIds(bob, server);
    const carols = await homeIds(carol, server);
    const daves = await homeIds(dave, server);
    const alices = await homeIds(alice, server);

    expect(bobs).toContain(priv.id);
    expect(daves).toContain(priv.id);
    expect(carols).not.toContain(priv.id);

    // Direct: bob is mentioned and follows; carol is mentioned but doesn't follow; dave follows but isn't mentioned.
    expect(bobs).toContain(direct.id);
    expect(carols).not.toContain(direct.id);
    expect(daves).not.toContain(direct.id);
    expect(alices).toContain(direct.id);

    expect(daves).toContain(unlisted.id);
  });

  test("replies reach a follower only if they also follow the replied-to account (or it's a thread)", async () => {
    const [alice, bob, carol, dave] = await Promise.all([user("alice"), user("bob"), user("carol"), user("dave")]);
    await follow(carol, alice);
    await follow(dave, alice);
    await follow(dave, bob);
    await Promise.all([carol, dave].map((u) => buildHome(u, server)));

    const bobsPost = await post(bob, { status: "a thought" });
    const reply = await post(alice, { status: `@${bob.username} agreed`, in_reply_to_id: bobsPost.id });
    const selfReply = await post(alice, { status: "a thread", in_reply_to_id: (await post(alice, { status: "1/2" })).id });

    await waitForHome(carol, server, selfReply.id);
    await waitForHome(dave, server, reply.id);
    await settle();
    expect(await homeIds(carol, server)).not.toContain(reply.id);
  });

  test("reblogs respect show_reblogs and don't repeat an original already in view", async () => {
    const [alice, bob, carol, dave, eve] = await Promise.all([
      user("alice"),
      user("bob"),
      user("carol"),
      user("dave"),
      user("eve"),
    ]);
    await follow(carol, bob, { reblogs: false });
    await follow(dave, bob);
    await follow(eve, alice);
    await follow(eve, bob);
    const frank = await user("frank");
    await follow(frank, bob);
    await ok(frank.client.post(`/api/v1/accounts/${alice.id}/mute`), "muting the original author");
    await Promise.all([carol, dave, eve, frank].map((u) => buildHome(u, server)));

    const original = await post(alice, { status: "worth sharing" });
    await waitForHome(eve, server, original.id);
    const reblog = await ok(bob.client.post(`/api/v1/statuses/${original.id}/reblog`), "reblogging");

    await waitForHome(dave, server, reblog.id);
    await settle();
    const shown = (await timeline(dave, server, "/api/v1/timelines/home")).statuses.find((s) => s.id === reblog.id);
    expect(shown.reblog.id).toBe(original.id);
    expect(await homeIds(carol, server)).not.toContain(reblog.id);
    // frank follows the booster but muted the original's author.
    expect(await homeIds(frank, server)).not.toContain(reblog.id);
    // eve follows alice and already has the original near the top of her feed.
    const eves = await homeIds(eve, server);
    expect(eves).toContain(original.id);
    expect(eves).not.toContain(reblog.id);
  });

  test("deleting a status takes it out of homes", async () => {
    const [alice, bob] = await Promise.all([user("alice"), user("bob")]);
    await follow(bob, alice);
    await buildHome(bob, server);
    const status = await post(alice, { status: "regrettable" });
    await waitForHome(bob, server, status.id);
    await ok(alice.client.delete(`/api/v1/statuses/${status.id}`), "deleting");
    await eventually(async () => !(await homeIds(bob, server)).includes(status.id), "the deleted status to leave home");
  });

  test("a new follow merges the followed account's recent posts; block and mute take them out", async () => {
    const [alice, bob, carol] = await Promise.all([user("alice"), user("bob"), user("carol")]);
    const earlier = await post(alice, { status: "before the follow" });
    await Promise.all([buildHome(bob, server), buildHome(carol, server)]);
    await follow(bob, alice);
    await follow(carol, alice);
    await waitForHome(bob, server, earlier.id, "the merged status");
    await waitForHome(carol, server, earlier.id, "the merged status");

    await ok(bob.client.post(`/api/v1/accounts/${alice.id}/mute`), "muting");
    await eventually(async () => !(await homeIds(bob, server)).includes(earlier.id), "the muted account's status to go");
    const whileMuted = await post(alice, { status: "while muted" });
    await waitForHome(carol, server, whileMuted.id);
    await settle();
    expect(await homeIds(bob, server)).not.toContain(whileMuted.id);

    await ok(carol.client.post(`/api/v1/accounts/${alice.id}/block`), "blocking");
    await eventually(async () => !(await homeIds(carol, server)).includes(earlier.id), "the blocked account's status to go");
  });

  test("muting hides an account's statuses from home; unmuting brings them back", async () => {
    const [alice, bob] = await Promise.all([user("alice"), user("bob")]);
    await follow(bob, alice);
    await buildHome(bob, server);
    const status = await post(alice, { status: "visible until muted" });
    await waitForHome(bob, server, status.id);
    await ok(bob.client.post(`/api/v1/accounts/${alice.id}/mute`), "muting");
    await eventually(async () => !(await homeIds(bob, server)).includes(status.id), "the muted status to go");
    await ok(bob.client.post(`/api/v1/accounts/${alice.id}/unmute`), "unmuting");
    await waitForHome(bob, server, status.id, "the status to come back after unmuting");
  });
});

describe("home timeline pagination and rebuild", () => {
  let alice: User;
  let bob: User;
  const posted: string[] = [];

  beforeAll(async () => {
    [alice, bob] = await Promise.all([user("alice"), user("bob")]);
    await follow(bob, alice);
    await buildHome(bob, server);
    for (let i = 0; i < 25; i++) posted.push((await post(alice, { status: `post ${i}` })).id);
    await waitForHome(bob, server, posted[posted.length - 1]!);
  });

  test("max_id pages through everything with Link headers, without duplicates or gaps", async () => {
    const all = await readAll(bob, server, "/api/v1/timelines/home?limit=7");
    expect(all).toEqual([...posted].reverse());
  });

  test("since_id and min_id read newer statuses; prev links read forward", async () => {
    const newestFirst = [...posted].reverse();
    const since = await homeIds(bob, server, `?since_id=${posted[19]}&limit=3`);
    expect(since).toEqual(newestFirst.slice(0, 3));
    const min = await timeline(bob, server, `/api/v1/timelines/home?min_id=${posted[19]}&limit=3`);
    expect(min.statuses.map((s) => s.id)).toEqual([posted[22], posted[21], posted[20]]);
    const prev = linkTo(min.link, "prev");
    expect(prev).toContain(`min_id=${posted[22]}`);
    const forward = await timeline(bob, server, prev!);
    expect(forward.statuses.map((s) => s.id)).toEqual([posted[24], posted[23]]);
    const next = linkTo(min.link, "next");
    expect(next).toContain(`max_id=${posted[20]}`);
    expect(next).toContain("limit=3");
  });

  test("limit is capped at 40 and a bad limit is a 422", async () => {
    const many = await homeIds(bob, server, "?limit=1000");
    expect(many.length).toBe(25);
    expect((await bob.client.get("/api/v1/timelines/home?limit=abc")).status).toBe(422);
  });

  test("without a token home is refused", async () => {
    expect((await api(server).get("/api/v1/timelines/home")).status).toBe(401);
  });

  test("after a restart (Redis lost) or a flush, home is rebuilt from Postgres", async () => {
    const before = await readAll(bob, server, "/api/v1/timelines/home?limit=40");
    await server.restart();
    settle = await sentinel(server);
    expect(await readAll(bob, server, "/api/v1/timelines/home?limit=40")).toEqual(before);
    // New posts keep arriving through fanout into the rebuilt feed.
    const fresh = await post(alice, { status: "after restart" });
    await waitForHome(bob, server, fresh.id);

    if (server.env.REDIS_URL) {
      const redis = new RedisClient(server.env.REDIS_URL);
      const keys = (await redis.send("KEYS", [`${server.env.REDIS_KEY_PREFIX ?? ""}feed:*`])) as string[];
      if (keys.length > 0) await redis.send("DEL", keys);
      redis.close();
      expect((await readAll(bob, server, "/api/v1/timelines/home?limit=40"))[0]).toBe(fresh.id);
    }
  });
});

describe("home beyond the cached 800 items", () => {
  test("older pages continue from Postgres", async () => {
    const [bob, ...authors] = await Promise.all([user("bob"), user("a"), user("b"), user("c"), user("d")]);
    for (const author of authors) await follow(bob, author);
    await buildHome(bob, server);
    const total = 830;
    const ids: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < total) {
          const n = next++;
          ids.push((await post(authors[n % authors.length]!, { status: `bulk ${n}` })).id);
        }
      }),
    );
    const newest = ids.reduce((a, b) => (BigInt(a) > BigInt(b) ? a : b));
    await eventually(async () => (await homeIds(bob, server, "?limit=1"))[0] === newest, "the last bulk post", 60_000);
    await settle();
    const all = await readAll(bob, server, "/api/v1/timelines/home?limit=40");
    expect(all.length).toBe(total);
    expect(new Set(all)).toEqual(new Set(ids));
  }, 300_000);
});

describe("public timelines", () => {
  let alice: User;
  let statuses: Record<string, { id: string }>;

  beforeAll(async () => {
    alice = await user("alice");
    statuses = {
      public: await post(alice, { status: "public #PubTest" }),
      unlisted: await post(alice, { status: "unlisted #PubTest", visibility: "unlisted" }),
      private: await post(alice, { status: "private #PubTest", visibility: "private" }),
      direct: await post(alice, { status: "direct #PubTest", visibility: "direct" }),
    };
  });

  test("only public statuses appear, to anonymous readers too", async () => {
    const anonymous = (await timeline(null, server, "/api/v1/timelines/public?limit=40")).statuses.map((s) => s.id);
    expect(anonymous).toContain(statuses.public!.id);
    for (const hidden of ["unlisted", "private", "direct"]) expect(anonymous).not.toContain(statuses[hidden]!.id);
    const local = (await timeline(alice, server, "/api/v1/timelines/public?local=true&limit=40")).statuses.map((s) => s.id);
    expect(local).toContain(statuses.public!.id);
    expect(local).not.toContain(statuses.unlisted!.id);
    const remote = (await timeline(alice, server, "/api/v1/timelines/public?remote=true&limit=40")).statuses;
    expect(remote.every((s) => s.account.acct.includes("@"))).toBe(true);
    expect(remote.map((s) => s.id)).not.toContain(statuses.public!.id);
    const media = (await timeline(alice, server, "/api/v1/timelines/public?only_media=true")).statuses.map((s) => s.id);
    expect(media).not.toContain(statuses.public!.id);
  });

  test("the hashtag timeline shows public statuses only, case-insensitively", async () => {
    const ids = (await timeline(null, server, "/api/v1/timelines/tag/pubtest")).statuses.map((s) => s.id);
    expect(ids).toEqual([statuses.public!.id]);
    expect((await timeline(null, server, "/api/v1/timelines/tag/nosuchtag")).statuses).toEqual([]);
  });

  test("replies to others stay off the public timeline", async () => {
    const bob = await user("bob");
    const reply = await post(bob, { status: `@${alice.username} reply`, in_reply_to_id: statuses.public!.id });
    const ids = (await timeline(null, server, "/api/v1/timelines/public?limit=40")).statuses.map((s) => s.id);
    expect(ids).not.toContain(reply.id);
  });

  test("a blocked or muted author disappears from the viewer's public timeline", async () => {
    const viewer = await user("viewer");
    await ok(viewer.client.post(`/api/v1/accounts/${alice.id}/block`), "blocking");
    const ids = (await timeline(viewer, server, "/api/v1/timelines/public?limit=40")).statuses.map((s) => s.id);
    expect(ids).not.toContain(statuses.public!.id);
  });

  test("tag timelines combine any, all and none", async () => {
    const author = await user("tagger");
    const cats = await post(author, { status: "#cats only" });
    const catsDogs = await post(author, { status: "#cats and #dogs" });
    const dogs = await post(author, { status: "#dogs only" });
    const catsBirds = await post(author, { status: "#cats and #birds" });
    const tag = async (path: string) => (await timeline(null, server, path)).statuses.map((s) => s.id);

    expect(await tag("/api/v1/timelines/tag/cats")).toEqual([catsBirds.id, catsDogs.id, cats.id]);
    expect(await tag("/api/v1/timelines/tag/cats?all[]=dogs")).toEqual([catsDogs.id]);
    expect(await tag("/api/v1/timelines/tag/cats?none[]=dogs")).toEqual([catsBirds.id, cats.id]);
    expect(await tag("/api/v1/timelines/tag/dogs?any[]=birds")).toEqual([catsBirds.id, dogs.id, catsDogs.id]);
    expect(await tag("/api/v1/timelines/tag/cats?all[]=unknowntag")).toEqual([]);
    // Paging through a tag timeline with limit=1 yields the same set.
    expect(await readAll(null, server, "/api/v1/timelines/tag/cats?limit=1")).toEqual([catsBirds.id, catsDogs.id, cats.id]);
  });
});
