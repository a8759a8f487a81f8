/**
 * Authorize a follow request (POST /api/v1/follow_requests/:id/authorize,
 * :id being the requesting account): the request becomes a follow with the
 * options it was made with, and follow.created fires as for a direct follow
 * (federation answers a remote requester with Accept from that event).
 */
import type { AppContext } from "../../../src/context.ts";
import type { Tx } from "../../../src/db/index.ts";
import { emitEvent } from "../../../src/events/index.ts";
import { nudgeEventWorker } from "../../../src/events/worker.ts";
import { notFound } from "../../../src/http/errors.ts";
import {
  bumpStats,
  deleteFollowRequest,
  hasRequestsWhileUnlocked,
  insertFollow,
  lockPair,
  selectRequesterIds,
} from "../storage.ts";

async function authorizeInTx(tx: Tx, accountId: string, requesterId: string): Promise<boolean> {
  await lockPair(tx, accountId, requesterId);
  const request = await deleteFollowRequest(tx, requesterId, accountId);
  if (!request) return false;
  const followId = await insertFollow(
    tx,
    requesterId,
    accountId,
    { reblogs: request.showReblogs, notify: request.notify, languages: request.languages },
    request.uri,
  );
  if (followId) {
    await bumpStats(tx, [
      { accountId: requesterId, following: 1 },
      { accountId, followers: 1 },
    ]);
    await emitEvent(tx, "follow.created", requesterId, { targetAccountId: accountId, followId });
  }
  return true;
}

export async function authorizeFollowRequest(ctx: AppContext, accountId: string, requesterId: string): Promise<void> {
  const found = await ctx.sql.begin((tx) => authorizeInTx(tx, accountId, requesterId));
  if (!found) throw notFound();
  nudgeEventWorker();
}

/**
 * Accepts every pending request, e.g. when an account stops being locked
 * (Mastodon does this on unlock). One transaction per request so a large
 * backlog doesn't hold locks for long.
 */
export async function authorizeAllFollowRequests(ctx: AppContext, accountId: string): Promise<number> {
  let count = 0;
  for (;;) {
    const requesterIds = await selectRequesterIds(ctx.sql, accountId, 100);
    if (requesterIds.length === 0) break;
    for (const requesterId of requesterIds) {
      if (await ctx.sql.begin((tx) => authorizeInTx(tx, accountId, requesterId))) count++;
    }
  }
  if (count > 0) nudgeEventWorker();
  return count;
}

/**
 * The account.updated reaction: a local account that is no longer locked
 * accepts what is pending, as Mastodon does on unlock. Acting only while
 * requests are pending makes replays harmless.
 */
export async function acceptRequestsIfUnlocked(ctx: AppContext, accountId: string): Promise<number> {
  if (!(await hasRequestsWhileUnlocked(ctx.sql, accountId))) return 0;
  return authorizeAllFollowRequests(ctx, accountId);
}
