/**
 * The Postgres SQL of the trends module: what the stream reads to describe a
 * status or a favourite, and hashtags — tags, followed tags and featured
 * tags, which Postgres owns (ClickHouse only counts).
 */
import type { Db } from "../../src/db/index.ts";
import type { Page } from "../../src/http/pagination.ts";
import { idFromTime } from "../../src/ids.ts";

// ---------------------------------------------------------------------------
// What the stream needs to know about statuses and favourites

export interface StreamStatus {
  id: string;
  account_id: string;
  /** '' for local accounts. */
  domain: string;
  created_at: Date;
  deleted_at: Date | null;
  visibility: "public" | "unlisted" | "private" | "direct";
  /** '' when unknown. */
  language: string;
  content: string;
  in_reply_to_id: string | null;
  reblog_of_id: string | null;
  /** Lower-cased, as tags are looked up. */
  tags: string[];
}

export async function selectStreamStatuses(db: Db, ids: string[]): Promise<Map<string, StreamStatus>> {
  if (ids.length === 0) return new Map();
  const rows = await db<StreamStatus[]>`
    SELECT s.id, s.account_id, coalesce(a.domain, '') AS domain, s.created_at, s.deleted_at, s.visibility,
           coalesce(s.language, '') AS language, s.content, s.in_reply_to_id, s.reblog_of_id,
           coalesce((SELECT array_agg(DISTINCT lower(t.name)) FROM statuses_tags st JOIN tags t ON t.id = st.tag_id
                     WHERE st.status_id = s.id), '{}') AS tags
    FROM statuses s JOIN accounts a ON a.id = s.account_id
    WHERE s.id = ANY(${ids}::bigint[])`;
  return new Map(rows.map((r) => [r.id, r]));
}

export interface StreamFavourite {
  id: string;
  account_id: string;
  domain: string;
  status_id: string;
  created_at: Date;
}

export async function selectStreamFavourites(db: Db, ids: string[]): Promise<StreamFavourite[]> {
  if (ids.length === 0) return [];
  return db<StreamFavourite[]>`
    SELECT f.id, f.account_id, coalesce(a.domain, '') AS domain, f.status_id, f.created_at
    FROM favourites f JOIN accounts a ON a.id = f.account_id
    WHERE f.id = ANY(${ids}::bigint[])`;
}

/**
 * Ids for a replay, a page at a time in id order. Statuses and favourites
 * are found by id (a snowflake: the primary key is the time index); deleted
 * statuses by deleted_at among those created in the week before `since`.
 */
export async function selectReplayPage(
  db: Db,
  what: "statuses" | "deleted" | "favourites",
  since: Date,
  afterId: string | null,
  limit: number,
): Promise<string[]> {
  const floor = idFromTime(since);
  const after = afterId ?? "0";
  if (what === "favourites") {
    const rows = await db`
      SELECT id FROM favourites WHERE id >= ${floor} AND id > ${after} ORDER BY id LIMIT ${limit}`;
    return rows.map((r) => r.id as string);
  }
  if (what === "statuses") {
    const rows = await db`
      SELECT id FROM statuses WHERE id >= ${floor} AND id > ${after} ORDER BY id LIMIT ${limit}`;
    return rows.map((r) => r.id as string);
  }
  const weekBefore = idFromTime(since.getTime() - 7 * 86_400_000);
  const rows = await db`
    SELECT id FROM statuses
    WHERE id >= ${weekBefore} AND id > ${after} AND deleted_at >= ${since}
    ORDER BY id LIMIT ${limit}`;
  return rows.map((r) => r.id as string);
}

/**
 * Of `ids`, those Mastodon lets trend (Trends::Statuses#eligible?): public
 * originals that are not replies, without content warning or sensitive
 * media, by authors who are discoverable and neither silenced nor suspended.
 */
export async function selectTrendableStatusIds(db: Db, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db`
    SELECT s.id FROM statuses s JOIN accounts a ON a.id = s.account_id
    WHERE s.id = ANY(${ids}::bigint[])
      AND s.deleted_at IS NULL AND s.visibility = 'public' AND s.reblog_of_id IS NULL
      AND s.in_reply_to_id IS NULL AND s.in_reply_to_account_id IS NULL
      AND s.spoiler_text = '' AND NOT s.sensitive
      AND a.suspended_at IS NULL AND a.silenced_at IS NULL AND a.discoverable IS NOT FALSE`;
  return new Set(rows.map((r) => r.id as string));
}

// ---------------------------------------------------------------------------
// Tags

export interface TagRow {
  id: string;
  /** As first written; URLs use it. */
  name: string;
  display_name: string;
  /** lower(name): the key tags are looked up (and counted in ClickHouse) by. */
  key: string;
}

export async function selectTagsByKeys(db: Db, keys: string[]): Promise<Map<string, TagRow>> {
  if (keys.length === 0) return new Map();
  const rows = await db<TagRow[]>`
    SELECT id, name, display_name, lower(name) AS key FROM tags WHERE lower(name) = ANY(${keys}::text[])`;
  return new Map(rows.map((r) => [r.key, r]));
}

export async function selectTagByKey(db: Db, key: string): Promise<TagRow | null> {
  return (await selectTagsByKeys(db, [key])).get(key) ?? null;
}

/** The tag named `name` (any case), created when new — as statuses create theirs. */
export async function findOrCreateTag(db: Db, name: string): Promise<TagRow> {
  await db`
    INSERT INTO tags (name, display_name) VALUES (${name}, ${name})
    ON CONFLICT ((lower(name))) DO NOTHING`;
  const [row] = await db<TagRow[]>`
    SELECT id, name, display_name, lower(name) AS key FROM tags WHERE lower(name) = lower(${name})`;
  return row!;
}

/** Which of `tagIds` the account follows and features, for Tag#following/featuring. */
export async function selectTagRelations(
  db: Db,
  accountId: string,
  tagIds: string[],
): Promise<{ following: Set<string>; featuring: Set<string> }> {
  if (tagIds.length === 0) return { following: new Set(), featuring: new Set() };
  const rows = await db`
    SELECT tag_id, 'following' AS rel FROM tag_follows
    WHERE account_id = ${accountId} AND tag_id = ANY(${tagIds}::bigint[])
    UNION ALL
    SELECT tag_id, 'featuring' FROM featured_tags
    WHERE account_id = ${accountId} AND tag_id = ANY(${tagIds}::bigint[])`;
  const pick = (rel: string) => new Set(rows.filter((r) => r.rel === rel).map((r) => r.tag_id as string));
  return { following: pick("following"), featuring: pick("featuring") };
}

// ---------------------------------------------------------------------------
// Followed tags

export async function insertTagFollow(db: Db, accountId: string, tagId: string): Promise<void> {
  await db`INSERT INTO tag_follows (account_id, tag_id) VALUES (${accountId}, ${tagId}) ON CONFLICT DO NOTHING`;
}

export async function deleteTagFollow(db: Db, accountId: string, tagId: string): Promise<void> {
  await db`DELETE FROM tag_follows WHERE account_id = ${accountId} AND tag_id = ${tagId}`;
}

export interface FollowedTagRow extends TagRow {
  /** The follow row's id: the pagination cursor. */
  cursor: string;
}

/** A page of the account's followed tags, newest follow first (min_id reads forward). */
export async function selectFollowedTags(db: Db, accountId: string, page: Page): Promise<FollowedTagRow[]> {
  const ascending = page.minId !== undefined && page.sinceId === undefined;
  const rows = await db<FollowedTagRow[]>`
    SELECT f.id AS cursor, t.id, t.name, t.display_name, lower(t.name) AS key
    FROM tag_follows f JOIN tags t ON t.id = f.tag_id
    WHERE f.account_id = ${accountId}
      ${page.maxId ? db`AND f.id < ${page.maxId}` : db``}
      ${page.sinceId ? db`AND f.id > ${page.sinceId}` : db``}
      ${page.minId ? db`AND f.id > ${page.minId}` : db``}
    ORDER BY f.id ${ascending ? db`ASC` : db`DESC`}
    LIMIT ${page.limit}`;
  return ascending ? rows.reverse() : rows;
}

/**
 * Seam for followed-tag fanout (not wired yet): the local accounts that
 * follow any of `tagIds`, for modules/timelines to push matching public
 * statuses into their home feeds.
 */
export async function selectLocalTagFollowers(db: Db, tagIds: string[]): Promise<string[]> {
  if (tagIds.length === 0) return [];
  const rows = await db`
    SELECT DISTINCT f.account_id FROM tag_follows f JOIN accounts a ON a.id = f.account_id
    WHERE f.tag_id = ANY(${tagIds}::bigint[]) AND a.domain IS NULL AND a.suspended_at IS NULL`;
  return rows.map((r) => r.account_id as string);
}

// ---------------------------------------------------------------------------
// Featured tags

export interface FeaturedTagRow {
  id: string;
  account_id: string;
  tag_id: string;
  name: string;
  display_name: string;
  statuses_count: string;
  last_status_at: Date | null;
}

/**
 * An account's featured tags with Mastodon's counts (FeaturedTag#reset_data):
 * the author's public and unlisted original statuses with the tag. Counted
 * on read — an account features at most a handful of tags.
 */
export async function selectFeaturedTags(
  db: Db,
  accountId: string,
  options: { ids?: string[] } = {},
): Promise<FeaturedTagRow[]> {
  return db<FeaturedTagRow[]>`
    SELECT ft.id, ft.account_id, ft.tag_id, t.name, t.display_name,
           c.n::text AS statuses_count, c.last_at AS last_status_at
    FROM featured_tags ft
    JOIN tags t ON t.id = ft.tag_id
    CROSS JOIN LATERAL (
      SELECT count(*) AS n, max(s.created_at) AS last_at
      FROM statuses_tags st JOIN statuses s ON s.id = st.status_id
      WHERE st.tag_id = ft.tag_id AND s.account_id = ft.account_id AND s.deleted_at IS NULL
        AND s.reblog_of_id IS NULL AND s.visibility IN ('public', 'unlisted')
    ) c
    WHERE ft.account_id = ${accountId}
      ${options.ids ? db`AND ft.id = ANY(${options.ids}::bigint[])` : db``}
    ORDER BY c.n DESC, ft.id DESC`;
}

/**
 * Features a tag unless it already is or the account is at its limit; the
 * account row is locked so concurrent requests can't both pass the limit.
 */
export async function insertFeaturedTag(
  db: Db,
  accountId: string,
  tagId: string,
  max: number,
): Promise<{ id: string } | "taken" | "limit"> {
  await db`SELECT 1 FROM accounts WHERE id = ${accountId} FOR UPDATE`;
  const [existing] = await db`SELECT 1 FROM featured_tags WHERE account_id = ${accountId} AND tag_id = ${tagId}`;
  if (existing) return "taken";
  const [{ n }] = (await db`SELECT count(*)::int AS n FROM featured_tags WHERE account_id = ${accountId}`) as unknown as [
    { n: number },
  ];
  if (n >= max) return "limit";
  const [row] = await db`
    INSERT INTO featured_tags (account_id, tag_id) VALUES (${accountId}, ${tagId})
    ON CONFLICT DO NOTHING RETURNING id`;
  return row ? { id: row.id as string } : "taken";
}

export async function deleteFeaturedTag(db: Db, accountId: string, featuredTagId: string): Promise<boolean> {
  const rows = await db`DELETE FROM featured_tags WHERE id = ${featuredTagId} AND account_id = ${accountId} RETURNING id`;
  return rows.length > 0;
}

export async function deleteFeaturedTagByTag(db: Db, accountId: string, tagId: string): Promise<void> {
  await db`DELETE FROM featured_tags WHERE account_id = ${accountId} AND tag_id = ${tagId}`;
}

/**
 * Tags the account used most in its recent statuses and doesn't feature yet
 * (Mastodon's Tag.suggestions_for_account).
 */
export async function selectFeaturedTagSuggestions(db: Db, accountId: string, limit: number): Promise<TagRow[]> {
  return db<TagRow[]>`
    SELECT t.id, t.name, t.display_name, lower(t.name) AS key
    FROM (
      SELECT id FROM statuses
      WHERE account_id = ${accountId} AND deleted_at IS NULL AND reblog_of_id IS NULL
        AND visibility IN ('public', 'unlisted')
      ORDER BY id DESC LIMIT 1000
    ) recent
    JOIN statuses_tags st ON st.status_id = recent.id
    JOIN tags t ON t.id = st.tag_id
    WHERE NOT EXISTS (SELECT 1 FROM featured_tags ft WHERE ft.account_id = ${accountId} AND ft.tag_id = t.id)
    GROUP BY t.id
    ORDER BY count(*) DESC, max(recent.id) DESC
    LIMIT ${limit}`;
}

export interface FeaturedAccount {
  id: string;
  username: string;
  domain: string | null;
  suspended: boolean;
}

export async function selectAccountForFeatured(db: Db, accountId: string): Promise<FeaturedAccount | null> {
  const [row] = await db`
    SELECT id, username, domain, suspended_at IS NOT NULL AS suspended FROM accounts WHERE id = ${accountId}`;
  return (row as FeaturedAccount | undefined) ?? null;
}
