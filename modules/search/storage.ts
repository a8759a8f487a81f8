/**
 * SQL the search module owns that does not depend on the backend: who may
 * find which status (Mastodon 4.2's rules), the final safety filters every
 * result goes through, handle lookups, and hashtags (always searched in
 * Postgres — the tags table is small and prefix-indexed).
 */
import type { Db } from "../../src/db/index.ts";
import { visibleToViewer, type Fragment } from "../statuses/visibility.ts";
import type { SearchScope } from "./query.ts";

/** The smallest status id created at or after `date` (ids carry their creation time in the high bits). */
export function idAtTime(date: Date): string {
  return (BigInt(Math.max(0, date.getTime())) << 16n).toString();
}

/**
 * Statuses the viewer may *find* by search (Mastodon 4.2): public statuses
 * of accounts that opted into search (`indexable`), plus the viewer's
 * "library" — their own statuses and those they are mentioned in, have
 * favourited, bookmarked, boosted or voted in. Visibility is a separate,
 * further condition (viewerMayRead).
 */
export function findableBy(db: Db, viewerId: string, alias: string, scope: SearchScope): Fragment {
  const s = db(alias);
  const publicPart = db`(${s}.visibility = 'public'
    AND EXISTS (SELECT 1 FROM accounts ia WHERE ia.id = ${s}.account_id AND ia.indexable))`;
  const library = db`(
    ${s}.account_id = ${viewerId}
    OR EXISTS (SELECT 1 FROM mentions sm WHERE sm.status_id = ${s}.id AND sm.account_id = ${viewerId})
    OR EXISTS (SELECT 1 FROM favourites sf WHERE sf.account_id = ${viewerId} AND sf.status_id = ${s}.id)
    OR EXISTS (SELECT 1 FROM bookmarks sb WHERE sb.account_id = ${viewerId} AND sb.status_id = ${s}.id)
    OR EXISTS (SELECT 1 FROM statuses sr
               WHERE sr.account_id = ${viewerId} AND sr.reblog_of_id = ${s}.id AND sr.deleted_at IS NULL)
    OR EXISTS (SELECT 1 FROM polls sp JOIN poll_votes sv ON sv.poll_id = sp.id
               WHERE sp.status_id = ${s}.id AND sv.account_id = ${viewerId}))`;
  if (scope === "public") return publicPart;
  if (scope === "library") return library;
  return db`(${publicPart} OR ${library})`;
}

/**
 * What the viewer may read, minus what they asked not to see: the visibility
 * rule every endpoint shares, plus muted authors (Mastodon's StatusFilter
 * drops them from search results too).
 */
export function viewerMayRead(db: Db, viewerId: string, alias: string): Fragment {
  const s = db(alias);
  return db`(${visibleToViewer(db, viewerId, alias)}
    AND NOT EXISTS (SELECT 1 FROM mutes mu
                    WHERE mu.account_id = ${viewerId} AND mu.target_account_id = ${s}.account_id
                      AND (mu.expires_at IS NULL OR mu.expires_at > now())))`;
}

/**
 * The subset of `ids` the viewer may find and read, in the given order. Every
 * status result passes through here whatever the backend, so an index that
 * lags behind a block, an unfollow or an `indexable` change omits, never leaks.
 */
export async function findableStatusIds(db: Db, viewerId: string, ids: string[], scope: SearchScope): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db`
    SELECT s.id FROM statuses s
    WHERE s.id = ANY(${ids}::bigint[]) AND s.reblog_of_id IS NULL
      AND ${findableBy(db, viewerId, "s", scope)} AND ${viewerMayRead(db, viewerId, "s")}`;
  const keep = new Set(rows.map((r) => r.id as string));
  return ids.filter((id) => keep.has(id));
}

/** Accounts a viewer may be shown: not suspended, not behind a block either way or the viewer's domain block. */
export function accountShownTo(db: Db, viewerId: string | null, alias: string): Fragment {
  const a = db(alias);
  if (viewerId === null) return db`(${a}.suspended_at IS NULL)`;
  return db`(${a}.suspended_at IS NULL
    AND NOT EXISTS (SELECT 1 FROM blocks b
                    WHERE (b.account_id = ${viewerId} AND b.target_account_id = ${a}.id)
                       OR (b.account_id = ${a}.id AND b.target_account_id = ${viewerId}))
    AND (${a}.domain IS NULL OR NOT EXISTS (
          SELECT 1 FROM account_domain_blocks adb
          WHERE adb.account_id = ${viewerId} AND lower(adb.domain) = lower(${a}.domain))))`;
}

/** The subset of `ids` the viewer may be shown, in order. */
export async function shownAccountIds(db: Db, viewerId: string | null, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db`SELECT a.id FROM accounts a WHERE a.id = ANY(${ids}::bigint[]) AND ${accountShownTo(db, viewerId, "a")}`;
  const keep = new Set(rows.map((r) => r.id as string));
  return ids.filter((id) => keep.has(id));
}

/** An account by exact handle; `domain` null for local. Moved accounts included (an exact lookup should find them). */
export async function findAccountByHandle(db: Db, username: string, domain: string | null): Promise<string | null> {
  const [row] = await db`
    SELECT id FROM accounts
    WHERE lower(username) = lower(${username}) AND lower(coalesce(domain, '')) = lower(${domain ?? ""})`;
  return row ? (row.id as string) : null;
}

export async function isFollowing(db: Db, viewerId: string, targetId: string): Promise<boolean> {
  const [row] = await db`SELECT 1 FROM follows WHERE account_id = ${viewerId} AND target_account_id = ${targetId}`;
  return row !== undefined;
}

// ---------------------------------------------------------------------------
// Known objects by URL (what resolve=true finds without fetching anything)

export async function statusIdByUri(db: Db, url: string): Promise<string | null> {
  const [row] = await db`
    SELECT id FROM statuses WHERE (uri = ${url} OR url = ${url}) AND deleted_at IS NULL AND reblog_of_id IS NULL
    ORDER BY id LIMIT 1`;
  return row ? (row.id as string) : null;
}

export async function accountIdByUri(db: Db, url: string): Promise<string | null> {
  const [row] = await db`SELECT id FROM accounts WHERE uri = ${url} OR url = ${url} ORDER BY id LIMIT 1`;
  return row ? (row.id as string) : null;
}

/** A local status by id whose author has this username (local URLs carry both). */
export async function localStatusOf(db: Db, username: string, statusId: string): Promise<string | null> {
  const [row] = await db`
    SELECT s.id FROM statuses s JOIN accounts a ON a.id = s.account_id
    WHERE s.id = ${statusId} AND s.local AND s.deleted_at IS NULL AND s.reblog_of_id IS NULL
      AND a.domain IS NULL AND lower(a.username) = lower(${username})`;
  return row ? (row.id as string) : null;
}

// ---------------------------------------------------------------------------
// Hashtags

export interface TagRow {
  id: string;
  name: string;
  display_name: string;
  /** lower(name), the key the trends module counts histories by. */
  key: string;
}

/** `LIKE` treats % and _ as wildcards; hashtags contain _ all the time. */
function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Tags whose name starts with `prefix`, shortest first (so the exact match
 * leads), as Mastodon's Tag.search_for. `exactOnly` is Mastodon's
 * `exclude_unreviewed`: exact name or reviewed — and this server has no tag
 * review, so only the exact name.
 */
export async function searchTags(
  db: Db,
  prefix: string,
  options: { exactOnly: boolean; limit: number; offset: number },
): Promise<TagRow[]> {
  const rows = options.exactOnly
    ? await db`SELECT id, name, display_name, lower(name) AS key FROM tags WHERE lower(name) = ${prefix} LIMIT ${options.limit} OFFSET ${options.offset}`
    : await db`
        SELECT id, name, display_name, lower(name) AS key FROM tags WHERE lower(name) LIKE ${likePrefix(prefix)}
        ORDER BY length(name), lower(name) LIMIT ${options.limit} OFFSET ${options.offset}`;
  return rows as unknown as TagRow[];
}
