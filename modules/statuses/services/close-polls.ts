/**
 * Poll endings: a poll has no write when it ends, so a small in-process
 * scheduler looks for polls past expires_at and emits `poll.ended` once for
 * each (ended_notified_at marks it, in the same transaction as the event;
 * SKIP LOCKED lets several processes run it). The notifications module
 * turns the event into "poll ended" notifications for voters and author.
 */
import type { AppContext } from "../../../src/context.ts";
import { emitEvent } from "../../../src/events/index.ts";
import { nudgeEventWorker } from "../../../src/events/worker.ts";
import { logger } from "../../../src/log.ts";
import { claimEndedPolls } from "../storage.ts";

const log = logger("statuses");
const BATCH = 100;

/** Emits poll.ended for every poll that ended and wasn't announced yet; returns how many. */
export async function closeEndedPolls(ctx: AppContext): Promise<number> {
  let total = 0;
  for (;;) {
    const closed = await ctx.sql.begin(async (tx) => {
      const polls = await claimEndedPolls(tx, BATCH);
      for (const poll of polls) {
        await emitEvent(tx, "poll.ended", poll.account_id, { pollId: poll.id, statusId: poll.status_id });
      }
      return polls.length;
    });
    total += closed;
    if (closed < BATCH) break;
  }
  if (total > 0) nudgeEventWorker();
  return total;
}

/**
 * Runs closeEndedPolls every `intervalMs` (polls last at least five
 * minutes, so a granularity of seconds is plenty). Wire from src/main.ts
 * next to the event worker: `const pollCloser = startPollCloser(ctx)` and
 * `await pollCloser.stop()` on shutdown.
 */
export function startPollCloser(ctx: AppContext, intervalMs = 15_000): { stop(): Promise<void> } {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running: Promise<void> = Promise.resolve();
  // Chained timeouts, not setInterval: a slow round never overlaps the next.
  const round = () => {
    running = closeEndedPolls(ctx)
      .then(() => undefined)
      .catch((error) => log.error("Closing ended polls failed: {error}", { error }))
      .finally(() => {
        if (!stopped) timer = setTimeout(round, intervalMs);
      });
  };
  round();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
