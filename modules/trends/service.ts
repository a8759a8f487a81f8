/**
 * Trends computed from the ClickHouse stream, in Mastodon's spirit
 * (app/models/trends): a tag trends when more distinct accounts use it in
 * the last 24 hours than its baseline of the week before; a status trends
 * with the distinct accounts that favourited or boosted it in the last two
 * days, decaying with its age. Only public statuses count (the stream keeps
 * no tags of others). Rankings are shared by everyone and kept in Redis
 * for CACHE_SECONDS; the per-viewer parts (visibility, following) are
 * applied when a page is rendered.
 *
 * ClickHouse being unreachable never fails a request: trends are then
 * empty and histories zero, with a warning in the log.
 */
import type { AppContext } from "../../src/context.ts";
import { timeFromId } from "../../src/ids.ts";
import { logger } from "../../src/log.ts";
import { ensureClickHouseSchema } from "./schema.ts";
import { selectTrendableStatusIds } from "./storage.ts";
import type { TagHistory } from "./serializer.ts";

const log = logger("trends");

export const CACHE_SECONDS = 300;
const TAGS_KEY = "trends:tags:v1";
const STATUSES_KEY = "trends:statuses:v1";

/** A tag needs this many distinct accounts in a day to trend (Mastodon's threshold, scaled to small servers). */
export const TAG_MIN_ACCOUNTS = 2;
/** Hours for a tag's score to halve after its last use. */
const TAG_HALFLIFE_HOURS = 4;
/** Distinct favouriting or boosting accounts a status needs to trend. */
export const STATUS_MIN_INTERACTIONS = 1;
/** Hours for a status's score to halve with its age. */
const STATUS_HALFLIFE_HOURS = 12;
/** How many of each are ranked (and so reachable with offset). */
const MAX_RANKED = 200;
const HISTORY_DAYS = 7;
const DAY_MS = 86_400_000;

export interface TagTrend {
  /** lower-cased name, the key of tags in Postgres and ClickHouse. */
  tag: string;
  score: number;
  /** Distinct accounts in the last 24 hours. */
  accounts: number;
}

export interface StatusTrend {
  id: string;
  score: number;
  interactions: number;
}

async function query<T>(ctx: AppContext, sql: string, params: Record<string, unknown>): Promise<T[]> {
  await ensureClickHouseSchema(ctx);
  const result = await ctx.clickhouse.client.query({ query: sql, query_params: params, format: "JSONEachRow" });
  return result.json<T>();
}

const decay = (ageMs: number, halflifeHours: number) => 0.5 ** (Math.max(0, ageMs) / (halflifeHours * 3_600_000));

/**
 * Mastodon's tag score: observed = accounts using the tag in the last day,
 * expected = its daily accounts over the six days before (at least 1);
 * (observed − expected)² / expected when observed is above both expected
 * and the threshold, halving every TAG_HALFLIFE_HOURS since the last use.
 */
export function tagScore(observed: number, expected: number, sinceLastUseMs: number): number {
  const baseline = Math.max(1, expected);
  if (observed < TAG_MIN_ACCOUNTS || observed <= baseline) return 0;
  return ((observed - baseline) ** 2 / baseline) * decay(sinceLastUseMs, TAG_HALFLIFE_HOURS);
}

/** The ranking itself, uncached (tests call it with a fixed `now`). */
export async function computeTagTrends(ctx: AppContext, now = new Date()): Promise<TagTrend[]> {
  const rows = await query<{ tag: string; observed: string; baseline: string; last_used: string }>(
    ctx,
    `WITH fromUnixTimestamp64Milli({now:Int64}, 'UTC') AS t
     SELECT tag,
            uniqExactIf(account_id, event_time > t - INTERVAL 1 DAY) AS observed,
            uniqExactIf(tuple(toDate(event_time), account_id), event_time <= t - INTERVAL 1 DAY) AS baseline,
            toUnixTimestamp64Milli(max(event_time)) AS last_used
     FROM status_events ARRAY JOIN tags AS tag
     WHERE kind = 'created' AND visibility = 'public'
       AND event_time > t - INTERVAL 7 DAY AND event_time <= t
       AND status_id NOT IN (
         SELECT status_id FROM status_events WHERE kind = 'deleted' AND event_time > t - INTERVAL 8 DAY)
     GROUP BY tag
     HAVING observed >= {min:UInt32}
     ORDER BY observed DESC, tag
     LIMIT 1000`,
    { now: now.getTime(), min: TAG_MIN_ACCOUNTS },
  );
  return rows
    .map((r) => {
      const accounts = Number(r.observed);
      // Account-days over the six days before the last one.
      const expected = Number(r.baseline) / (HISTORY_DAYS - 1);
      return { tag: r.tag, accounts, score: tagScore(accounts, expected, now.getTime() - Number(r.last_used)) };
    })
    .filter((t) => t.score > 0)
    .sort((a, b) => b.score - a.score || b.accounts - a.accounts || a.tag.localeCompare(b.tag))
    .slice(0, MAX_RANKED);
}

/**
 * Statuses by distinct favouriting/boosting accounts in the last two days,
 * decaying with the status's age, then kept to those Mastodon lets trend.
 */
export async function computeStatusTrends(ctx: AppContext, now = new Date()): Promise<StatusTrend[]> {
  const rows = await query<{ id: string; interactions: string }>(
    ctx,
    `WITH fromUnixTimestamp64Milli({now:Int64}, 'UTC') AS t
     SELECT toString(status_id) AS id, uniqExact(tuple(kind, account_id)) AS interactions
     FROM status_events
     WHERE kind IN ('favourited', 'reblogged') AND visibility = 'public'
       AND event_time > t - INTERVAL 2 DAY AND event_time <= t
       AND status_id NOT IN (
         SELECT status_id FROM status_events WHERE kind = 'deleted' AND event_time > t - INTERVAL 3 DAY)
     GROUP BY status_id
     HAVING interactions >= {min:UInt32}
     ORDER BY interactions DESC, status_id DESC
     LIMIT 1000`,
    { now: now.getTime(), min: STATUS_MIN_INTERACTIONS },
  );
  const trendable = await selectTrendableStatusIds(ctx.sql, rows.map((r) => r.id));
  return rows
    .filter((r) => trendable.has(r.id))
    .map((r) => {
      const interactions = Number(r.interactions);
      const age = now.getTime() - timeFromId(r.id).getTime();
      return { id: r.id, interactions, score: interactions * decay(age, STATUS_HALFLIFE_HOURS) };
    })
    .sort((a, b) => b.score - a.score || (BigInt(b.id) > BigInt(a.id) ? 1 : -1))
    .slice(0, MAX_RANKED);
}

/** A ranking from Redis, or computed and stored; empty (not cached) when ClickHouse fails. */
async function cached<T>(ctx: AppContext, key: string, compute: () => Promise<T[]>): Promise<T[]> {
  const hit = await ctx.redis.get(key);
  if (hit !== null) return JSON.parse(hit) as T[];
  let value: T[];
  try {
    value = await compute();
  } catch (error) {
    log.warning("Computing {key} failed: {error}", { key, error });
    return [];
  }
  await ctx.redis.set(key, JSON.stringify(value), { ex: CACHE_SECONDS });
  return value;
}

/** Trending tag keys (lower-cased names), best first. */
export async function trendingTags(ctx: AppContext): Promise<string[]> {
  return (await cached(ctx, TAGS_KEY, () => computeTagTrends(ctx))).map((t) => t.tag);
}

/** Trending status ids, best first (not yet checked against any viewer). */
export async function trendingStatusIds(ctx: AppContext): Promise<string[]> {
  return (await cached(ctx, STATUSES_KEY, () => computeStatusTrends(ctx))).map((t) => t.id);
}

/** UTC midnight, in ms, of the day `now` falls in. */
const startOfDay = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;

/**
 * Tag#history for each key: the last seven days (today first), each with
 * the distinct statuses and accounts that used the tag, from `tag_daily`.
 */
export async function tagHistories(ctx: AppContext, keys: string[], now = new Date()): Promise<Map<string, TagHistory[]>> {
  const today = startOfDay(now.getTime());
  const days = Array.from({ length: HISTORY_DAYS }, (_, i) => today - i * DAY_MS);
  const counts = new Map<string, { uses: string; accounts: string }>();
  if (keys.length > 0) {
    try {
      // The date leaves as text under another name: a `day` alias would shadow the column in WHERE.
      const rows = await query<{ tag: string; date: string; uses: string; accounts: string }>(
        ctx,
        `SELECT tag, toString(day) AS date, uniqExactMerge(uses) AS uses, uniqExactMerge(accounts) AS accounts
         FROM tag_daily
         WHERE tag IN {tags:Array(String)} AND day >= toDate({from:String}) AND day <= toDate({to:String})
         GROUP BY tag, day`,
        {
          tags: keys,
          from: new Date(days[days.length - 1]!).toISOString().slice(0, 10),
          to: new Date(today).toISOString().slice(0, 10),
        },
      );
      for (const r of rows) counts.set(`${r.tag}\n${Date.parse(`${r.date}T00:00:00Z`)}`, r);
    } catch (error) {
      log.warning("Reading tag history failed: {error}", { error });
    }
  }
  return new Map(
    keys.map((key) => [
      key,
      days.map((day) => {
        const c = counts.get(`${key}\n${day}`);
        return { day: String(day / 1000), uses: c?.uses ?? "0", accounts: c?.accounts ?? "0" };
      }),
    ]),
  );
}
