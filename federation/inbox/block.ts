/**
 * Block: a remote account blocks a local one, through the block use case:
 * follows both ways end (the local account's follow of the blocker is
 * removed, as Mastodon does), pending requests go, and the block hides the
 * two from each other.
 */
import { block } from "../../modules/relationships/service.ts";
import { localAccountIdOf } from "../remote-statuses.ts";
import type { Command, InboxWork } from "./context.ts";

export async function onBlock({ ctx, actor }: InboxWork, command: Command<"block">): Promise<void> {
  const targetId = await localAccountIdOf(ctx, command.object);
  if (!targetId) return;
  await block(ctx, actor.id, targetId);
}
