/**
 * Block (POST /api/v1/accounts/:id/block), Mastodon's BlockService: the
 * follows both ways end, the blocker's pending request is withdrawn and the
 * target's pending request rejected, then the block is recorded, all in one
 * transaction. Blocking oneself is a no-op.
 */
import type { AppContext } from "../../../src/context.ts";
import { emitEvent } from "../../../src/events/index.ts";
import { nudgeEventWorker } from "../../../src/events/worker.ts";
import { bumpStats, insertBlock, lockPair, type StatsDelta } from "../storage.ts";
import { cancelFollowRequestInTx, rejectFollowRequestInTx, removeFollowInTx } from "./graph.ts";

export async function block(ctx: AppContext, accountId: string, targetId: string): Promise<void> {
  if (accountId === targetId) return;
  await ctx.sql.begin(async (tx) => {
    await lockPair(tx, accountId, targetId);
    const deltas: StatsDelta[] = [];
    await removeFollowInTx(tx, accountId, targetId, deltas);
    await removeFollowInTx(tx, targetId, accountId, deltas, accountId);
    await bumpStats(tx, deltas);
    await cancelFollowRequestInTx(tx, accountId, targetId);
    await rejectFollowRequestInTx(tx, accountId, targetId);
    if (await insertBlock(tx, accountId, targetId)) {
      await emitEvent(tx, "block.created", accountId, { targetAccountId: targetId });
    }
  });
  nudgeEventWorker();
}
