/**
 * Fedify's message queue on Postgres (table jobs, queue = 'fedify'): inbox
 * processing, outbox delivery and fanout survive restarts and are shared by
 * every node that runs workers.
 *
 * Delivery is AT LEAST ONCE. A job is claimed by setting a lease
 * (locked_until) and deleted only after its handler returns; a process that
 * dies mid-job leaves the lease to expire, and another worker runs the job
 * again. Handlers must therefore tolerate repeats — Fedify's own are
 * idempotent enough (inbox activities are de-duplicated through the KV
 * store; a re-sent delivery is a harmless duplicate POST).
 *
 * Claiming is one UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED), so
 * concurrent workers never take the same job and no transaction stays open
 * while a handler runs (on the embedded database there is one connection,
 * which a long transaction would hold hostage).
 *
 * Failures: Fedify retries failed deliveries and inbox activities itself by
 * enqueueing a new message with a delay (`nativeRetrial` is false). A handler
 * that still throws hit something unexpected (e.g. the database went away);
 * the job is retried with exponential backoff up to `maxAttempts`, then
 * dropped with an error in the log.
 *
 * Ordering keys: of the jobs sharing a key, only the oldest runs, and only
 * when no other job with that key holds a live lease.
 */
import type {
  MessageQueue,
  MessageQueueDepth,
  MessageQueueEnqueueOptions,
  MessageQueueListenOptions,
} from "@fedify/fedify";
import type { Sql } from "../src/db/index.ts";
import { logger } from "../src/log.ts";

const log = logger("federation", "queue");

export interface PostgresMessageQueueOptions {
  /** Value of jobs.queue, so other job kinds can share the table. */
  queue?: string;
  /** How often an idle listener looks for due jobs. */
  pollIntervalMs?: number;
  /** How long a claim lasts without renewal; a crashed worker's jobs rerun after this. */
  leaseMs?: number;
  /** Handlers run at once per listener. */
  concurrency?: number;
  /** Claims after which a job whose handler keeps throwing is dropped. */
  maxAttempts?: number;
  /** First retry delay after a throwing handler; doubles per attempt, capped at an hour. */
  retryBaseMs?: number;
}

interface ClaimedJob {
  id: string;
  payload: unknown;
  attempts: number;
}

export class PostgresMessageQueue implements MessageQueue {
  readonly nativeRetrial = false;
  readonly queue: string;
  readonly #pollIntervalMs: number;
  readonly #leaseMs: number;
  readonly #concurrency: number;
  readonly #maxAttempts: number;
  readonly #retryBaseMs: number;
  /** Listeners in this process, woken at once by a local enqueue instead of waiting for the next poll. */
  readonly #wakers = new Set<() => void>();

  constructor(
    private readonly sql: Sql,
    options: PostgresMessageQueueOptions = {},
  ) {
    this.queue = options.queue ?? "fedify";
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.#leaseMs = options.leaseMs ?? 60_000;
    this.#concurrency = Math.max(1, options.concurrency ?? 4);
    this.#maxAttempts = options.maxAttempts ?? 8;
    this.#retryBaseMs = options.retryBaseMs ?? 1000;
  }

  async enqueue(message: unknown, options?: MessageQueueEnqueueOptions): Promise<void> {
    await this.enqueueMany([message], options);
  }

  async enqueueMany(messages: readonly unknown[], options?: MessageQueueEnqueueOptions): Promise<void> {
    if (messages.length === 0) return;
    const delayMs = options?.delay ? Math.max(0, options.delay.round({ largestUnit: "hour" }).total({ unit: "millisecond" })) : 0;
    const orderingKey = options?.orderingKey ?? null;
    const rows = messages.map((payload) => ({
      queue: this.queue,
      payload,
      ordering_key: orderingKey,
    }));
    // run_at in the database's clock, the one claims compare against.
    await this.sql`
      INSERT INTO jobs (queue, payload, ordering_key, run_at)
      SELECT j.queue, j.payload, j.ordering_key, now() + ${delayMs}::float8 * interval '1 millisecond'
      FROM jsonb_to_recordset(${this.sql.json(rows as never)}) AS j(queue text, payload jsonb, ordering_key text)`;
    if (delayMs === 0) for (const wake of this.#wakers) wake();
  }

  async getDepth(): Promise<MessageQueueDepth> {
    const [row] = await this.sql`
      SELECT count(*) FILTER (WHERE run_at <= now())::int AS ready,
             count(*) FILTER (WHERE run_at > now())::int AS delayed
      FROM jobs
      WHERE queue = ${this.queue} AND (locked_until IS NULL OR locked_until <= now())`;
    const ready = Number(row!.ready);
    const delayed = Number(row!.delayed);
    return { queued: ready + delayed, ready, delayed };
  }

  /**
   * Runs until the signal aborts (never, without one); then waits for the
   * handlers in flight. Never rejects: database errors are logged and the
   * poll goes on.
   */
  async listen(handler: (message: any) => Promise<void> | void, options: MessageQueueListenOptions = {}): Promise<void> {
    const { signal } = options;
    const inFlight = new Set<Promise<void>>();
    let wake: (() => void) | null = null;
    const waker = () => wake?.();
    this.#wakers.add(waker);
    const onAbort = () => wake?.();
    signal?.addEventListener("abort", onAbort);
    try {
      while (!signal?.aborted) {
        if (inFlight.size >= this.#concurrency) {
          await Promise.race(inFlight);
          continue;
        }
        let job: ClaimedJob | null = null;
        try {
          job = await this.claim();
        } catch (error) {
          log.error("Claiming a {queue} job failed: {error}", { queue: this.queue, error });
        }
        if (job) {
          // A finished job may unblock its ordering key: look again at once.
          const run = this.run(job, handler).finally(() => {
            inFlight.delete(run);
            wake?.();
          });
          inFlight.add(run);
          continue;
        }
        // Idle: sleep until the poll interval passes, a local enqueue, a
        // handler finishing or the abort.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, this.#pollIntervalMs);
          function done() {
            clearTimeout(timer);
            wake = null;
            resolve();
          }
          wake = done;
        });
      }
      await Promise.allSettled(inFlight);
    } finally {
      this.#wakers.delete(waker);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Takes the next due job under a lease, or null when none is due. */
  private async claim(): Promise<ClaimedJob | null> {
    const [row] = await this.sql`
      UPDATE jobs SET locked_until = now() + ${this.#leaseMs}::float8 * interval '1 millisecond',
                      attempts = attempts + 1
      WHERE id = (
        SELECT j.id FROM jobs j
        WHERE j.queue = ${this.queue}
          AND j.run_at <= now()
          AND (j.locked_until IS NULL OR j.locked_until <= now())
          AND (j.ordering_key IS NULL OR NOT EXISTS (
            SELECT 1 FROM jobs o
            WHERE o.queue = j.queue AND o.ordering_key = j.ordering_key AND o.id <> j.id
              AND (o.id < j.id OR o.locked_until > now())))
        ORDER BY j.run_at, j.id
        LIMIT 1
        FOR UPDATE SKIP LOCKED)
      RETURNING id, payload, attempts`;
    return row ? { id: row.id as string, payload: row.payload, attempts: Number(row.attempts) } : null;
  }

  private async run(job: ClaimedJob, handler: (message: any) => Promise<void> | void): Promise<void> {
    // Renew the lease while the handler runs so a slow delivery isn't taken
    // for a crash and run twice.
    const renew = setInterval(() => {
      this.sql`
        UPDATE jobs SET locked_until = now() + ${this.#leaseMs}::float8 * interval '1 millisecond'
        WHERE id = ${job.id}`.catch((error) => log.warn("Renewing the lease of job {id} failed: {error}", { id: job.id, error }));
    }, Math.max(1000, this.#leaseMs / 3));
    try {
      await handler(job.payload);
      clearInterval(renew);
      await this.settle(job, () => this.sql`DELETE FROM jobs WHERE id = ${job.id}`);
    } catch (error) {
      clearInterval(renew);
      if (job.attempts >= this.#maxAttempts) {
        log.error("Dropping {queue} job {id} after {attempts} failed attempts: {error}", {
          queue: this.queue, id: job.id, attempts: job.attempts, error,
        });
        await this.settle(job, () => this.sql`DELETE FROM jobs WHERE id = ${job.id}`);
        return;
      }
      const backoffMs = Math.min(2 ** (job.attempts - 1) * this.#retryBaseMs, 3_600_000);
      log.warn("{queue} job {id} failed (attempt {attempts}); retrying in {seconds} s: {error}", {
        queue: this.queue, id: job.id, attempts: job.attempts, seconds: backoffMs / 1000, error,
      });
      await this.settle(job, () => this.sql`
        UPDATE jobs SET locked_until = NULL, run_at = now() + ${backoffMs}::float8 * interval '1 millisecond'
        WHERE id = ${job.id}`);
    }
  }

  /** Records a job's outcome; if that fails the lease simply expires and the job reruns. */
  private async settle(job: ClaimedJob, query: () => Promise<unknown>): Promise<void> {
    try {
      await query();
    } catch (error) {
      log.error("Settling {queue} job {id} failed; it will run again: {error}", { queue: this.queue, id: job.id, error });
    }
  }
}
