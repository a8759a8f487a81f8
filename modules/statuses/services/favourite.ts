/**
 * Favourite / Unfavourite. The unique (account, status) row makes repeats
 * and concurrent duplicates no-ops; the counter moves only when a row was
 * actually inserted or deleted, in the same transaction, so
 * favourites_count stays exact.
 */
import type { AppContext } from "../../../src/context.ts";
import { notFound } from "../../../src/http/errors.ts";
import { emitEvent } from "../../../src/events/index.ts";
import { nudgeEventWorker } from "../../../src/events/worker.ts";
import { canSeeStatus } from "../visibility.ts";
import { bumpStatusCounter, deleteFavourite, insertFavourite } from "../storage.ts";
import { visibleTarget } from "./target.ts";

/** Returns the favourited status's id. */
export async function favourite(ctx: AppContext, accountId: string, rawId: unknown): Promise<string> {
  const status = await visibleTarget(ctx, accountId, rawId);
  const created = await ctx.sql.begin(async (tx) => {
    const favouriteId = await insertFavourite(tx, accountId, status.id);
    if (!favouriteId) return false;
    await bumpStatusCounter(tx, status.id, "favourites_count", 1);
    await emitEvent(tx, "favourite.created", accountId, { statusId: status.id, favouriteId });
    return true;
  });
  if (created) nudgeEventWorker();
  return status.id;
}

export async function unfavourite(ctx: AppContext, accountId: string, rawId: unknown): Promise<string> {
  const status = await visibleTarget(ctx, accountId, rawId, { allowInvisible: true });
  const removed = await ctx.sql.begin(async (tx) => {
    const favouriteId = await deleteFavourite(tx, accountId, status.id);
    if (!favouriteId) return false;
    await bumpStatusCounter(tx, status.id, "favourites_count", -1);
    await emitEvent(tx, "favourite.removed", accountId, { statusId: status.id, favouriteId });
    return true;
  });
  if (removed) nudgeEventWorker();
  else if (!(await canSeeStatus(ctx.sql, accountId, status.id))) throw notFound();
  return status.id;
}
