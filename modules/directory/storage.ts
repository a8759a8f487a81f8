/**
 * The profile directory's one query (read-only over accounts, their stats
 * and users): discoverable accounts, as Mastodon's Account.discoverable
 * scope has them — not suspended, silenced or moved, and for local accounts
 * a user who may sign in.
 */
import type { Db } from "../../src/db/index.ts";

export interface DirectoryQuery {
  order: "active" | "new";
  localOnly: boolean;
  offset: number;
  limit: number;
  /** Accounts the viewer blocks, is blocked by or mutes. */
  excludeAccountIds: string[];
  /** Domains the viewer blocked (lower case). */
  excludeDomains: string[];
}

export async function selectDirectoryIds(db: Db, q: DirectoryQuery): Promise<string[]> {
  const rows = await db`
    SELECT a.id FROM accounts a
    LEFT JOIN account_stats s ON s.account_id = a.id
    LEFT JOIN users u ON u.account_id = a.id
    WHERE a.discoverable IS TRUE
      AND a.suspended_at IS NULL AND a.silenced_at IS NULL AND a.moved_to_account_id IS NULL
      AND (a.domain IS NOT NULL OR (u.id IS NOT NULL AND u.approved AND u.confirmed_at IS NOT NULL AND NOT u.disabled))
      ${q.localOnly ? db`AND a.domain IS NULL` : db``}
      ${q.excludeAccountIds.length > 0 ? db`AND NOT (a.id = ANY(${q.excludeAccountIds}::bigint[]))` : db``}
      ${q.excludeDomains.length > 0 ? db`AND (a.domain IS NULL OR NOT (lower(a.domain) = ANY(${q.excludeDomains}::text[])))` : db``}
    ${q.order === "new" ? db`ORDER BY a.id DESC` : db`ORDER BY s.last_status_at DESC NULLS LAST, a.id DESC`}
    LIMIT ${q.limit} OFFSET ${q.offset}`;
  return rows.map((r) => r.id as string);
}
