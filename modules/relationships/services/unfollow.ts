/**
 * Unfollow (POST /api/v1/accounts/:id/unfollow): ends the follow, or
 * withdraws a pending follow request. Unfollowing someone you don't follow
 * is a no-op, as in Mastodon.
 */
import type { AppContext } from "../../../src/context.ts";
import { nudgeEventWorker } from "../../../src/events/worker.ts";
import { lockPair } from "../storage.ts";
import { cancelFollowRequestInTx, removeFollowInTx } from "./graph.ts";

export async function unfollow(ctx: AppContext, sourceId: string, targetId: string): Promise<boolean> {
  const changed = await ctx.sql.begin(async (tx) => {
    await lockPair(tx, sourceId, targetId);
    return (await removeFollowInTx(tx, sourceId, targetId)) || (await cancelFollowRequestInTx(tx, sourceId, targetId));
  });
  if (changed) nudgeEventWorker();
  return changed;
}
