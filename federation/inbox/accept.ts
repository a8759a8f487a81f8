/**
 * Accept(Follow) and Reject(Follow): the answer to a local account's
 * Follow of the sender. The local follower is found by the Follow's id
 * (kept on the request or the follow), else by the embedded Follow's actor
 * when it is one of ours — Mastodon matches on the pair too.
 */
import type { AppContext } from "../../src/context.ts";
import { acceptOutgoingFollow } from "../../modules/relationships/service.ts";
import { localAccountIdOf } from "../remote-statuses.ts";
import type { Command, InboxWork } from "./context.ts";

/** The local account whose Follow of `targetId` the answer is about. */
export async function localFollowerOf(
  ctx: AppContext,
  targetId: string,
  followId: string | null,
  follower: string | null,
): Promise<string | null> {
  if (followId) {
    const [row] = await ctx.sql`
      SELECT account_id FROM follow_requests WHERE uri = ${followId} AND target_account_id = ${targetId}
      UNION ALL
      SELECT account_id FROM follows WHERE uri = ${followId} AND target_account_id = ${targetId}
      LIMIT 1`;
    if (row) return row.account_id as string;
  }
  return follower ? localAccountIdOf(ctx, follower) : null;
}

export async function onAcceptFollow({ ctx, actor }: InboxWork, command: Command<"accept-follow">): Promise<void> {
  const followerId = await localFollowerOf(ctx, actor.id, command.followId, command.follower);
  if (followerId) await acceptOutgoingFollow(ctx, followerId, actor.id);
}
