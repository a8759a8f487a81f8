/**
 * Remove a follower (POST /api/v1/accounts/:id/remove_from_followers):
 * the target stops following the current user, without a block.
 */
import type { AppContext } from "../../../src/context.ts";
import { nudgeEventWorker } from "../../../src/events/worker.ts";
import { lockPair } from "../storage.ts";
import { removeFollowInTx } from "./graph.ts";

export async function removeFromFollowers(ctx: AppContext, accountId: string, followerId: string): Promise<boolean> {
  const changed = await ctx.sql.begin(async (tx) => {
    await lockPair(tx, accountId, followerId);
    return removeFollowInTx(tx, followerId, accountId, undefined, accountId);
  });
  if (changed) nudgeEventWorker();
  return changed;
}
