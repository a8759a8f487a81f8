/**
 * Like — and Misskey's reactions and Pleroma's EmojiReact, which Mastodon
 * also counts as favourites — of a local status, through the favourite use
 * case (visibility checked for the sender as for any viewer: a status it
 * may not see cannot be favourited). Likes of other servers' statuses are
 * their business, as in Mastodon.
 */
import { favourite } from "../../modules/statuses/services/favourite.ts";
import { statusByUri } from "../remote-statuses.ts";
import type { Command, InboxWork } from "./context.ts";

export async function onLike({ ctx, actor }: InboxWork, command: Command<"favourite">): Promise<void> {
  const status = await statusByUri(ctx, command.object);
  if (!status || !status.local || status.deleted_at) return;
  await favourite(ctx, actor.id, status.id);
}
