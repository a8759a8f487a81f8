/** Reject(Follow): the sender turned down (or ended) a local account's follow; see accept.ts. */
import { rejectOutgoingFollow } from "../../modules/relationships/service.ts";
import { localFollowerOf } from "./accept.ts";
import type { Command, InboxWork } from "./context.ts";

export async function onRejectFollow({ ctx, actor }: InboxWork, command: Command<"reject-follow">): Promise<void> {
  const followerId = await localFollowerOf(ctx, actor.id, command.followId, command.follower);
  if (followerId) await rejectOutgoingFollow(ctx, followerId, actor.id);
}
