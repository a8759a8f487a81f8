/**
 * Domain events: the transactional outbox every module writes to and the
 * registry of handlers that react to them.
 *
 * A write that has consequences (a status posted, a follow, a favourite…)
 * calls `emitEvent(tx, …)` inside its own transaction, so the event exists
 * exactly when the write does. Workers (src/events/worker.ts) deliver each
 * event to its handlers at least once; handlers must be idempotent.
 */
import type { Db } from "../db/index.ts";
import type { AppContext } from "../context.ts";
import type { EventPayloads, EventType } from "./types.ts";

/** Fixed number of virtual shards: adding workers moves shards, never rows. */
export const VIRTUAL_SHARDS = 256;

export interface DomainEvent<P = Record<string, unknown>> {
  id: string;
  type: string;
  accountId: string;
  payload: P;
  attempts: number;
}

export type EventHandler<T extends EventType = EventType> = (
  ctx: AppContext,
  event: DomainEvent<EventPayloads[T]>,
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
): Promise<void> {
  await db`
    INSERT INTO events (shard, type, account_id, payload)
    VALUES (${shardOf(accountId)}, ${type}, ${accountId}, ${db.json(payload as never)})`;
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
