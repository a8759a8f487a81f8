/**
 * The answers to a local account's Follow of a remote one, as the inbox
 * receives them. Following a remote account leaves a pending request
 * (services/follow.ts); the remote server's Accept turns it into a follow,
 * its Reject removes the request — or the follow, when it had been accepted
 * before (Mastodon's Reject of an established follow).
 *
 * Both are idempotent (a repeated Accept or Reject finds nothing to do) and
 * emit the same events a local authorization or rejection does, acted by the
 * remote account, so federation sends nothing back.
 */
import type { AppContext } from "../../../src/context.ts";
import { nudgeEventWorker } from "../../../src/events/worker.ts";
import { emitEvent } from "../../../src/events/index.ts";
import { bumpStats, deleteFollowRequest, insertFollow, lockPair } from "../storage.ts";
import { rejectFollowRequestInTx, removeFollowInTx } from "./graph.ts";

/**
 * The remote target accepted `followerLocalId`'s request: it becomes a
 * follow with the options and Follow id it was made with. Returns false when
 * there was no pending request (already accepted, withdrawn, or unknown).
 */
export async function acceptOutgoingFollow(ctx: AppContext, followerLocalId: string, targetRemoteId: string): Promise<boolean> {
  const accepted = await ctx.sql.begin(async (tx) => {
    await lockPair(tx, followerLocalId, targetRemoteId);
    const request = await deleteFollowRequest(tx, followerLocalId, targetRemoteId);
    if (!request) return false;
    const followId = await insertFollow(
      tx,
      followerLocalId,
      targetRemoteId,
      { reblogs: request.showReblogs, notify: request.notify, languages: request.languages },
      request.uri,
    );
    if (!followId) return false;
    await bumpStats(tx, [
      { accountId: followerLocalId, following: 1 },
      { accountId: targetRemoteId, followers: 1 },
    ]);
    await emitEvent(tx, "follow.created", followerLocalId, { targetAccountId: targetRemoteId, followId });
    return true;
  });
  if (accepted) nudgeEventWorker();
  return accepted;
}

/**
 * The remote target rejected `followerLocalId`: the pending request goes
 * (follow_request.rejected, acted by the remote target), or the established
 * follow (follow.removed, removed by the remote target). Returns false when
 * there was neither.
 */
export async function rejectOutgoingFollow(ctx: AppContext, followerLocalId: string, targetRemoteId: string): Promise<boolean> {
  const rejected = await ctx.sql.begin(async (tx) => {
    await lockPair(tx, followerLocalId, targetRemoteId);
    if (await rejectFollowRequestInTx(tx, targetRemoteId, followerLocalId)) return true;
    return removeFollowInTx(tx, followerLocalId, targetRemoteId, undefined, targetRemoteId);
  });
  if (rejected) nudgeEventWorker();
  return rejected;
}
