/**
 * DeleteStatus (Mastodon's RemoveStatusService, for the author): the row is
 * soft-deleted (deleted_at) so event consumers can still read what they
 * must take down; counters go back; boosts of it disappear with it (each
 * gets its own `status.deleted`, so timelines drop them too); pins go.
 *
 * The answer is the status as it was, with its source `text`, so clients
 * can offer delete-and-redraft; its media are detached, free to be
 * attached to the redraft.
 */
import type { AppContext } from "../../../src/context.ts";
import type { Tx } from "../../../src/db/index.ts";
import { notFound } from "../../../src/http/errors.ts";
import { emitEvent } from "../../../src/events/index.ts";
import { nudgeEventWorker } from "../../../src/events/worker.ts";
import { renderOwnStatus, type Status } from "../serializer.ts";
import {
  bumpStatusCounter,
  bumpStatusesCount,
  deletePins,
  liveReblogIds,
  lockOwnStatus,
  markDeleted,
  setStatusMedia,
  type StatusRow,
} from "../storage.ts";

/** Marks one status deleted and reverses what posting it counted; emits status.deleted. No-op if already deleted. */
export async function removeStatusInTx(tx: Tx, statusId: string): Promise<StatusRow | null> {
  const row = await markDeleted(tx, statusId);
  if (!row) return null;
  if (row.visibility !== "direct") await bumpStatusesCount(tx, row.account_id, -1);
  if (row.reblog_of_id) await bumpStatusCounter(tx, row.reblog_of_id, "reblogs_count", -1);
  if (row.in_reply_to_id && (row.visibility === "public" || row.visibility === "unlisted")) {
    await bumpStatusCounter(tx, row.in_reply_to_id, "replies_count", -1);
  }
  await deletePins(tx, row.id);
  await emitEvent(tx, "status.deleted", row.account_id, { statusId: row.id });
  return row;
}

export async function deleteStatus(ctx: AppContext, accountId: string, statusId: string): Promise<Status> {
  const rendered = await ctx.sql.begin(async (tx) => {
    const status = await lockOwnStatus(tx, statusId, accountId);
    if (!status) throw notFound();
    // Rendered before the delete: the answer shows the post as it was, media included.
    const before = await renderOwnStatus(ctx, tx, status.id, { accountId }, { withSource: true });
    await removeStatusInTx(tx, status.id);
    for (const reblogId of await liveReblogIds(tx, status.id)) await removeStatusInTx(tx, reblogId);
    await setStatusMedia(tx, status.id, []);
    return before;
  });
  nudgeEventWorker();
  if (!rendered) throw notFound();
  return rendered;
}
