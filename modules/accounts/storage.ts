/**
 * SQL the accounts module owns: the accounts row with its counters
 * (account_stats) and, for local accounts, the user's role and settings.
 *
 * `accounts.fields` holds `StoredField[]` the way Mastodon keeps them: for a
 * local account `value` is the plain text the user typed (the serializer and
 * the federation layer render it to HTML), for a remote account it is the
 * sanitised HTML its server sent.
 */
import type { Db } from "../../src/db/index.ts";

export interface StoredField {
  name: string;
  value: string;
  verified_at: string | null;
}

/** Everything the Account entity needs, from one row of one query. */
export interface AccountRow {
  id: string;
  username: string;
  domain: string | null;
  display_name: string;
  note: string;
  note_source: string;
  fields: StoredField[];
  locked: boolean;
  bot: boolean;
  group: boolean;
  discoverable: boolean | null;
  indexable: boolean;
  hide_collections: boolean;
  avatar_url: string | null;
  header_url: string | null;
  uri: string | null;
  url: string | null;
  actor_type: string;
  moved_to_account_id: string | null;
  suspended_at: Date | null;
  silenced_at: Date | null;
  memorial: boolean;
  created_at: Date;
  // account_stats; int8 arrives as a string.
  statuses_count: string | null;
  following_count: string | null;
  followers_count: string | null;
  last_status_at: Date | null;
  // users (local accounts only).
  user_id: string | null;
  user_role: string | null;
  user_settings: Record<string, unknown> | null;
}

/** Hydrates many accounts in one round trip; unknown ids are simply absent. */
export async function selectAccountRows(db: Db, ids: readonly string[]): Promise<AccountRow[]> {
  if (ids.length === 0) return [];
  const rows = await db`
    SELECT a.id, a.username, a.domain, a.display_name, a.note, a.note_source, a.fields, a.locked, a.bot,
           a."group", a.discoverable, a.indexable, a.hide_collections, a.avatar_url, a.header_url, a.uri, a.url,
           a.actor_type, a.moved_to_account_id, a.suspended_at, a.silenced_at, a.memorial, a.created_at,
           s.statuses_count, s.following_count, s.followers_count, s.last_status_at,
           u.id AS user_id, u.role AS user_role, u.settings AS user_settings
    FROM accounts a
    LEFT JOIN account_stats s ON s.account_id = a.id
    LEFT JOIN users u ON u.account_id = a.id
    WHERE a.id = ANY(${ids as string[]}::bigint[])`;
  return rows as unknown as AccountRow[];
}

export async function findLocalAccountId(db: Db, username: string): Promise<string | null> {
  const [row] = await db`SELECT id FROM accounts WHERE lower(username) = lower(${username}) AND domain IS NULL`;
  return row ? (row.id as string) : null;
}

/** Local and remote accounts with any of these usernames, for linking mentions. */
export async function selectAccountsByUsernames(
  db: Db,
  usernames: readonly string[],
): Promise<{ username: string; domain: string | null; url: string | null; uri: string | null }[]> {
  if (usernames.length === 0) return [];
  const lowered = [...new Set(usernames.map((u) => u.toLowerCase()))];
  const rows = await db`
    SELECT username, domain, url, uri FROM accounts
    WHERE lower(username) = ANY(${lowered}::text[]) AND suspended_at IS NULL`;
  return rows as unknown as { username: string; domain: string | null; url: string | null; uri: string | null }[];
}

export async function countFollowRequests(db: Db, accountId: string): Promise<number> {
  const [row] = await db`SELECT count(*)::int AS n FROM follow_requests WHERE target_account_id = ${accountId}`;
  return row!.n as number;
}

export async function selectUserSettings(db: Db, userId: string): Promise<Record<string, unknown>> {
  const [row] = await db`SELECT settings FROM users WHERE id = ${userId}`;
  return (row?.settings as Record<string, unknown> | undefined) ?? {};
}

/** The current fields, row-locked so concurrent profile edits apply one after the other. */
export async function selectFieldsForUpdate(db: Db, accountId: string): Promise<StoredField[] | null> {
  const [row] = await db`SELECT fields FROM accounts WHERE id = ${accountId} FOR UPDATE`;
  return row ? (row.fields as StoredField[]) : null;
}

/** Columns update_credentials may change; absent keys stay as they are. */
export interface ProfileChanges {
  display_name?: string;
  note?: string;
  note_source?: string;
  fields?: StoredField[];
  locked?: boolean;
  bot?: boolean;
  actor_type?: string;
  discoverable?: boolean;
  indexable?: boolean;
  hide_collections?: boolean;
}

export async function updateAccountProfile(db: Db, accountId: string, changes: ProfileChanges): Promise<void> {
  const { fields, ...columns } = changes;
  const set: Record<string, unknown> = { ...columns };
  // jsonb needs the explicit json() wrapper; a bare array would be sent as a Postgres array.
  if (fields) set.fields = db.json(fields as never);
  if (Object.keys(set).length === 0) return;
  await db`UPDATE accounts SET ${db(set)}, updated_at = now() WHERE id = ${accountId}`;
}

/** Shallow-merges keys into users.settings. */
export async function mergeUserSettings(db: Db, userId: string, settings: Record<string, unknown>): Promise<void> {
  if (Object.keys(settings).length === 0) return;
  await db`UPDATE users SET settings = settings || ${db.json(settings as never)} WHERE id = ${userId}`;
}
