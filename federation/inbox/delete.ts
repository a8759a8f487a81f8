/**
 * Delete(Note | Tombstone | URI): the author deleted a post (or a boost)
 * we hold — the same removal as the API's delete, boosts of it included.
 * Delete(Person): the actor is gone: its account is suspended here (hidden
 * everywhere, never delivered to), and its follows both ways end so
 * counters stay true. Its posts stay stored but invisible, as for any
 * suspended account.
 */
import { unfollow } from "../../modules/relationships/service.ts";
import { removeFromFollowers } from "../../modules/relationships/service.ts";
import { deleteRemoteStatus } from "../../modules/statuses/services/store-remote-status.ts";
import type { Command, InboxWork } from "./context.ts";

export async function onDeleteStatus({ ctx, actor }: InboxWork, command: Command<"delete-status">): Promise<void> {
  await deleteRemoteStatus(ctx, actor.id, command.objectUri);
}

export async function onDeleteActor({ ctx, actor }: InboxWork, _command: Command<"delete-actor">): Promise<void> {
  await ctx.sql`UPDATE accounts SET suspended_at = coalesce(suspended_at, now()) WHERE id = ${actor.id} AND domain IS NOT NULL`;
  const following = await ctx.sql`SELECT target_account_id AS id FROM follows WHERE account_id = ${actor.id}`;
  for (const row of following) await unfollow(ctx, actor.id, row.id as string);
  const followers = await ctx.sql`SELECT account_id AS id FROM follows WHERE target_account_id = ${actor.id}`;
  for (const row of followers) await removeFromFollowers(ctx, actor.id, row.id as string);
}
