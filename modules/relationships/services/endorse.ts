/**
 * Endorsements, "feature on profile" (POST /api/v1/accounts/:id/pin and
 * /unpin; 4.4's /endorse and /unendorse): only accounts one follows can be
 * endorsed, and ending the follow ends the endorsement (see graph.ts).
 */
import type { AppContext } from "../../../src/context.ts";
import { unprocessable } from "../../../src/http/errors.ts";
import { deleteEndorsement, insertEndorsement, lockPair, selectFollow } from "../storage.ts";

export async function endorse(ctx: AppContext, accountId: string, targetId: string): Promise<void> {
  await ctx.sql.begin(async (tx) => {
    // Under the pair lock so an unfollow can't slip between the check and the insert.
    await lockPair(tx, accountId, targetId);
    if (!(await selectFollow(tx, accountId, targetId))) {
      throw unprocessable("You must be already following the person you want to endorse");
    }
    await insertEndorsement(tx, accountId, targetId);
  });
}

export async function unendorse(ctx: AppContext, accountId: string, targetId: string): Promise<void> {
  await deleteEndorsement(ctx.sql, accountId, targetId);
}
