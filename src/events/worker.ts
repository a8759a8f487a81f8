/**
 * The event worker: claims events of the shards this worker holds a lease
 * on (src/workers/leases.ts), runs their handlers, and deletes them.
 *
 * Two lanes, each with its own claimer and runners, so bulk work (the
 * further chunks of a large account's fanout, reply backfill) has a fixed
 * concurrency budget and never queues in front of interactive work (a small
 * account's post is one chunk, handled in lane 0 right away).
 *
 * Within a lane, a shard's events run one after another in (run_at, id)
 * order; different shards run concurrently. Claiming takes an event lease
 * (locked_until, locked_by) in a short statement; handlers run outside it,
 * so a slow handler holds no database lock, and a crashed worker's claims
 * are released when its shards are taken over.
 */
import type { AppContext } from "../context.ts";
import { logger } from "../log.ts";
import { preciseNow, ShardLeases, ShardTrace } from "../workers/leases.ts";
import { BULK, handlersFor, INTERACTIVE, type DomainEvent, type EventJob, type Lane, type PendingEvent } from "./index.ts";
import { shardOf } from "./index.ts";

const log = logger("events");
const CLAIM_LEASE_SECONDS = 300;
const IDLE_POLL_MS = 250;
const WAKE_CHANNEL = "events:wake";

interface LaneConfig {
  lane: Lane;
  /** Shards processed at once. */
  runners: number;
  /** Events claimed per shard at a time. */
  perShard: number;
  /**
   * One event at a time in global (run_at, id) order across all held
   * shards, as a single-node server expects (and its tests: whatever was
   * emitted before an event has been handled when it is).
   */
  ordered: boolean;
}

function lanes(interactiveRunners: number): LaneConfig[] {
  return [
    interactiveRunners <= 1
      ? { lane: INTERACTIVE, runners: 1, perShard: 64, ordered: true }
      : { lane: INTERACTIVE, runners: interactiveRunners, perShard: 16, ordered: false },
    // Bulk chunks are bounded (~1,000 followers): a few at once keep the
    // Redis pipeline busy while interactive work keeps most of the process.
    { lane: BULK, runners: Math.max(2, Math.ceil(interactiveRunners / 4)), perShard: 1, ordered: false },
  ];
}

// ---------------------------------------------------------------------------
// Wake-ups: an in-process nudge, and across processes a coalesced Redis publish

const waiters = new Set<() => void>();
let remote: AppContext | null = null;
let publishPending = false;

function wakeLocal(): void {
  for (const wake of [...waiters]) wake();
}

/** Lets workers start on fresh events without waiting for their next poll. */
export function nudgeEventWorker(): void {
  wakeLocal();
  if (!remote || publishPending) return;
  // Coalesced: at most one publish per tick however many events committed.
  publishPending = true;
  const ctx = remote;
  setTimeout(() => {
    publishPending = false;
    ctx.redis.publish(WAKE_CHANNEL, "1").catch(() => {});
  }, 2);
}

/**
 * Makes nudges reach worker processes (a shared Redis): called by processes
 * that emit events while other processes run the workers.
 */
export function enableRemoteNudges(ctx: AppContext): void {
  if (ctx.redis.kind !== "memory") remote = ctx;
}

function sleepUntilNudged(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      waiters.delete(done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    waiters.add(done);
  });
}

// ---------------------------------------------------------------------------
// Claiming and handling

/** The oldest ready events of the held shards, globally ordered (the ordered lane). */
async function claimOrdered(ctx: AppContext, owner: string, lane: Lane, shards: number[], limit: number): Promise<DomainEvent[]> {
  const rows = await ctx.sql`
    WITH claimable AS (
      SELECT e.id FROM events e
      JOIN shard_leases l ON l.shard = e.shard AND l.owner = ${owner} AND l.expires_at > now()
      WHERE e.shard = ANY(${shards}::int[]) AND e.lane = ${lane} AND e.run_at <= now()
        AND (e.locked_until IS NULL OR e.locked_until < now())
      ORDER BY e.run_at, e.id
      LIMIT ${limit}
      FOR UPDATE OF e SKIP LOCKED
    )
    UPDATE events e
    SET locked_until = now() + make_interval(secs => ${CLAIM_LEASE_SECONDS}), locked_by = ${owner},
        attempts = e.attempts + 1
    FROM claimable WHERE e.id = claimable.id
    RETURNING e.id, e.shard, e.type, e.account_id, e.payload, e.attempts, e.run_at`;
  return toEvents(rows);
}

function toEvents(rows: readonly Record<string, any>[]): DomainEvent[] {
  return rows
    .map((r) => ({
      id: r.id as string,
      type: r.type as string,
      accountId: r.account_id as string,
      payload: r.payload,
      attempts: r.attempts as number,
      shard: r.shard as number,
      runAt: (r.run_at as Date).getTime(),
    }))
    .sort((a, b) => a.runAt - b.runAt || (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
}

async function claim(
  ctx: AppContext,
  owner: string,
  lane: Lane,
  shards: number[],
  perShard: number,
  limit: number,
): Promise<DomainEvent[]> {
  // The lease join is the fence: nothing is claimed from a shard this
  // worker's lease no longer covers, whatever it believes locally.
  const rows = await ctx.sql`
    WITH claimable AS (
      SELECT c.id FROM unnest(${shards}::int[]) AS s(shard)
      JOIN shard_leases l ON l.shard = s.shard AND l.owner = ${owner} AND l.expires_at > now()
      CROSS JOIN LATERAL (
        SELECT id FROM events
        WHERE shard = s.shard AND lane = ${lane} AND run_at <= now()
          AND (locked_until IS NULL OR locked_until < now())
        ORDER BY run_at, id
        LIMIT ${perShard}
        FOR UPDATE SKIP LOCKED
      ) c
      LIMIT ${limit}
    )
    UPDATE events e
    SET locked_until = now() + make_interval(secs => ${CLAIM_LEASE_SECONDS}), locked_by = ${owner},
        attempts = e.attempts + 1
    FROM claimable WHERE e.id = claimable.id
    RETURNING e.id, e.shard, e.type, e.account_id, e.payload, e.attempts, e.run_at`;
  return toEvents(rows);
}

function insertPending(ctx: AppContext, tx: AppContext["sql"] | any, pending: PendingEvent): Promise<unknown> {
  const o = pending.options ?? {};
  return tx`
    INSERT INTO events (shard, type, account_id, payload, lane, dedupe_key, run_at)
    VALUES (${o.shard ?? shardOf(pending.accountId)}, ${pending.type}, ${pending.accountId},
            ${tx.json(pending.payload as never)}, ${o.lane ?? INTERACTIVE}, ${o.dedupeKey ?? null},
            coalesce(${o.runAt ?? null}::timestamptz, now()))
    ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING`;
}

/** Runs one event's handlers; returns whether all succeeded. */
async function handle(ctx: AppContext, event: DomainEvent): Promise<boolean> {
  const followUps: PendingEvent[] = [];
  const job: EventJob = {
    followUp(type, accountId, payload, options) {
      followUps.push({ type, accountId, payload, options } as PendingEvent);
    },
    async handOff(next, patch) {
      await ctx.sql.begin(async (tx) => {
        await insertPending(ctx, tx, next as PendingEvent);
        await tx`UPDATE events SET payload = payload || ${tx.json(patch as never)} WHERE id = ${event.id}`;
      });
      Object.assign(event.payload as object, patch);
      nudgeEventWorker();
    },
  };
  try {
    for (const handler of handlersFor(event.type)) await handler(ctx, event, job);
    if (followUps.length === 0) {
      await ctx.sql`DELETE FROM events WHERE id = ${event.id}`;
    } else {
      // Delete first: a follow-up may carry this event's own dedupe key (a job rescheduling itself).
      await ctx.sql.begin(async (tx) => {
        await tx`DELETE FROM events WHERE id = ${event.id}`;
        for (const pending of followUps) await insertPending(ctx, tx, pending);
      });
      nudgeEventWorker();
    }
    return true;
  } catch (error) {
    // Exponential backoff capped at an hour; the event is kept for retries.
    const delay = Math.min(3600, 2 ** Math.min(event.attempts, 12));
    log.warning("Event {type} {id} failed (attempt {attempts}): {error}", { ...event, error });
    await ctx.sql`
      UPDATE events SET locked_until = NULL, locked_by = NULL, run_at = now() + make_interval(secs => ${delay})
      WHERE id = ${event.id}`.catch(() => {});
    return false;
  }
}

// ---------------------------------------------------------------------------
// Lanes

class LaneRunner {
  private queue: { shard: number; events: DomainEvent[] }[] = [];
  /** Shards claimed or running in this lane: never claimed twice at once, so a shard stays in order. */
  private active = new Map<number, number>();
  private busy = 0;
  private rotation = 0;
  private readonly waiting: (() => void)[] = [];
  handled = 0;

  constructor(
    private readonly ctx: AppContext,
    private readonly leases: ShardLeases,
    private readonly trace: ShardTrace,
    private readonly config: LaneConfig,
    private readonly running: () => boolean,
  ) {}

  get runners(): number {
    return this.config.runners;
  }

  async claimLoop(): Promise<void> {
    while (this.running()) {
      let claimed = 0;
      try {
        if (this.queue.length < this.config.runners) claimed = await this.claimSome();
      } catch (error) {
        log.error("Claiming events failed: {error}", { error });
      }
      if (claimed > 0) continue;
      await sleepUntilNudged(IDLE_POLL_MS);
    }
  }

  private async claimSome(): Promise<number> {
    if (this.config.ordered) {
      // Strictly one batch after another, so global order holds.
      if (this.queue.length > 0 || this.busy > 0) return 0;
      const held = this.leases.workable();
      if (held.length === 0) return 0;
      const events = await claimOrdered(this.ctx, this.leases.owner, this.config.lane, held, this.config.perShard);
      for (const event of events) this.enqueue(event.shard, [event]);
      return events.length;
    }
    const free = this.leases.workable().filter((s) => !this.active.has(s));
    if (free.length === 0) return 0;
    // Rotate the starting shard so a long backlog in low shards can't starve high ones.
    this.rotation = (this.rotation + 7) % free.length;
    const shards = [...free.slice(this.rotation), ...free.slice(0, this.rotation)];
    const want = this.config.runners * 2 - this.queue.length;
    const events = await claim(
      this.ctx,
      this.leases.owner,
      this.config.lane,
      shards,
      this.config.perShard,
      want * this.config.perShard,
    );
    if (events.length === 0) return 0;
    const byShard = new Map<number, DomainEvent[]>();
    for (const event of events) {
      const list = byShard.get(event.shard) ?? [];
      list.push(event);
      byShard.set(event.shard, list);
    }
    for (const [shard, list] of byShard) this.enqueue(shard, list);
    return events.length;
  }

  private enqueue(shard: number, events: DomainEvent[]): void {
    this.active.set(shard, (this.active.get(shard) ?? 0) + 1);
    this.leases.enter(shard);
    this.queue.push({ shard, events });
    for (const wake of this.waiting.splice(0)) wake();
  }

  async runLoop(): Promise<void> {
    for (;;) {
      const task = this.queue.shift();
      if (!task) {
        if (!this.running()) return;
        await new Promise<void>((resolve) => {
          this.waiting.push(resolve);
          setTimeout(resolve, IDLE_POLL_MS);
        });
        continue;
      }
      const start = preciseNow();
      this.trace.begin(task.shard, this.config.lane, start);
      this.busy++;
      try {
        for (const event of task.events) {
          // Lost the lease meanwhile (or stopping): leave the rest claimed
          // for whoever takes the shard over, which releases our claims.
          if (!this.leases.workable().includes(task.shard)) break;
          if (await handle(this.ctx, event)) this.handled++;
        }
      } finally {
        this.busy--;
        this.trace.record(task.shard, this.config.lane, start, preciseNow(), task.events.length);
        const left = (this.active.get(task.shard) ?? 1) - 1;
        if (left > 0) this.active.set(task.shard, left);
        else this.active.delete(task.shard);
        this.leases.leave(task.shard);
      }
      wakeLocal();
    }
  }
}

export interface EventWorker {
  readonly owner: string;
  /** Resolves once the first leases are taken and the lanes run. */
  readonly ready: Promise<void>;
  /** Shards this worker holds right now. */
  shards(): number[];
  handled(): number;
  stop(): Promise<void>;
}

/**
 * Starts the event worker of this process: shard leases for
 * WORKER_ID/WORKER_COUNT, then both lanes.
 */
export interface EventWorkerOptions {
  /**
   * Interactive events handled at once (different shards). 1, the default,
   * handles them one at a time in global order — right for a single-node
   * server; dedicated worker processes (src/workers/main.ts) run several.
   */
  concurrency?: number;
}

export function startEventWorker(ctx: AppContext, options: EventWorkerOptions = {}): EventWorker {
  const leases = new ShardLeases(ctx, {
    workerId: ctx.config.workerId,
    workerCount: ctx.config.workerCount,
    leaseSeconds: ctx.config.workerLeaseSeconds,
  });
  const trace = new ShardTrace(leases.owner);
  let running = true;
  const runners = lanes(options.concurrency ?? 1).map((config) => new LaneRunner(ctx, leases, trace, config, () => running));
  let loops: Promise<void>[] = [];
  let unsubscribe: (() => Promise<void>) | null = null;

  const ready = (async () => {
    // A failed first heartbeat is logged and retried on the next tick; the
    // lanes idle until shards are held.
    await leases.start();
    leases.onChange(wakeLocal);
    loops = runners.flatMap((lane) => [lane.claimLoop(), ...Array.from({ length: lane.runners }, () => lane.runLoop())]);
    // Other processes' events wake us through Redis when it is shared.
    if (ctx.redis.kind !== "memory") {
      unsubscribe = await ctx.redis.subscribe(WAKE_CHANNEL, wakeLocal).catch((error) => {
        log.warning("Cannot subscribe to wake-ups, polling only: {error}", { error });
        return null;
      });
    }
    log.info("Event worker {owner} started with {count} shards", { owner: leases.owner, count: leases.heldShards().length });
  })();

  return {
    owner: leases.owner,
    ready,
    shards: () => leases.heldShards(),
    handled: () => runners.reduce((n, lane) => n + lane.handled, 0),
    async stop() {
      running = false;
      wakeLocal();
      await ready.catch(() => {});
      await unsubscribe?.().catch(() => {});
      await Promise.all(loops);
      await leases.stop();
    },
  };
}
