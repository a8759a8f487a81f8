/** Unmute (POST /api/v1/accounts/:id/unmute); a no-op when there was no mute. */
import type { AppContext } from "../../../src/context.ts";
import { emitEvent } from "../../../src/events/index.ts";
import { nudgeEventWorker } from "../../../src/events/worker.ts";
import { deleteMute, lockPair } from "../storage.ts";

export async function unmute(ctx: AppContext, accountId: string, targetId: string): Promise<void> {
  const removed = await ctx.sql.begin(async (tx) => {
    await lockPair(tx, accountId, targetId);
    const deleted = await deleteMute(tx, accountId, targetId);
    if (deleted) await emitEvent(tx, "mute.removed", accountId, { targetAccountId: targetId });
    return deleted;
  });
  if (removed) nudgeEventWorker();
}
