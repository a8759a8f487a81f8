/**
 * The reads the federation layer needs about local accounts. Read-only: the
 * accounts module owns these tables and is the only writer; when it exposes
 * equivalent lookups, these should defer to it.
 */
import type { Db } from "../src/db/index.ts";

export interface LocalActorRow {
  id: string;
  username: string;
  display_name: string;
  note: string;
  fields: unknown;
  locked: boolean;
  bot: boolean;
  group: boolean;
  discoverable: boolean | null;
  indexable: boolean;
  avatar_url: string | null;
  header_url: string | null;
  suspended: boolean;
  memorial: boolean;
  created_at: Date;
  updated_at: Date;
  statuses_count: string;
  followers_count: string;
  following_count: string;
  /** The account it moved to: its URI when remote, its username when local. */
  moved_to_uri: string | null;
  moved_to_username: string | null;
}

/** A local account by its exact username (the identifier in actor URLs). */
export async function findLocalActor(db: Db, username: string): Promise<LocalActorRow | null> {
  const [row] = await db`
    SELECT a.id, a.username, a.display_name, a.note, a.fields, a.locked, a.bot, a."group",
           a.discoverable, a.indexable, a.avatar_url, a.header_url, a.suspended_at IS NOT NULL AS suspended,
           a.memorial, a.created_at, a.updated_at,
           coalesce(s.statuses_count, 0) AS statuses_count,
           coalesce(s.followers_count, 0) AS followers_count,
           coalesce(s.following_count, 0) AS following_count,
           m.uri AS moved_to_uri, CASE WHEN m.domain IS NULL THEN m.username END AS moved_to_username
    FROM accounts a
    LEFT JOIN account_stats s ON s.account_id = a.id
    LEFT JOIN accounts m ON m.id = a.moved_to_account_id
    WHERE lower(a.username) = lower(${username}) AND a.domain IS NULL`;
  // The index is on lower(username); actor URLs are case-sensitive like Mastodon's canonical ones.
  return row && row.username === username ? (row as unknown as LocalActorRow) : null;
}

/** The canonical username of a local account, matched case-insensitively (WebFinger `acct:` lookups). */
export async function canonicalLocalUsername(db: Db, username: string): Promise<string | null> {
  const [row] = await db`SELECT username FROM accounts WHERE lower(username) = lower(${username}) AND domain IS NULL`;
  return (row?.username as string | undefined) ?? null;
}

export interface UsageCounts {
  users: number;
  activeMonth: number;
  activeHalfyear: number;
  localPosts: number;
}

/**
 * For NodeInfo. A user counts as active from sign-up or last sign-in;
 * local posts come from the per-account counters, so they follow statuses
 * without this code knowing that table.
 */
export async function usageCounts(db: Db): Promise<UsageCounts> {
  const [row] = await db`
    SELECT count(*)::int AS users,
           count(*) FILTER (WHERE greatest(u.last_sign_in_at, u.created_at) > now() - interval '30 days')::int AS active_month,
           count(*) FILTER (WHERE greatest(u.last_sign_in_at, u.created_at) > now() - interval '180 days')::int AS active_halfyear,
           coalesce(sum(s.statuses_count), 0)::bigint AS local_posts
    FROM accounts a
    LEFT JOIN users u ON u.account_id = a.id
    LEFT JOIN account_stats s ON s.account_id = a.id
    WHERE a.domain IS NULL AND a.suspended_at IS NULL`;
  return {
    users: Number(row!.users),
    activeMonth: Number(row!.active_month),
    activeHalfyear: Number(row!.active_halfyear),
    localPosts: Number(row!.local_posts),
  };
}
