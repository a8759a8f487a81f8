/**
 * The ClickHouse side of the server: an append-only stream of what happens
 * to statuses, which trends are computed from and analysts query directly.
 * Postgres stays the truth; everything here can be rebuilt from it
 * (`replayStatusEvents` in stream.ts), so it is applied idempotently at
 * first use rather than through the Postgres migrations.
 *
 * ## Tables (for analysts)
 *
 * `status_events` — one row per thing that happened to a status.
 *   event_time  DateTime64(3, 'UTC')  when it happened, taken from Postgres (the status's created_at,
 *                                     the favourite's created_at, the status's deleted_at) — never the
 *                                     time the row was written, so a replayed row is identical to the first.
 *   status_id   UInt64                the status the event is about: the status itself for
 *                                     created/deleted; the status interacted with for
 *                                     reblogged/favourited/replied.
 *   account_id  UInt64                who acted: the author (created/deleted), the booster, the
 *                                     favouriter, the replier.
 *   domain      String                the acting account's domain; '' for local accounts.
 *   kind        Enum8                 created | deleted | reblogged | favourited | replied.
 *                                     A reply writes two rows: `created` (the reply) and `replied`
 *                                     (its parent). A boost writes only `reblogged`.
 *   tags        Array(String)         the status's hashtags, lower-cased (NFKC), as in tags.name.
 *   language    LowCardinality(String) ISO 639 code or ''.
 *   visibility  LowCardinality(String) public | unlisted | private | direct; for interactions the
 *                                     narrower of the target's and the interaction's own.
 *   url_hosts   Array(String)         hosts of the links in the status (not mentions or hashtags).
 *   Private and direct statuses are recorded (volume, timing) but with empty `tags` and
 *   `url_hosts`: their content never leaves Postgres.
 *   ENGINE ReplacingMergeTree, PARTITION BY day, ORDER BY (kind, event_time, status_id, account_id),
 *   TTL 30 days. Delivery is at least once (the event outbox retries, and `replayStatusEvents`
 *   re-sends recent history after a restart), so the same row can arrive twice. Duplicates are
 *   byte-identical and collapse on merge; until then count with `uniqExact(status_id)` /
 *   `uniqExact(account_id)` (as the trend queries do) or read with `FINAL`. Never `count()`.
 *   Not subtracted: unfavourites and unboosts (like Mastodon's trend history); edits don't
 *   re-tag. Deletions are rows of their own: exclude `status_id IN (… kind = 'deleted')`.
 *
 * `tag_daily` — per day (UTC) and tag: `uses` (distinct public statuses) and `accounts`
 *   (distinct accounts) as uniqExact states; read with `uniqExactMerge(uses)`.
 *   Filled by the materialized view `tag_daily_mv` from public `created` rows of
 *   status_events; AggregatingMergeTree ORDER BY (tag, day), kept 400 days. Like Mastodon's
 *   tag history it counts a status that was later deleted.
 *
 * Example: the ten most used tags yesterday —
 *   SELECT tag, uniqExactMerge(accounts) AS people FROM tag_daily
 *   WHERE day = yesterday() GROUP BY tag ORDER BY people DESC LIMIT 10
 */
import type { AppContext } from "../../src/context.ts";
import type { ClickHouse } from "../../src/services/clickhouse/index.ts";

export const STATUS_EVENT_KINDS = ["created", "deleted", "reblogged", "favourited", "replied"] as const;
export type StatusEventKind = (typeof STATUS_EVENT_KINDS)[number];

/** Days of raw events kept: enough for a week of trends with margin, and for replays. */
export const STATUS_EVENTS_TTL_DAYS = 30;

const DDL = [
  `CREATE TABLE IF NOT EXISTS status_events (
     event_time DateTime64(3, 'UTC'),
     status_id UInt64,
     account_id UInt64,
     domain String,
     kind Enum8('created' = 1, 'deleted' = 2, 'reblogged' = 3, 'favourited' = 4, 'replied' = 5),
     tags Array(String),
     language LowCardinality(String),
     visibility LowCardinality(String),
     url_hosts Array(String)
   )
   ENGINE = ReplacingMergeTree
   PARTITION BY toYYYYMMDD(event_time)
   ORDER BY (kind, event_time, status_id, account_id)
   TTL toDateTime(event_time) + INTERVAL ${STATUS_EVENTS_TTL_DAYS} DAY DELETE
   SETTINGS ttl_only_drop_parts = 1`,
  `CREATE TABLE IF NOT EXISTS tag_daily (
     day Date,
     tag String,
     uses AggregateFunction(uniqExact, UInt64),
     accounts AggregateFunction(uniqExact, UInt64)
   )
   ENGINE = AggregatingMergeTree
   ORDER BY (tag, day)
   TTL day + INTERVAL 400 DAY DELETE`,
  `CREATE MATERIALIZED VIEW IF NOT EXISTS tag_daily_mv TO tag_daily AS
   SELECT toDate(event_time) AS day, tag,
          uniqExactState(status_id) AS uses, uniqExactState(account_id) AS accounts
   FROM status_events ARRAY JOIN tags AS tag
   WHERE kind = 'created' AND visibility = 'public'
   GROUP BY day, tag`,
];

const applied = new WeakMap<ClickHouse, Promise<void>>();

/**
 * Creates the tables if missing, once per ClickHouse connection (later calls
 * share the first promise). A failure is forgotten so the next call retries:
 * ClickHouse being down at start must not disable trends until a restart.
 */
export function ensureClickHouseSchema(ctx: Pick<AppContext, "clickhouse">): Promise<void> {
  let pending = applied.get(ctx.clickhouse);
  if (!pending) {
    pending = (async () => {
      for (const query of DDL) await ctx.clickhouse.client.command({ query });
    })();
    applied.set(ctx.clickhouse, pending);
    pending.catch(() => applied.delete(ctx.clickhouse));
  }
  return pending;
}
