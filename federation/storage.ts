/**
 * The reads the federation layer needs. Accounts come through the accounts
 * module's own queries (it owns those tables); what is left here is the
 * NodeInfo aggregate.
 */
import type { Db } from "../src/db/index.ts";
import { findLocalAccountId, selectAccountRows, type AccountRow } from "../modules/accounts/storage.ts";

/** A local account by its exact username (actor URLs are case-sensitive, as Mastodon's canonical ones). */
export async function findLocalActor(db: Db, username: string): Promise<AccountRow | null> {
  const id = await findLocalAccountId(db, username);
  if (!id) return null;
  const [row] = await selectAccountRows(db, [id]);
  return row && row.username === username ? row : null;
}

/** The stored spelling of a local username matched case-insensitively (WebFinger `acct:` lookups). */
export async function canonicalLocalUsername(db: Db, username: string): Promise<string | null> {
  const id = await findLocalAccountId(db, username);
  if (!id) return null;
  const [row] = await selectAccountRows(db, [id]);
  return row?.username ?? null;
}

/** Where an account moved to: its actor URI (null for a local target, whose URI derives from its username). */
export async function movedTarget(db: Db, accountId: string): Promise<{ uri: string | null; username: string } | null> {
  const [row] = await selectAccountRows(db, [accountId]);
  return row ? { uri: row.domain === null ? null : row.uri, username: row.username } : null;
}

export interface UsageCounts {
  users: number;
  activeMonth: number;
  activeHalfyear: number;
  localPosts: number;
}

/**
 * For NodeInfo, with the definitions /api/v1/instance uses
 * (modules/instance/storage.ts): a user counts once confirmed, approved, not
 * disabled nor suspended, and is active from sign-up or last sign-in; local
 * posts are the sum of the per-account counters.
 */
export async function usageCounts(db: Db): Promise<UsageCounts> {
  const [row] = await db`
    SELECT count(*)::int AS users,
           count(*) FILTER (WHERE coalesce(u.last_sign_in_at, u.created_at) > now() - interval '30 days')::int AS active_month,
           count(*) FILTER (WHERE coalesce(u.last_sign_in_at, u.created_at) > now() - interval '180 days')::int AS active_halfyear,
           (SELECT coalesce(sum(s.statuses_count), 0) FROM account_stats s JOIN accounts a ON a.id = s.account_id
             WHERE a.domain IS NULL)::bigint AS local_posts
    FROM users u JOIN accounts a ON a.id = u.account_id
    WHERE u.confirmed_at IS NOT NULL AND u.approved AND NOT u.disabled AND a.suspended_at IS NULL`;
  return {
    users: Number(row!.users),
    activeMonth: Number(row!.active_month),
    activeHalfyear: Number(row!.active_halfyear),
    localPosts: Number(row!.local_posts),
  };
}
