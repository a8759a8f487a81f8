/**
 * SQL the relationships module owns: follows, follow requests, blocks,
 * mutes, per-account domain blocks, endorsements (account_pins), notes and
 * suggestion dismissals, plus the follow counters in account_stats.
 *
 * Writes that belong together run in one transaction the service opens;
 * functions taking `tx` expect to be inside it. A mute whose expires_at has
 * passed is treated as absent by every read here (ACTIVE_MUTE).
 */
import type { Db, Sql, Tx } from "../../src/db/index.ts";
import type { Page } from "../../src/http/pagination.ts";

// ---------------------------------------------------------------------------
// Accounts as targets

export interface TargetAccount {
  id: string;
  domain: string | null;
  locked: boolean;
  suspended: boolean;
  moved: boolean;
  hideCollections: boolean;
}

/**
 * An account that can be acted on, or null. Local accounts whose user is not
 * yet confirmed or approved don't exist as far as other users can tell
 * (Mastodon answers 404 for them too).
 */
export async function findTargetAccount(db: Db, id: string): Promise<TargetAccount | null> {
  const [row] = await db`
    SELECT a.id, a.domain, a.locked, a.suspended_at IS NOT NULL AS suspended,
           a.moved_to_account_id IS NOT NULL AS moved, a.hide_collections
    FROM accounts a
    LEFT JOIN users u ON u.account_id = a.id
    WHERE a.id = ${id}
      AND (a.domain IS NOT NULL OR (u.id IS NOT NULL AND u.approved AND u.confirmed_at IS NOT NULL))`;
  if (!row) return null;
  return {
    id: row.id,
    domain: row.domain,
    locked: row.locked,
    suspended: row.suspended,
    moved: row.moved,
    hideCollections: row.hide_collections,
  };
}

/** Ids among `ids` that exist, are visible accounts and (unless asked) not suspended. */
export async function existingAccountIds(db: Db, ids: string[], withSuspended = false): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db`
    SELECT a.id FROM accounts a
    LEFT JOIN users u ON u.account_id = a.id
    WHERE a.id = ANY(${ids}::bigint[])
      AND (a.domain IS NOT NULL OR (u.id IS NOT NULL AND u.approved AND u.confirmed_at IS NOT NULL))
      AND (${withSuspended} OR a.suspended_at IS NULL)`;
  return new Set(rows.map((r) => r.id as string));
}

// ---------------------------------------------------------------------------
// Locking and counters

/**
 * Serialises every relationship write between two accounts (follow, block,
 * unfollow…, in either direction) so "check for a block, then follow" can't
 * interleave with a concurrent block. Held until the transaction ends.
 */
export async function lockPair(tx: Tx, a: string, b: string): Promise<void> {
  const [low, high] = BigInt(a) < BigInt(b) ? [a, b] : [b, a];
  await tx`SELECT pg_advisory_xact_lock(hashtextextended(${`relationship:${low}:${high}`}, 0))`;
}

export interface StatsDelta {
  accountId: string;
  following?: number;
  followers?: number;
}

/**
 * Applies counter changes as row-level upserts in ascending account order:
 * each statement adds to the current value (never read-modify-write), and
 * the fixed lock order means two transactions touching the same accounts
 * can't deadlock.
 */
export async function bumpStats(tx: Tx, deltas: StatsDelta[]): Promise<void> {
  const merged = new Map<string, { following: number; followers: number }>();
  for (const d of deltas) {
    const entry = merged.get(d.accountId) ?? { following: 0, followers: 0 };
    entry.following += d.following ?? 0;
    entry.followers += d.followers ?? 0;
    merged.set(d.accountId, entry);
  }
  const rows = [...merged].filter(([, v]) => v.following !== 0 || v.followers !== 0);
  if (rows.length === 0) return;
  rows.sort(([a], [b]) => (BigInt(a) < BigInt(b) ? -1 : 1));
  await tx`
    INSERT INTO account_stats (account_id, following_count, followers_count)
    SELECT * FROM unnest(${rows.map(([id]) => id)}::bigint[],
                         ${rows.map(([, v]) => v.following)}::bigint[],
                         ${rows.map(([, v]) => v.followers)}::bigint[])
    ON CONFLICT (account_id) DO UPDATE SET
      following_count = GREATEST(0, account_stats.following_count + EXCLUDED.following_count),
      followers_count = GREATEST(0, account_stats.followers_count + EXCLUDED.followers_count)`;
}

// ---------------------------------------------------------------------------
// Follows and follow requests

export interface FollowOptions {
  reblogs?: boolean;
  notify?: boolean;
  /** null: all languages. */
  languages?: string[] | null;
}

export interface FollowRow {
  id: string;
  accountId: string;
  targetAccountId: string;
  showReblogs: boolean;
  notify: boolean;
  languages: string[] | null;
  uri: string | null;
}

const toFollowRow = (r: Record<string, any>): FollowRow => ({
  id: r.id,
  accountId: r.account_id,
  targetAccountId: r.target_account_id,
  showReblogs: r.show_reblogs,
  notify: r.notify,
  languages: r.languages,
  uri: r.uri,
});

export async function selectFollow(db: Db, accountId: string, targetId: string): Promise<FollowRow | null> {
  const [row] = await db`SELECT * FROM follows WHERE account_id = ${accountId} AND target_account_id = ${targetId}`;
  return row ? toFollowRow(row) : null;
}

export async function selectFollowRequest(db: Db, accountId: string, targetId: string): Promise<FollowRow | null> {
  const [row] = await db`SELECT * FROM follow_requests WHERE account_id = ${accountId} AND target_account_id = ${targetId}`;
  return row ? toFollowRow(row) : null;
}

/** The new follow's id, or null when it already existed (a duplicate follow is a no-op). */
export async function insertFollow(
  tx: Tx,
  accountId: string,
  targetId: string,
  options: FollowOptions,
  uri: string | null = null,
): Promise<string | null> {
  const [row] = await tx`
    INSERT INTO follows (account_id, target_account_id, show_reblogs, notify, languages, uri)
    VALUES (${accountId}, ${targetId}, ${options.reblogs ?? true}, ${options.notify ?? false},
            ${options.languages ?? null}::text[], ${uri})
    ON CONFLICT (account_id, target_account_id) DO NOTHING
    RETURNING id`;
  return row ? (row.id as string) : null;
}

export async function insertFollowRequest(
  tx: Tx,
  accountId: string,
  targetId: string,
  options: FollowOptions,
  uri: string | null = null,
): Promise<string | null> {
  const [row] = await tx`
    INSERT INTO follow_requests (account_id, target_account_id, show_reblogs, notify, languages, uri)
    VALUES (${accountId}, ${targetId}, ${options.reblogs ?? true}, ${options.notify ?? false},
            ${options.languages ?? null}::text[], ${uri})
    ON CONFLICT (account_id, target_account_id) DO NOTHING
    RETURNING id`;
  return row ? (row.id as string) : null;
}

/** Changes only the options the client sent (Mastodon's "follow again to change options"). */
export async function updateFollowOptions(
  tx: Tx,
  table: "follows" | "follow_requests",
  accountId: string,
  targetId: string,
  options: FollowOptions,
): Promise<void> {
  const set: Record<string, unknown> = {};
  if (options.reblogs !== undefined) set.show_reblogs = options.reblogs;
  if (options.notify !== undefined) set.notify = options.notify;
  if (Object.keys(set).length > 0) {
    await tx`UPDATE ${tx(table)} SET ${tx(set)} WHERE account_id = ${accountId} AND target_account_id = ${targetId}`;
  }
  if (options.languages !== undefined) {
    await tx`
      UPDATE ${tx(table)} SET languages = ${options.languages}::text[]
      WHERE account_id = ${accountId} AND target_account_id = ${targetId}`;
  }
}

export async function deleteFollow(tx: Tx, accountId: string, targetId: string): Promise<FollowRow | null> {
  const [row] = await tx`
    DELETE FROM follows WHERE account_id = ${accountId} AND target_account_id = ${targetId} RETURNING *`;
  return row ? toFollowRow(row) : null;
}

export async function deleteFollowRequest(tx: Tx, accountId: string, targetId: string): Promise<FollowRow | null> {
  const [row] = await tx`
    DELETE FROM follow_requests WHERE account_id = ${accountId} AND target_account_id = ${targetId} RETURNING *`;
  return row ? toFollowRow(row) : null;
}

/** Follows between `accountId` and accounts of `domain`, both directions (for a user's domain block). */
export async function selectFollowsWithDomain(
  db: Db,
  accountId: string,
  domain: string,
): Promise<{ follows: { accountId: string; targetId: string }[]; requests: { accountId: string; targetId: string }[] }> {
  const follows = await db`
    SELECT f.account_id, f.target_account_id FROM follows f JOIN accounts a ON a.id = f.target_account_id
    WHERE f.account_id = ${accountId} AND lower(a.domain) = ${domain}
    UNION ALL
    SELECT f.account_id, f.target_account_id FROM follows f JOIN accounts a ON a.id = f.account_id
    WHERE f.target_account_id = ${accountId} AND lower(a.domain) = ${domain}`;
  const requests = await db`
    SELECT r.account_id, r.target_account_id FROM follow_requests r JOIN accounts a ON a.id = r.target_account_id
    WHERE r.account_id = ${accountId} AND lower(a.domain) = ${domain}
    UNION ALL
    SELECT r.account_id, r.target_account_id FROM follow_requests r JOIN accounts a ON a.id = r.account_id
    WHERE r.target_account_id = ${accountId} AND lower(a.domain) = ${domain}`;
  const pair = (r: Record<string, any>) => ({ accountId: r.account_id as string, targetId: r.target_account_id as string });
  return { follows: follows.map(pair), requests: requests.map(pair) };
}

export async function deleteEndorsement(db: Db, accountId: string, targetId: string): Promise<void> {
  await db`DELETE FROM account_pins WHERE account_id = ${accountId} AND target_account_id = ${targetId}`;
}

// ---------------------------------------------------------------------------
// Blocks, mutes, domain blocks

export async function insertBlock(tx: Tx, accountId: string, targetId: string): Promise<boolean> {
  const rows = await tx`
    INSERT INTO blocks (account_id, target_account_id) VALUES (${accountId}, ${targetId})
    ON CONFLICT (account_id, target_account_id) DO NOTHING RETURNING id`;
  return rows.length > 0;
}

/** Deletes the block; returns it (its uri: the Block activity's id, if one was sent), null when there was none. */
export async function deleteBlock(tx: Tx, accountId: string, targetId: string): Promise<{ uri: string | null } | null> {
  const [row] = await tx`DELETE FROM blocks WHERE account_id = ${accountId} AND target_account_id = ${targetId} RETURNING uri`;
  return row ? { uri: (row.uri as string | null) ?? null } : null;
}

/**
 * Whether either account blocks the other, or either has blocked the
 * other's domain (a user's domain block is a block of everyone there).
 */
export async function blockedEitherWay(db: Db, a: string, b: string): Promise<boolean> {
  const [row] = await db`
    SELECT EXISTS (
      SELECT 1 FROM blocks
      WHERE (account_id = ${a} AND target_account_id = ${b}) OR (account_id = ${b} AND target_account_id = ${a})
    ) OR EXISTS (
      SELECT 1 FROM account_domain_blocks d JOIN accounts x ON lower(x.domain) = d.domain
      WHERE (d.account_id = ${a} AND x.id = ${b}) OR (d.account_id = ${b} AND x.id = ${a})
    ) AS blocked`;
  return row!.blocked as boolean;
}

export async function domainBlocked(db: Db, accountId: string, domain: string | null): Promise<boolean> {
  if (domain === null) return false;
  const [row] = await db`
    SELECT 1 FROM account_domain_blocks WHERE account_id = ${accountId} AND domain = ${domain.toLowerCase()}`;
  return row !== undefined;
}

export interface MuteRow {
  hideNotifications: boolean;
  expiresAt: Date | null;
  active: boolean;
}

/** The mute row, locked, including an expired one (so a re-mute can tell it is effectively new). */
export async function selectMuteForUpdate(tx: Tx, accountId: string, targetId: string): Promise<MuteRow | null> {
  const [row] = await tx`
    SELECT hide_notifications, expires_at, (expires_at IS NULL OR expires_at > now()) AS active
    FROM mutes WHERE account_id = ${accountId} AND target_account_id = ${targetId} FOR UPDATE`;
  return row ? { hideNotifications: row.hide_notifications, expiresAt: row.expires_at, active: row.active } : null;
}

/** Creates or replaces a mute; `durationSeconds` 0 means indefinite. */
export async function upsertMute(
  tx: Tx,
  accountId: string,
  targetId: string,
  hideNotifications: boolean,
  durationSeconds: number,
): Promise<void> {
  await tx`
    INSERT INTO mutes (account_id, target_account_id, hide_notifications, expires_at)
    VALUES (${accountId}, ${targetId}, ${hideNotifications},
            CASE WHEN ${durationSeconds}::int > 0 THEN now() + make_interval(secs => ${durationSeconds}::int) END)
    ON CONFLICT (account_id, target_account_id) DO UPDATE SET
      hide_notifications = EXCLUDED.hide_notifications,
      expires_at = EXCLUDED.expires_at`;
}

export async function deleteMute(tx: Tx, accountId: string, targetId: string): Promise<boolean> {
  const rows = await tx`DELETE FROM mutes WHERE account_id = ${accountId} AND target_account_id = ${targetId} RETURNING 1`;
  return rows.length > 0;
}

export async function insertDomainBlock(tx: Tx, accountId: string, domain: string): Promise<boolean> {
  const rows = await tx`
    INSERT INTO account_domain_blocks (account_id, domain) VALUES (${accountId}, ${domain})
    ON CONFLICT (account_id, domain) DO NOTHING RETURNING id`;
  return rows.length > 0;
}

export async function deleteDomainBlock(db: Db, accountId: string, domain: string): Promise<boolean> {
  const rows = await db`DELETE FROM account_domain_blocks WHERE account_id = ${accountId} AND domain = ${domain} RETURNING id`;
  return rows.length > 0;
}

// ---------------------------------------------------------------------------
// Endorsements and notes

export async function insertEndorsement(db: Db, accountId: string, targetId: string): Promise<void> {
  await db`
    INSERT INTO account_pins (account_id, target_account_id) VALUES (${accountId}, ${targetId})
    ON CONFLICT (account_id, target_account_id) DO NOTHING`;
}

export async function upsertNote(db: Db, accountId: string, targetId: string, comment: string): Promise<void> {
  await db`
    INSERT INTO account_notes (account_id, target_account_id, comment) VALUES (${accountId}, ${targetId}, ${comment})
    ON CONFLICT (account_id, target_account_id) DO UPDATE SET comment = EXCLUDED.comment`;
}

export async function deleteNote(db: Db, accountId: string, targetId: string): Promise<void> {
  await db`DELETE FROM account_notes WHERE account_id = ${accountId} AND target_account_id = ${targetId}`;
}

// ---------------------------------------------------------------------------
// Relationship maps

export interface RelationshipRow {
  id: string;
  following: boolean;
  followReblogs: boolean | null;
  followNotify: boolean | null;
  followLanguages: string[] | null;
  requested: boolean;
  requestReblogs: boolean | null;
  requestNotify: boolean | null;
  requestLanguages: string[] | null;
  followedBy: boolean;
  blocking: boolean;
  blockedBy: boolean;
  muting: boolean;
  muteHidesNotifications: boolean;
  muteExpiresAt: Date | null;
  requestedBy: boolean;
  domainBlocking: boolean;
  endorsed: boolean;
  note: string | null;
}

/** Everything the Relationship entity needs for many targets, in one query. */
export async function selectRelationshipRows(db: Db, viewerId: string, targetIds: string[]): Promise<RelationshipRow[]> {
  if (targetIds.length === 0) return [];
  const rows = await db`
    SELECT a.id,
           f.id IS NOT NULL AS following, f.show_reblogs AS f_reblogs, f.notify AS f_notify, f.languages AS f_languages,
           r.id IS NOT NULL AS requested, r.show_reblogs AS r_reblogs, r.notify AS r_notify, r.languages AS r_languages,
           EXISTS (SELECT 1 FROM follows WHERE account_id = a.id AND target_account_id = ${viewerId}) AS followed_by,
           EXISTS (SELECT 1 FROM blocks WHERE account_id = ${viewerId} AND target_account_id = a.id) AS blocking,
           EXISTS (SELECT 1 FROM blocks WHERE account_id = a.id AND target_account_id = ${viewerId}) AS blocked_by,
           m.account_id IS NOT NULL AS muting, m.hide_notifications, m.expires_at,
           EXISTS (SELECT 1 FROM follow_requests WHERE account_id = a.id AND target_account_id = ${viewerId}) AS requested_by,
           a.domain IS NOT NULL AND EXISTS (
             SELECT 1 FROM account_domain_blocks WHERE account_id = ${viewerId} AND domain = lower(a.domain)
           ) AS domain_blocking,
           EXISTS (SELECT 1 FROM account_pins WHERE account_id = ${viewerId} AND target_account_id = a.id) AS endorsed,
           n.comment
    FROM accounts a
    LEFT JOIN follows f ON f.account_id = ${viewerId} AND f.target_account_id = a.id
    LEFT JOIN follow_requests r ON r.account_id = ${viewerId} AND r.target_account_id = a.id
    LEFT JOIN mutes m ON m.account_id = ${viewerId} AND m.target_account_id = a.id
                     AND (m.expires_at IS NULL OR m.expires_at > now())
    LEFT JOIN account_notes n ON n.account_id = ${viewerId} AND n.target_account_id = a.id
    WHERE a.id = ANY(${targetIds}::bigint[])`;
  return rows.map((r) => ({
    id: r.id,
    following: r.following,
    followReblogs: r.f_reblogs,
    followNotify: r.f_notify,
    followLanguages: r.f_languages,
    requested: r.requested,
    requestReblogs: r.r_reblogs,
    requestNotify: r.r_notify,
    requestLanguages: r.r_languages,
    followedBy: r.followed_by,
    blocking: r.blocking,
    blockedBy: r.blocked_by,
    muting: r.muting,
    muteHidesNotifications: r.hide_notifications ?? false,
    muteExpiresAt: r.expires_at,
    requestedBy: r.requested_by,
    domainBlocking: r.domain_blocking,
    endorsed: r.endorsed,
    note: r.comment,
  }));
}

/** For each target, the viewer's follows that also follow it. */
export async function selectFamiliarFollowers(
  db: Db,
  viewerId: string,
  targetIds: string[],
): Promise<{ targetId: string; accountId: string }[]> {
  if (targetIds.length === 0) return [];
  const rows = await db`
    SELECT f.target_account_id, f.account_id
    FROM follows f
    JOIN follows mine ON mine.account_id = ${viewerId} AND mine.target_account_id = f.account_id
    JOIN accounts a ON a.id = f.account_id AND a.suspended_at IS NULL
    JOIN accounts t ON t.id = f.target_account_id AND NOT t.hide_collections
    WHERE f.target_account_id = ANY(${targetIds}::bigint[]) AND f.account_id <> ${viewerId}
    ORDER BY f.id DESC`;
  return rows.map((r) => ({ targetId: r.target_account_id as string, accountId: r.account_id as string }));
}

// ---------------------------------------------------------------------------
// Reads other modules use (through service.ts)

/** Accounts the viewer blocks, is blocked by, or mutes (unexpired). */
export async function selectHiddenAccountIds(db: Db, viewerId: string): Promise<string[]> {
  const rows = await db`
    SELECT target_account_id AS id FROM blocks WHERE account_id = ${viewerId}
    UNION
    SELECT account_id FROM blocks WHERE target_account_id = ${viewerId}
    UNION
    SELECT target_account_id FROM mutes
    WHERE account_id = ${viewerId} AND (expires_at IS NULL OR expires_at > now())`;
  return rows.map((r) => r.id as string);
}

/** Accounts whose notifications `accountId` muted (unexpired mutes with hide_notifications), optionally among `among`. */
export async function selectMutedNotificationSenders(db: Db, accountId: string, among?: string[]): Promise<string[]> {
  const rows = await db`
    SELECT target_account_id AS id FROM mutes
    WHERE account_id = ${accountId} AND hide_notifications AND (expires_at IS NULL OR expires_at > now())
      ${among ? db`AND target_account_id = ANY(${among}::bigint[])` : db``}`;
  return rows.map((r) => r.id as string);
}

export async function selectBlockedDomains(db: Db, accountId: string): Promise<string[]> {
  const rows = await db`SELECT domain FROM account_domain_blocks WHERE account_id = ${accountId}`;
  return rows.map((r) => r.domain as string);
}

export async function selectFollowerPage(
  db: Db,
  accountId: string,
  afterFollowId: string | null,
  limit: number,
  localOnly: boolean,
  activeSince: Date | null = null,
): Promise<{ followId: string; accountId: string }[]> {
  // Only local accounts have a users row, so the activity join implies localOnly.
  const rows = await db`
    SELECT f.id, f.account_id FROM follows f
    ${
      activeSince
        ? db`JOIN users u ON u.account_id = f.account_id AND u.last_sign_in_at >= ${activeSince}`
        : localOnly
          ? db`JOIN accounts a ON a.id = f.account_id AND a.domain IS NULL`
          : db``
    }
    WHERE f.target_account_id = ${accountId}
      ${afterFollowId ? db`AND f.id > ${afterFollowId}` : db``}
    ORDER BY f.id
    LIMIT ${limit}`;
  return rows.map((r) => ({ followId: r.id as string, accountId: r.account_id as string }));
}

// ---------------------------------------------------------------------------
// Paginated lists: rows of { cursor (the relationship row id), accountId }

export interface ListRow {
  cursor: string;
  accountId: string;
}

/** max_id / since_id / min_id on `column`, newest first (min_id reads forward and is reversed back). */
function pageClause(sql: Sql, column: string, page: Page) {
  const col = sql(column);
  return sql`
    ${page.maxId ? sql`AND ${col} < ${page.maxId}` : sql``}
    ${page.sinceId ? sql`AND ${col} > ${page.sinceId}` : sql``}
    ${page.minId ? sql`AND ${col} > ${page.minId}` : sql``}
    ORDER BY ${col} ${page.minId ? sql`ASC` : sql`DESC`}
    LIMIT ${page.limit}`;
}

function ordered<T>(rows: T[], page: Page): T[] {
  return page.minId ? rows.reverse() : rows;
}

const toListRow = (r: Record<string, any>): ListRow => ({ cursor: r.cursor, accountId: r.account_id });

/** Accounts hidden from `viewerId` (blocks both ways, active mutes), as a subquery. */
function hiddenFrom(sql: Sql, viewerId: string | null, column: string) {
  if (viewerId === null) return sql``;
  const col = sql(column);
  return sql`
    AND ${col} NOT IN (
      SELECT target_account_id FROM blocks WHERE account_id = ${viewerId}
      UNION ALL SELECT account_id FROM blocks WHERE target_account_id = ${viewerId}
      UNION ALL SELECT target_account_id FROM mutes
        WHERE account_id = ${viewerId} AND (expires_at IS NULL OR expires_at > now()))`;
}

export async function selectFollowers(sql: Sql, accountId: string, viewerId: string | null, page: Page): Promise<ListRow[]> {
  const rows = await sql`
    SELECT f.id AS cursor, f.account_id FROM follows f JOIN accounts a ON a.id = f.account_id
    WHERE f.target_account_id = ${accountId} AND a.suspended_at IS NULL
      ${hiddenFrom(sql, viewerId, "f.account_id")}
      ${pageClause(sql, "f.id", page)}`;
  return ordered(rows.map(toListRow), page);
}

export async function selectFollowing(sql: Sql, accountId: string, viewerId: string | null, page: Page): Promise<ListRow[]> {
  const rows = await sql`
    SELECT f.id AS cursor, f.target_account_id AS account_id FROM follows f JOIN accounts a ON a.id = f.target_account_id
    WHERE f.account_id = ${accountId} AND a.suspended_at IS NULL
      ${hiddenFrom(sql, viewerId, "f.target_account_id")}
      ${pageClause(sql, "f.id", page)}`;
  return ordered(rows.map(toListRow), page);
}

export async function selectIncomingFollowRequests(sql: Sql, accountId: string, page: Page): Promise<ListRow[]> {
  const rows = await sql`
    SELECT r.id AS cursor, r.account_id FROM follow_requests r JOIN accounts a ON a.id = r.account_id
    WHERE r.target_account_id = ${accountId} AND a.suspended_at IS NULL
      ${pageClause(sql, "r.id", page)}`;
  return ordered(rows.map(toListRow), page);
}

export async function selectBlocks(sql: Sql, accountId: string, page: Page): Promise<ListRow[]> {
  const rows = await sql`
    SELECT b.id AS cursor, b.target_account_id AS account_id FROM blocks b
    WHERE b.account_id = ${accountId}
      ${pageClause(sql, "b.id", page)}`;
  return ordered(rows.map(toListRow), page);
}

export async function selectMutes(
  sql: Sql,
  accountId: string,
  page: Page,
): Promise<(ListRow & { expiresAt: Date | null })[]> {
  const rows = await sql`
    SELECT m.id AS cursor, m.target_account_id AS account_id, m.expires_at FROM mutes m
    WHERE m.account_id = ${accountId} AND (m.expires_at IS NULL OR m.expires_at > now())
      ${pageClause(sql, "m.id", page)}`;
  return ordered(
    rows.map((r) => ({ ...toListRow(r), expiresAt: r.expires_at as Date | null })),
    page,
  );
}

export async function selectEndorsements(sql: Sql, accountId: string, page: Page): Promise<ListRow[]> {
  const rows = await sql`
    SELECT p.id AS cursor, p.target_account_id AS account_id FROM account_pins p JOIN accounts a ON a.id = p.target_account_id
    WHERE p.account_id = ${accountId} AND a.suspended_at IS NULL
      ${pageClause(sql, "p.id", page)}`;
  return ordered(rows.map(toListRow), page);
}

export async function selectDomainBlocks(sql: Sql, accountId: string, page: Page): Promise<{ cursor: string; domain: string }[]> {
  const rows = await sql`
    SELECT d.id AS cursor, d.domain FROM account_domain_blocks d
    WHERE d.account_id = ${accountId}
      ${pageClause(sql, "d.id", page)}`;
  return ordered(
    rows.map((r) => ({ cursor: r.cursor as string, domain: r.domain as string })),
    page,
  );
}

// ---------------------------------------------------------------------------
// Suggestions

/**
 * Accounts never to suggest to `accountId`: itself, whom it follows or asked
 * to follow, blocks either way, mutes, dismissals, and domains it blocks.
 * Candidates must be discoverable, not suspended, moved or (local) pending.
 */
function suggestable(sql: Sql, accountId: string, column: string) {
  const col = sql(column);
  return sql`
    ${col} <> ${accountId}
    AND NOT EXISTS (SELECT 1 FROM follows WHERE account_id = ${accountId} AND target_account_id = ${col})
    AND NOT EXISTS (SELECT 1 FROM follow_requests WHERE account_id = ${accountId} AND target_account_id = ${col})
    AND NOT EXISTS (SELECT 1 FROM blocks WHERE account_id = ${accountId} AND target_account_id = ${col})
    AND NOT EXISTS (SELECT 1 FROM blocks WHERE account_id = ${col} AND target_account_id = ${accountId})
    AND NOT EXISTS (SELECT 1 FROM mutes WHERE account_id = ${accountId} AND target_account_id = ${col}
                    AND (expires_at IS NULL OR expires_at > now()))
    AND NOT EXISTS (SELECT 1 FROM suggestion_dismissals WHERE account_id = ${accountId} AND target_account_id = ${col})
    AND EXISTS (
      SELECT 1 FROM accounts c LEFT JOIN users cu ON cu.account_id = c.id
      WHERE c.id = ${col} AND c.discoverable AND c.suspended_at IS NULL AND c.moved_to_account_id IS NULL
        AND NOT c.memorial
        AND (c.domain IS NULL AND cu.approved AND cu.confirmed_at IS NOT NULL AND NOT cu.disabled
             OR c.domain IS NOT NULL AND lower(c.domain) NOT IN (
               SELECT domain FROM account_domain_blocks WHERE account_id = ${accountId})))`;
}

/**
 * Friends of friends: accounts followed by the accounts `accountId` follows
 * (those that don't hide their follows), ranked by how many of them do.
 */
export async function selectFriendsOfFriends(sql: Sql, accountId: string, limit: number): Promise<string[]> {
  const rows = await sql`
    SELECT f.target_account_id AS id
    FROM follows mine
    JOIN accounts friend ON friend.id = mine.target_account_id AND NOT friend.hide_collections
    JOIN follows f ON f.account_id = mine.target_account_id
    WHERE mine.account_id = ${accountId} AND ${suggestable(sql, accountId, "f.target_account_id")}
    GROUP BY f.target_account_id
    ORDER BY count(*) DESC, max(f.id) DESC
    LIMIT ${limit}`;
  return rows.map((r) => r.id as string);
}

/** Accounts that posted publicly in the last 30 days, most followed first. */
export async function selectActiveAccounts(sql: Sql, accountId: string, exclude: string[], limit: number): Promise<string[]> {
  const rows = await sql`
    SELECT a.id FROM accounts a
    LEFT JOIN account_stats s ON s.account_id = a.id
    WHERE a.id <> ALL(${exclude}::bigint[])
      AND EXISTS (
        SELECT 1 FROM statuses st
        WHERE st.account_id = a.id AND st.deleted_at IS NULL AND st.visibility IN ('public', 'unlisted')
          AND st.id > ((floor(extract(epoch FROM now() - interval '30 days') * 1000)::bigint) << 16))
      AND ${suggestable(sql, accountId, "a.id")}
    ORDER BY coalesce(s.followers_count, 0) DESC, s.last_status_at DESC NULLS LAST, a.id DESC
    LIMIT ${limit}`;
  return rows.map((r) => r.id as string);
}

export async function insertSuggestionDismissal(db: Db, accountId: string, targetId: string): Promise<void> {
  await db`
    INSERT INTO suggestion_dismissals (account_id, target_account_id) VALUES (${accountId}, ${targetId})
    ON CONFLICT DO NOTHING`;
}

/** Whether `accountId` blocks `targetId` (one direction only). */
export async function blocks(db: Db, accountId: string, targetId: string): Promise<boolean> {
  const [row] = await db`SELECT 1 FROM blocks WHERE account_id = ${accountId} AND target_account_id = ${targetId}`;
  return row !== undefined;
}

/** The oldest pending requesters of `accountId`. */
export async function selectRequesterIds(db: Db, accountId: string, limit: number): Promise<string[]> {
  const rows = await db`
    SELECT account_id FROM follow_requests WHERE target_account_id = ${accountId} ORDER BY id LIMIT ${limit}`;
  return rows.map((r) => r.account_id as string);
}

/** A local, unlocked account with follow requests still pending (it was just unlocked). */
export async function hasRequestsWhileUnlocked(db: Db, accountId: string): Promise<boolean> {
  const [row] = await db`
    SELECT 1 FROM accounts a
    WHERE a.id = ${accountId} AND a.domain IS NULL AND NOT a.locked
      AND EXISTS (SELECT 1 FROM follow_requests r WHERE r.target_account_id = a.id)`;
  return row !== undefined;
}
