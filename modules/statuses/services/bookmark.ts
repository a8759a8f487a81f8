/** Bookmark / Unbookmark: private to the account, no counters, no events. */
import type { AppContext } from "../../../src/context.ts";
import { deleteBookmark, insertBookmark } from "../storage.ts";
import { visibleTarget } from "./target.ts";

export async function bookmark(ctx: AppContext, accountId: string, rawId: unknown): Promise<string> {
  const status = await visibleTarget(ctx, accountId, rawId);
  await insertBookmark(ctx.sql, accountId, status.id);
  return status.id;
}

export async function unbookmark(ctx: AppContext, accountId: string, rawId: unknown): Promise<string> {
  const status = await visibleTarget(ctx, accountId, rawId);
  await deleteBookmark(ctx.sql, accountId, status.id);
  return status.id;
}
