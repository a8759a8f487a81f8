/**
 * Domain events: the transactional outbox every module writes to and the
 * registry of handlers that react to them.
 *
 * A write that has consequences (a status posted, a follow, a favourite…)
 * calls `emitEvent(tx, …)` inside its own transaction, so the event exists
 * exactly when the write does. Workers (src/events/worker.ts) deliver each
 * event to its handlers at least once; handlers must be idempotent.
 *
 * Besides domain events the table carries the workers' own jobs (fanout
 * chunks, reply backfill): same queue, same shards, same guarantees, in the
 * bulk lane so they never queue in front of interactive work.
 */
import type { Db } from "../db/index.ts";
import type { AppContext } from "../context.ts";
import type { EventPayloads, EventType } from "./types.ts";

/** Fixed number of virtual shards: adding workers moves shards, never rows. */
export const VIRTUAL_SHARDS = 256;

/** 0: interactive (domain events); 1: bulk (large fanouts, backfill) — see src/events/worker.ts. */
export type Lane = 0 | 1;
export const INTERACTIVE: Lane = 0;
export const BULK: Lane = 1;

export interface DomainEvent<P = Record<string, unknown>> {
  id: string;
  type: string;
  accountId: string;
  payload: P;
  attempts: number;
  shard: number;
}

export interface EmitOptions {
  lane?: Lane;
  /** Defaults to the account's shard; bulk jobs may spread over shards. */
  shard?: number;
  /** At most one pending event per key: a second emit while one is pending is dropped. */
  dedupeKey?: string;
  /** Not before this time (scheduled work). */
  runAt?: Date;
}

export interface PendingEvent<T extends EventType = EventType> {
  type: T;
  accountId: string;
  payload: EventPayloads[T];
  options?: EmitOptions;
}

/**
 * What a handler may do besides its own idempotent work. Follow-ups are
 * inserted in the transaction that deletes the finished event, so a crash
 * before that replays the handler but never leaves both the event and its
 * follow-ups (no duplicated chains).
 */
export interface EventJob {
  followUp<T extends EventType>(type: T, accountId: string, payload: EventPayloads[T], options?: EmitOptions): void;
  /**
   * Commits `next` now, together with `patch` merged into this event's
   * payload, so `next` can run (on any worker) while this one finishes; the
   * patch tells a replay of this event that `next` exists already.
   */
  handOff<T extends EventType>(next: PendingEvent<T>, patch: Record<string, unknown>): Promise<void>;
}

export type EventHandler<T extends EventType = EventType> = (
  ctx: AppContext,
  event: DomainEvent<EventPayloads[T]>,
  job: EventJob,
) => Promise<void>;

/** The shard an account's events (and fanout work) belong to. */
export function shardOf(accountId: string): number {
  // Snowflake low bits are a sequence: mix the whole value before reducing.
  let x = BigInt(accountId);
  x ^= x >> 33n;
  x = (x * 0xff51afd7ed558ccdn) & 0xffffffffffffffffn;
  x ^= x >> 33n;
  return Number(x % BigInt(VIRTUAL_SHARDS));
}

export async function emitEvent<T extends EventType>(
  db: Db,
  type: T,
  accountId: string,
  payload: EventPayloads[T] = {} as EventPayloads[T],
  options: EmitOptions = {},
): Promise<void> {
  const shard = options.shard ?? shardOf(accountId);
  const lane = options.lane ?? INTERACTIVE;
  if (!options.dedupeKey && !options.runAt && lane === INTERACTIVE) {
    await db`
      INSERT INTO events (shard, type, account_id, payload)
      VALUES (${shard}, ${type}, ${accountId}, ${db.json(payload as never)})`;
    return;
  }
  await db`
    INSERT INTO events (shard, type, account_id, payload, lane, dedupe_key, run_at)
    VALUES (${shard}, ${type}, ${accountId}, ${db.json(payload as never)}, ${lane}, ${options.dedupeKey ?? null},
            coalesce(${options.runAt ?? null}::timestamptz, now()))
    ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING`;
}

const handlers = new Map<string, EventHandler<any>[]>();

/**
 * Modules register their reactions at load time (from their index.ts);
 * several handlers per type run in registration order.
 */
export function onEvent<T extends EventType>(type: T, handler: EventHandler<T>): void {
  const list = handlers.get(type) ?? [];
  list.push(handler);
  handlers.set(type, list);
}

export function handlersFor(type: string): EventHandler<any>[] {
  return handlers.get(type) ?? [];
}
