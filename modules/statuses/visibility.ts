/**
 * Who may see a status — the one rule every endpoint that shows statuses
 * goes through (renderStatuses calls it, so lists are safe by construction):
 *
 * - deleted statuses and statuses of suspended authors: nobody;
 * - the author always sees their own;
 * - anyone else, never across a block (either direction) or a domain block
 *   of the viewer's, and then: public/unlisted to everyone (anonymous
 *   included), private to followers and mentioned accounts, direct to
 *   mentioned accounts only;
 * - a reblog additionally needs its original to be visible.
 */
import type postgres from "postgres";
import type { Db } from "../../src/db/index.ts";
import type { StatusRow } from "./storage.ts";

export type Fragment = postgres.Fragment;

/**
 * A SQL predicate: the status aliased `alias` is visible to `viewerId`
 * (reblog originals not considered — see visibleToViewer).
 */
export function statusVisibleTo(db: Db, viewerId: string | null, alias: string): Fragment {
  const s = db(alias);
  const available = db`
    ${s}.deleted_at IS NULL
    AND NOT EXISTS (SELECT 1 FROM accounts au WHERE au.id = ${s}.account_id AND au.suspended_at IS NOT NULL)`;
  if (viewerId === null) return db`(${available} AND ${s}.visibility IN ('public', 'unlisted'))`;
  return db`(${available} AND (
    ${s}.account_id = ${viewerId}
    OR (
      NOT EXISTS (
        SELECT 1 FROM blocks b
        WHERE (b.account_id = ${viewerId} AND b.target_account_id = ${s}.account_id)
           OR (b.account_id = ${s}.account_id AND b.target_account_id = ${viewerId}))
      AND NOT EXISTS (
        SELECT 1 FROM account_domain_blocks adb JOIN accounts da ON da.id = ${s}.account_id
        WHERE adb.account_id = ${viewerId} AND da.domain IS NOT NULL AND lower(adb.domain) = lower(da.domain))
      AND (
        ${s}.visibility IN ('public', 'unlisted')
        OR (${s}.visibility = 'private' AND EXISTS (
          SELECT 1 FROM follows f WHERE f.account_id = ${viewerId} AND f.target_account_id = ${s}.account_id))
        OR (${s}.visibility IN ('private', 'direct') AND EXISTS (
          SELECT 1 FROM mentions m WHERE m.status_id = ${s}.id AND m.account_id = ${viewerId}))
      )
    )
  ))`;
}

/** statusVisibleTo, plus: a reblog is visible only while its original is. For list queries over `alias`. */
export function visibleToViewer(db: Db, viewerId: string | null, alias: string): Fragment {
  const s = db(alias);
  return db`(${statusVisibleTo(db, viewerId, alias)} AND (
    ${s}.reblog_of_id IS NULL
    OR EXISTS (SELECT 1 FROM statuses o WHERE o.id = ${s}.reblog_of_id AND ${statusVisibleTo(db, viewerId, "o")})
  ))`;
}

/** The subset of `statusIds` the viewer may see, in one query. */
export async function visibleStatusIds(db: Db, viewerAccountId: string | null, statusIds: string[]): Promise<Set<string>> {
  if (statusIds.length === 0) return new Set();
  const rows = await db`
    SELECT s.id FROM statuses s
    WHERE s.id = ANY(${[...new Set(statusIds)]}::bigint[]) AND ${visibleToViewer(db, viewerAccountId, "s")}`;
  return new Set(rows.map((r) => r.id as string));
}

export async function canSeeStatus(db: Db, viewerAccountId: string | null, statusId: string): Promise<boolean> {
  return (await visibleStatusIds(db, viewerAccountId, [statusId])).has(statusId);
}

/** The status row (not deleted), whoever may see it; null when missing. */
export async function loadStatusRow(db: Db, id: string): Promise<StatusRow | null> {
  const [row] = await db<StatusRow[]>`SELECT * FROM statuses WHERE id = ${id} AND deleted_at IS NULL`;
  return row ?? null;
}
