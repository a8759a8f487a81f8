/** Unblock (POST /api/v1/accounts/:id/unblock); a no-op when there was no block. */
import type { AppContext } from "../../../src/context.ts";
import { emitEvent } from "../../../src/events/index.ts";
import { nudgeEventWorker } from "../../../src/events/worker.ts";
import { deleteBlock, lockPair } from "../storage.ts";

export async function unblock(ctx: AppContext, accountId: string, targetId: string): Promise<void> {
  const removed = await ctx.sql.begin(async (tx) => {
    await lockPair(tx, accountId, targetId);
    const deleted = await deleteBlock(tx, accountId, targetId);
    if (deleted) await emitEvent(tx, "block.removed", accountId, { targetAccountId: targetId, blockUri: deleted.uri });
    return deleted !== null;
  });
  if (removed) nudgeEventWorker();
}
