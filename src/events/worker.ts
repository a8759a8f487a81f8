/**
 * The event worker: claims events of the shards this worker owns, runs their
 * handlers, and deletes them. `WORKER_ID`/`WORKER_COUNT` decide ownership
 * (shard % WORKER_COUNT === WORKER_ID), so N workers split the load.
 *
 * Claiming takes a lease (locked_until) in a short transaction; handlers run
 * outside it, so a slow handler holds no database lock and a crashed worker's
 * events become claimable again when the lease runs out.
 */
import type { AppContext } from "../context.ts";
import { logger } from "../log.ts";
import { handlersFor, VIRTUAL_SHARDS, type DomainEvent } from "./index.ts";

const log = logger("events");
const LEASE_SECONDS = 120;
const BATCH_SIZE = 100;
const IDLE_POLL_MS = 250;

export function ownedShards(workerId: number, workerCount: number): number[] {
  const shards: number[] = [];
  for (let shard = 0; shard < VIRTUAL_SHARDS; shard++) if (shard % workerCount === workerId) shards.push(shard);
  return shards;
}

let wake: (() => void) | null = null;
/** Lets an in-process worker start on fresh events without waiting for its next poll. */
export function nudgeEventWorker(): void {
  wake?.();
}

async function claimBatch(ctx: AppContext, shards: number[]): Promise<DomainEvent[]> {
  const rows = await ctx.sql`
    WITH claimed AS (
      SELECT id FROM events
      WHERE shard = ANY(${shards}::int[]) AND run_at <= now()
        AND (locked_until IS NULL OR locked_until < now())
      ORDER BY id
      LIMIT ${BATCH_SIZE}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE events e
    SET locked_until = now() + make_interval(secs => ${LEASE_SECONDS}), attempts = e.attempts + 1
    FROM claimed WHERE e.id = claimed.id
    RETURNING e.id, e.type, e.account_id, e.payload, e.attempts`;
  return rows
    .map((r) => ({ id: r.id, type: r.type, accountId: r.account_id, payload: r.payload, attempts: r.attempts }))
    .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
}

/** Runs one event's handlers; returns whether all succeeded. */
async function handle(ctx: AppContext, event: DomainEvent): Promise<boolean> {
  try {
    for (const handler of handlersFor(event.type)) await handler(ctx, event);
    await ctx.sql`DELETE FROM events WHERE id = ${event.id}`;
    return true;
  } catch (error) {
    // Exponential backoff capped at an hour; the event is kept for retries.
    const delay = Math.min(3600, 2 ** Math.min(event.attempts, 12));
    log.warning("Event {type} {id} failed (attempt {attempts}): {error}", { ...event, error });
    await ctx.sql`
      UPDATE events SET locked_until = NULL, run_at = now() + make_interval(secs => ${delay})
      WHERE id = ${event.id}`;
    return false;
  }
}

/** Processes everything ready now; returns how many events were handled. */
export async function drainEvents(ctx: AppContext, shards: number[]): Promise<number> {
  let handled = 0;
  for (;;) {
    const batch = await claimBatch(ctx, shards);
    if (batch.length === 0) return handled;
    for (const event of batch) if (await handle(ctx, event)) handled++;
  }
}

export function startEventWorker(ctx: AppContext): { stop(): Promise<void> } {
  const shards = ownedShards(ctx.config.workerId, ctx.config.workerCount);
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const handled = await drainEvents(ctx, shards);
        if (handled > 0) continue;
      } catch (error) {
        log.error("Event worker error: {error}", { error });
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, IDLE_POLL_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  })();
  return {
    async stop() {
      running = false;
      wake?.();
      await loop;
    },
  };
}
