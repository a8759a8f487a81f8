/**
 * The one place Status, Poll, StatusEdit and StatusSource take their JSON
 * shape (Mastodon 4.x). `renderStatuses` is what every module that shows
 * statuses calls: it drops what the viewer may not see, batch-loads
 * everything a page needs (a fixed number of queries whatever the page
 * size) and nests reblogged statuses.
 */
import type { AppContext } from "../../src/context.ts";
import type { Db } from "../../src/db/index.ts";
import { absoluteUrl } from "../../src/http/urls.ts";
import { extractEmojiShortcodes, htmlToText } from "../../src/text/index.ts";
import { loadAccounts, type Account } from "../accounts/serializer.ts";
import { serializeCustomEmoji } from "../instance/serializer.ts";
import { renderMediaAttachments, type MediaAttachment } from "../media/serializer.ts";
import { renderCache, type StatusKey, type StatusParts } from "./render-cache.ts";
import { visibleToViewer } from "./visibility.ts";
import {
  selectEdits,
  type EditRow,
  type MediaRow,
  type PollRow,
  type StatusRow,
  type StatusWithStats,
  type Visibility,
} from "./storage.ts";
import { applyFilters, type FilterContext, type FilterResult } from "./filtering.ts";

export interface Viewer {
  accountId: string;
}

export type { MediaAttachment };

export interface PollOption {
  title: string;
  votes_count: number | null;
}

export interface Poll {
  id: string;
  expires_at: string | null;
  expired: boolean;
  multiple: boolean;
  votes_count: number;
  voters_count: number | null;
  options: PollOption[];
  emojis: unknown[];
  voted?: boolean;
  own_votes?: number[];
}

export interface StatusMention {
  id: string;
  username: string;
  url: string;
  acct: string;
}

export interface Status {
  id: string;
  created_at: string;
  in_reply_to_id: string | null;
  in_reply_to_account_id: string | null;
  sensitive: boolean;
  spoiler_text: string;
  visibility: Visibility;
  language: string | null;
  uri: string;
  url: string | null;
  replies_count: number;
  reblogs_count: number;
  favourites_count: number;
  edited_at: string | null;
  favourited?: boolean;
  reblogged?: boolean;
  muted?: boolean;
  bookmarked?: boolean;
  pinned?: boolean;
  filtered?: FilterResult[];
  content: string;
  reblog: Status | null;
  application: { name: string; website: string | null } | null;
  account: Account;
  media_attachments: MediaAttachment[];
  mentions: StatusMention[];
  tags: { name: string; url: string }[];
  emojis: CustomEmoji[];
  card: null;
  poll: Poll | null;
  quote: null;
  /** Only on delete (for redraft), as Mastodon's source_requested. */
  text?: string;
}

export type CustomEmoji = ReturnType<typeof serializeCustomEmoji>;

export interface StatusEdit {
  content: string;
  spoiler_text: string;
  sensitive: boolean;
  created_at: string;
  account: Account;
  poll: { options: { title: string }[] } | null;
  media_attachments: MediaAttachment[];
  emojis: unknown[];
}

export interface StatusSource {
  id: string;
  text: string;
  spoiler_text: string;
}

export interface RenderOptions {
  filterContext?: FilterContext;
}

const iso = (date: Date | null): string | null => (date ? new Date(date).toISOString() : null);

// ---------------------------------------------------------------------------
// URLs

/** Local statuses: `/users/:username/statuses/:id` (ActivityPub id) and `/@:username/:id` (web page). */
export function statusUrls(ctx: AppContext, row: StatusRow, author: Pick<Account, "username">) {
  if (!row.local) return { uri: row.uri ?? "", url: row.url ?? row.uri };
  const user = encodeURIComponent(author.username);
  const activity = row.reblog_of_id ? "/activity" : "";
  return {
    uri: absoluteUrl(ctx.config, `/users/${user}/statuses/${row.id}${activity}`),
    url: absoluteUrl(ctx.config, `/@${user}/${row.id}`),
  };
}

export function tagUrl(ctx: AppContext, name: string): string {
  return absoluteUrl(ctx.config, `/tags/${encodeURIComponent(name)}`);
}

// ---------------------------------------------------------------------------
// Media and polls

export function serializePoll(row: PollRow, viewer: Viewer | null, ownVotes: number[]): Poll {
  const expired = row.expires_at !== null && new Date(row.expires_at).getTime() <= Date.now();
  const counts = row.votes_counts.map(Number);
  const isOwner = viewer?.accountId === row.account_id;
  // hide_totals: per-option counts stay secret until the end, except to the author.
  const showCounts = !row.hide_totals || expired || isOwner;
  const poll: Poll = {
    id: row.id,
    expires_at: iso(row.expires_at),
    expired,
    multiple: row.multiple,
    votes_count: counts.reduce((a, b) => a + b, 0),
    voters_count: Number(row.voters_count),
    options: row.options.map((title, i) => ({ title, votes_count: showCounts ? (counts[i] ?? 0) : null })),
    emojis: [],
  };
  if (viewer) {
    // Mastodon counts the author as having voted: their own poll offers them no choice.
    poll.voted = isOwner || ownVotes.length > 0;
    poll.own_votes = ownVotes;
  }
  return poll;
}

// ---------------------------------------------------------------------------
// Batch loading
//
// A page is read in one query (selectPage): the rows the viewer may see
// (the visibility predicate is evaluated there, never cached), the
// originals of reblogs among them, their counts, polls, and every
// viewer-specific flag. The viewer-independent parts (media, mentions, tags,
// emojis, application) come from the render cache (render-cache.ts) or, for
// statuses not rendered before, from four more queries. Accounts load
// alongside the page query when the cache already knows the authors. A page
// of statuses rendered before costs one query plus the accounts'.

/** A row of the page query: the status, its counts, poll and the viewer's state. */
interface PageRow extends StatusWithStats {
  /** Asked for and visible (false: only loaded as the original of a reblog). */
  requested: boolean;
  account_domain: string | null;
  favourited: boolean | null;
  reblogged: boolean | null;
  bookmarked: boolean | null;
  pinned: boolean | null;
  muted: boolean | null;
  poll_id: string | null;
  poll_account_id: string | null;
  poll_options: string[] | null;
  poll_votes_counts: string[] | null;
  poll_multiple: boolean | null;
  poll_hide_totals: boolean | null;
  poll_voters_count: string | null;
  poll_expires_at: Date | null;
  own_votes: number[] | null;
}

interface Loaded {
  rows: Map<string, PageRow>;
  accounts: Map<string, Account>;
  parts: Map<string, StatusParts>;
}

function groupBy<T>(rows: T[], key: (row: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const list = map.get(k);
    if (list) list.push(row);
    else map.set(k, [row]);
  }
  return map;
}

/**
 * The page query. With `checkVisibility`, only the ids `viewerId` may see
 * are `requested` (statusVisibleTo's rules, reblogs needing a visible
 * original); without (the author's own just-deleted status), all are.
 */
async function selectPage(db: Db, ids: string[], viewerId: string | null, checkVisibility: boolean): Promise<PageRow[]> {
  const v = viewerId;
  return db<PageRow[]>`
    WITH page AS MATERIALIZED (
      SELECT s.id, s.reblog_of_id FROM statuses s
      WHERE s.id = ANY(${ids}::bigint[]) ${checkVisibility ? db`AND ${visibleToViewer(db, v, "s")}` : db``}
    )
    SELECT s.*, a.domain AS account_domain,
           coalesce(st.replies_count, 0) AS replies_count, coalesce(st.reblogs_count, 0) AS reblogs_count,
           coalesce(st.favourites_count, 0) AS favourites_count,
           s.id IN (SELECT id FROM page) AS requested,
           ${
             v
               ? db`EXISTS (SELECT 1 FROM favourites x WHERE x.account_id = ${v} AND x.status_id = s.id) AS favourited,
                    EXISTS (SELECT 1 FROM statuses x
                            WHERE x.account_id = ${v} AND x.reblog_of_id = s.id AND x.deleted_at IS NULL) AS reblogged,
                    EXISTS (SELECT 1 FROM bookmarks x WHERE x.account_id = ${v} AND x.status_id = s.id) AS bookmarked,
                    EXISTS (SELECT 1 FROM status_pins x WHERE x.account_id = ${v} AND x.status_id = s.id) AS pinned,
                    EXISTS (SELECT 1 FROM conversation_mutes x
                            WHERE x.account_id = ${v} AND x.conversation_id = s.conversation_id) AS muted,
                    (SELECT array_agg(pv.choice ORDER BY pv.choice) FROM poll_votes pv
                     WHERE pv.poll_id = p.id AND pv.account_id = ${v}) AS own_votes,`
               : db``
           }
           p.id AS poll_id, p.account_id AS poll_account_id, p.options AS poll_options, p.votes_counts AS poll_votes_counts,
           p.multiple AS poll_multiple, p.hide_totals AS poll_hide_totals, p.voters_count AS poll_voters_count,
           p.expires_at AS poll_expires_at
    FROM statuses s
    JOIN accounts a ON a.id = s.account_id
    LEFT JOIN status_stats st ON st.status_id = s.id
    LEFT JOIN polls p ON p.status_id = s.id
    WHERE s.id IN (SELECT id FROM page UNION SELECT reblog_of_id FROM page WHERE reblog_of_id IS NOT NULL)`;
}

const keyOf = (row: PageRow): StatusKey => ({
  id: row.id,
  editedAt: row.edited_at,
  accountId: row.account_id,
  reblogOfId: row.reblog_of_id,
});

/** The custom emojis a status uses: local ones for local statuses, the author's server's for remote ones. */
function statusEmojis(emojis: Map<string, CustomEmoji>, row: PageRow): CustomEmoji[] {
  if (emojis.size === 0) return [];
  const domain = row.local ? "" : (row.account_domain ?? "").toLowerCase();
  return extractEmojiShortcodes(`${row.spoiler_text}\n${htmlToText(row.content)}`)
    .map((code) => emojis.get(`${domain}:${code}`))
    .filter((e): e is CustomEmoji => e !== undefined);
}

/** Builds the viewer-independent parts of statuses from Postgres (render cache misses). */
async function buildParts(ctx: AppContext, db: Db, rows: PageRow[]): Promise<Map<string, StatusParts>> {
  if (rows.length === 0) return new Map();
  const ids = rows.map((r) => r.id);
  const applicationIds = [...new Set(rows.map((r) => r.application_id).filter((a): a is string => a !== null))];
  const shortcodes = [...new Set(rows.flatMap((r) => extractEmojiShortcodes(`${r.spoiler_text}\n${htmlToText(r.content)}`)))];
  const [mentionRows, tagRows, mediaRows, appRows, emojiRows] = await Promise.all([
    db`SELECT status_id, account_id FROM mentions WHERE status_id = ANY(${ids}::bigint[]) ORDER BY account_id`,
    db`SELECT st.status_id, t.name FROM statuses_tags st JOIN tags t ON t.id = st.tag_id
       WHERE st.status_id = ANY(${ids}::bigint[]) ORDER BY t.name`,
    db<MediaRow[]>`SELECT * FROM media_attachments WHERE status_id = ANY(${ids}::bigint[]) ORDER BY id`,
    applicationIds.length > 0
      ? db`SELECT id, name, website FROM oauth_applications WHERE id = ANY(${applicationIds}::bigint[])`
      : Promise.resolve([]),
    shortcodes.length > 0
      ? db`SELECT shortcode, domain, image_url, static_url, visible_in_picker, category FROM custom_emojis
           WHERE NOT disabled AND shortcode = ANY(${shortcodes}::text[])`
      : Promise.resolve([]),
  ]);
  const mentioned = mentionRows.length > 0 ? await loadAccounts(db, ctx.config, mentionRows.map((m) => m.account_id as string)) : new Map();
  const mentions = groupBy(mentionRows, (m) => m.status_id as string);
  const tags = groupBy(tagRows, (t) => t.status_id as string);
  const media = groupBy(mediaRows, (m) => m.status_id!);
  const applications = new Map(appRows.map((a) => [a.id as string, { name: a.name as string, website: (a.website as string | null) ?? null }]));
  const emojis = new Map(
    emojiRows.map((e) => [
      `${((e.domain as string | null) ?? "").toLowerCase()}:${e.shortcode}`,
      serializeCustomEmoji(e as unknown as Parameters<typeof serializeCustomEmoji>[0]),
    ]),
  );
  return new Map(
    rows.map((row) => [
      row.id,
      {
        media_attachments: renderMediaAttachments(ctx, media.get(row.id) ?? []),
        mentions: (mentions.get(row.id) ?? [])
          .map((m) => mentioned.get(m.account_id as string))
          .filter((a): a is Account => a !== undefined)
          .map((a) => ({ id: a.id, username: a.username, url: a.url, acct: a.acct })),
        tags: (tags.get(row.id) ?? []).map((t) => ({ name: t.name as string, url: tagUrl(ctx, t.name as string) })),
        emojis: statusEmojis(emojis, row),
        application: (row.application_id && applications.get(row.application_id)) || null,
      },
    ]),
  );
}

/**
 * Loads the given statuses (those the viewer may see, with `checkVisibility`),
 * their reblog originals and everything they embed.
 */
async function loadAll(
  ctx: AppContext,
  db: Db,
  ids: string[],
  viewer: Viewer | null,
  options: { checkVisibility: boolean },
): Promise<Loaded> {
  // Only on the pool: what a transaction reads may never commit.
  const cache = db === ctx.sql ? renderCache(ctx) : null;
  // Authors the cache already knows load while the page query runs.
  const known = cache?.peek(ids) ?? new Map();
  const originals = cache?.peek([...known.values()].map((k) => k.reblogOfId).filter((id): id is string => id !== null));
  const early = [...known.values(), ...(originals?.values() ?? [])].map((k) => k.accountId);
  const [pageRows, earlyAccounts] = await Promise.all([
    selectPage(db, ids, viewer?.accountId ?? null, options.checkVisibility),
    early.length > 0 ? loadAccounts(db, ctx.config, early) : Promise.resolve(new Map<string, Account>()),
  ]);
  const rows = new Map(pageRows.map((r) => [r.id, r]));
  const keys = pageRows.map(keyOf);
  const parts = cache ? await cache.get(keys) : new Map<string, StatusParts>();
  const misses = pageRows.filter((r) => !parts.has(r.id));
  const missingAuthors = [...new Set(pageRows.map((r) => r.account_id).filter((id) => !earlyAccounts.has(id)))];
  const [built, lateAccounts] = await Promise.all([
    buildParts(ctx, db, misses),
    missingAuthors.length > 0 ? loadAccounts(db, ctx.config, missingAuthors) : Promise.resolve(new Map<string, Account>()),
  ]);
  for (const [id, p] of built) parts.set(id, p);
  cache?.put(misses.map((row) => ({ key: keyOf(row), parts: built.get(row.id)! })));
  return { rows, accounts: new Map([...earlyAccounts, ...lateAccounts]), parts };
}

function pollOf(row: PageRow): PollRow | null {
  if (row.poll_id === null) return null;
  return {
    id: row.poll_id,
    status_id: row.id,
    account_id: row.poll_account_id!,
    options: row.poll_options ?? [],
    votes_counts: row.poll_votes_counts ?? [],
    multiple: row.poll_multiple ?? false,
    hide_totals: row.poll_hide_totals ?? false,
    voters_count: row.poll_voters_count ?? "0",
    expires_at: row.poll_expires_at,
    ended_notified_at: null,
    created_at: row.created_at,
  };
}

function build(ctx: AppContext, loaded: Loaded, row: PageRow, viewer: Viewer | null, nested = false): Status | null {
  const account = loaded.accounts.get(row.account_id);
  const parts = loaded.parts.get(row.id);
  if (!account || !parts) return null;
  let reblog: Status | null = null;
  if (row.reblog_of_id && !nested) {
    const original = loaded.rows.get(row.reblog_of_id);
    reblog = original ? build(ctx, loaded, original, viewer, true) : null;
    if (!reblog) return null;
  }
  const poll = pollOf(row);
  const urls = statusUrls(ctx, row, account);
  const status: Status = {
    id: row.id,
    created_at: iso(row.created_at)!,
    in_reply_to_id: row.in_reply_to_id,
    in_reply_to_account_id: row.in_reply_to_account_id,
    sensitive: row.sensitive,
    spoiler_text: row.spoiler_text,
    visibility: row.visibility,
    language: row.language,
    uri: urls.uri,
    url: urls.url,
    replies_count: Number(row.replies_count),
    reblogs_count: Number(row.reblogs_count),
    favourites_count: Number(row.favourites_count),
    edited_at: iso(row.edited_at),
    content: row.content,
    reblog,
    application: parts.application,
    account,
    media_attachments: parts.media_attachments,
    mentions: parts.mentions,
    tags: parts.tags,
    emojis: parts.emojis as CustomEmoji[],
    card: null,
    poll: poll ? serializePoll(poll, viewer, row.own_votes ?? []) : null,
    quote: null,
  };
  if (viewer) {
    status.favourited = row.favourited === true;
    status.reblogged = row.reblogged === true;
    status.muted = row.muted === true;
    status.bookmarked = row.bookmarked === true;
    // Only where pinning is possible: the viewer's own, non-reblog, non-direct statuses.
    if (row.account_id === viewer.accountId && !row.reblog_of_id && row.visibility !== "direct") {
      status.pinned = row.pinned === true;
    }
  }
  return status;
}

/**
 * Statuses by id, in the given order, as `viewer` may see them: missing,
 * deleted and invisible ones are dropped silently, and so are statuses a
 * `hide` filter of the viewer matches in `filterContext`.
 */
export async function renderStatuses(
  ctx: AppContext,
  statusIds: string[],
  viewer: Viewer | null,
  options: RenderOptions = {},
  db: Db = ctx.sql,
): Promise<Status[]> {
  if (statusIds.length === 0) return [];
  const loaded = await loadAll(ctx, db, [...new Set(statusIds)], viewer, { checkVisibility: true });
  const statuses = statusIds
    .map((id) => loaded.rows.get(id))
    .filter((row): row is PageRow => row !== undefined && row.requested)
    .map((row) => build(ctx, loaded, row, viewer))
    .filter((s): s is Status => s !== null);
  if (!viewer) return statuses;
  return applyFilters(ctx, db, viewer.accountId, statuses, options.filterContext);
}

export async function renderStatus(
  ctx: AppContext,
  statusId: string,
  viewer: Viewer | null,
  options: RenderOptions = {},
  db: Db = ctx.sql,
): Promise<Status | null> {
  return (await renderStatuses(ctx, [statusId], viewer, options, db))[0] ?? null;
}

/**
 * A status rendered without the visibility check, for its author right
 * after a change that hides it (delete returns the deleted status with its
 * source `text`, for delete-and-redraft).
 */
export async function renderOwnStatus(
  ctx: AppContext,
  db: Db,
  statusId: string,
  viewer: Viewer,
  options: { withSource?: boolean } = {},
): Promise<Status | null> {
  const loaded = await loadAll(ctx, db, [statusId], viewer, { checkVisibility: false });
  const row = loaded.rows.get(statusId);
  const status = row ? build(ctx, loaded, row, viewer) : null;
  if (status && options.withSource) status.text = row!.text;
  return status;
}

export function serializeSource(row: StatusRow): StatusSource {
  return { id: row.id, text: row.text, spoiler_text: row.spoiler_text };
}

/**
 * The edit history, oldest first. A status never edited has one entry, its
 * current version, as Mastodon answers.
 */
export async function renderHistory(ctx: AppContext, row: StatusRow, poll: PollRow | null): Promise<StatusEdit[]> {
  const edits = await selectEdits(ctx.sql, row.id);
  const mediaIds = [...new Set(edits.flatMap((e) => e.media_attachment_ids))];
  const [accounts, mediaRows] = await Promise.all([
    loadAccounts(ctx.sql, ctx.config, [row.account_id]),
    mediaIds.length > 0
      ? ctx.sql<MediaRow[]>`SELECT * FROM media_attachments WHERE id = ANY(${mediaIds}::bigint[])`
      : ctx.sql<MediaRow[]>`SELECT * FROM media_attachments WHERE status_id = ${row.id} ORDER BY id`,
  ]);
  const account = accounts.get(row.account_id);
  if (!account) return [];
  const media = new Map(mediaRows.map((m) => [m.id, m]));
  const versions: Omit<EditRow, "id" | "status_id" | "text">[] =
    edits.length > 0
      ? edits
      : [{
          content: row.content,
          spoiler_text: row.spoiler_text,
          sensitive: row.sensitive,
          poll_options: poll?.options ?? null,
          media_attachment_ids: mediaRows.map((m) => m.id),
          created_at: row.edited_at ?? row.created_at,
        }];
  return versions.map((edit) => ({
    content: edit.content,
    spoiler_text: edit.spoiler_text,
    sensitive: edit.sensitive,
    created_at: iso(edit.created_at)!,
    account,
    poll: edit.poll_options ? { options: edit.poll_options.map((title) => ({ title })) } : null,
    media_attachments: renderMediaAttachments(
      ctx,
      edit.media_attachment_ids.map((id) => media.get(String(id))).filter((m): m is MediaRow => m !== undefined),
    ),
    emojis: [],
  }));
}
