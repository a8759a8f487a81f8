/**
 * Move: the sender moved to another account. Believed only when the
 * target names the sender among its aliases (`alsoKnownAs`), fetched fresh
 * from the target's server. The old account is marked moved, and each
 * local follower of it follows the target instead (a request, as any
 * follow of a remote account, which its server answers) and stops
 * following the old one — Mastodon's MoveWorker. A replay finds no
 * follower left to move.
 */
import { logger } from "../../src/log.ts";
import { ApiError } from "../../src/http/errors.ts";
import { follow, unfollow } from "../../modules/relationships/service.ts";
import { findTargetAccount } from "../../modules/relationships/storage.ts";
import { fetchActor, RemoteAccountError, resolveRemoteAccount } from "../remote-accounts.ts";
import { isLocalUri } from "../remote-statuses.ts";
import type { Command, InboxWork } from "./context.ts";

const log = logger("federation", "inbox");

export async function onMove({ ctx, actor }: InboxWork, command: Command<"move">): Promise<void> {
  // Moves to this server would need aliases on local accounts, which we do not keep yet.
  if (isLocalUri(ctx, command.target)) return;
  let targetId: string;
  try {
    const draft = await fetchActor(ctx, command.target);
    if (!draft.alsoKnownAs.includes(actor.uri!)) {
      log.info("Ignoring the Move of {origin}: {target} does not list it in alsoKnownAs", { origin: actor.uri, target: command.target });
      return;
    }
    targetId = (await resolveRemoteAccount(ctx, command.target, { refresh: true })).id;
  } catch (error) {
    if (error instanceof RemoteAccountError) {
      log.info("Ignoring the Move of {origin}: {error}", { origin: actor.uri, error: error.message });
      return;
    }
    throw error;
  }
  await ctx.sql`UPDATE accounts SET moved_to_account_id = ${targetId} WHERE id = ${actor.id} AND domain IS NOT NULL`;
  const target = await findTargetAccount(ctx.sql, targetId);
  if (!target) return;
  const followers = await ctx.sql`
    SELECT f.account_id, f.show_reblogs, f.notify, f.languages FROM follows f JOIN accounts a ON a.id = f.account_id
    WHERE f.target_account_id = ${actor.id} AND a.domain IS NULL`;
  for (const row of followers) {
    const followerId = row.account_id as string;
    try {
      await follow(ctx, followerId, target, {
        reblogs: row.show_reblogs as boolean,
        notify: row.notify as boolean,
        languages: (row.languages as string[] | null) ?? null,
      });
    } catch (error) {
      // Blocked either way: that follower just stops following the old account.
      if (!(error instanceof ApiError)) throw error;
    }
    await unfollow(ctx, followerId, actor.id);
  }
}
