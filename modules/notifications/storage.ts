/**
 * The SQL the notifications module owns: notifications, their policy,
 * requests (filtered notifications) and permissions. Conversations and
 * markers keep their SQL next to their use cases (conversations.ts,
 * markers.ts).
 */
import type { Db } from "../../src/db/index.ts";
import type { Page } from "../../src/http/pagination.ts";

export interface NotificationRow {
  id: string;
  account_id: string;
  from_account_id: string;
  type: string;
  status_id: string | null;
  group_key: string;
  filtered: boolean;
  created_at: Date;
}

/** What a list of notifications is narrowed to (v1 and v2 parameters). */
export interface NotificationFilter {
  types?: string[];
  excludeTypes?: string[];
  fromAccountId?: string;
  includeFiltered?: boolean;
}

const COLUMNS = "n.id, n.account_id, n.from_account_id, n.type, n.status_id, n.group_key, n.filtered, n.created_at";

/**
 * The conditions every read applies: the viewer's own, unfiltered (unless
 * asked) notifications from senders who are not suspended, not blocked
 * either way and not on a domain the viewer blocks. Expects the aliases `n`
 * (notifications) and `a` (the sender's account).
 */
function readable(db: Db, accountId: string, filter: NotificationFilter) {
  const types = filter.types?.length ? filter.types : null;
  const exclude = filter.excludeTypes?.length ? filter.excludeTypes : null;
  return db`
    n.account_id = ${accountId}
    AND a.suspended_at IS NULL
    ${filter.includeFiltered ? db`` : db`AND NOT n.filtered`}
    ${types ? db`AND n.type = ANY(${types}::text[])` : db``}
    ${exclude ? db`AND NOT (n.type = ANY(${exclude}::text[]))` : db``}
    ${filter.fromAccountId ? db`AND n.from_account_id = ${filter.fromAccountId}` : db``}
    AND NOT EXISTS (
      SELECT 1 FROM blocks b
      WHERE (b.account_id = n.account_id AND b.target_account_id = n.from_account_id)
         OR (b.account_id = n.from_account_id AND b.target_account_id = n.account_id))
    AND NOT (a.domain IS NOT NULL AND EXISTS (
      SELECT 1 FROM account_domain_blocks d WHERE d.account_id = n.account_id AND lower(d.domain) = lower(a.domain)))`;
}

/**
 * The notifications a group key names: `ungrouped-<id>` is that one
 * notification (whatever key it was stored with, since `grouped_types` can
 * show a groupable notification on its own), anything else a stored key.
 */
function inGroup(db: Db, groupKey: string) {
  const ungrouped = /^ungrouped-(\d{1,19})$/.exec(groupKey);
  return ungrouped ? db`n.id = ${ungrouped[1]!}` : db`n.group_key = ${groupKey}`;
}

/**
 * One page of notifications, newest first. `min_id` reads forward (the
 * page just above it), still returned newest first, as Mastodon does.
 */
export async function selectNotificationPage(
  db: Db,
  accountId: string,
  filter: NotificationFilter,
  page: Page,
): Promise<NotificationRow[]> {
  const ascending = page.minId !== undefined;
  const rows = await db<NotificationRow[]>`
    SELECT ${db.unsafe(COLUMNS)}
    FROM notifications n JOIN accounts a ON a.id = n.from_account_id
    WHERE ${readable(db, accountId, filter)}
      ${page.maxId ? db`AND n.id < ${page.maxId}` : db``}
      ${page.sinceId ? db`AND n.id > ${page.sinceId}` : db``}
      ${page.minId ? db`AND n.id > ${page.minId}` : db``}
    ORDER BY n.id ${ascending ? db`ASC` : db`DESC`}
    LIMIT ${page.limit}`;
  return ascending ? rows.reverse() : rows;
}

/** Raw batch reading for grouping: `direction` decides which way from `cursor`. */
export async function selectNotificationBatch(
  db: Db,
  accountId: string,
  filter: NotificationFilter,
  bounds: { below?: string; above?: string },
  direction: "desc" | "asc",
  limit: number,
): Promise<NotificationRow[]> {
  return db<NotificationRow[]>`
    SELECT ${db.unsafe(COLUMNS)}
    FROM notifications n JOIN accounts a ON a.id = n.from_account_id
    WHERE ${readable(db, accountId, filter)}
      ${bounds.below ? db`AND n.id < ${bounds.below}` : db``}
      ${bounds.above ? db`AND n.id > ${bounds.above}` : db``}
    ORDER BY n.id ${direction === "asc" ? db`ASC` : db`DESC`}
    LIMIT ${limit}`;
}

export async function selectNotification(
  db: Db,
  accountId: string,
  notificationId: string,
): Promise<NotificationRow | null> {
  const [row] = await db<NotificationRow[]>`
    SELECT ${db.unsafe(COLUMNS)}
    FROM notifications n JOIN accounts a ON a.id = n.from_account_id
    WHERE n.id = ${notificationId} AND ${readable(db, accountId, { includeFiltered: true })}`;
  return row ?? null;
}

/** The newest notification of a group (grouped API's `/:group_key`). */
export async function selectGroupHead(
  db: Db,
  accountId: string,
  groupKey: string,
): Promise<NotificationRow | null> {
  const [row] = await db<NotificationRow[]>`
    SELECT ${db.unsafe(COLUMNS)}
    FROM notifications n JOIN accounts a ON a.id = n.from_account_id
    WHERE ${inGroup(db, groupKey)} AND ${readable(db, accountId, {})}
    ORDER BY n.id DESC LIMIT 1`;
  return row && groupKey.startsWith("ungrouped-") ? { ...row, group_key: groupKey } : (row ?? null);
}

/** Senders of a group, newest first, paginated by notification id. */
export async function selectGroupSenders(
  db: Db,
  accountId: string,
  groupKey: string,
  page: Page,
): Promise<{ id: string; from_account_id: string }[]> {
  const ascending = page.minId !== undefined;
  const rows = await db<{ id: string; from_account_id: string }[]>`
    SELECT n.id, n.from_account_id
    FROM notifications n JOIN accounts a ON a.id = n.from_account_id
    WHERE ${inGroup(db, groupKey)} AND ${readable(db, accountId, {})}
      ${page.maxId ? db`AND n.id < ${page.maxId}` : db``}
      ${page.sinceId ? db`AND n.id > ${page.sinceId}` : db``}
      ${page.minId ? db`AND n.id > ${page.minId}` : db``}
    ORDER BY n.id ${ascending ? db`ASC` : db`DESC`}
    LIMIT ${page.limit}`;
  return ascending ? rows.reverse() : rows;
}

export interface GroupData {
  group_key: string;
  most_recent_id: string | null;
  sample_account_ids: string[];
  notifications_count: number;
  min_id: string | null;
  latest_at: Date | null;
}

/**
 * Per group: the newest notification at or below `maxId`, the newest
 * senders (samples), how many notifications it holds at or below `maxId`,
 * and the oldest id at or above `minId` (the page's lower edge), as
 * Mastodon's NotificationGroup.load_groups_data computes them.
 */
export async function selectGroupData(
  db: Db,
  accountId: string,
  groupKeys: string[],
  range: { minId: string; maxId: string } | null,
  sampleSize: number,
): Promise<Map<string, GroupData>> {
  if (groupKeys.length === 0) return new Map();
  // Every subquery reads `notifications n` joined to the sender `a`, as readable() expects.
  const within = () =>
    db`FROM notifications n JOIN accounts a ON a.id = n.from_account_id
       WHERE n.group_key = g.key ${range ? db`AND n.id <= ${range.maxId}` : db``}`;
  const rows = await db<GroupData[]>`
    SELECT g.key AS group_key,
      (SELECT n.id ${within()} AND ${readable(db, accountId, {})} ORDER BY n.id DESC LIMIT 1) AS most_recent_id,
      ARRAY(SELECT n.from_account_id ${within()} AND ${readable(db, accountId, {})}
            ORDER BY n.id DESC LIMIT ${sampleSize}) AS sample_account_ids,
      (SELECT count(*)::int ${within()} AND ${readable(db, accountId, {})}) AS notifications_count,
      ${range
        ? db`(SELECT n.id ${within()} AND n.id >= ${range.minId} AND ${readable(db, accountId, {})}
              ORDER BY n.id ASC LIMIT 1)`
        : db`NULL::bigint`} AS min_id,
      (SELECT n.created_at ${within()} AND ${readable(db, accountId, {})} ORDER BY n.id DESC LIMIT 1) AS latest_at
    FROM unnest(${groupKeys}::text[]) AS g(key)`;
  return new Map(rows.map((r) => [r.group_key, r]));
}

/** Counts notifications above `afterId` (the notifications marker), up to `limit`. */
export async function countUnread(
  db: Db,
  accountId: string,
  filter: NotificationFilter,
  afterId: string | null,
  limit: number,
): Promise<number> {
  const [row] = await db<{ count: number }[]>`
    SELECT count(*)::int AS count FROM (
      SELECT 1 FROM notifications n JOIN accounts a ON a.id = n.from_account_id
      WHERE ${readable(db, accountId, filter)} ${afterId ? db`AND n.id > ${afterId}` : db``}
      LIMIT ${limit}) x`;
  return row?.count ?? 0;
}

/** Counts distinct groups above `afterId` (v2 unread_count), up to `limit`. */
export async function countUnreadGroups(
  db: Db,
  accountId: string,
  filter: NotificationFilter,
  groupedTypes: string[],
  afterId: string | null,
  limit: number,
): Promise<number> {
  const [row] = await db<{ count: number }[]>`
    SELECT count(*)::int AS count FROM (
      SELECT DISTINCT CASE WHEN n.type = ANY(${groupedTypes}::text[]) THEN n.group_key ELSE 'ungrouped-' || n.id END
      FROM notifications n JOIN accounts a ON a.id = n.from_account_id
      WHERE ${readable(db, accountId, filter)} ${afterId ? db`AND n.id > ${afterId}` : db``}
      LIMIT ${limit}) x`;
  return row?.count ?? 0;
}

// Writes ---------------------------------------------------------------------------

export interface NewNotification {
  accountId: string;
  fromAccountId: string;
  type: string;
  statusId: string | null;
  /** Null for ungrouped types: the key becomes `ungrouped-<id>`. */
  groupKey: string | null;
  dedupeKey: string;
  filtered: boolean;
}

/**
 * Inserts once per (recipient, dedupe key); a filtered notification also
 * opens (or refreshes) the recipient's request for that sender, in the same
 * statement so a replay can't count twice. Returns the new id, or null when
 * the notification already existed.
 */
export async function insertNotification(db: Db, n: NewNotification): Promise<string | null> {
  const [row] = await db<{ id: string }[]>`
    WITH next AS (SELECT nextval('notifications_id_seq') AS id),
    inserted AS (
      INSERT INTO notifications (id, account_id, from_account_id, type, status_id, group_key, dedupe_key, filtered)
      SELECT next.id, ${n.accountId}, ${n.fromAccountId}, ${n.type}, ${n.statusId},
             ${n.groupKey === null ? db`'ungrouped-' || next.id` : db`${n.groupKey}`}, ${n.dedupeKey}, ${n.filtered}
      FROM next
      ON CONFLICT (account_id, dedupe_key) DO NOTHING
      RETURNING id, filtered
    ),
    request AS (
      INSERT INTO notification_requests (account_id, from_account_id, last_status_id)
      SELECT ${n.accountId}, ${n.fromAccountId}, ${n.statusId} FROM inserted WHERE inserted.filtered
      ON CONFLICT (account_id, from_account_id) DO UPDATE
        SET last_status_id = COALESCE(EXCLUDED.last_status_id, notification_requests.last_status_id),
            updated_at = now()
    )
    SELECT id FROM inserted`;
  return row?.id ?? null;
}

/**
 * The group a groupable notification joins: Mastodon buckets by hour and
 * keeps extending the latest bucket of the same kind for up to 12 hours,
 * so the candidates are the keys of the last 12 buckets.
 */
export async function latestGroupBucket(db: Db, accountId: string, candidates: string[]): Promise<string | null> {
  const rows = await db<{ group_key: string }[]>`
    SELECT DISTINCT group_key FROM notifications
    WHERE account_id = ${accountId} AND group_key = ANY(${candidates}::text[])`;
  const found = new Set(rows.map((r) => r.group_key));
  // Candidates are ordered newest bucket first.
  return candidates.find((key) => found.has(key)) ?? null;
}

export async function deleteNotification(db: Db, accountId: string, notificationId: string): Promise<boolean> {
  const rows = await db`DELETE FROM notifications WHERE account_id = ${accountId} AND id = ${notificationId} RETURNING id`;
  return rows.length > 0;
}

export async function deleteGroup(db: Db, accountId: string, groupKey: string): Promise<void> {
  await db`DELETE FROM notifications n WHERE n.account_id = ${accountId} AND ${inGroup(db, groupKey)}`;
}

/** `clear` removes what the inbox shows; filtered notifications stay with their requests. */
export async function deleteAllNotifications(db: Db, accountId: string): Promise<void> {
  await db`DELETE FROM notifications WHERE account_id = ${accountId} AND NOT filtered`;
}

export async function deleteByDedupeKey(db: Db, dedupeKeys: string[]): Promise<void> {
  if (dedupeKeys.length === 0) return;
  await db`DELETE FROM notifications WHERE dedupe_key = ANY(${dedupeKeys}::text[])`;
}

export async function deleteAboutStatus(db: Db, statusId: string): Promise<void> {
  await db`DELETE FROM notifications WHERE status_id = ${statusId} OR dedupe_key = ${`reblog:${statusId}`}`;
}

export async function deleteFrom(
  db: Db,
  where: { accountId: string; fromAccountId: string; types?: string[]; statusId?: string },
): Promise<number> {
  const rows = await db`
    DELETE FROM notifications
    WHERE account_id = ${where.accountId} AND from_account_id = ${where.fromAccountId}
      ${where.types ? db`AND type = ANY(${where.types}::text[])` : db``}
      ${where.statusId ? db`AND status_id = ${where.statusId}` : db``}
    RETURNING id`;
  return rows.length;
}

// What the notification gate needs to know --------------------------------------

export interface GateFacts {
  recipient_local: boolean;
  recipient_suspended: boolean;
  sender_suspended: boolean;
  sender_limited: boolean;
  sender_new: boolean;
  blocked: boolean;
  muted_notifications: boolean;
  muted: boolean;
  domain_blocked: boolean;
  following: boolean;
  established_follower: boolean;
  permitted: boolean;
  for_not_following: string;
  for_not_followers: string;
  for_new_accounts: string;
  for_private_mentions: string;
  for_limited_accounts: string;
}

/** Everything about recipient × sender that decides drop / filter / accept, in one query. */
export async function selectGateFacts(db: Db, recipientId: string, senderId: string): Promise<GateFacts | null> {
  const [row] = await db<GateFacts[]>`
    SELECT
      r.domain IS NULL AS recipient_local,
      r.suspended_at IS NOT NULL AS recipient_suspended,
      s.suspended_at IS NOT NULL AS sender_suspended,
      s.silenced_at IS NOT NULL AS sender_limited,
      s.created_at > now() - interval '30 days' AS sender_new,
      EXISTS (SELECT 1 FROM blocks b
              WHERE (b.account_id = r.id AND b.target_account_id = s.id)
                 OR (b.account_id = s.id AND b.target_account_id = r.id)) AS blocked,
      EXISTS (SELECT 1 FROM mutes m
              WHERE m.account_id = r.id AND m.target_account_id = s.id AND m.hide_notifications
                AND (m.expires_at IS NULL OR m.expires_at > now())) AS muted_notifications,
      EXISTS (SELECT 1 FROM mutes m
              WHERE m.account_id = r.id AND m.target_account_id = s.id
                AND (m.expires_at IS NULL OR m.expires_at > now())) AS muted,
      (s.domain IS NOT NULL AND EXISTS (
        SELECT 1 FROM account_domain_blocks d WHERE d.account_id = r.id AND lower(d.domain) = lower(s.domain))) AS domain_blocked,
      EXISTS (SELECT 1 FROM follows f WHERE f.account_id = r.id AND f.target_account_id = s.id) AS following,
      -- Mastodon counts a follower for the policy only after three days, so
      -- following just to get through a filter doesn't work.
      EXISTS (SELECT 1 FROM follows f WHERE f.account_id = s.id AND f.target_account_id = r.id
                AND f.created_at <= now() - interval '3 days') AS established_follower,
      EXISTS (SELECT 1 FROM notification_permissions np
              WHERE np.account_id = r.id AND np.from_account_id = s.id) AS permitted,
      COALESCE(p.for_not_following, 'accept') AS for_not_following,
      COALESCE(p.for_not_followers, 'accept') AS for_not_followers,
      COALESCE(p.for_new_accounts, 'accept') AS for_new_accounts,
      COALESCE(p.for_private_mentions, 'filter') AS for_private_mentions,
      COALESCE(p.for_limited_accounts, 'filter') AS for_limited_accounts
    FROM accounts r CROSS JOIN accounts s
    LEFT JOIN notification_policies p ON p.account_id = r.id
    WHERE r.id = ${recipientId} AND s.id = ${senderId}`;
  return row ?? null;
}

export interface StatusFacts {
  id: string;
  account_id: string;
  visibility: string;
  reblog_of_id: string | null;
  in_reply_to_id: string | null;
  in_reply_to_account_id: string | null;
  conversation_id: string | null;
  edited_at: Date | null;
  deleted_at: Date | null;
}

export async function selectStatusFacts(db: Db, statusId: string): Promise<StatusFacts | null> {
  const [row] = await db<StatusFacts[]>`
    SELECT id, account_id, visibility, reblog_of_id, in_reply_to_id, in_reply_to_account_id,
           conversation_id, edited_at, deleted_at
    FROM statuses WHERE id = ${statusId}`;
  return row ?? null;
}

/**
 * Whether the recipient muted the status's conversation, or blocks (or
 * mutes with notifications) someone else the status involves — the
 * accounts it mentions or replies to — as Mastodon's mention filter does.
 */
export async function selectStatusGate(
  db: Db,
  recipientId: string,
  status: StatusFacts,
): Promise<{ conversation_muted: boolean; involves_hidden: boolean }> {
  const [row] = await db<{ conversation_muted: boolean; involves_hidden: boolean }[]>`
    WITH involved AS (
      SELECT account_id AS id FROM mentions WHERE status_id = ${status.id}
      UNION SELECT ${status.in_reply_to_account_id}::bigint WHERE ${status.in_reply_to_account_id}::bigint IS NOT NULL
    )
    SELECT
      EXISTS (SELECT 1 FROM conversation_mutes cm
              WHERE cm.account_id = ${recipientId}
                AND cm.conversation_id = ${status.conversation_id ?? status.id}) AS conversation_muted,
      EXISTS (SELECT 1 FROM involved i
              WHERE i.id <> ${recipientId} AND i.id <> ${status.account_id}
                AND (EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = ${recipientId} AND b.target_account_id = i.id)
                  OR EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = ${recipientId} AND m.target_account_id = i.id
                               AND m.hide_notifications AND (m.expires_at IS NULL OR m.expires_at > now())))
      ) AS involves_hidden`;
  return row ?? { conversation_muted: false, involves_hidden: false };
}

// Policy, requests, permissions -------------------------------------------------------

export interface PolicyRow {
  for_not_following: string;
  for_not_followers: string;
  for_new_accounts: string;
  for_private_mentions: string;
  for_limited_accounts: string;
}

export async function selectPolicy(db: Db, accountId: string): Promise<PolicyRow> {
  const [row] = await db<PolicyRow[]>`
    SELECT for_not_following, for_not_followers, for_new_accounts, for_private_mentions, for_limited_accounts
    FROM notification_policies WHERE account_id = ${accountId}`;
  return (
    row ?? {
      for_not_following: "accept",
      for_not_followers: "accept",
      for_new_accounts: "accept",
      for_private_mentions: "filter",
      for_limited_accounts: "filter",
    }
  );
}

export async function upsertPolicy(db: Db, accountId: string, policy: PolicyRow): Promise<void> {
  await db`
    INSERT INTO notification_policies ${db({ account_id: accountId, ...policy })}
    ON CONFLICT (account_id) DO UPDATE SET
      for_not_following = EXCLUDED.for_not_following,
      for_not_followers = EXCLUDED.for_not_followers,
      for_new_accounts = EXCLUDED.for_new_accounts,
      for_private_mentions = EXCLUDED.for_private_mentions,
      for_limited_accounts = EXCLUDED.for_limited_accounts`;
}

export interface RequestRow {
  id: string;
  from_account_id: string;
  created_at: Date;
  updated_at: Date;
  notifications_count: number;
  last_status_id: string | null;
}

/**
 * Requests with their live counts: a request whose filtered notifications
 * were all deleted (status gone, unfavourited…) is not pending any more.
 */
function requestSelect(db: Db, accountId: string) {
  return db`
    SELECT r.id, r.from_account_id, r.created_at, r.updated_at, c.notifications_count, c.last_status_id
    FROM notification_requests r
    JOIN accounts a ON a.id = r.from_account_id AND a.suspended_at IS NULL
    JOIN LATERAL (
      SELECT count(*)::int AS notifications_count, max(n.status_id) AS last_status_id
      FROM notifications n
      WHERE n.account_id = r.account_id AND n.from_account_id = r.from_account_id AND n.filtered
    ) c ON c.notifications_count > 0
    WHERE r.account_id = ${accountId}`;
}

export async function selectRequestPage(db: Db, accountId: string, page: Page): Promise<RequestRow[]> {
  const ascending = page.minId !== undefined;
  const rows = await db<RequestRow[]>`
    SELECT * FROM (${requestSelect(db, accountId)}) q
    WHERE true
      ${page.maxId ? db`AND q.id < ${page.maxId}` : db``}
      ${page.sinceId ? db`AND q.id > ${page.sinceId}` : db``}
      ${page.minId ? db`AND q.id > ${page.minId}` : db``}
    ORDER BY q.id ${ascending ? db`ASC` : db`DESC`}
    LIMIT ${page.limit}`;
  return ascending ? rows.reverse() : rows;
}

export async function selectRequests(db: Db, accountId: string, ids: string[]): Promise<RequestRow[]> {
  if (ids.length === 0) return [];
  return db<RequestRow[]>`SELECT * FROM (${requestSelect(db, accountId)}) q WHERE q.id = ANY(${ids}::bigint[])`;
}

export async function selectRequestSummary(
  db: Db,
  accountId: string,
): Promise<{ pending_requests_count: number; pending_notifications_count: number }> {
  const [row] = await db<{ pending_requests_count: number; pending_notifications_count: number }[]>`
    SELECT LEAST(count(*), 100)::int AS pending_requests_count,
           COALESCE(sum(q.notifications_count), 0)::int AS pending_notifications_count
    FROM (${requestSelect(db, accountId)}) q`;
  return row ?? { pending_requests_count: 0, pending_notifications_count: 0 };
}

/** The raw request rows (no live count), for accept/dismiss by id. */
export async function selectRequestSenders(
  db: Db,
  accountId: string,
  ids: string[],
): Promise<{ id: string; from_account_id: string }[]> {
  if (ids.length === 0) return [];
  return db<{ id: string; from_account_id: string }[]>`
    SELECT id, from_account_id FROM notification_requests
    WHERE account_id = ${accountId} AND id = ANY(${ids}::bigint[])`;
}

/** Accepting lets the sender through from now on and releases what was held. */
export async function acceptRequest(db: Db, accountId: string, requestId: string, fromAccountId: string): Promise<void> {
  await db`
    INSERT INTO notification_permissions (account_id, from_account_id) VALUES (${accountId}, ${fromAccountId})
    ON CONFLICT DO NOTHING`;
  await db`
    UPDATE notifications SET filtered = false
    WHERE account_id = ${accountId} AND from_account_id = ${fromAccountId} AND filtered`;
  await db`DELETE FROM notification_requests WHERE id = ${requestId}`;
}

/** Dismissing throws away what was held; later notifications are filtered again. */
export async function dismissRequest(db: Db, accountId: string, requestId: string, fromAccountId: string): Promise<void> {
  await db`
    DELETE FROM notifications
    WHERE account_id = ${accountId} AND from_account_id = ${fromAccountId} AND filtered`;
  await db`DELETE FROM notification_requests WHERE id = ${requestId}`;
}

// What the event handlers read ---------------------------------------------------------

/** Local accounts a status mentions out loud (silent mentions, added by edits, don't notify). */
export async function selectLocalMentionedIds(db: Db, statusId: string): Promise<string[]> {
  const rows = await db<{ account_id: string }[]>`
    SELECT m.account_id FROM mentions m JOIN accounts a ON a.id = m.account_id AND a.domain IS NULL
    WHERE m.status_id = ${statusId} AND NOT m.silent`;
  return rows.map((r) => r.account_id);
}

/** A page of the author's local followers who asked to be notified of new posts. */
export async function selectNotifyFollowers(
  db: Db,
  authorId: string,
  afterFollowId: string | null,
  limit: number,
): Promise<{ follow_id: string; account_id: string }[]> {
  return db<{ follow_id: string; account_id: string }[]>`
    SELECT f.id AS follow_id, f.account_id
    FROM follows f JOIN accounts a ON a.id = f.account_id AND a.domain IS NULL
    WHERE f.target_account_id = ${authorId} AND f.notify
      ${afterFollowId ? db`AND f.id > ${afterFollowId}` : db``}
    ORDER BY f.id LIMIT ${limit}`;
}

export async function selectFavourite(db: Db, favouriteId: string): Promise<{ account_id: string; status_id: string } | null> {
  const [row] = await db<{ account_id: string; status_id: string }[]>`
    SELECT account_id, status_id FROM favourites WHERE id = ${favouriteId}`;
  return row ?? null;
}

/** Local accounts whose (live) reblog of the status stands. */
export async function selectLocalRebloggerIds(db: Db, statusId: string): Promise<string[]> {
  const rows = await db<{ account_id: string }[]>`
    SELECT DISTINCT s.account_id FROM statuses s JOIN accounts a ON a.id = s.account_id AND a.domain IS NULL
    WHERE s.reblog_of_id = ${statusId} AND s.deleted_at IS NULL`;
  return rows.map((r) => r.account_id);
}

export async function selectPoll(db: Db, pollId: string): Promise<{ account_id: string; status_id: string } | null> {
  const [row] = await db<{ account_id: string; status_id: string }[]>`
    SELECT account_id, status_id FROM polls WHERE id = ${pollId}`;
  return row ?? null;
}

export async function selectLocalVoterIds(db: Db, pollId: string): Promise<string[]> {
  const rows = await db<{ account_id: string }[]>`
    SELECT DISTINCT v.account_id FROM poll_votes v JOIN accounts a ON a.id = v.account_id AND a.domain IS NULL
    WHERE v.poll_id = ${pollId}`;
  return rows.map((r) => r.account_id);
}

export async function followExists(db: Db, followId: string): Promise<boolean> {
  const rows = await db`SELECT 1 FROM follows WHERE id = ${followId}`;
  return rows.length > 0;
}

export async function followRequestExists(db: Db, followRequestId: string): Promise<boolean> {
  const rows = await db`SELECT 1 FROM follow_requests WHERE id = ${followRequestId}`;
  return rows.length > 0;
}

export async function isLocked(db: Db, accountId: string): Promise<boolean> {
  const [row] = await db<{ locked: boolean }[]>`SELECT locked FROM accounts WHERE id = ${accountId}`;
  return row?.locked ?? false;
}
