/**
 * Remote statuses, as the federation layer hands them over (Mastodon's
 * ActivityPub::Activity::Create, ::Update, ::Delete and ::Announce, once
 * the activity has been checked and every URI resolved to our ids).
 *
 * Inputs are plain values — ids, sanitised HTML, links to remote media —
 * never ActivityPub: the federation layer translates, this module stores.
 * Each use case writes its rows, counters and the same event the API's own
 * use case emits (status.created, status.updated, status.deleted), so
 * timelines fan remote posts out to local followers, notifications notify
 * mentions and reblogs, and search indexes them, with no path of their own.
 * Federation's outbox never answers events of remote authors.
 *
 * All of them are idempotent: a status is known by its URI (the unique
 * index decides under concurrency), an edit by its `updated` time, a
 * deletion by deleted_at.
 */
import type { AppContext } from "../../../src/context.ts";
import { emitEvent } from "../../../src/events/index.ts";
import { nudgeEventWorker } from "../../../src/events/worker.ts";
import {
  bumpStatusCounter,
  bumpStatusesCount,
  countEdits,
  findLiveReblog,
  insertEdit,
  insertMentions,
  insertRemoteStatus,
  liveReblogIds,
  replaceRemoteMedia,
  replaceStatusTags,
  selectPollByStatus,
  statusIdByUri,
  statusMediaIds,
  updateRemoteStatusContent,
  upsertRemotePoll,
  deletePoll,
  type RemoteMedia,
  type RemotePoll,
  type StatusRow,
  type Visibility,
} from "../storage.ts";
import { removeStatusInTx } from "./delete-status.ts";

export type { RemoteMedia, RemotePoll };

/** The status replied to, as stored here. */
export interface ReplyTarget {
  id: string;
  accountId: string;
  conversationId: string | null;
}

export interface RemoteStatusInput {
  uri: string;
  url: string | null;
  accountId: string;
  /** Sanitised HTML. */
  content: string;
  spoilerText: string;
  sensitive: boolean;
  language: string | null;
  visibility: Visibility;
  inReplyTo: ReplyTarget | null;
  /** Accounts mentioned (notified) and silently addressed (given access only). */
  mentionIds: string[];
  silentMentionIds: string[];
  tags: string[];
  media: RemoteMedia[];
  poll: RemotePoll | null;
  createdAt: Date;
  editedAt: Date | null;
}

export interface StoredRemoteStatus {
  id: string;
  /** False when the URI was known already (nothing was written). */
  created: boolean;
}

/** Stores a remote status unless its URI is known. */
export async function storeRemoteStatus(ctx: AppContext, input: RemoteStatusInput): Promise<StoredRemoteStatus> {
  const known = await statusIdByUri(ctx.sql, input.uri);
  if (known) return { id: known, created: false };
  const result = await ctx.sql.begin(async (tx): Promise<StoredRemoteStatus> => {
    const row = await insertRemoteStatus(tx, {
      uri: input.uri,
      url: input.url,
      accountId: input.accountId,
      content: input.content,
      spoilerText: input.spoilerText,
      sensitive: input.sensitive,
      language: input.language,
      visibility: input.visibility,
      inReplyToId: input.inReplyTo?.id ?? null,
      inReplyToAccountId: input.inReplyTo?.accountId ?? null,
      reblogOfId: null,
      // The thread's root id names the conversation, as for local posts.
      conversationId: input.inReplyTo ? (input.inReplyTo.conversationId ?? input.inReplyTo.id) : null,
      createdAt: input.createdAt,
      editedAt: input.editedAt,
    });
    if (!row) {
      // A concurrent delivery of the same object won the unique index.
      const winner = await statusIdByUri(tx, input.uri);
      if (!winner) throw new Error(`status ${input.uri} neither inserted nor found`);
      return { id: winner, created: false };
    }
    const others = (ids: string[]) => [...new Set(ids)].filter((id) => id !== input.accountId);
    const notified = others(input.mentionIds);
    await insertMentions(tx, row.id, notified, false);
    await insertMentions(tx, row.id, others(input.silentMentionIds).filter((id) => !notified.includes(id)), true);
    await replaceStatusTags(tx, row.id, input.tags);
    if (input.media.length > 0) await replaceRemoteMedia(tx, row.id, input.accountId, input.media);
    if (input.poll) await upsertRemotePoll(tx, row.id, input.accountId, input.poll);
    if (input.visibility !== "direct") await bumpStatusesCount(tx, input.accountId, 1);
    if (input.inReplyTo && (input.visibility === "public" || input.visibility === "unlisted")) {
      await bumpStatusCounter(tx, input.inReplyTo.id, "replies_count", 1);
    }
    await emitEvent(tx, "status.created", input.accountId, { statusId: row.id });
    return { id: row.id, created: true };
  });
  if (result.created) nudgeEventWorker();
  return result;
}

export interface RemoteStatusUpdate {
  content: string;
  spoilerText: string;
  sensitive: boolean;
  language: string | null;
  mentionIds: string[];
  tags: string[];
  media: RemoteMedia[];
  poll: RemotePoll | null;
  /** The object's `updated`; null when the server did not say (then: now). */
  editedAt: Date | null;
}

const sameList = (a: readonly unknown[], b: readonly unknown[]) => a.length === b.length && a.every((v, i) => v === b[i]);

export type UpdateOutcome = "edited" | "poll-refreshed" | "unchanged" | "missing";

/**
 * Applies an Update of a remote status by its author (`accountId`). An
 * update no newer than the stored version changes nothing; one that only
 * moves poll counts refreshes them without an edit (Mastodon's rule), and
 * anything else is an edit with its history, as a local edit.
 */
export async function updateRemoteStatus(
  ctx: AppContext,
  accountId: string,
  uri: string,
  update: RemoteStatusUpdate,
): Promise<UpdateOutcome> {
  const outcome = await ctx.sql.begin(async (tx): Promise<UpdateOutcome> => {
    const [status] = await tx<StatusRow[]>`
      SELECT * FROM statuses WHERE uri = ${uri} AND account_id = ${accountId} AND NOT local AND deleted_at IS NULL
        AND reblog_of_id IS NULL
      FOR UPDATE`;
    if (!status) return "missing";
    const stored = status.edited_at ?? status.created_at;
    if (update.editedAt && new Date(update.editedAt).getTime() <= new Date(stored).getTime()) return "unchanged";

    const previousPoll = await selectPollByStatus(tx, status.id);
    const previousMedia = await tx`
      SELECT remote_url, description FROM media_attachments WHERE status_id = ${status.id} ORDER BY id`;
    const contentChanged =
      status.content !== update.content ||
      status.spoiler_text !== update.spoilerText ||
      status.sensitive !== update.sensitive ||
      !sameList(previousMedia.map((m) => `${m.remote_url} ${m.description ?? ""}`), update.media.map((m) => `${m.remoteUrl} ${m.description ?? ""}`)) ||
      !sameList(previousPoll?.options ?? [], update.poll?.options ?? []);

    if (!contentChanged) {
      if (update.poll && previousPoll) {
        await upsertRemotePoll(tx, status.id, accountId, update.poll);
        return "poll-refreshed";
      }
      return "unchanged";
    }

    if ((await countEdits(tx, status.id)) === 0) {
      await insertEdit(tx, {
        statusId: status.id,
        text: "",
        content: status.content,
        spoilerText: status.spoiler_text,
        sensitive: status.sensitive,
        pollOptions: previousPoll?.options ?? null,
        mediaIds: await statusMediaIds(tx, status.id),
        createdAt: status.created_at,
      });
    }
    const editedAt = update.editedAt ?? new Date();
    await updateRemoteStatusContent(tx, status.id, {
      text: "",
      content: update.content,
      spoilerText: update.spoilerText,
      sensitive: update.sensitive,
      language: update.language,
      editedAt,
    });
    // Newly mentioned accounts gain access without a notification, as for local edits.
    await insertMentions(tx, status.id, [...new Set(update.mentionIds)].filter((id) => id !== accountId), true);
    await replaceStatusTags(tx, status.id, update.tags);
    await replaceRemoteMedia(tx, status.id, accountId, update.media);
    if (update.poll) await upsertRemotePoll(tx, status.id, accountId, update.poll);
    else if (previousPoll) await deletePoll(tx, status.id);
    await insertEdit(tx, {
      statusId: status.id,
      text: "",
      content: update.content,
      spoilerText: update.spoilerText,
      sensitive: update.sensitive,
      pollOptions: update.poll?.options ?? null,
      mediaIds: await statusMediaIds(tx, status.id),
      createdAt: editedAt,
    });
    await emitEvent(tx, "status.updated", accountId, { statusId: status.id });
    return "edited";
  });
  if (outcome === "edited") nudgeEventWorker();
  return outcome;
}

/**
 * Deletes a remote status (or a remote reblog) by URI, when `accountId`
 * wrote it; boosts of it go with it. False when there was nothing to delete.
 */
export async function deleteRemoteStatus(ctx: AppContext, accountId: string, uri: string): Promise<boolean> {
  const deleted = await ctx.sql.begin(async (tx) => {
    const [status] = await tx`
      SELECT id FROM statuses WHERE uri = ${uri} AND account_id = ${accountId} AND NOT local AND deleted_at IS NULL
      FOR UPDATE`;
    if (!status) return false;
    const removed = await removeStatusInTx(tx, status.id as string);
    for (const reblogId of await liveReblogIds(tx, status.id as string)) await removeStatusInTx(tx, reblogId);
    return removed !== null;
  });
  if (deleted) nudgeEventWorker();
  return deleted;
}

export interface RemoteReblogInput {
  /** The Announce's id. */
  uri: string;
  accountId: string;
  original: StatusRow;
  visibility: Visibility;
  createdAt: Date;
}

/** Stores a remote account's boost; the existing one when it boosted that status already. */
export async function storeRemoteReblog(ctx: AppContext, input: RemoteReblogInput): Promise<StoredRemoteStatus> {
  const known = await statusIdByUri(ctx.sql, input.uri);
  if (known) return { id: known, created: false };
  const result = await ctx.sql.begin(async (tx): Promise<StoredRemoteStatus> => {
    const existing = await findLiveReblog(tx, input.accountId, input.original.id);
    if (existing) return { id: existing.id, created: false };
    const row = await insertRemoteStatus(tx, {
      uri: input.uri,
      url: null,
      accountId: input.accountId,
      content: "",
      spoilerText: "",
      sensitive: false,
      language: null,
      visibility: input.visibility,
      inReplyToId: null,
      inReplyToAccountId: null,
      reblogOfId: input.original.id,
      conversationId: input.original.conversation_id ?? input.original.id,
      createdAt: input.createdAt,
      editedAt: null,
    });
    if (!row) return { id: (await statusIdByUri(tx, input.uri))!, created: false };
    await bumpStatusCounter(tx, input.original.id, "reblogs_count", 1);
    await bumpStatusesCount(tx, input.accountId, 1);
    await emitEvent(tx, "status.created", input.accountId, { statusId: row.id });
    return { id: row.id, created: true };
  });
  if (result.created) nudgeEventWorker();
  return result;
}

/** Undo(Announce): the account's boost, named by the Announce's id or by what it boosted. */
export async function deleteRemoteReblog(
  ctx: AppContext,
  accountId: string,
  target: { uri?: string | null; originalId?: string | null },
): Promise<boolean> {
  const deleted = await ctx.sql.begin(async (tx) => {
    const [row] = await tx`
      SELECT id FROM statuses
      WHERE account_id = ${accountId} AND reblog_of_id IS NOT NULL AND deleted_at IS NULL AND NOT local
        AND (${target.uri ?? null}::text IS NOT NULL AND uri = ${target.uri ?? null}
             OR ${target.originalId ?? null}::bigint IS NOT NULL AND reblog_of_id = ${target.originalId ?? null})
      LIMIT 1 FOR UPDATE`;
    if (!row) return false;
    return (await removeStatusInTx(tx, row.id as string)) !== null;
  });
  if (deleted) nudgeEventWorker();
  return deleted;
}
