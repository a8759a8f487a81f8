/**
 * Follow an account (POST /api/v1/accounts/:id/follow), Mastodon's
 * FollowService: a locked target gets a follow request instead; following
 * or requesting again only changes the options the client sent.
 *
 * A remote target always gets a request, whether locked or not: its server
 * decides, and the follow exists once its Accept arrives
 * (acceptOutgoingFollow). federation/outbox.ts sends the Follow on
 * follow.requested.
 *
 * `uri` is the Follow activity's id when the follower is remote (the inbox
 * calls this for an incoming Follow): kept on the follow or request so the
 * Accept or Reject can name it.
 */
import type { AppContext } from "../../../src/context.ts";
import { emitEvent } from "../../../src/events/index.ts";
import { nudgeEventWorker } from "../../../src/events/worker.ts";
import { ApiError, forbidden, notFound } from "../../../src/http/errors.ts";
import {
  blockedEitherWay,
  bumpStats,
  domainBlocked,
  insertFollow,
  insertFollowRequest,
  lockPair,
  selectFollow,
  selectFollowRequest,
  updateFollowOptions,
  type FollowOptions,
  type TargetAccount,
} from "../storage.ts";

export type FollowOutcome = "followed" | "requested" | "updated";

export async function follow(
  ctx: AppContext,
  sourceId: string,
  target: TargetAccount,
  options: FollowOptions,
  uri: string | null = null,
): Promise<FollowOutcome> {
  if (sourceId === target.id) throw new ApiError(403, "Following your own account is not allowed");
  if (target.suspended) throw notFound();
  const outcome = await ctx.sql.begin(async (tx): Promise<FollowOutcome> => {
    await lockPair(tx, sourceId, target.id);
    if (target.moved || (await blockedEitherWay(tx, sourceId, target.id)) || (await domainBlocked(tx, sourceId, target.domain))) {
      throw forbidden("This action is not allowed");
    }
    if (await selectFollow(tx, sourceId, target.id)) {
      await updateFollowOptions(tx, "follows", sourceId, target.id, options);
      return "updated";
    }
    if (await selectFollowRequest(tx, sourceId, target.id)) {
      await updateFollowOptions(tx, "follow_requests", sourceId, target.id, options);
      return "updated";
    }
    if (target.locked || target.domain !== null) {
      const requestId = await insertFollowRequest(tx, sourceId, target.id, options, uri);
      if (requestId) await emitEvent(tx, "follow.requested", sourceId, { targetAccountId: target.id, followRequestId: requestId });
      return "requested";
    }
    const followId = await insertFollow(tx, sourceId, target.id, options, uri);
    // The pair lock makes a concurrent duplicate impossible, but ON CONFLICT keeps it a no-op regardless.
    if (!followId) return "updated";
    await bumpStats(tx, [
      { accountId: sourceId, following: 1 },
      { accountId: target.id, followers: 1 },
    ]);
    await emitEvent(tx, "follow.created", sourceId, { targetAccountId: target.id, followId });
    return "followed";
  });
  if (outcome !== "updated") nudgeEventWorker();
  return outcome;
}
