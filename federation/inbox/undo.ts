/**
 * Undo: the sender takes back a Follow (or a pending follow request), a
 * Like, an Announce or a Block, through the same use cases as the API's
 * unfollow, unfavourite, unreblog and unblock. An Undo naming only a URI is
 * looked up among the sender's follows, requests, boosts and blocks.
 * Undoing what does not exist changes nothing.
 */
import { unblock, unfollow } from "../../modules/relationships/service.ts";
import { deleteRemoteReblog } from "../../modules/statuses/services/store-remote-status.ts";
import { unfavourite } from "../../modules/statuses/services/favourite.ts";
import { localAccountIdOf, statusByUri } from "../remote-statuses.ts";
import type { Command, InboxWork } from "./context.ts";

async function undoFollow({ ctx, actor }: InboxWork, followId: string | null, object: string | null): Promise<void> {
  let targetId = object ? await localAccountIdOf(ctx, object) : null;
  if (!targetId && followId) {
    const [row] = await ctx.sql`
      SELECT target_account_id FROM follows WHERE uri = ${followId} AND account_id = ${actor.id}
      UNION ALL
      SELECT target_account_id FROM follow_requests WHERE uri = ${followId} AND account_id = ${actor.id}
      LIMIT 1`;
    targetId = (row?.target_account_id as string | undefined) ?? null;
  }
  if (targetId) await unfollow(ctx, actor.id, targetId);
}

async function undoFavourite({ ctx, actor }: InboxWork, object: string | null): Promise<void> {
  const status = object ? await statusByUri(ctx, object) : null;
  if (!status) return;
  const [favourite] = await ctx.sql`SELECT 1 FROM favourites WHERE account_id = ${actor.id} AND status_id = ${status.id}`;
  if (favourite) await unfavourite(ctx, actor.id, status.id);
}

async function undoReblog({ ctx, actor }: InboxWork, reblogId: string | null, object: string | null): Promise<void> {
  const original = object ? await statusByUri(ctx, object) : null;
  await deleteRemoteReblog(ctx, actor.id, { uri: reblogId, originalId: original?.id ?? null });
}

async function undoBlock({ ctx, actor }: InboxWork, blockId: string | null, object: string | null): Promise<void> {
  const targetId = object ? await localAccountIdOf(ctx, object) : null;
  if (targetId) await unblock(ctx, actor.id, targetId);
  else if (blockId) {
    const [row] = await ctx.sql`SELECT target_account_id FROM blocks WHERE uri = ${blockId} AND account_id = ${actor.id}`;
    if (row) await unblock(ctx, actor.id, row.target_account_id as string);
  }
}

/** Undo of a bare URI: whichever of the sender's activities carries that id. */
async function undoReference(work: InboxWork, objectId: string): Promise<void> {
  const { ctx, actor } = work;
  const [found] = await ctx.sql`
    SELECT 'follow' AS kind FROM follows WHERE uri = ${objectId} AND account_id = ${actor.id}
    UNION ALL SELECT 'follow' FROM follow_requests WHERE uri = ${objectId} AND account_id = ${actor.id}
    UNION ALL SELECT 'reblog' FROM statuses WHERE uri = ${objectId} AND account_id = ${actor.id} AND reblog_of_id IS NOT NULL
    UNION ALL SELECT 'block' FROM blocks WHERE uri = ${objectId} AND account_id = ${actor.id}
    LIMIT 1`;
  switch (found?.kind) {
    case "follow":
      return undoFollow(work, objectId, null);
    case "reblog":
      return undoReblog(work, objectId, null);
    case "block":
      return undoBlock(work, objectId, null);
  }
}

export async function onUndo(work: InboxWork, command: Command<"undo-follow" | "undo-favourite" | "undo-reblog" | "undo-block" | "undo-reference">): Promise<void> {
  switch (command.kind) {
    case "undo-follow":
      return undoFollow(work, command.followId, command.object);
    case "undo-favourite":
      return undoFavourite(work, command.object);
    case "undo-reblog":
      return undoReblog(work, command.reblogId, command.object);
    case "undo-block":
      return undoBlock(work, command.blockId, command.object);
    case "undo-reference":
      return undoReference(work, command.objectId);
  }
}
