/**
 * SQL the statuses module owns: statuses and their stats, edits, mentions,
 * tags, polls and votes, favourites, bookmarks, pins, conversation mutes
 * and Idempotency-Keys. Services call these inside their transactions.
 */
import type { Db } from "../../src/db/index.ts";
import type { Page } from "../../src/http/pagination.ts";
import type { Fragment } from "./visibility.ts";

export type Visibility = "public" | "unlisted" | "private" | "direct";
export const VISIBILITIES: readonly Visibility[] = ["public", "unlisted", "private", "direct"];

export interface StatusRow {
  id: string;
  account_id: string;
  uri: string | null;
  url: string | null;
  text: string;
  content: string;
  spoiler_text: string;
  sensitive: boolean;
  language: string | null;
  visibility: Visibility;
  in_reply_to_id: string | null;
  in_reply_to_account_id: string | null;
  reblog_of_id: string | null;
  conversation_id: string | null;
  application_id: string | null;
  local: boolean;
  edited_at: Date | null;
  deleted_at: Date | null;
  created_at: Date;
}

export interface StatusWithStats extends StatusRow {
  replies_count: string;
  reblogs_count: string;
  favourites_count: string;
}

export interface PollRow {
  id: string;
  status_id: string;
  account_id: string;
  options: string[];
  votes_counts: string[];
  multiple: boolean;
  hide_totals: boolean;
  voters_count: string;
  expires_at: Date | null;
  ended_notified_at: Date | null;
  created_at: Date;
}

export interface MediaRow {
  id: string;
  account_id: string | null;
  status_id: string | null;
  type: string;
  file_key: string | null;
  remote_url: string | null;
  content_type: string | null;
  description: string | null;
  blurhash: string | null;
  meta: Record<string, unknown>;
  focus: string | null;
}

export interface EditRow {
  id: string;
  status_id: string;
  text: string;
  content: string;
  spoiler_text: string;
  sensitive: boolean;
  poll_options: string[] | null;
  media_attachment_ids: string[];
  created_at: Date;
}

// ---------------------------------------------------------------------------
// Pagination over an id column (Mastodon's max_id / since_id / min_id)

/** `column` is a qualified column name (e.g. "s.id"); compose with `AND`. */
export function pageWhere(db: Db, column: string, page: Page): Fragment {
  const col = db(column);
  return db`
    ${page.maxId ? db`AND ${col} < ${page.maxId}` : db``}
    ${page.sinceId ? db`AND ${col} > ${page.sinceId}` : db``}
    ${page.minId ? db`AND ${col} > ${page.minId}` : db``}`;
}

/** Newest first, except when reading forward from min_id (then reverse the rows with `newestFirst`). */
export function pageOrder(db: Db, column: string, page: Page): Fragment {
  return page.minId ? db`ORDER BY ${db(column)} ASC LIMIT ${page.limit}` : db`ORDER BY ${db(column)} DESC LIMIT ${page.limit}`;
}

export function newestFirst<T>(rows: T[], page: Page): T[] {
  return page.minId ? [...rows].reverse() : [...rows];
}

// ---------------------------------------------------------------------------
// Statuses

export async function selectStatusesWithStats(db: Db, ids: string[]): Promise<StatusWithStats[]> {
  if (ids.length === 0) return [];
  return db<StatusWithStats[]>`
    SELECT s.*, coalesce(st.replies_count, 0) AS replies_count, coalesce(st.reblogs_count, 0) AS reblogs_count,
           coalesce(st.favourites_count, 0) AS favourites_count
    FROM statuses s LEFT JOIN status_stats st ON st.status_id = s.id
    WHERE s.id = ANY(${ids}::bigint[])`;
}

/** The status row locked for a change by its author; null when missing, deleted or someone else's. */
export async function lockOwnStatus(db: Db, id: string, accountId: string): Promise<StatusRow | null> {
  const [row] = await db<StatusRow[]>`
    SELECT * FROM statuses WHERE id = ${id} AND account_id = ${accountId} AND deleted_at IS NULL FOR UPDATE`;
  return row ?? null;
}

export async function nextStatusId(db: Db): Promise<string> {
  const [row] = await db`SELECT timestamp_id() AS id`;
  return row!.id as string;
}

export interface NewStatus {
  id: string;
  accountId: string;
  text: string;
  content: string;
  spoilerText: string;
  sensitive: boolean;
  language: string | null;
  visibility: Visibility;
  inReplyToId: string | null;
  inReplyToAccountId: string | null;
  reblogOfId: string | null;
  conversationId: string;
  applicationId: string | null;
}

export async function insertStatus(db: Db, s: NewStatus): Promise<StatusRow> {
  const [row] = await db<StatusRow[]>`
    INSERT INTO statuses (id, account_id, text, content, spoiler_text, sensitive, language, visibility,
                          in_reply_to_id, in_reply_to_account_id, reblog_of_id, conversation_id, application_id, local)
    VALUES (${s.id}, ${s.accountId}, ${s.text}, ${s.content}, ${s.spoilerText}, ${s.sensitive}, ${s.language},
            ${s.visibility}, ${s.inReplyToId}, ${s.inReplyToAccountId}, ${s.reblogOfId}, ${s.conversationId},
            ${s.applicationId}, true)
    RETURNING *`;
  await db`INSERT INTO status_stats (status_id) VALUES (${s.id}) ON CONFLICT DO NOTHING`;
  return row!;
}

/**
 * A reblog row, unless the account already has a live reblog of it (the
 * partial unique index decides under concurrency); null in that case.
 */
export async function insertReblog(db: Db, s: NewStatus): Promise<StatusRow | null> {
  const [row] = await db<StatusRow[]>`
    INSERT INTO statuses (id, account_id, visibility, reblog_of_id, conversation_id, application_id, local)
    VALUES (${s.id}, ${s.accountId}, ${s.visibility}, ${s.reblogOfId}, ${s.conversationId}, ${s.applicationId}, true)
    ON CONFLICT (account_id, reblog_of_id) WHERE reblog_of_id IS NOT NULL AND deleted_at IS NULL DO NOTHING
    RETURNING *`;
  if (row) await db`INSERT INTO status_stats (status_id) VALUES (${s.id}) ON CONFLICT DO NOTHING`;
  return row ?? null;
}

export async function findLiveReblog(db: Db, accountId: string, statusId: string): Promise<StatusRow | null> {
  const [row] = await db<StatusRow[]>`
    SELECT * FROM statuses WHERE account_id = ${accountId} AND reblog_of_id = ${statusId} AND deleted_at IS NULL`;
  return row ?? null;
}

/** Soft-deletes; returns the row only for the caller that actually deleted it (so side effects run once). */
export async function markDeleted(db: Db, id: string): Promise<StatusRow | null> {
  const [row] = await db<StatusRow[]>`
    UPDATE statuses SET deleted_at = now() WHERE id = ${id} AND deleted_at IS NULL RETURNING *`;
  return row ?? null;
}

export async function liveReblogIds(db: Db, statusId: string): Promise<string[]> {
  const rows = await db`SELECT id FROM statuses WHERE reblog_of_id = ${statusId} AND deleted_at IS NULL`;
  return rows.map((r) => r.id as string);
}

export interface StatusContentUpdate {
  text: string;
  content: string;
  spoilerText: string;
  sensitive: boolean;
  language: string | null;
}

/** Applies an edit; returns edited_at, which the history entry of this version shares. */
export async function updateStatusContent(db: Db, id: string, update: StatusContentUpdate): Promise<Date> {
  const [row] = await db`
    UPDATE statuses SET text = ${update.text}, content = ${update.content}, spoiler_text = ${update.spoilerText},
           sensitive = ${update.sensitive}, language = ${update.language}, edited_at = now()
    WHERE id = ${id}
    RETURNING edited_at`;
  return row!.edited_at as Date;
}

// ---------------------------------------------------------------------------
// Counters: `count = count + delta` in the writer's transaction keeps them exact.

type StatusCounter = "replies_count" | "reblogs_count" | "favourites_count";

export async function bumpStatusCounter(db: Db, statusId: string, column: StatusCounter, delta: 1 | -1): Promise<void> {
  await db`
    INSERT INTO status_stats (status_id, ${db(column)}) VALUES (${statusId}, ${Math.max(delta, 0)})
    ON CONFLICT (status_id) DO UPDATE SET ${db(column)} = GREATEST(status_stats.${db(column)} + ${delta}, 0)`;
}

export async function bumpStatusesCount(db: Db, accountId: string, delta: 1 | -1): Promise<void> {
  // last_status_at moves forward on posting only, as Mastodon's AccountStat does.
  await db`
    INSERT INTO account_stats (account_id, statuses_count, last_status_at)
    VALUES (${accountId}, ${Math.max(delta, 0)}, ${delta > 0 ? new Date() : null})
    ON CONFLICT (account_id) DO UPDATE SET
      statuses_count = GREATEST(account_stats.statuses_count + ${delta}, 0),
      last_status_at = CASE WHEN ${delta} > 0 THEN now() ELSE account_stats.last_status_at END`;
}

// ---------------------------------------------------------------------------
// Mentions, tags, media

export interface MentionTarget {
  id: string;
  username: string;
  domain: string | null;
  url: string | null;
  uri: string | null;
}

/**
 * Accounts known here for the handles typed: local ones (no domain, or our
 * own domain) and remote ones already stored. Unknown handles are absent.
 */
export async function findMentionTargets(
  db: Db,
  handles: { username: string; domain: string | null }[],
  localDomains: string[],
): Promise<MentionTarget[]> {
  if (handles.length === 0) return [];
  const local = handles.filter((h) => h.domain === null || localDomains.includes(h.domain.toLowerCase()));
  const remote = handles.filter((h) => h.domain !== null && !localDomains.includes(h.domain.toLowerCase()));
  const remoteKeys = remote.map((h) => `${h.username.toLowerCase()}@${h.domain!.toLowerCase()}`);
  return db<MentionTarget[]>`
    SELECT id, username, domain, url, uri FROM accounts
    WHERE suspended_at IS NULL AND (
      (domain IS NULL AND lower(username) = ANY(${local.map((h) => h.username.toLowerCase())}::text[]))
      OR (domain IS NOT NULL AND lower(username) || '@' || lower(domain) = ANY(${remoteKeys}::text[])))`;
}

export async function insertMentions(db: Db, statusId: string, accountIds: string[], silent: boolean): Promise<string[]> {
  if (accountIds.length === 0) return [];
  const rows = await db`
    INSERT INTO mentions (status_id, account_id, silent)
    SELECT ${statusId}, unnest(${accountIds}::bigint[]), ${silent}
    ON CONFLICT DO NOTHING
    RETURNING account_id`;
  return rows.map((r) => r.account_id as string);
}

export async function mentionedAccountIds(db: Db, statusId: string): Promise<string[]> {
  const rows = await db`SELECT account_id FROM mentions WHERE status_id = ${statusId}`;
  return rows.map((r) => r.account_id as string);
}

/** Links the status to its hashtags (creating tags on first use), replacing any previous set. */
export async function replaceStatusTags(db: Db, statusId: string, names: string[]): Promise<void> {
  await db`DELETE FROM statuses_tags WHERE status_id = ${statusId}`;
  if (names.length === 0) return;
  await db`
    INSERT INTO tags (name, display_name)
    SELECT n, n FROM unnest(${names}::text[]) AS n
    ON CONFLICT ((lower(name))) DO NOTHING`;
  await db`
    INSERT INTO statuses_tags (status_id, tag_id)
    SELECT ${statusId}, id FROM tags WHERE lower(name) = ANY(${names.map((n) => n.toLowerCase())}::text[])
    ON CONFLICT DO NOTHING`;
}

export async function setStatusMedia(db: Db, statusId: string, mediaIds: string[]): Promise<void> {
  await db`
    UPDATE media_attachments SET status_id = NULL
    WHERE status_id = ${statusId} AND NOT (id = ANY(${mediaIds}::bigint[]))`;
  if (mediaIds.length > 0) {
    await db`UPDATE media_attachments SET status_id = ${statusId} WHERE id = ANY(${mediaIds}::bigint[])`;
  }
}

export async function statusMediaIds(db: Db, statusId: string): Promise<string[]> {
  const rows = await db`SELECT id FROM media_attachments WHERE status_id = ${statusId} ORDER BY id`;
  return rows.map((r) => r.id as string);
}

// ---------------------------------------------------------------------------
// Edits

export async function countEdits(db: Db, statusId: string): Promise<number> {
  const [row] = await db`SELECT count(*)::int AS n FROM status_edits WHERE status_id = ${statusId}`;
  return row!.n as number;
}

export async function insertEdit(
  db: Db,
  edit: {
    statusId: string;
    text: string;
    content: string;
    spoilerText: string;
    sensitive: boolean;
    pollOptions: string[] | null;
    mediaIds: string[];
    createdAt?: Date;
  },
): Promise<void> {
  await db`
    INSERT INTO status_edits (status_id, text, content, spoiler_text, sensitive, poll_options, media_attachment_ids, created_at)
    VALUES (${edit.statusId}, ${edit.text}, ${edit.content}, ${edit.spoilerText}, ${edit.sensitive},
            ${edit.pollOptions === null ? null : db.json(edit.pollOptions)}, ${edit.mediaIds}::bigint[],
            ${edit.createdAt ?? new Date()})`;
}

export async function selectEdits(db: Db, statusId: string): Promise<EditRow[]> {
  return db<EditRow[]>`SELECT * FROM status_edits WHERE status_id = ${statusId} ORDER BY id`;
}

// ---------------------------------------------------------------------------
// Polls

export async function insertPoll(
  db: Db,
  poll: { statusId: string; accountId: string; options: string[]; multiple: boolean; hideTotals: boolean; expiresAt: Date },
): Promise<void> {
  await db`
    INSERT INTO polls (status_id, account_id, options, votes_counts, multiple, hide_totals, expires_at)
    VALUES (${poll.statusId}, ${poll.accountId}, ${poll.options}::text[], ${poll.options.map(() => 0)}::bigint[],
            ${poll.multiple}, ${poll.hideTotals}, ${poll.expiresAt})`;
}

export async function selectPollByStatus(db: Db, statusId: string): Promise<PollRow | null> {
  const [row] = await db<PollRow[]>`SELECT * FROM polls WHERE status_id = ${statusId}`;
  return row ?? null;
}

export async function selectPoll(db: Db, pollId: string, forUpdate = false): Promise<PollRow | null> {
  const [row] = forUpdate
    ? await db<PollRow[]>`SELECT * FROM polls WHERE id = ${pollId} FOR UPDATE`
    : await db<PollRow[]>`SELECT * FROM polls WHERE id = ${pollId}`;
  return row ?? null;
}

/** New options reset the poll, votes and all, as Mastodon does on an edit that changes them. */
export async function resetPoll(
  db: Db,
  pollId: string,
  poll: { options: string[]; multiple: boolean; hideTotals: boolean; expiresAt: Date },
): Promise<void> {
  await db`DELETE FROM poll_votes WHERE poll_id = ${pollId}`;
  await db`
    UPDATE polls SET options = ${poll.options}::text[], votes_counts = ${poll.options.map(() => 0)}::bigint[],
           multiple = ${poll.multiple}, hide_totals = ${poll.hideTotals}, expires_at = ${poll.expiresAt},
           voters_count = 0, ended_notified_at = NULL
    WHERE id = ${pollId}`;
}

export async function setPollHideTotals(db: Db, pollId: string, hideTotals: boolean): Promise<void> {
  await db`UPDATE polls SET hide_totals = ${hideTotals} WHERE id = ${pollId}`;
}

export async function deletePoll(db: Db, statusId: string): Promise<void> {
  await db`DELETE FROM polls WHERE status_id = ${statusId}`;
}

export async function ownVotes(db: Db, pollId: string, accountId: string): Promise<number[]> {
  const rows = await db`SELECT choice FROM poll_votes WHERE poll_id = ${pollId} AND account_id = ${accountId} ORDER BY choice`;
  return rows.map((r) => r.choice as number);
}

/** Records the votes and bumps the counters; the caller holds the poll row lock. */
export async function insertVotes(db: Db, pollId: string, accountId: string, choices: number[]): Promise<void> {
  await db`
    INSERT INTO poll_votes (poll_id, account_id, choice)
    SELECT ${pollId}, ${accountId}, unnest(${choices}::int[])`;
  // votes_counts is 1-based in SQL; choices are 0-based in the API.
  await db`
    UPDATE polls SET voters_count = voters_count + 1,
      votes_counts = (
        SELECT array_agg(c + CASE WHEN (i - 1) = ANY(${choices}::int[]) THEN 1 ELSE 0 END ORDER BY i)
        FROM unnest(votes_counts) WITH ORDINALITY AS v(c, i))
    WHERE id = ${pollId}`;
}

/** Polls past their end not yet announced, claimed for this transaction (SKIP LOCKED: several workers may run). */
export async function claimEndedPolls(db: Db, limit: number): Promise<{ id: string; status_id: string; account_id: string }[]> {
  return db<{ id: string; status_id: string; account_id: string }[]>`
    UPDATE polls SET ended_notified_at = now()
    WHERE id IN (
      SELECT p.id FROM polls p JOIN statuses s ON s.id = p.status_id
      WHERE p.expires_at <= now() AND p.ended_notified_at IS NULL AND s.deleted_at IS NULL
      ORDER BY p.expires_at
      LIMIT ${limit}
      FOR UPDATE OF p SKIP LOCKED)
    RETURNING id, status_id, account_id`;
}

// ---------------------------------------------------------------------------
// Favourites, bookmarks, pins, conversation mutes

/** Inserts the favourite; null when it already existed (no counter change then). */
export async function insertFavourite(db: Db, accountId: string, statusId: string): Promise<string | null> {
  const [row] = await db`
    INSERT INTO favourites (account_id, status_id) VALUES (${accountId}, ${statusId})
    ON CONFLICT (account_id, status_id) DO NOTHING RETURNING id`;
  return (row?.id as string | undefined) ?? null;
}

/** Deletes the favourite; returns its id (null when there was none). */
export async function deleteFavourite(db: Db, accountId: string, statusId: string): Promise<string | null> {
  const [row] = await db`DELETE FROM favourites WHERE account_id = ${accountId} AND status_id = ${statusId} RETURNING id`;
  return (row?.id as string | undefined) ?? null;
}

export async function insertBookmark(db: Db, accountId: string, statusId: string): Promise<void> {
  await db`INSERT INTO bookmarks (account_id, status_id) VALUES (${accountId}, ${statusId}) ON CONFLICT DO NOTHING`;
}

export async function deleteBookmark(db: Db, accountId: string, statusId: string): Promise<void> {
  await db`DELETE FROM bookmarks WHERE account_id = ${accountId} AND status_id = ${statusId}`;
}

export async function countPins(db: Db, accountId: string): Promise<number> {
  const [row] = await db`
    SELECT count(*)::int AS n FROM status_pins p JOIN statuses s ON s.id = p.status_id
    WHERE p.account_id = ${accountId} AND s.deleted_at IS NULL`;
  return row!.n as number;
}

export async function insertPin(db: Db, accountId: string, statusId: string): Promise<void> {
  await db`INSERT INTO status_pins (account_id, status_id) VALUES (${accountId}, ${statusId}) ON CONFLICT DO NOTHING`;
}

export async function deletePins(db: Db, statusId: string, accountId?: string): Promise<void> {
  await db`DELETE FROM status_pins WHERE status_id = ${statusId} ${accountId ? db`AND account_id = ${accountId}` : db``}`;
}

export async function isPinned(db: Db, accountId: string, statusId: string): Promise<boolean> {
  const [row] = await db`SELECT 1 FROM status_pins WHERE account_id = ${accountId} AND status_id = ${statusId}`;
  return row !== undefined;
}

export async function insertConversationMute(db: Db, accountId: string, conversationId: string): Promise<void> {
  await db`
    INSERT INTO conversation_mutes (account_id, conversation_id) VALUES (${accountId}, ${conversationId})
    ON CONFLICT DO NOTHING`;
}

export async function deleteConversationMute(db: Db, accountId: string, conversationId: string): Promise<void> {
  await db`DELETE FROM conversation_mutes WHERE account_id = ${accountId} AND conversation_id = ${conversationId}`;
}

// ---------------------------------------------------------------------------
// Idempotency-Key (POST /api/v1/statuses)

/** Mastodon remembers a key for an hour. */
const IDEMPOTENCY_HOURS = 1;

/**
 * Claims the key for this request: true when it is ours to use (new, or an
 * expired one taken over); false when a live one exists — then
 * `idempotentStatusId` gives its status. A concurrent request with the same
 * key waits on the row and then sees it taken.
 */
export async function claimIdempotencyKey(db: Db, accountId: string, key: string): Promise<boolean> {
  const rows = await db`
    INSERT INTO idempotency_keys (account_id, key) VALUES (${accountId}, ${key})
    ON CONFLICT (account_id, key) DO UPDATE SET created_at = now(), status_id = NULL
      WHERE idempotency_keys.created_at < now() - make_interval(hours => ${IDEMPOTENCY_HOURS})
    RETURNING key`;
  return rows.length > 0;
}

export async function idempotentStatusId(db: Db, accountId: string, key: string): Promise<string | null> {
  const [row] = await db`SELECT status_id FROM idempotency_keys WHERE account_id = ${accountId} AND key = ${key}`;
  return (row?.status_id as string | null | undefined) ?? null;
}

export async function recordIdempotencyKey(db: Db, accountId: string, key: string, statusId: string): Promise<void> {
  await db`UPDATE idempotency_keys SET status_id = ${statusId} WHERE account_id = ${accountId} AND key = ${key}`;
}

// ---------------------------------------------------------------------------
// Reads for lists and threads (visibility applied in SQL so pages are full;
// renderStatuses checks again)

export interface CursorRow {
  /** The pagination id (status id, or the favourite/bookmark/pin row id). */
  cursor: string;
  id: string;
}

export interface AccountStatusesQuery {
  excludeReplies: boolean;
  excludeReblogs: boolean;
  onlyMedia: boolean;
  tagged: string | null;
}

export async function selectAccountStatuses(
  db: Db,
  accountId: string,
  query: AccountStatusesQuery,
  page: Page,
  visible: Fragment,
): Promise<CursorRow[]> {
  const rows = await db<CursorRow[]>`
    SELECT s.id AS cursor, s.id FROM statuses s
    WHERE s.account_id = ${accountId} AND s.deleted_at IS NULL AND ${visible}
      ${query.excludeReplies ? db`AND (s.in_reply_to_id IS NULL OR s.in_reply_to_account_id = s.account_id)` : db``}
      ${query.excludeReblogs ? db`AND s.reblog_of_id IS NULL` : db``}
      ${query.onlyMedia ? db`AND EXISTS (SELECT 1 FROM media_attachments m WHERE m.status_id = s.id)` : db``}
      ${query.tagged !== null
        ? db`AND EXISTS (SELECT 1 FROM statuses_tags st JOIN tags t ON t.id = st.tag_id
                         WHERE st.status_id = s.id AND lower(t.name) = lower(${query.tagged}))`
        : db``}
      ${pageWhere(db, "s.id", page)}
    ${pageOrder(db, "s.id", page)}`;
  return newestFirst(rows, page);
}

export async function selectPinnedStatuses(db: Db, accountId: string, page: Page, visible: Fragment): Promise<CursorRow[]> {
  const rows = await db<CursorRow[]>`
    SELECT p.id AS cursor, s.id FROM status_pins p JOIN statuses s ON s.id = p.status_id
    WHERE p.account_id = ${accountId} AND s.account_id = ${accountId} AND ${visible} ${pageWhere(db, "p.id", page)}
    ${pageOrder(db, "p.id", page)}`;
  return newestFirst(rows, page);
}

/** The viewer's favourites or bookmarks, by row id. */
export async function selectMarkedStatuses(
  db: Db,
  table: "favourites" | "bookmarks",
  accountId: string,
  page: Page,
  visible: Fragment,
): Promise<CursorRow[]> {
  const rows = await db<CursorRow[]>`
    SELECT f.id AS cursor, s.id FROM ${db(table)} f JOIN statuses s ON s.id = f.status_id
    WHERE f.account_id = ${accountId} AND ${visible} ${pageWhere(db, "f.id", page)}
    ${pageOrder(db, "f.id", page)}`;
  return newestFirst(rows, page);
}

/** Who favourited the status (by favourite id) or reblogged it (by reblog id). */
export async function selectStatusActors(
  db: Db,
  kind: "favourited_by" | "reblogged_by",
  statusId: string,
  page: Page,
): Promise<CursorRow[]> {
  const rows =
    kind === "favourited_by"
      ? await db<CursorRow[]>`
          SELECT f.id AS cursor, f.account_id AS id FROM favourites f JOIN accounts a ON a.id = f.account_id
          WHERE f.status_id = ${statusId} AND a.suspended_at IS NULL ${pageWhere(db, "f.id", page)}
          ${pageOrder(db, "f.id", page)}`
      : await db<CursorRow[]>`
          SELECT r.id AS cursor, r.account_id AS id FROM statuses r JOIN accounts a ON a.id = r.account_id
          WHERE r.reblog_of_id = ${statusId} AND r.deleted_at IS NULL AND a.suspended_at IS NULL
            ${pageWhere(db, "r.id", page)}
          ${pageOrder(db, "r.id", page)}`;
  return newestFirst(rows, page);
}

/** Ancestors of a status, root first, at most `limit` levels up. */
export async function selectAncestorIds(db: Db, statusId: string, limit: number): Promise<string[]> {
  const rows = await db`
    WITH RECURSIVE up(id, parent, depth) AS (
      SELECT id, in_reply_to_id, 0 FROM statuses WHERE id = ${statusId}
      UNION ALL
      SELECT s.id, s.in_reply_to_id, up.depth + 1 FROM statuses s JOIN up ON s.id = up.parent
      WHERE up.depth < ${limit}
    )
    SELECT id FROM up WHERE depth > 0 ORDER BY depth DESC`;
  return rows.map((r) => r.id as string);
}

/** Descendants in thread order (depth first, siblings oldest first), bounded in depth and count. */
export async function selectDescendantIds(db: Db, statusId: string, maxDepth: number, limit: number): Promise<string[]> {
  const rows = await db`
    WITH RECURSIVE down(id, path, depth) AS (
      SELECT id, ARRAY[id], 1 FROM statuses WHERE in_reply_to_id = ${statusId}
      UNION ALL
      SELECT s.id, down.path || s.id, down.depth + 1 FROM statuses s JOIN down ON s.in_reply_to_id = down.id
      WHERE down.depth < ${maxDepth}
    )
    SELECT id FROM down ORDER BY path LIMIT ${limit}`;
  return rows.map((r) => r.id as string);
}

/** Authors of the given statuses, for filtering threads by hidden accounts. */
export async function selectAuthors(db: Db, statusIds: string[]): Promise<Map<string, string>> {
  if (statusIds.length === 0) return new Map();
  const rows = await db`SELECT id, account_id FROM statuses WHERE id = ANY(${statusIds}::bigint[])`;
  return new Map(rows.map((r) => [r.id as string, r.account_id as string]));
}

// ---------------------------------------------------------------------------
// Remote statuses (stored by federation through services/store-remote-status.ts)

export async function statusIdByUri(db: Db, uri: string): Promise<string | null> {
  const [row] = await db`SELECT id FROM statuses WHERE uri = ${uri}`;
  return (row?.id as string | undefined) ?? null;
}

export interface NewRemoteStatus {
  uri: string;
  url: string | null;
  accountId: string;
  content: string;
  spoilerText: string;
  sensitive: boolean;
  language: string | null;
  visibility: Visibility;
  inReplyToId: string | null;
  inReplyToAccountId: string | null;
  reblogOfId: string | null;
  /** null: the status is its own thread's root. */
  conversationId: string | null;
  createdAt: Date;
  editedAt: Date | null;
}

/**
 * Inserts a remote status (or a remote reblog) unless its URI is known; null
 * then. Its id comes from its publication time (never later than now), as
 * Mastodon does, so fetched old posts sort where they belong.
 */
export async function insertRemoteStatus(db: Db, s: NewRemoteStatus): Promise<StatusRow | null> {
  const [row] = await db<StatusRow[]>`
    WITH new_id AS (SELECT timestamp_id(least(${s.createdAt}::timestamptz, clock_timestamp())) AS id)
    INSERT INTO statuses (id, account_id, uri, url, text, content, spoiler_text, sensitive, language, visibility,
                          in_reply_to_id, in_reply_to_account_id, reblog_of_id, conversation_id, local, edited_at, created_at)
    SELECT new_id.id, ${s.accountId}, ${s.uri}, ${s.url}, '', ${s.content}, ${s.spoilerText}, ${s.sensitive}, ${s.language},
           ${s.visibility}, ${s.inReplyToId}, ${s.inReplyToAccountId}, ${s.reblogOfId}, coalesce(${s.conversationId}::bigint, new_id.id),
           false, ${s.editedAt}, ${s.createdAt}
    FROM new_id
    ON CONFLICT (uri) WHERE uri IS NOT NULL DO NOTHING
    RETURNING *`;
  if (row) await db`INSERT INTO status_stats (status_id) VALUES (${row.id}) ON CONFLICT DO NOTHING`;
  return row ?? null;
}

export interface RemoteMedia {
  type: string;
  remoteUrl: string;
  contentType: string | null;
  description: string | null;
  blurhash: string | null;
  meta: Record<string, unknown>;
  focus: string | null;
}

/** Replaces the remote media of a status (links only: remote files are not copied). */
export async function replaceRemoteMedia(db: Db, statusId: string, accountId: string, media: RemoteMedia[]): Promise<void> {
  await db`DELETE FROM media_attachments WHERE status_id = ${statusId} AND file_key IS NULL`;
  for (const m of media) {
    await db`
      INSERT INTO media_attachments (account_id, status_id, type, remote_url, content_type, description, blurhash, meta, focus)
      VALUES (${accountId}, ${statusId}, ${m.type}, ${m.remoteUrl}, ${m.contentType}, ${m.description}, ${m.blurhash},
              ${db.json(m.meta as never)}, ${m.focus})`;
  }
}

export interface RemotePoll {
  options: string[];
  votesCounts: number[];
  multiple: boolean;
  votersCount: number | null;
  expiresAt: Date | null;
}

/** Inserts or refreshes the poll of a remote status with the counts its server reports. */
export async function upsertRemotePoll(db: Db, statusId: string, accountId: string, poll: RemotePoll): Promise<void> {
  const voters = poll.votersCount ?? poll.votesCounts.reduce((a, b) => a + b, 0);
  await db`
    INSERT INTO polls (status_id, account_id, options, votes_counts, multiple, voters_count, expires_at)
    VALUES (${statusId}, ${accountId}, ${poll.options}::text[], ${poll.votesCounts}::bigint[], ${poll.multiple},
            ${voters}, ${poll.expiresAt})
    ON CONFLICT (status_id) DO UPDATE SET options = EXCLUDED.options, votes_counts = EXCLUDED.votes_counts,
      multiple = EXCLUDED.multiple, voters_count = EXCLUDED.voters_count, expires_at = EXCLUDED.expires_at`;
}

export interface RemoteContentUpdate extends StatusContentUpdate {
  editedAt: Date;
}

export async function updateRemoteStatusContent(db: Db, id: string, update: RemoteContentUpdate): Promise<void> {
  await db`
    UPDATE statuses SET content = ${update.content}, spoiler_text = ${update.spoilerText}, sensitive = ${update.sensitive},
           language = ${update.language}, edited_at = ${update.editedAt}
    WHERE id = ${id}`;
}
