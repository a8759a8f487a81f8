/**
 * Keeps an event-maintained search index (Typesense) in step with the
 * database. Each handler re-reads the current rows and writes them over the
 * index, so the at-least-once delivery of events (and their reordering
 * across retries) converges on the right state. With the Postgres backend
 * the triggers of migration 0015 already did the work and these return at once.
 */
import type { AppContext } from "../../src/context.ts";
import type { DomainEvent } from "../../src/events/index.ts";
import type { EventPayloads } from "../../src/events/types.ts";
import { searchIndexFor } from "./backend.ts";

type Handler<T extends keyof EventPayloads> = (ctx: AppContext, event: DomainEvent<EventPayloads[T]>) => Promise<void>;

/** The status a change to `statusId` affects: a reblog changes its original's `searchable_by`. */
async function documentOf(ctx: AppContext, statusId: string): Promise<{ id: string; reblog: boolean; accountId: string } | null> {
  const [row] = await ctx.sql`SELECT reblog_of_id, account_id FROM statuses WHERE id = ${statusId}`;
  if (!row) return null;
  return { id: (row.reblog_of_id as string | null) ?? statusId, reblog: row.reblog_of_id !== null, accountId: row.account_id as string };
}

export const onStatusCreated: Handler<"status.created"> = async (ctx, event) => {
  const index = searchIndexFor(ctx);
  if (!index.maintainedByEvents) return;
  const target = await documentOf(ctx, event.payload.statusId);
  if (!target) return;
  await index.indexStatus(target.id);
  // No event announces new accounts; their first status (or profile edit, or follow) indexes them.
  await index.indexAccount(target.accountId);
};

export const onStatusUpdated: Handler<"status.updated"> = async (ctx, event) => {
  const index = searchIndexFor(ctx);
  if (!index.maintainedByEvents) return;
  await index.indexStatus(event.payload.statusId);
};

export const onStatusDeleted: Handler<"status.deleted"> = async (ctx, event) => {
  const index = searchIndexFor(ctx);
  if (!index.maintainedByEvents) return;
  const target = await documentOf(ctx, event.payload.statusId);
  // A deleted reblog leaves its original in the index, minus the reblogger's library entry.
  if (target?.reblog) await index.indexStatus(target.id);
  else await index.removeStatus(event.payload.statusId);
};

/** Favourites, unfavourites and votes change who may find the status in their library. */
export const onStatusInteraction: Handler<"favourite.created" | "favourite.removed" | "poll.voted"> = async (ctx, event) => {
  const index = searchIndexFor(ctx);
  if (!index.maintainedByEvents) return;
  await index.indexStatus(event.payload.statusId);
};

export const onAccountUpdated: Handler<"account.updated"> = async (ctx, event) => {
  const index = searchIndexFor(ctx);
  if (!index.maintainedByEvents) return;
  await index.indexAccount(event.accountId, { statuses: true });
};

/** Follower counts rank account results; both sides of a follow change. */
export const onFollowChanged: Handler<"follow.created" | "follow.removed"> = async (ctx, event) => {
  const index = searchIndexFor(ctx);
  if (!index.maintainedByEvents) return;
  await index.indexAccount(event.payload.targetAccountId);
  await index.indexAccount(event.accountId);
};
