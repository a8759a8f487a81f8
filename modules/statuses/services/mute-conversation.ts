/**
 * Mute / Unmute a conversation: no more notifications from the thread the
 * status belongs to (the notifications module reads conversation_mutes).
 */
import type { AppContext } from "../../../src/context.ts";
import { deleteConversationMute, insertConversationMute } from "../storage.ts";
import { visibleTarget } from "./target.ts";

export async function muteConversation(ctx: AppContext, accountId: string, rawId: unknown): Promise<string> {
  const status = await visibleTarget(ctx, accountId, rawId);
  await insertConversationMute(ctx.sql, accountId, status.conversation_id ?? status.id);
  return status.id;
}

export async function unmuteConversation(ctx: AppContext, accountId: string, rawId: unknown): Promise<string> {
  const status = await visibleTarget(ctx, accountId, rawId);
  await deleteConversationMute(ctx.sql, accountId, status.conversation_id ?? status.id);
  return status.id;
}
