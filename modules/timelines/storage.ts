/**
 * SQL the timelines module owns: lists and their members, filters with
 * their keywords and statuses, and the read-only queries timelines run over
 * the statuses and relationship tables (the feed rules' inputs, public and
 * tag timelines, the Postgres side of home and list feeds).
 */
import type { Db } from "../../src/db/index.ts";
import type { FilterAction, FilterContext, RepliesPolicy } from "./serializer.ts";

// ---------------------------------------------------------------------------
// Id ranges (Mastodon pagination) as SQL

/** `max_id`/`since_id`/`min_id` bounds on a status id column; all exclusive. */
export interface IdBounds {
  maxId?: string;
  sinceId?: string;
  minId?: string;
}

function statusRange(db: Db, bounds: IdBounds) {
  const lower = bounds.minId ?? bounds.sinceId;
  // When both are given the tighter lower bound wins.
  const floor =
    bounds.minId && bounds.sinceId ? (BigInt(bounds.minId) > BigInt(bounds.sinceId) ? bounds.minId : bounds.sinceId) : lower;
  return db`
    ${bounds.maxId ? db`AND s.id < ${bounds.maxId}` : db``}
    ${floor ? db`AND s.id > ${floor}` : db``}`;
}

/** Newest first, or — reading forward from min_id — the oldest above it, returned newest first. */
async function pageOfIds(query: (order: "asc" | "desc") => Promise<{ id: string }[]>, bounds: IdBounds): Promise<string[]> {
  if (bounds.minId) return (await query("asc")).map((r) => r.id).reverse();
  return (await query("desc")).map((r) => r.id);
}

// ---------------------------------------------------------------------------
// Lists

export interface ListRow {
  id: string;
  account_id: string;
  title: string;
  replies_policy: RepliesPolicy;
  exclusive: boolean;
}

export async function selectLists(db: Db, accountId: string): Promise<ListRow[]> {
  return (await db`
    SELECT id, account_id, title, replies_policy, exclusive FROM lists
    WHERE account_id = ${accountId} ORDER BY id`) as unknown as ListRow[];
}

export async function selectList(db: Db, accountId: string, listId: string): Promise<ListRow | null> {
  const [row] = await db`
    SELECT id, account_id, title, replies_policy, exclusive FROM lists
    WHERE id = ${listId} AND account_id = ${accountId}`;
  return (row as ListRow | undefined) ?? null;
}

export async function countLists(db: Db, accountId: string): Promise<number> {
  const [row] = await db`SELECT count(*)::int AS n FROM lists WHERE account_id = ${accountId}`;
  return row!.n as number;
}

export async function insertList(
  db: Db,
  accountId: string,
  list: { title: string; replies_policy: RepliesPolicy; exclusive: boolean },
): Promise<ListRow> {
  const [row] = await db`
    INSERT INTO lists (account_id, title, replies_policy, exclusive)
    VALUES (${accountId}, ${list.title}, ${list.replies_policy}, ${list.exclusive})
    RETURNING id, account_id, title, replies_policy, exclusive`;
  return row as ListRow;
}

export async function updateList(
  db: Db,
  listId: string,
  changes: Partial<Pick<ListRow, "title" | "replies_policy" | "exclusive">>,
): Promise<ListRow> {
  const [row] =
    Object.keys(changes).length === 0
      ? await db`SELECT id, account_id, title, replies_policy, exclusive FROM lists WHERE id = ${listId}`
      : await db`
          UPDATE lists SET ${db(changes as Record<string, unknown>)} WHERE id = ${listId}
          RETURNING id, account_id, title, replies_policy, exclusive`;
  return row as ListRow;
}

export async function deleteList(db: Db, listId: string): Promise<void> {
  await db`DELETE FROM lists WHERE id = ${listId}`;
}

/** A page of a list's members, paginated by account id (the membership has no id of its own). */
export async function selectListMemberIds(db: Db, listId: string, bounds: IdBounds, limit: number | null): Promise<string[]> {
  const lower = bounds.minId ?? bounds.sinceId;
  const rows = await db`
    SELECT account_id AS id FROM list_accounts
    WHERE list_id = ${listId}
      ${bounds.maxId ? db`AND account_id < ${bounds.maxId}` : db``}
      ${lower ? db`AND account_id > ${lower}` : db``}
    ORDER BY account_id ${bounds.minId ? db`ASC` : db`DESC`}
    ${limit === null ? db`` : db`LIMIT ${limit}`}`;
  const ids = rows.map((r) => r.id as string);
  return bounds.minId ? ids.reverse() : ids;
}

export async function insertListMembers(db: Db, listId: string, accountIds: string[]): Promise<void> {
  if (accountIds.length === 0) return;
  await db`
    INSERT INTO list_accounts (list_id, account_id)
    SELECT ${listId}, unnest(${accountIds}::bigint[])
    ON CONFLICT DO NOTHING`;
}

export async function deleteListMembers(db: Db, listId: string, accountIds: string[]): Promise<void> {
  if (accountIds.length === 0) return;
  await db`DELETE FROM list_accounts WHERE list_id = ${listId} AND account_id = ANY(${accountIds}::bigint[])`;
}

/** Removes a member from every list the owner has; returns the lists it was in. */
export async function removeMemberFromOwnerLists(db: Db, ownerId: string, memberId: string): Promise<string[]> {
  const rows = await db`
    DELETE FROM list_accounts la USING lists l
    WHERE la.list_id = l.id AND l.account_id = ${ownerId} AND la.account_id = ${memberId}
    RETURNING la.list_id`;
  return rows.map((r) => r.list_id as string);
}

export async function selectListsContaining(db: Db, ownerId: string, memberId: string): Promise<ListRow[]> {
  return (await db`
    SELECT l.id, l.account_id, l.title, l.replies_policy, l.exclusive
    FROM lists l JOIN list_accounts la ON la.list_id = l.id
    WHERE l.account_id = ${ownerId} AND la.account_id = ${memberId}
    ORDER BY l.id`) as unknown as ListRow[];
}

export async function selectExistingAccountIds(db: Db, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db`SELECT id FROM accounts WHERE id = ANY(${ids}::bigint[])`;
  return new Set(rows.map((r) => r.id as string));
}

/** Accounts among `targetIds` that the owner follows or has asked to follow (what a list may hold). */
export async function selectFollowedOrRequested(db: Db, ownerId: string, targetIds: string[]): Promise<Set<string>> {
  if (targetIds.length === 0) return new Set();
  const rows = await db`
    SELECT target_account_id AS id FROM follows
    WHERE account_id = ${ownerId} AND target_account_id = ANY(${targetIds}::bigint[])
    UNION
    SELECT target_account_id FROM follow_requests
    WHERE account_id = ${ownerId} AND target_account_id = ANY(${targetIds}::bigint[])`;
  return new Set(rows.map((r) => r.id as string));
}

// ---------------------------------------------------------------------------
// Filters

export interface FilterRow {
  id: string;
  account_id: string;
  title: string;
  context: string[];
  action: FilterAction;
  expires_at: Date | null;
}

export interface FilterKeywordRow {
  id: string;
  filter_id: string;
  keyword: string;
  whole_word: boolean;
}

export interface FilterStatusRow {
  id: string;
  filter_id: string;
  status_id: string;
}

export async function selectFilters(db: Db, accountId: string): Promise<FilterRow[]> {
  return (await db`
    SELECT id, account_id, title, context, action, expires_at FROM filters
    WHERE account_id = ${accountId} ORDER BY id`) as unknown as FilterRow[];
}

export async function selectFilter(db: Db, accountId: string, filterId: string): Promise<FilterRow | null> {
  const [row] = await db`
    SELECT id, account_id, title, context, action, expires_at FROM filters
    WHERE id = ${filterId} AND account_id = ${accountId}`;
  return (row as FilterRow | undefined) ?? null;
}

export async function selectFilterKeywords(db: Db, filterIds: string[]): Promise<FilterKeywordRow[]> {
  if (filterIds.length === 0) return [];
  return (await db`
    SELECT id, filter_id, keyword, whole_word FROM filter_keywords
    WHERE filter_id = ANY(${filterIds}::bigint[]) ORDER BY id`) as unknown as FilterKeywordRow[];
}

export async function selectFilterStatuses(db: Db, filterIds: string[]): Promise<FilterStatusRow[]> {
  if (filterIds.length === 0) return [];
  return (await db`
    SELECT id, filter_id, status_id FROM filter_statuses
    WHERE filter_id = ANY(${filterIds}::bigint[]) ORDER BY id`) as unknown as FilterStatusRow[];
}

export async function insertFilter(
  db: Db,
  accountId: string,
  filter: { title: string; context: FilterContext[]; action: FilterAction; expires_at: Date | null },
): Promise<FilterRow> {
  const [row] = await db`
    INSERT INTO filters (account_id, title, context, action, expires_at)
    VALUES (${accountId}, ${filter.title}, ${filter.context}::text[], ${filter.action}, ${filter.expires_at})
    RETURNING id, account_id, title, context, action, expires_at`;
  return row as FilterRow;
}

export async function updateFilter(
  db: Db,
  filterId: string,
  changes: { title?: string; context?: FilterContext[]; action?: FilterAction; expires_at?: Date | null },
): Promise<void> {
  const { context, ...columns } = changes;
  if (Object.keys(columns).length > 0) await db`UPDATE filters SET ${db(columns as Record<string, unknown>)} WHERE id = ${filterId}`;
  if (context) await db`UPDATE filters SET context = ${context}::text[] WHERE id = ${filterId}`;
}

export async function deleteFilter(db: Db, filterId: string): Promise<void> {
  await db`DELETE FROM filters WHERE id = ${filterId}`;
}

/** A keyword with its filter, only when the filter belongs to the account. */
export async function selectOwnedKeyword(
  db: Db,
  accountId: string,
  keywordId: string,
): Promise<{ keyword: FilterKeywordRow; filter: FilterRow } | null> {
  const [row] = await db`
    SELECT k.id, k.filter_id, k.keyword, k.whole_word,
           f.title, f.context, f.action, f.expires_at
    FROM filter_keywords k JOIN filters f ON f.id = k.filter_id
    WHERE k.id = ${keywordId} AND f.account_id = ${accountId}`;
  if (!row) return null;
  return {
    keyword: { id: row.id, filter_id: row.filter_id, keyword: row.keyword, whole_word: row.whole_word },
    filter: {
      id: row.filter_id,
      account_id: accountId,
      title: row.title,
      context: row.context,
      action: row.action,
      expires_at: row.expires_at,
    },
  };
}

export async function selectOwnedFilterStatus(db: Db, accountId: string, id: string): Promise<FilterStatusRow | null> {
  const [row] = await db`
    SELECT s.id, s.filter_id, s.status_id
    FROM filter_statuses s JOIN filters f ON f.id = s.filter_id
    WHERE s.id = ${id} AND f.account_id = ${accountId}`;
  return (row as FilterStatusRow | undefined) ?? null;
}

export async function insertFilterKeyword(
  db: Db,
  filterId: string,
  keyword: { keyword: string; whole_word: boolean },
): Promise<FilterKeywordRow> {
  const [row] = await db`
    INSERT INTO filter_keywords (filter_id, keyword, whole_word)
    VALUES (${filterId}, ${keyword.keyword}, ${keyword.whole_word})
    RETURNING id, filter_id, keyword, whole_word`;
  return row as FilterKeywordRow;
}

export async function updateFilterKeyword(
  db: Db,
  keywordId: string,
  changes: { keyword?: string; whole_word?: boolean },
): Promise<FilterKeywordRow | null> {
  const [row] =
    Object.keys(changes).length === 0
      ? await db`SELECT id, filter_id, keyword, whole_word FROM filter_keywords WHERE id = ${keywordId}`
      : await db`
          UPDATE filter_keywords SET ${db(changes as Record<string, unknown>)} WHERE id = ${keywordId}
          RETURNING id, filter_id, keyword, whole_word`;
  return (row as FilterKeywordRow | undefined) ?? null;
}

export async function deleteFilterKeywords(db: Db, filterId: string, keywordIds: string[]): Promise<void> {
  if (keywordIds.length === 0) return;
  await db`DELETE FROM filter_keywords WHERE filter_id = ${filterId} AND id = ANY(${keywordIds}::bigint[])`;
}

/** Idempotent: filtering the same status twice returns the existing row. */
export async function insertFilterStatus(db: Db, filterId: string, statusId: string): Promise<FilterStatusRow> {
  const [row] = await db`
    INSERT INTO filter_statuses (filter_id, status_id) VALUES (${filterId}, ${statusId})
    ON CONFLICT (filter_id, status_id) DO UPDATE SET status_id = EXCLUDED.status_id
    RETURNING id, filter_id, status_id`;
  return row as FilterStatusRow;
}

export async function deleteFilterStatus(db: Db, id: string): Promise<void> {
  await db`DELETE FROM filter_statuses WHERE id = ${id}`;
}

/** Unexpired filters of the account that apply in a context, with their rules, in one query. */
export async function selectActiveFilters(
  db: Db,
  accountId: string,
  context: FilterContext,
): Promise<(FilterRow & { keywords: { keyword: string; whole_word: boolean }[]; status_ids: string[] })[]> {
  const rows = await db`
    SELECT f.id, f.account_id, f.title, f.context, f.action, f.expires_at,
           coalesce((SELECT json_agg(json_build_object('keyword', k.keyword, 'whole_word', k.whole_word) ORDER BY k.id)
                     FROM filter_keywords k WHERE k.filter_id = f.id), '[]'::json) AS keywords,
           coalesce((SELECT array_agg(s.status_id::text) FROM filter_statuses s WHERE s.filter_id = f.id), '{}') AS status_ids
    FROM filters f
    WHERE f.account_id = ${accountId} AND ${context} = ANY(f.context)
      AND (f.expires_at IS NULL OR f.expires_at > now())
    ORDER BY f.id`;
  return rows as never;
}

export async function statusExists(db: Db, statusId: string): Promise<boolean> {
  const [row] = await db`SELECT 1 FROM statuses WHERE id = ${statusId} AND deleted_at IS NULL`;
  return row !== undefined;
}

// ---------------------------------------------------------------------------
// Feed rules' inputs

/** What the feed rules need to know about a status (and, for a reblog, its original). */
export interface StatusFacts {
  id: string;
  accountId: string;
  accountLocal: boolean;
  accountDomain: string | null;
  visibility: "public" | "unlisted" | "private" | "direct";
  inReplyToId: string | null;
  inReplyToAccountId: string | null;
  reblogOfId: string | null;
  reblogAccountId: string | null;
  reblogAccountDomain: string | null;
  conversationId: string | null;
  language: string | null;
  deleted: boolean;
  mentionedAccountIds: string[];
  reblogMentionedAccountIds: string[];
}

export async function selectStatusFacts(db: Db, ids: string[]): Promise<StatusFacts[]> {
  if (ids.length === 0) return [];
  const rows = await db`
    SELECT s.id, s.account_id, a.domain AS account_domain, s.visibility, s.in_reply_to_id, s.in_reply_to_account_id,
           s.reblog_of_id, r.account_id AS reblog_account_id, ra.domain AS reblog_account_domain,
           s.conversation_id, coalesce(s.language, r.language) AS language,
           (s.deleted_at IS NOT NULL OR r.deleted_at IS NOT NULL) AS deleted,
           coalesce((SELECT array_agg(m.account_id::text) FROM mentions m WHERE m.status_id = s.id), '{}') AS mentioned,
           coalesce((SELECT array_agg(m.account_id::text) FROM mentions m WHERE m.status_id = s.reblog_of_id), '{}')
             AS reblog_mentioned
    FROM statuses s
    JOIN accounts a ON a.id = s.account_id
    LEFT JOIN statuses r ON r.id = s.reblog_of_id
    LEFT JOIN accounts ra ON ra.id = r.account_id
    WHERE s.id = ANY(${ids}::bigint[])`;
  return rows.map((r) => ({
    id: r.id,
    accountId: r.account_id,
    accountLocal: r.account_domain === null,
    accountDomain: r.account_domain,
    visibility: r.visibility,
    inReplyToId: r.in_reply_to_id,
    inReplyToAccountId: r.in_reply_to_account_id,
    reblogOfId: r.reblog_of_id,
    reblogAccountId: r.reblog_account_id,
    reblogAccountDomain: r.reblog_account_domain,
    conversationId: r.conversation_id,
    language: r.language,
    deleted: r.deleted,
    mentionedAccountIds: r.mentioned,
    reblogMentionedAccountIds: r.reblog_mentioned,
  }));
}

/** One row per fact about a receiver: `kind` and the account id (or domain, conversation…) it is about. */
export interface CrutchRow {
  kind: "following" | "hiding_reblogs" | "languages" | "blocking" | "muting" | "blocked_by" | "domain_blocking" | "exclusive" | "hiding_thread";
  receiver: string;
  key: string;
  languages: string[] | null;
}

/**
 * Everything the home/list rules need about a batch of receivers and
 * statuses, in one round trip (Mastodon's "crutches").
 */
export async function selectCrutches(
  db: Db,
  receivers: string[],
  subjects: {
    replyTargets: string[];
    authors: string[];
    /** Authors, reblogged authors and mentioned accounts: a block or mute of any hides the status. */
    involved: string[];
    domains: string[];
    conversations: string[];
  },
): Promise<CrutchRow[]> {
  if (receivers.length === 0) return [];
  const { replyTargets, authors, involved, domains, conversations } = subjects;
  // The receivers travel once (a 1,000-element array costs ~1 ms to bind,
  // per copy), and the follow rows to the authors are probed once for both
  // of their kinds: this query is most of a fanout chunk's database time.
  return (await db`
    WITH r AS MATERIALIZED (SELECT ${receivers}::bigint[] AS ids)
    SELECT 'following' AS kind, f.account_id::text AS receiver, f.target_account_id::text AS key, NULL::text[] AS languages
      FROM r, follows f WHERE f.account_id = ANY(r.ids) AND f.target_account_id = ANY(${replyTargets}::bigint[])
    UNION ALL
    SELECT k.kind, f.account_id::text, f.target_account_id::text, k.languages
      FROM r, follows f
      CROSS JOIN LATERAL (VALUES ('hiding_reblogs', NULL::text[], NOT f.show_reblogs),
                                 ('languages', f.languages, coalesce(cardinality(f.languages), 0) > 0)) AS k(kind, languages, applies)
      WHERE f.account_id = ANY(r.ids) AND f.target_account_id = ANY(${authors}::bigint[])
        AND (NOT f.show_reblogs OR coalesce(cardinality(f.languages), 0) > 0) AND k.applies
    UNION ALL
    SELECT 'blocking', b.account_id::text, b.target_account_id::text, NULL
      FROM r, blocks b WHERE b.account_id = ANY(r.ids) AND b.target_account_id = ANY(${involved}::bigint[])
    UNION ALL
    SELECT 'muting', m.account_id::text, m.target_account_id::text, NULL
      FROM r, mutes m WHERE m.account_id = ANY(r.ids) AND m.target_account_id = ANY(${involved}::bigint[])
       AND (m.expires_at IS NULL OR m.expires_at > now())
    UNION ALL
    SELECT 'blocked_by', b.target_account_id::text, b.account_id::text, NULL
      FROM r, blocks b WHERE b.target_account_id = ANY(r.ids) AND b.account_id = ANY(${involved}::bigint[])
    UNION ALL
    SELECT 'domain_blocking', d.account_id::text, lower(d.domain), NULL
      FROM r, account_domain_blocks d WHERE d.account_id = ANY(r.ids) AND lower(d.domain) = ANY(${domains}::text[])
    UNION ALL
    SELECT 'exclusive', l.account_id::text, la.account_id::text, NULL
      FROM r, lists l JOIN list_accounts la ON la.list_id = l.id
      WHERE l.exclusive AND l.account_id = ANY(r.ids) AND la.account_id = ANY(${authors}::bigint[])
    UNION ALL
    SELECT 'hiding_thread', c.account_id::text, c.conversation_id::text, NULL
      FROM r, conversation_mutes c WHERE c.account_id = ANY(r.ids)
       AND c.conversation_id = ANY(${conversations}::bigint[])`) as unknown as CrutchRow[];
}

/** Local accounts mentioned in a status that follow its author: a direct status's home audience. */
export async function selectMentionedLocalFollowers(db: Db, statusId: string, authorId: string): Promise<string[]> {
  const rows = await db`
    SELECT m.account_id FROM mentions m
    JOIN accounts a ON a.id = m.account_id AND a.domain IS NULL
    JOIN follows f ON f.account_id = m.account_id AND f.target_account_id = ${authorId}
    WHERE m.status_id = ${statusId}`;
  return rows.map((r) => r.account_id as string);
}

export async function selectMentionedLocalAccounts(db: Db, statusId: string): Promise<string[]> {
  const rows = await db`
    SELECT m.account_id FROM mentions m JOIN accounts a ON a.id = m.account_id AND a.domain IS NULL
    WHERE m.status_id = ${statusId}`;
  return rows.map((r) => r.account_id as string);
}

export interface ListTarget {
  id: string;
  ownerId: string;
  repliesPolicy: RepliesPolicy;
  /** Whether the replied-to account is a member of this list (for `replies_policy: list`). */
  replyTargetInList: boolean;
  /** Private statuses reach a list only while its owner follows the author. */
  ownerFollowsAuthor: boolean;
}

/** A page of the lists that contain an author, in id order (fanout walks them like followers). */
export async function selectListsWithMember(
  db: Db,
  authorId: string,
  replyTargetId: string | null,
  afterListId: string | null,
  limit: number,
): Promise<ListTarget[]> {
  const rows = await db`
    SELECT l.id, l.account_id, l.replies_policy,
           ${replyTargetId ? db`EXISTS (SELECT 1 FROM list_accounts x WHERE x.list_id = l.id AND x.account_id = ${replyTargetId})` : db`false`}
             AS reply_target_in_list,
           EXISTS (SELECT 1 FROM follows f WHERE f.account_id = l.account_id AND f.target_account_id = ${authorId})
             AS owner_follows
    FROM list_accounts la JOIN lists l ON l.id = la.list_id
    WHERE la.account_id = ${authorId} ${afterListId ? db`AND l.id > ${afterListId}` : db``}
    ORDER BY l.id LIMIT ${limit}`;
  return rows.map((r) => ({
    id: r.id,
    ownerId: r.account_id,
    repliesPolicy: r.replies_policy,
    replyTargetInList: r.reply_target_in_list,
    ownerFollowsAuthor: r.owner_follows,
  }));
}

/** Other live reblogs of a status, newest first: a follower who already has one in view needn't get another. */
export async function selectOtherReblogIds(db: Db, originalId: string, exceptId: string, limit: number): Promise<string[]> {
  const rows = await db`
    SELECT id FROM statuses
    WHERE reblog_of_id = ${originalId} AND id <> ${exceptId} AND deleted_at IS NULL
    ORDER BY id DESC LIMIT ${limit}`;
  return rows.map((r) => r.id as string);
}

/** Statuses among `ids` by `accountId` (and, with `reblogsOf`, reblogs of its statuses by others). */
export async function selectStatusesByAuthor(
  db: Db,
  ids: string[],
  accountId: string,
  options: { reblogsOf: boolean },
): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db`
    SELECT s.id FROM statuses s LEFT JOIN statuses r ON r.id = s.reblog_of_id
    WHERE s.id = ANY(${ids}::bigint[])
      AND (s.account_id = ${accountId} ${options.reblogsOf ? db`OR r.account_id = ${accountId}` : db``})`;
  return rows.map((r) => r.id as string);
}

// ---------------------------------------------------------------------------
// Postgres sources of home and list feeds (rebuild, and pages beyond the cache)

/**
 * Candidate ids for a home feed: the account's own statuses and those of the
 * accounts it follows, newest first, before the per-receiver rules (which
 * the caller applies with the same code fanout uses). Direct statuses only
 * when the account wrote or is mentioned in them.
 */
export async function selectHomeCandidates(db: Db, accountId: string, bounds: IdBounds, limit: number): Promise<string[]> {
  return pageOfIds(
    (order) => db`
      SELECT s.id FROM statuses s
      WHERE s.account_id IN (SELECT target_account_id FROM follows WHERE account_id = ${accountId} UNION SELECT ${accountId}::bigint)
        AND s.deleted_at IS NULL
        AND (s.visibility <> 'direct' OR s.account_id = ${accountId}
             OR EXISTS (SELECT 1 FROM mentions m WHERE m.status_id = s.id AND m.account_id = ${accountId}))
        ${statusRange(db, bounds)}
      ORDER BY s.id ${order === "asc" ? db`ASC` : db`DESC`} LIMIT ${limit}` as never,
    bounds,
  );
}

/** Candidate ids for a list feed: its members' statuses short of direct ones, newest first. */
export async function selectListCandidates(db: Db, listId: string, bounds: IdBounds, limit: number): Promise<string[]> {
  return pageOfIds(
    (order) => db`
      SELECT s.id FROM statuses s
      WHERE s.account_id IN (SELECT account_id FROM list_accounts WHERE list_id = ${listId})
        AND s.deleted_at IS NULL AND s.visibility IN ('public', 'unlisted', 'private')
        ${statusRange(db, bounds)}
      ORDER BY s.id ${order === "asc" ? db`ASC` : db`DESC`} LIMIT ${limit}` as never,
    bounds,
  );
}

/**
 * Statuses among `ids` a viewer asked not to see — by (or reblogging) hidden
 * accounts, or from blocked domains — and reblogs whose original is gone.
 */
export async function selectHiddenStatusIds(
  db: Db,
  viewerId: string,
  hiddenAccountIds: string[],
  ids: string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db`
    SELECT s.id FROM statuses s
    JOIN accounts a ON a.id = s.account_id
    LEFT JOIN statuses r ON r.id = s.reblog_of_id
    LEFT JOIN accounts ra ON ra.id = r.account_id
    WHERE s.id = ANY(${ids}::bigint[])
      AND (r.deleted_at IS NOT NULL
           OR (s.account_id <> ${viewerId}
               AND (s.account_id = ANY(${hiddenAccountIds}::bigint[])
                    OR r.account_id = ANY(${hiddenAccountIds}::bigint[])
                    OR EXISTS (SELECT 1 FROM account_domain_blocks d
                               WHERE d.account_id = ${viewerId}
                                 AND (lower(d.domain) = lower(a.domain) OR lower(d.domain) = lower(ra.domain))))))`;
  return new Set(rows.map((r) => r.id as string));
}

// ---------------------------------------------------------------------------
// Public and hashtag timelines

export interface PublicScope {
  local: boolean;
  remote: boolean;
  onlyMedia: boolean;
  /** Null for anonymous readers. */
  viewerId: string | null;
  hiddenAccountIds: string[];
}

function publicConditions(db: Db, scope: PublicScope) {
  return db`
    s.visibility = 'public' AND s.reblog_of_id IS NULL AND s.deleted_at IS NULL
    AND a.suspended_at IS NULL AND a.silenced_at IS NULL
    ${scope.local ? db`AND a.domain IS NULL` : db``}
    ${scope.remote ? db`AND a.domain IS NOT NULL` : db``}
    ${scope.onlyMedia ? db`AND EXISTS (SELECT 1 FROM media_attachments ma WHERE ma.status_id = s.id)` : db``}
    ${scope.hiddenAccountIds.length > 0 ? db`AND s.account_id <> ALL(${scope.hiddenAccountIds}::bigint[])` : db``}
    ${
      scope.viewerId
        ? db`AND NOT EXISTS (SELECT 1 FROM account_domain_blocks d
                             WHERE d.account_id = ${scope.viewerId} AND lower(d.domain) = lower(a.domain))`
        : db``
    }`;
}

/** The federated/local timeline: public, original (not reblogs), not replies to others, as Mastodon's PublicFeed. */
export async function selectPublicTimelineIds(db: Db, scope: PublicScope, bounds: IdBounds, limit: number): Promise<string[]> {
  return pageOfIds(
    (order) => db`
      SELECT s.id FROM statuses s JOIN accounts a ON a.id = s.account_id
      WHERE ${publicConditions(db, scope)}
        AND ((s.in_reply_to_id IS NULL AND s.in_reply_to_account_id IS NULL) OR s.in_reply_to_account_id = s.account_id)
        ${statusRange(db, bounds)}
      ORDER BY s.id ${order === "asc" ? db`ASC` : db`DESC`} LIMIT ${limit}` as never,
    bounds,
  );
}

/** Tag ids by normalised name; names that match no tag are absent. */
export async function selectTagIds(db: Db, names: string[]): Promise<Map<string, string>> {
  if (names.length === 0) return new Map();
  const rows = await db`SELECT id, lower(name) AS name FROM tags WHERE lower(name) = ANY(${names}::text[])`;
  return new Map(rows.map((r) => [r.name as string, r.id as string]));
}

/** Public statuses tagged with any of `anyIds`, all of `allIds` and none of `noneIds` (Mastodon's TagFeed). */
export async function selectTagTimelineIds(
  db: Db,
  tags: { anyIds: string[]; allIds: string[]; noneIds: string[] },
  scope: PublicScope,
  bounds: IdBounds,
  limit: number,
): Promise<string[]> {
  return pageOfIds(
    (order) => db`
      SELECT s.id FROM statuses s JOIN accounts a ON a.id = s.account_id
      WHERE s.id IN (SELECT status_id FROM statuses_tags WHERE tag_id = ANY(${tags.anyIds}::bigint[]))
        ${
          tags.allIds.length > 0
            ? db`AND (SELECT count(DISTINCT tag_id) FROM statuses_tags x
                      WHERE x.status_id = s.id AND x.tag_id = ANY(${tags.allIds}::bigint[])) = ${tags.allIds.length}`
            : db``
        }
        ${
          tags.noneIds.length > 0
            ? db`AND NOT EXISTS (SELECT 1 FROM statuses_tags x WHERE x.status_id = s.id AND x.tag_id = ANY(${tags.noneIds}::bigint[]))`
            : db``
        }
        AND ${publicConditions(db, scope)}
        ${statusRange(db, bounds)}
      ORDER BY s.id ${order === "asc" ? db`ASC` : db`DESC`} LIMIT ${limit}` as never,
    bounds,
  );
}

// ---------------------------------------------------------------------------
// Small lookups for fanout and the feed sources

export async function selectListById(db: Db, listId: string): Promise<ListRow | null> {
  const [row] = await db`SELECT id, account_id, title, replies_policy, exclusive FROM lists WHERE id = ${listId}`;
  return (row as ListRow | undefined) ?? null;
}

/** Which of `targetIds` the account follows. */
export async function selectFollowedAmong(db: Db, accountId: string, targetIds: string[]): Promise<Set<string>> {
  if (targetIds.length === 0) return new Set();
  const rows = await db`
    SELECT target_account_id AS id FROM follows
    WHERE account_id = ${accountId} AND target_account_id = ANY(${targetIds}::bigint[])`;
  return new Set(rows.map((r) => r.id as string));
}

export async function isLocalAccount(db: Db, accountId: string): Promise<boolean> {
  const [row] = await db`SELECT 1 FROM accounts WHERE id = ${accountId} AND domain IS NULL`;
  return row !== undefined;
}

/** An author's newest statuses a given follower may see in home (a new follow merges them in). */
export async function selectRecentStatusesFor(db: Db, authorId: string, viewerId: string, limit: number): Promise<string[]> {
  const rows = await db`
    SELECT s.id FROM statuses s
    WHERE s.account_id = ${authorId} AND s.deleted_at IS NULL
      AND (s.visibility <> 'direct'
           OR EXISTS (SELECT 1 FROM mentions m WHERE m.status_id = s.id AND m.account_id = ${viewerId}))
    ORDER BY s.id DESC LIMIT ${limit}`;
  return rows.map((r) => r.id as string);
}
