/**
 * Trends over HTTP: statuses posted, favourited and boosted through the API
 * reach ClickHouse through the event worker and the stream buffer, and
 * /api/v1/trends/* rank them.
 *
 * Rankings are cached for five minutes once computed, so every write this
 * file asserts on happens in beforeAll, and the first trends request waits
 * until every account involved has posted a sentinel hashtag, last, and all
 * of them show in the tag's history: an account's events are handled in
 * order and the buffer is flushed in order, so everything each account did
 * before is in ClickHouse too.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { api } from "./helpers/client.ts";
import { assertEntity } from "./helpers/openapi.ts";
import { startServer, type TestServer } from "./helpers/server.ts";
import { eventually, follow, linkTo, newUser, ok, post, type User } from "./helpers/timelines.ts";

let server: TestServer;
let a: User, b: User, c: User, d: User, blocker: User;
const statuses: Record<string, string> = {};

/** A tag name unique to this run, so a shared ClickHouse (CLICKHOUSE_URL) can't mix runs. */
const run = Math.random().toString(36).slice(2, 7);
const tag = (name: string) => `${name}${run}`;

async function history(name: string) {
  const response = await api(server).get(`/api/v1/tags/${encodeURIComponent(name)}`);
  return response.status === 200 ? (response.body.history as { uses: string; accounts: string }[]) : null;
}

beforeAll(async () => {
  server = await startServer();
  [a, b, c, d, blocker] = (await Promise.all(["ta", "tb", "tc", "td", "te"].map((p) => newUser(server, p)))) as [
    User,
    User,
    User,
    User,
    User,
  ];

  // Tags: Wide by three accounts, Narrow by two, Solo by one (twice).
  for (const user of [a, b, c]) await post(user, { status: `#${tag("Wide")} from ${user.username}` });
  for (const user of [a, b]) await post(user, { status: `#${tag("Narrow")} and #${tag("Wide")}?` });
  await post(a, { status: `#${tag("Solo")} once` });
  await post(a, { status: `#${tag("Solo")} twice` });
  // Used by four accounts, but never publicly.
  for (const user of [a, b, c, d]) {
    await post(user, { status: `#${tag("Hidden")} psst`, visibility: "private" });
    await post(user, { status: `#${tag("Quiet")} shh`, visibility: "unlisted" });
  }

  // Statuses: Top is favourited by three and boosted by one, Second favourited by one.
  statuses.top = (await post(a, { status: "the most liked" })).id;
  statuses.second = (await post(b, { status: "liked once" })).id;
  for (const user of [b, c, d]) await ok(user.client.post(`/api/v1/statuses/${statuses.top}/favourite`), "favourite");
  await ok(b.client.post(`/api/v1/statuses/${statuses.top}/reblog`), "reblog");
  await ok(a.client.post(`/api/v1/statuses/${statuses.second}/favourite`), "favourite");
  // Private: favourited by a follower, never trending.
  await follow(d, c);
  statuses.private = (await post(c, { status: "followers only", visibility: "private" })).id;
  await ok(d.client.post(`/api/v1/statuses/${statuses.private}/favourite`), "favourite private");
  // Deleted after its favourites.
  statuses.deleted = (await post(d, { status: "soon gone" })).id;
  for (const user of [a, b]) await ok(user.client.post(`/api/v1/statuses/${statuses.deleted}/favourite`), "favourite");
  await ok(d.client.delete(`/api/v1/statuses/${statuses.deleted}`), "delete");
  // A reply is not eligible, however liked.
  statuses.reply = (await post(c, { status: "a reply", in_reply_to_id: statuses.top })).id;
  for (const user of [a, b]) await ok(user.client.post(`/api/v1/statuses/${statuses.reply}/favourite`), "favourite");
  await ok(blocker.client.post(`/api/v1/accounts/${a.id}/block`), "block");

  // Last: the sentinel, by every account that wrote anything above.
  const everyone = [a, b, c, d, blocker];
  for (const user of everyone) await post(user, { status: `#${tag("Sentinel")}` });
  await eventually(
    async () => (await history(tag("Sentinel")))?.[0]?.accounts === String(everyone.length),
    "the stream to reach ClickHouse",
    20_000,
  );
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

async function trends(path: string, user: User | null = null) {
  const response = await (user ? user.client : api(server)).get(path);
  expect(response.status).toBe(200);
  return { body: response.body as any[], link: response.headers.get("link") };
}

const ours = (tags: { name: string }[]) => tags.map((t) => t.name).filter((n) => n.endsWith(run));

describe("GET /api/v1/trends/tags", () => {
  test("ranks tags by distinct accounts, public statuses only", async () => {
    const { body } = await trends("/api/v1/trends/tags?limit=20");
    for (const t of body) assertEntity("Tag", t);
    // Sentinel: five accounts; Wide: three; Narrow: two.
    expect(ours(body)).toEqual([tag("Sentinel"), tag("Wide"), tag("Narrow")]);
    const wide = body.find((t) => t.name === tag("Wide"))!;
    expect(wide.url).toBe(`${server.url}/tags/${tag("Wide")}`);
    expect(wide.history).toHaveLength(7);
    // Five public statuses by three accounts today; nothing before.
    expect(wide.history[0]).toMatchObject({ uses: "5", accounts: "3" });
    expect(Number(wide.history[0].day) % 86_400).toBe(0);
    expect(wide.history.slice(1).every((h: any) => h.uses === "0")).toBe(true);
    // Anonymous: no relationship fields.
    expect(wide.following).toBeUndefined();
  });

  test("/api/v1/trends is the same list; a signed-in viewer gets following", async () => {
    await ok(c.client.post(`/api/v1/tags/${tag("Narrow")}/follow`), "follow tag");
    const alias = await trends("/api/v1/trends?limit=20", c);
    for (const t of alias.body) assertEntity("Tag", t);
    expect(ours(alias.body)).toEqual([tag("Sentinel"), tag("Wide"), tag("Narrow")]);
    expect(alias.body.find((t) => t.name === tag("Narrow"))!.following).toBe(true);
    expect(alias.body.find((t) => t.name === tag("Wide"))!.following).toBe(false);
  });

  test("pages with limit and offset, Link headers carrying offset", async () => {
    const all = ours((await trends("/api/v1/trends/tags?limit=20")).body);
    const first = await trends("/api/v1/trends/tags?limit=1");
    expect(first.body).toHaveLength(1);
    const next = linkTo(first.link, "next");
    expect(next).toContain("offset=1");
    expect(linkTo(first.link, "prev")).toBeNull();
    const second = await trends(next!);
    expect(second.body).toHaveLength(1);
    expect(second.body[0].name).not.toBe(first.body[0].name);
    expect(linkTo(second.link, "prev")).toContain("offset=0");
    expect(all.length).toBeGreaterThanOrEqual(2);
    const beyond = await trends("/api/v1/trends/tags?offset=500");
    expect(beyond.body).toEqual([]);
  });

  test("bad paging parameters are 422, never 500", async () => {
    expect((await api(server).get("/api/v1/trends/tags?limit=abc")).status).toBe(422);
    expect((await api(server).get("/api/v1/trends/tags?offset=-1")).status).toBe(422);
  });
});

describe("GET /api/v1/trends/statuses", () => {
  test("public statuses by distinct favourites and boosts, hydrated", async () => {
    const { body } = await trends("/api/v1/trends/statuses");
    for (const s of body) assertEntity("Status", s);
    const ids = body.map((s) => s.id);
    expect(ids.slice(0, 2)).toEqual([statuses.top, statuses.second]);
    expect(body[0].favourites_count).toBe(3);
    expect(body[0].reblogs_count).toBe(1);
    // Never: private, deleted, replies.
    expect(ids).not.toContain(statuses.private);
    expect(ids).not.toContain(statuses.deleted);
    expect(ids).not.toContain(statuses.reply);
  });

  test("rendered for the viewer: a blocker doesn't see the blocked author's status", async () => {
    const { body } = await trends("/api/v1/trends/statuses", blocker);
    for (const s of body) assertEntity("Status", s);
    const ids = body.map((s) => s.id);
    expect(ids).not.toContain(statuses.top);
    expect(ids).toContain(statuses.second);
    // The author sees it with their own flags.
    const own = await trends("/api/v1/trends/statuses", b);
    expect(own.body.find((s) => s.id === statuses.top)!.favourited).toBe(true);
  });

  test("limit and offset", async () => {
    const first = await trends("/api/v1/trends/statuses?limit=1");
    expect(first.body.map((s) => s.id)).toEqual([statuses.top]);
    const next = linkTo(first.link, "next");
    expect(next).toContain("offset=1");
    expect((await trends(next!)).body.map((s) => s.id)).toEqual([statuses.second]);
  });
});

describe("GET /api/v1/trends/links", () => {
  test("is empty until preview cards exist", async () => {
    expect((await trends("/api/v1/trends/links")).body).toEqual([]);
  });
});
