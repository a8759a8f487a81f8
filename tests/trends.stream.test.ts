/**
 * The ClickHouse stream and the trend queries, in-process: a real context
 * (PGlite or DATABASE_URL, in-memory Redis, chDB) built on a temporary
 * DATA_DIR, statuses written straight into Postgres, and the stream's use
 * cases called directly — the server process holds its own chDB, so the
 * HTTP tests (trends.test.ts) can't look inside ClickHouse.
 *
 * chDB binds one data path per process: this file opens exactly one.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/config.ts";
import { closeContext, openContext } from "../src/bootstrap.ts";
import type { AppContext } from "../src/context.ts";
import type { ClickHouse } from "../src/services/clickhouse/index.ts";
import { backendEnv } from "./helpers/server.ts";
import { ensureClickHouseSchema } from "../modules/trends/schema.ts";
import {
  clickhouseTime,
  flushStatusStream,
  linkHosts,
  recordFavourite,
  recordStatusCreated,
  recordStatusDeleted,
  replayStatusEvents,
} from "../modules/trends/stream.ts";
import { computeStatusTrends, computeTagTrends, tagHistories, tagScore } from "../modules/trends/service.ts";

let tmp: string;
let ctx: AppContext;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "fedisky-trends-stream-"));
  // Never CLICKHOUSE_URL: a shared server's status_events would hold other runs' rows.
  ctx = await openContext(loadConfig({ DATA_DIR: tmp, ...(await backendEnv()), REDIS_URL: "", REDIS_KEY_PREFIX: "" }));
});

afterAll(async () => {
  if (ctx) {
    await flushStatusStream(ctx);
    await closeContext(ctx);
  }
  await rm(tmp, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------
// Fixtures written straight into Postgres

let accountSeq = 0;
async function account(domain: string | null = null): Promise<string> {
  const [row] = await ctx.sql`
    INSERT INTO accounts (username, domain, uri)
    VALUES (${`stream${++accountSeq}`}, ${domain}, ${domain ? `https://${domain}/users/stream${accountSeq}` : null})
    RETURNING id`;
  return row!.id;
}

async function status(
  accountId: string,
  options: {
    tags?: string[];
    visibility?: string;
    content?: string;
    inReplyToId?: string;
    reblogOfId?: string;
    language?: string | null;
  } = {},
): Promise<string> {
  const [row] = await ctx.sql`
    INSERT INTO statuses (account_id, content, visibility, language, in_reply_to_id, reblog_of_id)
    VALUES (${accountId}, ${options.content ?? "<p>hello</p>"}, ${options.visibility ?? "public"},
            ${options.language === undefined ? "en" : options.language}, ${options.inReplyToId ?? null},
            ${options.reblogOfId ?? null})
    RETURNING id`;
  const id = row!.id as string;
  for (const name of options.tags ?? []) {
    await ctx.sql`INSERT INTO tags (name, display_name) VALUES (${name}, ${name}) ON CONFLICT ((lower(name))) DO NOTHING`;
    await ctx.sql`
      INSERT INTO statuses_tags (status_id, tag_id) SELECT ${id}, id FROM tags WHERE lower(name) = lower(${name})`;
  }
  return id;
}

async function favourite(accountId: string, statusId: string): Promise<string> {
  const [row] = await ctx.sql`
    INSERT INTO favourites (account_id, status_id) VALUES (${accountId}, ${statusId}) RETURNING id`;
  return row!.id;
}

async function rows<T = Record<string, unknown>>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const result = await ctx.clickhouse.client.query({ query, query_params: params, format: "JSONEachRow" });
  return result.json<T>();
}

/** One row per distinct event (FINAL collapses replays), for a status. */
function eventsOf(statusId: string) {
  return rows<{ kind: string; account_id: string; domain: string; tags: string[]; visibility: string; url_hosts: string[]; language: string; event_time: string }>(
    `SELECT kind, toString(account_id) AS account_id, domain, tags, visibility, url_hosts, language,
            toString(event_time) AS event_time
     FROM status_events FINAL WHERE status_id = {id:UInt64} ORDER BY kind, account_id`,
    { id: statusId },
  );
}

async function flushed(): Promise<void> {
  expect(await flushStatusStream(ctx)).toBe(true);
}

// ---------------------------------------------------------------------------

describe("pure parts", () => {
  test("linkHosts keeps links, not mentions or hashtags", () => {
    const html =
      '<p><a href="https://Example.org/a?x=1&amp;y=2" target="_blank" rel="nofollow noopener noreferrer">x</a> ' +
      '<span class="h-card"><a href="https://social.example/@bob" class="u-url mention">@bob</a></span> ' +
      '<a href="https://here.example/tags/cats" class="mention hashtag" rel="tag">#cats</a> ' +
      '<a href="https://news.example/story">y</a> <a href="mailto:a@b.c">m</a> <a href="https://example.org/b">z</a></p>';
    expect(linkHosts(html).sort()).toEqual(["example.org", "news.example"]);
  });

  test("clickhouseTime is UTC with milliseconds", () => {
    expect(clickhouseTime(new Date("2024-03-04T05:06:07.089Z"))).toBe("2024-03-04 05:06:07.089");
  });

  test("tagScore: above baseline and threshold only, decaying with time since last use", () => {
    expect(tagScore(1, 0, 0)).toBe(0); // under the threshold
    expect(tagScore(3, 3, 0)).toBe(0); // no more than usual
    expect(tagScore(3, 0, 0)).toBe(4); // (3 − 1)² / 1
    expect(tagScore(5, 2, 0)).toBeCloseTo(4.5); // (5 − 2)² / 2
    expect(tagScore(3, 0, 4 * 3_600_000)).toBeCloseTo(2); // one half-life later
  });
});

describe("status_events", () => {
  let local: string;
  let remote: string;
  let publicId: string;
  let privateId: string;

  beforeAll(async () => {
    await ensureClickHouseSchema(ctx);
    local = await account();
    remote = await account("remote.example");
    publicId = await status(local, {
      tags: ["Cats", "dogs"],
      content: '<p>see <a href="https://news.example/x" rel="nofollow">news</a> <a href="https://h/tags/Cats" class="mention hashtag" rel="tag">#Cats</a></p>',
    });
    privateId = await status(local, {
      tags: ["cats", "secret"],
      visibility: "private",
      content: '<p><a href="https://private.example/">p</a></p>',
      language: null,
    });
  });

  test("the schema is created idempotently, with the documented engines", async () => {
    await ensureClickHouseSchema(ctx);
    const tables = await rows<{ name: string; engine: string }>(
      `SELECT name, engine FROM system.tables
       WHERE database = currentDatabase() AND name IN ('status_events', 'tag_daily', 'tag_daily_mv') ORDER BY name`,
    );
    expect(tables).toEqual([
      { name: "status_events", engine: "ReplacingMergeTree" },
      { name: "tag_daily", engine: "AggregatingMergeTree" },
      { name: "tag_daily_mv", engine: "MaterializedView" },
    ]);
  });

  test("a public status: one created row with its tags, language and link hosts", async () => {
    await recordStatusCreated(ctx, publicId);
    await flushed();
    const [created] = await eventsOf(publicId);
    const [pg] = await ctx.sql`SELECT created_at FROM statuses WHERE id = ${publicId}`;
    expect(created).toEqual({
      kind: "created",
      account_id: local,
      domain: "",
      tags: ["cats", "dogs"],
      visibility: "public",
      url_hosts: ["news.example"],
      language: "en",
      // The time of the fact, not of the write: what makes replays identical.
      event_time: clickhouseTime(pg!.created_at),
    });
  });

  test("a private status is recorded without its content", async () => {
    await recordStatusCreated(ctx, privateId);
    await flushed();
    const events = await eventsOf(privateId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: "created", visibility: "private", tags: [], url_hosts: [], language: "" });
  });

  test("a reply writes created and replied; a boost writes reblogged on the original", async () => {
    const replier = await account("elsewhere.example");
    const reply = await status(replier, { inReplyToId: publicId, tags: ["answers"] });
    const booster = await account();
    const boost = await status(booster, { reblogOfId: publicId });
    await recordStatusCreated(ctx, reply);
    await recordStatusCreated(ctx, boost);
    await flushed();
    expect((await eventsOf(reply)).map((e) => e.kind)).toEqual(["created"]);
    expect(await eventsOf(boost)).toEqual([]);
    const onOriginal = await eventsOf(publicId);
    expect(onOriginal.map((e) => [e.kind, e.account_id, e.domain])).toEqual([
      ["created", local, ""],
      ["reblogged", booster, ""],
      ["replied", replier, "elsewhere.example"],
    ]);
    // Interactions describe the target: its tags.
    expect(onOriginal.find((e) => e.kind === "reblogged")!.tags).toEqual(["cats", "dogs"]);
  });

  test("a boost of a private status (or a private boost) keeps no content", async () => {
    const booster = await account();
    const boost = await status(booster, { reblogOfId: privateId, visibility: "private" });
    await recordStatusCreated(ctx, boost);
    await flushed();
    const reblogged = (await eventsOf(privateId)).find((e) => e.kind === "reblogged");
    expect(reblogged).toMatchObject({ account_id: booster, visibility: "private", tags: [] });
  });

  test("favourites and deletions", async () => {
    const fan = await account("fans.example");
    const favouriteId = await favourite(fan, publicId);
    await recordFavourite(ctx, favouriteId);
    const doomed = await status(remote, { tags: ["doomed"] });
    await recordStatusCreated(ctx, doomed);
    await ctx.sql`UPDATE statuses SET deleted_at = now() WHERE id = ${doomed}`;
    await recordStatusDeleted(ctx, doomed);
    await flushed();
    expect((await eventsOf(publicId)).find((e) => e.kind === "favourited")).toMatchObject({
      account_id: fan,
      domain: "fans.example",
      tags: ["cats", "dogs"],
    });
    const [pg] = await ctx.sql`SELECT deleted_at FROM statuses WHERE id = ${doomed}`;
    const events = await eventsOf(doomed);
    expect(events.map((e) => [e.kind, e.domain])).toEqual([
      ["created", "remote.example"],
      ["deleted", "remote.example"],
    ]);
    expect(events[1]!.event_time).toBe(clickhouseTime(pg!.deleted_at));
  });

  test("missing statuses and favourites write nothing (and don't throw)", async () => {
    await recordStatusCreated(ctx, "1");
    await recordStatusDeleted(ctx, "1");
    await recordFavourite(ctx, "1");
    await flushed();
    expect(await eventsOf("1")).toEqual([]);
  });

  test("redelivery and replay are idempotent: duplicates collapse to the same rows", async () => {
    const before = await rows<{ n: string }>(`SELECT count() AS n FROM status_events FINAL`);
    // The outbox delivering status.created again, and a full replay from Postgres.
    await recordStatusCreated(ctx, publicId);
    const sent = await replayStatusEvents(ctx, new Date(Date.now() - 3_600_000));
    expect(sent).toBeGreaterThan(5);
    await flushed();
    const after = await rows<{ n: string }>(`SELECT count() AS n FROM status_events FINAL`);
    expect(after).toEqual(before);
    // And physically, once ClickHouse merges.
    await ctx.clickhouse.client.command({ query: "OPTIMIZE TABLE status_events FINAL" });
    const merged = await rows<{ n: string }>(`SELECT count() AS n FROM status_events`);
    expect(merged).toEqual(before);
  });

  test("tag_daily counts distinct public statuses and accounts per day", async () => {
    const other = await account();
    await recordStatusCreated(ctx, await status(other, { tags: ["cats"] }));
    await recordStatusCreated(ctx, await status(other, { tags: ["CATS"] }));
    await flushed();
    const histories = await tagHistories(ctx, ["cats", "secret", "nothing"]);
    const cats = histories.get("cats")!;
    expect(cats).toHaveLength(7);
    const today = Math.floor(Date.now() / 86_400_000) * 86_400;
    expect(cats.map((d) => Number(d.day))).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => today - i * 86_400));
    // publicId (posted again by the replay) and other's two; the private one not.
    expect(cats[0]).toEqual({ day: String(today), uses: "3", accounts: "2" });
    expect(cats.slice(1).every((d) => d.uses === "0" && d.accounts === "0")).toBe(true);
    expect(histories.get("secret")![0]).toMatchObject({ uses: "0", accounts: "0" });
    expect(histories.get("nothing")![0]).toMatchObject({ uses: "0", accounts: "0" });
  });

  test("a failed insert keeps the rows and the next flush sends them", async () => {
    let down = true;
    const real = ctx.clickhouse.client;
    const flaky = {
      kind: ctx.clickhouse.kind,
      close: async () => {},
      client: new Proxy(real, {
        get(target, prop) {
          if (prop === "insert") {
            return async (args: Parameters<typeof real.insert>[0]) => {
              if (down) throw new Error("ClickHouse is down");
              return target.insert(args);
            };
          }
          const value = Reflect.get(target, prop);
          return typeof value === "function" ? value.bind(target) : value;
        },
      }),
    } as ClickHouse;
    const flakyCtx = { ...ctx, clickhouse: flaky };
    const id = await status(await account(), { tags: ["resilient"] });
    await recordStatusCreated(flakyCtx, id);
    expect(await flushStatusStream(flakyCtx)).toBe(false);
    expect(await flushStatusStream(flakyCtx)).toBe(false);
    expect(await eventsOf(id)).toEqual([]);
    down = false;
    expect(await flushStatusStream(flakyCtx)).toBe(true);
    expect((await eventsOf(id)).map((e) => e.kind)).toEqual(["created"]);
  });
});

describe("trend queries", () => {
  const now = new Date();
  const hoursAgo = (h: number) => clickhouseTime(new Date(now.getTime() - h * 3_600_000));
  let seq = 9_000_000_000n;

  /** Synthetic public `created` rows: the trend queries read nothing else for tags. */
  async function used(tag: string, accountId: number, hours: number, statusId = String(seq++)) {
    await ctx.clickhouse.client.insert({
      table: "status_events",
      format: "JSONEachRow",
      values: [
        {
          event_time: hoursAgo(hours),
          status_id: statusId,
          account_id: String(accountId),
          domain: "",
          kind: "created",
          tags: [tag],
          language: "en",
          visibility: "public",
          url_hosts: [],
        },
      ],
    });
    return statusId;
  }

  test("tags trend against their own baseline, by distinct accounts", async () => {
    // Steady: three people every day of the week — nothing unusual today.
    for (let day = 0; day < 7; day++) for (const a of [1, 2, 3]) await used("zsteady", a, day * 24 + 1);
    // Rising: four people today, none before; climbing: two people today.
    for (const a of [1, 2, 3, 4]) await used("zrising", a, 1);
    for (const a of [1, 2]) await used("zclimbing", a, 2);
    // One person, many times: under the threshold.
    for (let i = 0; i < 5; i++) await used("zsolo", 7, 1);
    // Three people, but two of the statuses were deleted.
    await used("zgone", 1, 1);
    for (const a of [2, 3]) {
      const id = await used("zgone", a, 1);
      await ctx.clickhouse.client.insert({
        table: "status_events",
        format: "JSONEachRow",
        values: [{ event_time: hoursAgo(0.5), status_id: id, account_id: String(a), domain: "", kind: "deleted", tags: ["zgone"], language: "en", visibility: "public", url_hosts: [] }],
      });
    }
    // Private uses never count, however many.
    for (const a of [1, 2, 3, 4, 5]) {
      await ctx.clickhouse.client.insert({
        table: "status_events",
        format: "JSONEachRow",
        values: [{ event_time: hoursAgo(1), status_id: String(seq++), account_id: String(a), domain: "", kind: "created", tags: ["zprivate"], language: "en", visibility: "private", url_hosts: [] }],
      });
    }
    const trends = (await computeTagTrends(ctx, now)).filter((t) => t.tag.startsWith("z"));
    expect(trends.map((t) => [t.tag, t.accounts])).toEqual([
      ["zrising", 4],
      ["zclimbing", 2],
    ]);
    expect(trends[0]!.score).toBeCloseTo(9 * 0.5 ** (1 / 4), 5);
  });

  test("statuses trend by distinct favouriting and boosting accounts, trendable ones only", async () => {
    const author = await account();
    const popular = await status(author);
    const liked = await status(author);
    const hidden = await status(author, { visibility: "unlisted" });
    const reply = await status(author, { inReplyToId: popular });
    const fans = [await account(), await account(), await account()];
    for (const fan of fans) await recordFavourite(ctx, await favourite(fan, popular));
    await recordStatusCreated(ctx, await status(fans[0]!, { reblogOfId: popular }));
    await recordFavourite(ctx, await favourite(fans[0]!, liked));
    await recordFavourite(ctx, await favourite(fans[1]!, hidden));
    await recordFavourite(ctx, await favourite(fans[1]!, reply));
    // A redelivered favourite counts once.
    const again = (await ctx.sql`SELECT id FROM favourites WHERE account_id = ${fans[0]!} AND status_id = ${liked}`)[0]!.id;
    await recordFavourite(ctx, again);
    await flushed();
    const trends = await computeStatusTrends(ctx, new Date(Date.now() + 1000));
    const ids = trends.map((t) => t.id);
    expect(ids.indexOf(popular)).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf(popular)).toBeLessThan(ids.indexOf(liked));
    expect(trends.find((t) => t.id === popular)!.interactions).toBe(4);
    expect(trends.find((t) => t.id === liked)!.interactions).toBe(1);
    // Unlisted statuses and replies don't trend (Mastodon's eligibility).
    expect(ids).not.toContain(hidden);
    expect(ids).not.toContain(reply);
  });
});
