/**
 * Transaction steps several use cases share (unfollow, remove from
 * followers, block, domain block, reject): each removes one edge of the
 * follow graph, keeps the counters exact and records the event, all inside
 * the caller's transaction. Not use cases themselves.
 */
import type { Tx } from "../../../src/db/index.ts";
import { emitEvent } from "../../../src/events/index.ts";
import { bumpStats, deleteEndorsement, deleteFollow, deleteFollowRequest, type StatsDelta } from "../storage.ts";

/**
 * Ends `followerId` following `targetId`; false when there was no follow.
 * The follower's endorsement of the target goes with it (Mastodon removes
 * account pins when a follow is destroyed). The event is the follower's:
 * consumers unmerge the home feed, and federation sends Undo(Follow) or
 * Reject(Follow) depending on which side is remote. `removedBy` names who
 * ended it when that is not the follower (the target removing a follower
 * or blocking; a remote Block): federation speaks only for local actors.
 *
 * A caller removing many follows passes `deferStats` and applies the
 * collected deltas with one bumpStats, so counter rows are locked once and
 * in account order (several separate bumps could deadlock with other writers).
 */
export async function removeFollowInTx(
  tx: Tx,
  followerId: string,
  targetId: string,
  deferStats?: StatsDelta[],
  removedBy: string = followerId,
): Promise<boolean> {
  const follow = await deleteFollow(tx, followerId, targetId);
  if (!follow) return false;
  const deltas = [
    { accountId: followerId, following: -1 },
    { accountId: targetId, followers: -1 },
  ];
  if (deferStats) deferStats.push(...deltas);
  else await bumpStats(tx, deltas);
  await deleteEndorsement(tx, followerId, targetId);
  await emitEvent(tx, "follow.removed", followerId, {
    targetAccountId: targetId,
    followUri: follow.uri,
    ...(removedBy !== followerId ? { removedBy } : {}),
  });
  return true;
}

/** The requester withdraws a pending request (emitted as follow.removed: an Undo(Follow) to federation). */
export async function cancelFollowRequestInTx(tx: Tx, requesterId: string, targetId: string): Promise<boolean> {
  const request = await deleteFollowRequest(tx, requesterId, targetId);
  if (!request) return false;
  await emitEvent(tx, "follow.removed", requesterId, { targetAccountId: targetId, followUri: request.uri });
  return true;
}

/** The target turns a pending request down (follow_request.rejected, acted by the target). */
export async function rejectFollowRequestInTx(tx: Tx, targetId: string, requesterId: string): Promise<boolean> {
  const request = await deleteFollowRequest(tx, requesterId, targetId);
  if (!request) return false;
  await emitEvent(tx, "follow_request.rejected", targetId, { requesterAccountId: requesterId, followUri: request.uri });
  return true;
}
