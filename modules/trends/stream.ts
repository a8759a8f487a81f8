/**
 * Writing the ClickHouse stream (`status_events`, see schema.ts) from the
 * domain events: status.created (posts, replies, boosts), status.deleted and
 * favourite.created.
 *
 * Delivery. Handlers read the facts from Postgres (a failure there throws,
 * so the outbox retries the event) and hand the rows to a per-process
 * buffer that inserts in batches: every second, or at once past BATCH_ROWS.
 * The social core never waits on analytics — an event is done when its
 * rows are buffered, and a ClickHouse outage only keeps rows buffered (and
 * retried with backoff) instead of failing fanout or notifications.
 * What a hard crash loses from the buffer, `replayStatusEvents` rebuilds
 * from Postgres: each process replays the last REPLAY_MINUTES when it first
 * writes (after a longer outage, call it with an earlier `since`). Rows carry the time of the fact (not of the write), so a replayed
 * or retried row is identical to the first and collapses in the
 * ReplacingMergeTree; trend queries count distinct ids anyway.
 */
import type { AppContext } from "../../src/context.ts";
import type { ClickHouse } from "../../src/services/clickhouse/index.ts";
import { onEvent } from "../../src/events/index.ts";
import { logger } from "../../src/log.ts";
import { ensureClickHouseSchema, type StatusEventKind } from "./schema.ts";
import {
  selectReplayPage,
  selectStreamFavourites,
  selectStreamStatuses,
  type StreamFavourite,
  type StreamStatus,
} from "./storage.ts";

const log = logger("trends");

/** A `status_events` row as inserted (JSONEachRow; UInt64 as strings). */
export interface StatusEventRow {
  event_time: string;
  status_id: string;
  account_id: string;
  domain: string;
  kind: StatusEventKind;
  tags: string[];
  language: string;
  visibility: string;
  url_hosts: string[];
}

const FLUSH_MS = 1000;
const BATCH_ROWS = 1000;
/** Beyond this many unsent rows (a long ClickHouse outage) the oldest are dropped; replay can refill them. */
const MAX_PENDING = 100_000;
const MAX_RETRY_MS = 60_000;
const REPLAY_MINUTES = 10;
const REPLAY_PAGE = 500;

// ---------------------------------------------------------------------------
// Rows from facts (pure)

type Visibility = StreamStatus["visibility"];
const NARROWNESS: Record<Visibility, number> = { public: 0, unlisted: 1, private: 2, direct: 3 };
const narrower = (a: Visibility, b: Visibility): Visibility => (NARROWNESS[a] >= NARROWNESS[b] ? a : b);

/** ClickHouse's DateTime64(3) text form, in UTC. */
export function clickhouseTime(date: Date): string {
  return new Date(date).toISOString().replace("T", " ").replace("Z", "");
}

/**
 * Hosts of the links in a status's HTML, leaving out mentions and hashtags
 * (Mastodon marks them with class="mention"/"hashtag" or rel="tag").
 */
export function linkHosts(html: string): string[] {
  const hosts = new Set<string>();
  for (const [anchor] of html.matchAll(/<a\s[^>]*>/gi)) {
    if (/\bclass\s*=\s*"[^"]*\b(mention|hashtag)\b/i.test(anchor) || /\brel\s*=\s*"[^"]*\btag\b/i.test(anchor)) continue;
    const href = /\bhref\s*=\s*"([^"]*)"/i.exec(anchor)?.[1];
    if (!href) continue;
    try {
      const url = new URL(href.replace(/&amp;/g, "&"));
      if (url.protocol === "http:" || url.protocol === "https:") hosts.add(url.hostname.toLowerCase());
    } catch {
      // Not a URL: nothing to count.
    }
    if (hosts.size >= 20) break;
  }
  return [...hosts];
}

/**
 * A row describing `target` as seen through an event; private and direct
 * rows keep no content (tags, links) — only that something happened.
 */
function row(
  kind: StatusEventKind,
  at: Date,
  actor: { account_id: string; domain: string },
  target: StreamStatus,
  visibility: Visibility,
): StatusEventRow {
  const open = visibility === "public" || visibility === "unlisted";
  return {
    event_time: clickhouseTime(at),
    status_id: target.id,
    account_id: actor.account_id,
    domain: actor.domain,
    kind,
    tags: open ? target.tags : [],
    language: target.language,
    visibility,
    url_hosts: open ? linkHosts(target.content) : [],
  };
}

/**
 * The rows of a new status: `created` for a post (plus `replied` on its
 * parent for a reply), `reblogged` on the original for a boost. `related`
 * holds the parent or original when it still exists.
 */
export function createdRows(status: StreamStatus, related: StreamStatus | null): StatusEventRow[] {
  if (status.reblog_of_id) {
    if (!related) return [];
    return [row("reblogged", status.created_at, status, related, narrower(related.visibility, status.visibility))];
  }
  const rows = [row("created", status.created_at, status, status, status.visibility)];
  if (status.in_reply_to_id && related) {
    rows.push(row("replied", status.created_at, status, related, narrower(related.visibility, status.visibility)));
  }
  return rows;
}

export function deletedRows(status: StreamStatus): StatusEventRow[] {
  if (!status.deleted_at) return [];
  return [row("deleted", status.deleted_at, status, status, status.visibility)];
}

export function favouritedRows(favourite: StreamFavourite, target: StreamStatus): StatusEventRow[] {
  return [row("favourited", favourite.created_at, favourite, target, target.visibility)];
}

// ---------------------------------------------------------------------------
// Reading facts in batches

async function rowsForStatuses(ctx: AppContext, ids: string[], withDeletions: boolean): Promise<StatusEventRow[]> {
  const statuses = await selectStreamStatuses(ctx.sql, ids);
  const relatedIds = [...statuses.values()]
    .map((s) => s.reblog_of_id ?? s.in_reply_to_id)
    .filter((x): x is string => x !== null && !statuses.has(x));
  const related = new Map([...statuses, ...(await selectStreamStatuses(ctx.sql, relatedIds))]);
  const rows: StatusEventRow[] = [];
  for (const status of statuses.values()) {
    const relatedId = status.reblog_of_id ?? status.in_reply_to_id;
    rows.push(...createdRows(status, relatedId ? (related.get(relatedId) ?? null) : null));
    if (withDeletions) rows.push(...deletedRows(status));
  }
  return rows;
}

async function rowsForDeletions(ctx: AppContext, ids: string[]): Promise<StatusEventRow[]> {
  const statuses = await selectStreamStatuses(ctx.sql, ids);
  return [...statuses.values()].flatMap(deletedRows);
}

async function rowsForFavourites(ctx: AppContext, ids: string[]): Promise<StatusEventRow[]> {
  const favourites = await selectStreamFavourites(ctx.sql, ids);
  const targets = await selectStreamStatuses(ctx.sql, [...new Set(favourites.map((f) => f.status_id))]);
  return favourites.flatMap((f) => {
    const target = targets.get(f.status_id);
    return target ? favouritedRows(f, target) : [];
  });
}

// ---------------------------------------------------------------------------
// The buffer

class StreamBuffer {
  private pending: StatusEventRow[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private chain: Promise<void> = Promise.resolve();
  private failures = 0;
  /** The start-up replay, awaited by flushes so a shutdown doesn't cut it off. */
  catchUp: Promise<void> | null = null;

  constructor(private readonly ctx: AppContext) {}

  add(rows: StatusEventRow[]): void {
    if (rows.length === 0) return;
    this.pending.push(...rows);
    if (this.pending.length > MAX_PENDING) {
      const dropped = this.pending.length - MAX_PENDING;
      this.pending.splice(0, dropped);
      log.warning("ClickHouse stream buffer full: dropped {dropped} oldest rows", { dropped });
    }
    if (this.pending.length >= BATCH_ROWS) void this.flush().catch(() => {});
    else this.schedule(FLUSH_MS);
  }

  private schedule(ms: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush().catch(() => {});
    }, ms);
    // A pending flush must not keep a finished process (a CLI command, a test) alive.
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Inserts everything buffered; flushes run one at a time. Rejects (keeping the rows) on failure. */
  flush(): Promise<void> {
    const run = this.chain.then(() => this.flushNow());
    this.chain = run.catch(() => {});
    return run;
  }

  private async flushNow(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, BATCH_ROWS);
      try {
        await ensureClickHouseSchema(this.ctx);
        await this.ctx.clickhouse.client.insert({ table: "status_events", format: "JSONEachRow", values: batch });
        this.failures = 0;
      } catch (error) {
        this.pending.unshift(...batch);
        this.failures++;
        const retryMs = Math.min(MAX_RETRY_MS, FLUSH_MS * 2 ** Math.min(this.failures, 6));
        log.warning("ClickHouse stream insert failed ({rows} rows kept, retry in {retryMs} ms): {error}", {
          rows: this.pending.length,
          retryMs,
          error,
        });
        this.schedule(retryMs);
        throw error;
      }
    }
  }
}

const buffers = new WeakMap<ClickHouse, StreamBuffer>();

function bufferOf(ctx: AppContext, options: { catchUp: boolean }): StreamBuffer {
  let buffer = buffers.get(ctx.clickhouse);
  if (!buffer) {
    buffer = new StreamBuffer(ctx);
    buffers.set(ctx.clickhouse, buffer);
    if (options.catchUp) {
      const since = new Date(Date.now() - REPLAY_MINUTES * 60_000);
      buffer.catchUp = replayStatusEvents(ctx, since).then(
        () => {},
        (error) => log.warning("ClickHouse stream catch-up replay failed: {error}", { error }),
      );
    }
  }
  return buffer;
}

function enqueue(ctx: AppContext, rows: StatusEventRow[]): void {
  bufferOf(ctx, { catchUp: true }).add(rows);
}

/**
 * Sends what is buffered now (shutdown, tests, the CLI); resolves to false
 * when ClickHouse refused — the rows stay buffered for the next attempt.
 */
export async function flushStatusStream(ctx: AppContext): Promise<boolean> {
  const buffer = buffers.get(ctx.clickhouse);
  if (!buffer) return true;
  await buffer.catchUp;
  try {
    await buffer.flush();
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// Use cases: one per event, and the replay

export async function recordStatusCreated(ctx: AppContext, statusId: string): Promise<void> {
  enqueue(ctx, await rowsForStatuses(ctx, [statusId], false));
}

export async function recordStatusDeleted(ctx: AppContext, statusId: string): Promise<void> {
  enqueue(ctx, await rowsForDeletions(ctx, [statusId]));
}

export async function recordFavourite(ctx: AppContext, favouriteId: string): Promise<void> {
  enqueue(ctx, await rowsForFavourites(ctx, [favouriteId]));
}

/**
 * Re-sends to ClickHouse everything Postgres knows since `since`: statuses
 * posted, favourites given, statuses deleted. Idempotent (see the header),
 * so it repairs a crash's lost buffer and backfills a new ClickHouse; the
 * returned count is of rows sent, duplicates included.
 */
export async function replayStatusEvents(ctx: AppContext, since: Date): Promise<number> {
  const buffer = bufferOf(ctx, { catchUp: false });
  let sent = 0;
  const sources: [Parameters<typeof selectReplayPage>[1], (ids: string[]) => Promise<StatusEventRow[]>][] = [
    ["statuses", (ids) => rowsForStatuses(ctx, ids, true)],
    ["deleted", (ids) => rowsForDeletions(ctx, ids)],
    ["favourites", (ids) => rowsForFavourites(ctx, ids)],
  ];
  for (const [what, rowsFor] of sources) {
    let after: string | null = null;
    for (;;) {
      const ids = await selectReplayPage(ctx.sql, what, since, after, REPLAY_PAGE);
      if (ids.length === 0) break;
      const rows = await rowsFor(ids);
      buffer.add(rows);
      sent += rows.length;
      after = ids[ids.length - 1]!;
    }
  }
  await buffer.flush();
  return sent;
}

/** Registered once, from the module's index.ts. */
export function registerStreamHandlers(): void {
  onEvent("status.created", (ctx, event) => recordStatusCreated(ctx, event.payload.statusId));
  onEvent("status.deleted", (ctx, event) => recordStatusDeleted(ctx, event.payload.statusId));
  onEvent("favourite.created", (ctx, event) => recordFavourite(ctx, event.payload.favouriteId));
}
