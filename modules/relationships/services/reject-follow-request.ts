/** Reject a follow request (POST /api/v1/follow_requests/:id/reject, :id being the requesting account). */
import type { AppContext } from "../../../src/context.ts";
import { nudgeEventWorker } from "../../../src/events/worker.ts";
import { notFound } from "../../../src/http/errors.ts";
import { lockPair } from "../storage.ts";
import { rejectFollowRequestInTx } from "./graph.ts";

export async function rejectFollowRequest(ctx: AppContext, accountId: string, requesterId: string): Promise<void> {
  const found = await ctx.sql.begin(async (tx) => {
    await lockPair(tx, accountId, requesterId);
    return rejectFollowRequestInTx(tx, accountId, requesterId);
  });
  if (!found) throw notFound();
  nudgeEventWorker();
}
