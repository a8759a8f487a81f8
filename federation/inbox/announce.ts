/**
 * Announce: a boost, stored as a remote status reblogging the original
 * (status.created: fanned out to the booster's local followers, and a
 * reblog notification when the original is local). Kept only when it
 * concerns someone here: a local account follows the booster, or the
 * original is ours (Mastodon's rule). An original we do not hold is taken
 * from the Announce when embedded by its own server, else fetched. Only
 * what the public or followers could see may be boosted: never a direct
 * message, nor someone else's followers-only post.
 */
import { storeRemoteReblog } from "../../modules/statuses/services/store-remote-status.ts";
import { loadStatusRow } from "../../modules/statuses/visibility.ts";
import { resolveStatusUri, statusByUri, storeStatusDraft } from "../remote-statuses.ts";
import type { Command, InboxWork } from "./context.ts";

async function boosterFollowedHere(work: InboxWork): Promise<boolean> {
  const [row] = await work.ctx.sql`
    SELECT 1 FROM follows f JOIN accounts a ON a.id = f.account_id
    WHERE f.target_account_id = ${work.actor.id} AND a.domain IS NULL LIMIT 1`;
  return row !== undefined;
}

export async function onAnnounce(work: InboxWork, command: Command<"reblog">): Promise<void> {
  const { ctx, actor } = work;
  if (command.visibility === "direct") return;
  let original = await statusByUri(ctx, command.object);
  if (!(original?.local ?? false) && !(await boosterFollowedHere(work))) return;
  if (!original) {
    if (command.status && command.status.uri === command.object) {
      await storeStatusDraft(ctx, command.status, { solicited: true });
      original = await statusByUri(ctx, command.object);
    } else {
      original = await resolveStatusUri(ctx, command.object);
    }
  }
  if (!original || original.deleted_at) return;
  const row = await loadStatusRow(ctx.sql, original.reblog_of_id ?? original.id);
  if (!row || row.visibility === "direct" || (row.visibility === "private" && row.account_id !== actor.id)) return;
  await storeRemoteReblog(ctx, {
    uri: command.id ?? `${actor.uri}#announces/${row.id}`,
    accountId: actor.id,
    original: row,
    visibility: command.visibility,
    createdAt: command.published ?? new Date(),
  });
}
