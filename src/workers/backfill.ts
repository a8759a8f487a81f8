/**
 * Remote-reply backfill, scheduled here and fetched by a pluggable hook.
 *
 * When fanout puts a remote status into local homes, replies that other
 * servers never delivered to us would be missing from its thread. A
 * `backfill.replies` job (bulk lane, in the status author's shard, at most
 * one pending per status through its dedupe key) visits the status a few
 * times, spaced out (replies keep coming in for a while), and hands it to
 * the fetcher. The fetcher lands with federation (it will walk the Note's
 * `replies` collection); until then it is a no-op.
 *
 * The rate is bounded per worker process: over budget, a job is pushed back
 * a little instead of fetching, so a burst of remote statuses never turns
 * into a burst of outgoing requests.
 */
import type { AppContext } from "../context.ts";
import { BULK, onEvent, type DomainEvent, type EventJob } from "../events/index.ts";
import type { EventPayloads } from "../events/types.ts";
import { logger } from "../log.ts";

const log = logger("workers", "backfill");

/** Delays of the visits after the status first lands in a home: 10 min, 1 h, 6 h. */
export const BACKFILL_ROUNDS_SECONDS = [600, 3600, 6 * 3600];
/** Fetches started per second by one worker process. */
export const BACKFILL_PER_SECOND = 10;

/** Fetches replies of a remote status not yet known here; returns how many were new. */
export type ReplyFetcher = (ctx: AppContext, statusId: string) => Promise<number>;

let fetcher: ReplyFetcher = async () => 0;

/** Federation installs the real fetcher here. */
export function setReplyFetcher(next: ReplyFetcher): void {
  fetcher = next;
}

const dedupeKey = (statusId: string) => `backfill:${statusId}`;

/** Schedules the first visit of a remote status that reached local homes (idempotent per status). */
export function scheduleBackfill(job: EventJob, status: { id: string; accountId: string }): void {
  job.followUp(
    "backfill.replies",
    status.accountId,
    { statusId: status.id, round: 0 },
    { lane: BULK, dedupeKey: dedupeKey(status.id), runAt: new Date(Date.now() + BACKFILL_ROUNDS_SECONDS[0]! * 1000) },
  );
}

// A token bucket per process.
let tokens = BACKFILL_PER_SECOND;
let refilledAt = Date.now();

function takeToken(): boolean {
  const now = Date.now();
  tokens = Math.min(BACKFILL_PER_SECOND, tokens + ((now - refilledAt) / 1000) * BACKFILL_PER_SECOND);
  refilledAt = now;
  if (tokens < 1) return false;
  tokens -= 1;
  return true;
}

export async function onBackfillReplies(
  ctx: AppContext,
  event: DomainEvent<EventPayloads["backfill.replies"]>,
  job: EventJob,
): Promise<void> {
  const { statusId, round } = event.payload;
  const key = dedupeKey(statusId);
  if (!takeToken()) {
    const later = new Date(Date.now() + 1000 + Math.random() * 4000);
    job.followUp("backfill.replies", event.accountId, { statusId, round }, { lane: BULK, dedupeKey: key, runAt: later, shard: event.shard });
    return;
  }
  const found = await fetcher(ctx, statusId);
  if (found > 0) log.debug("Backfilled {found} replies of {statusId}", { found, statusId });
  const next = BACKFILL_ROUNDS_SECONDS[round + 1];
  if (next !== undefined) {
    const runAt = new Date(Date.now() + (next - BACKFILL_ROUNDS_SECONDS[round]!) * 1000);
    job.followUp("backfill.replies", event.accountId, { statusId, round: round + 1 }, { lane: BULK, dedupeKey: key, runAt, shard: event.shard });
  }
}

onEvent("backfill.replies", onBackfillReplies);
