/**
 * Direct-message conversations (Mastodon's AccountConversation): each
 * participant's own view of a thread of direct statuses — who else is in
 * it, its latest status, and whether they have read it. Kept up to date by
 * the status.created / status.deleted handlers; read by the routes.
 */
import type { Db } from "../../src/db/index.ts";
import type { Page } from "../../src/http/pagination.ts";
import type { StatusFacts } from "./storage.ts";

export interface ConversationRow {
  id: string;
  account_id: string;
  participant_account_ids: string[];
  last_status_id: string;
  unread: boolean;
}

/** The thread a direct status belongs to; a status without one starts its own. */
function threadOf(status: Pick<StatusFacts, "id" | "conversation_id">): string {
  return status.conversation_id ?? status.id;
}

/**
 * A direct status joins the conversation of its author and of every local
 * account it mentions: unread for the recipients, read for the author.
 * Idempotent: a replay (or an older status arriving late) never moves the
 * conversation back nor marks it unread again.
 */
export async function addStatusToConversations(db: Db, status: StatusFacts): Promise<void> {
  if (status.visibility !== "direct" || status.reblog_of_id || status.deleted_at) return;
  const mentioned = await db<{ account_id: string; local: boolean }[]>`
    SELECT m.account_id, a.domain IS NULL AS local
    FROM mentions m JOIN accounts a ON a.id = m.account_id
    WHERE m.status_id = ${status.id}`;
  const [author] = await db<{ local: boolean }[]>`SELECT domain IS NULL AS local FROM accounts WHERE id = ${status.account_id}`;
  const everyone = [...new Set([status.account_id, ...mentioned.map((m) => m.account_id)])];
  const locals = [
    ...(author?.local ? [status.account_id] : []),
    ...mentioned.filter((m) => m.local && m.account_id !== status.account_id).map((m) => m.account_id),
  ];
  const conversationId = threadOf(status);
  for (const accountId of locals) {
    const others = everyone.filter((id) => id !== accountId).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    const unread = accountId !== status.account_id;
    await db`
      INSERT INTO account_conversations (account_id, conversation_id, participant_account_ids, last_status_id, unread)
      SELECT ${accountId}, ${conversationId}, ${others}::bigint[], ${status.id}, ${unread}
      -- A recipient who blocks or mutes the author (or is blocked by them) gets no conversation from them.
      WHERE ${!unread} OR NOT EXISTS (
        SELECT 1 FROM blocks b
        WHERE (b.account_id = ${accountId} AND b.target_account_id = ${status.account_id})
           OR (b.account_id = ${status.account_id} AND b.target_account_id = ${accountId})
        UNION ALL
        SELECT 1 FROM mutes m
        WHERE m.account_id = ${accountId} AND m.target_account_id = ${status.account_id}
          AND (m.expires_at IS NULL OR m.expires_at > now()))
      ON CONFLICT (account_id, conversation_id) DO UPDATE SET
        participant_account_ids = EXCLUDED.participant_account_ids,
        last_status_id = EXCLUDED.last_status_id,
        unread = EXCLUDED.unread,
        updated_at = now()
      WHERE account_conversations.last_status_id IS NULL
         OR account_conversations.last_status_id < EXCLUDED.last_status_id`;
  }
}

/**
 * A deleted status stops being the face of its conversations: each falls
 * back to the participant's previous direct status in the thread, or goes
 * away when there is none (Mastodon's AccountConversation.remove_status).
 */
export async function removeStatusFromConversations(db: Db, statusId: string): Promise<void> {
  const rows = await db<{ id: string; account_id: string; conversation_id: string }[]>`
    SELECT id, account_id, conversation_id FROM account_conversations WHERE last_status_id = ${statusId}`;
  for (const row of rows) {
    const [previous] = await db<{ id: string }[]>`
      SELECT s.id FROM statuses s
      WHERE (s.conversation_id = ${row.conversation_id} OR s.id = ${row.conversation_id})
        AND s.visibility = 'direct' AND s.deleted_at IS NULL AND s.reblog_of_id IS NULL
        AND (s.account_id = ${row.account_id}
             OR EXISTS (SELECT 1 FROM mentions m WHERE m.status_id = s.id AND m.account_id = ${row.account_id}))
      ORDER BY s.id DESC LIMIT 1`;
    if (previous) {
      await db`UPDATE account_conversations SET last_status_id = ${previous.id} WHERE id = ${row.id}`;
    } else {
      await db`DELETE FROM account_conversations WHERE id = ${row.id}`;
    }
  }
}

/** A page of the viewer's conversations, by their last status, newest first. */
export async function selectConversationPage(db: Db, accountId: string, page: Page): Promise<ConversationRow[]> {
  const ascending = page.minId !== undefined;
  const rows = await db<ConversationRow[]>`
    SELECT id, account_id, participant_account_ids, last_status_id, unread
    FROM account_conversations
    WHERE account_id = ${accountId} AND last_status_id IS NOT NULL
      ${page.maxId ? db`AND last_status_id < ${page.maxId}` : db``}
      ${page.sinceId ? db`AND last_status_id > ${page.sinceId}` : db``}
      ${page.minId ? db`AND last_status_id > ${page.minId}` : db``}
    ORDER BY last_status_id ${ascending ? db`ASC` : db`DESC`}
    LIMIT ${page.limit}`;
  return ascending ? rows.reverse() : rows;
}

/** POST /api/v1/conversations/:id/read; null when the conversation isn't the viewer's. */
export async function markConversationRead(db: Db, accountId: string, id: string): Promise<ConversationRow | null> {
  const [row] = await db<ConversationRow[]>`
    UPDATE account_conversations SET unread = false
    WHERE id = ${id} AND account_id = ${accountId} AND last_status_id IS NOT NULL
    RETURNING id, account_id, participant_account_ids, last_status_id, unread`;
  return row ?? null;
}

/** DELETE /api/v1/conversations/:id: hides it until a new status arrives. */
export async function removeConversation(db: Db, accountId: string, id: string): Promise<boolean> {
  const rows = await db`DELETE FROM account_conversations WHERE id = ${id} AND account_id = ${accountId} RETURNING id`;
  return rows.length > 0;
}
