/**
 * The few reads the streaming module needs beyond the other modules'
 * loaders: what decides where a status is broadcast, who among the
 * connected viewers is its home audience, a recipient's conversation, and
 * which tokens are still good. All read-only.
 */
import type { Db } from "../../src/db/index.ts";
import type { ConversationRow } from "../notifications/conversations.ts";

export interface BroadcastFacts {
  id: string;
  accountId: string;
  visibility: "public" | "unlisted" | "private" | "direct";
  local: boolean;
  silenced: boolean;
  deleted: boolean;
  reblog: boolean;
  /** A reply to someone else (not a self-thread): kept off the public streams, as Mastodon does. */
  replyToOther: boolean;
  withMedia: boolean;
  tags: string[];
  /** Local accounts it mentions (the direct stream's recipients, with a local author). */
  localMentionIds: string[];
  /** The author is merged into homes at read time (more followers than the threshold): fanout never pushes it. */
  merged: boolean;
  editedAt: Date | null;
}

/** What decides where a status is broadcast; null when it no longer exists at all. */
export async function selectBroadcastFacts(db: Db, statusId: string, mergeThreshold: number): Promise<BroadcastFacts | null> {
  const [row] = await db`
    SELECT s.id, s.account_id, s.visibility, a.domain IS NULL AS local, a.silenced_at IS NOT NULL AS silenced,
           s.deleted_at IS NOT NULL AS deleted, s.reblog_of_id IS NOT NULL AS reblog, s.edited_at,
           (s.in_reply_to_id IS NOT NULL OR s.in_reply_to_account_id IS NOT NULL)
             AND s.in_reply_to_account_id IS DISTINCT FROM s.account_id AS reply_to_other,
           EXISTS (SELECT 1 FROM media_attachments m WHERE m.status_id = s.id) AS with_media,
           coalesce((SELECT array_agg(t.name) FROM statuses_tags st JOIN tags t ON t.id = st.tag_id
                     WHERE st.status_id = s.id), '{}') AS tags,
           coalesce((SELECT array_agg(m.account_id::text) FROM mentions m JOIN accounts ma ON ma.id = m.account_id
                     WHERE m.status_id = s.id AND ma.domain IS NULL), '{}') AS local_mention_ids,
           coalesce((SELECT followers_count FROM account_stats WHERE account_id = s.account_id), 0) > ${mergeThreshold}
             AS merged
    FROM statuses s JOIN accounts a ON a.id = s.account_id
    WHERE s.id = ${statusId}`;
  if (!row) return null;
  return {
    id: row.id,
    accountId: row.account_id,
    visibility: row.visibility,
    local: row.local,
    silenced: row.silenced,
    deleted: row.deleted,
    reblog: row.reblog,
    replyToOther: row.reply_to_other,
    withMedia: row.with_media,
    tags: row.tags,
    localMentionIds: row.local_mention_ids,
    merged: row.merged,
    editedAt: row.edited_at,
  };
}

/**
 * Among `viewerIds`, those who follow `authorId`; with `involved`, also the
 * author and the accounts the status mentions (an edit's audience).
 */
export async function selectHomeAudience(
  db: Db,
  viewerIds: string[],
  authorId: string,
  statusId: string,
  involved: boolean,
): Promise<Set<string>> {
  if (viewerIds.length === 0) return new Set();
  const rows = await db`
    SELECT v.id::text AS id FROM unnest(${viewerIds}::bigint[]) AS v(id)
    WHERE EXISTS (SELECT 1 FROM follows f WHERE f.account_id = v.id AND f.target_account_id = ${authorId})
      ${
        involved
          ? db`OR v.id = ${authorId}
               OR EXISTS (SELECT 1 FROM mentions m WHERE m.status_id = ${statusId} AND m.account_id = v.id)`
          : db``
      }`;
  return new Set(rows.map((r) => r.id as string));
}

/** Among `listIds`, the lists `accountId` is a member of. */
export async function selectListsWithMember(db: Db, listIds: string[], accountId: string): Promise<Set<string>> {
  if (listIds.length === 0) return new Set();
  const rows = await db`
    SELECT list_id::text AS id FROM list_accounts
    WHERE list_id = ANY(${listIds}::bigint[]) AND account_id = ${accountId}`;
  return new Set(rows.map((r) => r.id as string));
}

/** The recipient's conversation whose latest status is `statusId` (just added to it), if any. */
export async function selectConversationEndingWith(db: Db, accountId: string, statusId: string): Promise<ConversationRow | null> {
  const [row] = await db<ConversationRow[]>`
    SELECT id, account_id, participant_account_ids, last_status_id, unread
    FROM account_conversations WHERE account_id = ${accountId} AND last_status_id = ${statusId}`;
  return row ?? null;
}

/** Which of the tokens still authenticate their user (not revoked, user enabled, account not suspended). */
export async function selectLiveTokenIds(db: Db, tokenIds: string[]): Promise<Set<string>> {
  if (tokenIds.length === 0) return new Set();
  const rows = await db`
    SELECT t.id::text AS id FROM oauth_access_tokens t
    JOIN users u ON u.id = t.user_id JOIN accounts a ON a.id = u.account_id
    WHERE t.id = ANY(${tokenIds}::bigint[]) AND t.revoked_at IS NULL AND NOT u.disabled AND a.suspended_at IS NULL`;
  return new Set(rows.map((r) => r.id as string));
}
