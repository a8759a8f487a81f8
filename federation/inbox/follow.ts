/**
 * Follow: a remote account follows a local one, through the relationships
 * module's follow use case, as the API's follow button does. A locked
 * account gets a follow request (follow.requested: a notification, and an
 * Accept or Reject when the user decides); an unlocked one a follow
 * (follow.created: federation/outbox.ts sends the Accept). The Follow's id
 * is kept on the row, so the Accept names it and an Undo finds it.
 *
 * A Follow that is already a follow is answered again (the other side may
 * have missed our Accept, as Mastodon assumes); one refused (a block, a
 * moved account) gets a Reject.
 */
import { emitEvent } from "../../src/events/index.ts";
import { nudgeEventWorker } from "../../src/events/worker.ts";
import { ApiError } from "../../src/http/errors.ts";
import { follow } from "../../modules/relationships/service.ts";
import { findTargetAccount } from "../../modules/relationships/storage.ts";
import { localAccountIdOf } from "../remote-statuses.ts";
import type { Command, InboxWork } from "./context.ts";

export async function onFollow({ ctx, actor }: InboxWork, command: Command<"follow">): Promise<void> {
  const targetId = await localAccountIdOf(ctx, command.object);
  // The instance actor (relays) and unknown accounts: nothing to follow.
  const target = targetId ? await findTargetAccount(ctx.sql, targetId) : null;
  if (!target) return;
  try {
    const outcome = await follow(ctx, actor.id, target, {}, command.id);
    if (outcome !== "updated") return;
    const [existing] = await ctx.sql`
      SELECT id FROM follows WHERE account_id = ${actor.id} AND target_account_id = ${target.id}`;
    if (existing) {
      await emitEvent(ctx.sql, "follow.created", actor.id, { targetAccountId: target.id, followId: existing.id as string });
      nudgeEventWorker();
    }
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 403) throw error;
    await emitEvent(ctx.sql, "follow_request.rejected", target.id, { requesterAccountId: actor.id, followUri: command.id });
    nudgeEventWorker();
  }
}
