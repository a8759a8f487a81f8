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
import { visibleStatusIds } from "./visibility.ts";
import {
  selectEdits,
  selectStatusesWithStats,
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

interface Loaded {
  rows: Map<string, StatusWithStats>;
  accounts: Map<string, Account>;
  mentions: Map<string, string[]>;
  tags: Map<string, string[]>;
  media: Map<string, MediaRow[]>;
  polls: Map<string, PollRow>;
  applications: Map<string, { name: string; website: string | null }>;
  /** Custom emojis by `domain:shortcode` ("" for local). */
  emojis: Map<string, CustomEmoji>;
  // Viewer state
  favourited: Set<string>;
  reblogged: Set<string>;
  bookmarked: Set<string>;
  pinned: Set<string>;
  mutedConversations: Set<string>;
  votes: Map<string, number[]>;
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

/** Loads the given status rows, their reblog originals and everything they embed. */
async function loadAll(ctx: AppContext, db: Db, ids: string[], viewer: Viewer | null): Promise<Loaded> {
  const first = await selectStatusesWithStats(db, ids);
  const originalIds = first.map((r) => r.reblog_of_id).filter((id): id is string => id !== null && !ids.includes(id));
  const originals = await selectStatusesWithStats(db, originalIds);
  const rows = new Map([...first, ...originals].map((r) => [r.id, r]));
  const all = [...rows.keys()];
  const conversations = [...new Set([...rows.values()].map((r) => r.conversation_id).filter((c): c is string => c !== null))];
  const applicationIds = [...new Set([...rows.values()].map((r) => r.application_id).filter((a): a is string => a !== null))];
  const v = viewer?.accountId ?? null;
  const shortcodes = [
    ...new Set([...rows.values()].flatMap((r) => extractEmojiShortcodes(`${r.spoiler_text}\n${htmlToText(r.content)}`))),
  ];

  const [mentionRows, tagRows, mediaRows, pollRows, appRows, favRows, reblogRows, bookmarkRows, pinRows, muteRows, emojiRows] =
    await Promise.all([
      db`SELECT status_id, account_id FROM mentions WHERE status_id = ANY(${all}::bigint[]) ORDER BY account_id`,
      db`SELECT st.status_id, t.name FROM statuses_tags st JOIN tags t ON t.id = st.tag_id
         WHERE st.status_id = ANY(${all}::bigint[]) ORDER BY t.name`,
      db<MediaRow[]>`SELECT * FROM media_attachments WHERE status_id = ANY(${all}::bigint[]) ORDER BY id`,
      db<PollRow[]>`SELECT * FROM polls WHERE status_id = ANY(${all}::bigint[])`,
      applicationIds.length > 0
        ? db`SELECT id, name, website FROM oauth_applications WHERE id = ANY(${applicationIds}::bigint[])`
        : Promise.resolve([]),
      v ? db`SELECT status_id FROM favourites WHERE account_id = ${v} AND status_id = ANY(${all}::bigint[])` : [],
      v
        ? db`SELECT reblog_of_id AS status_id FROM statuses
             WHERE account_id = ${v} AND reblog_of_id = ANY(${all}::bigint[]) AND deleted_at IS NULL`
        : [],
      v ? db`SELECT status_id FROM bookmarks WHERE account_id = ${v} AND status_id = ANY(${all}::bigint[])` : [],
      v ? db`SELECT status_id FROM status_pins WHERE account_id = ${v} AND status_id = ANY(${all}::bigint[])` : [],
      v && conversations.length > 0
        ? db`SELECT conversation_id FROM conversation_mutes
             WHERE account_id = ${v} AND conversation_id = ANY(${conversations}::bigint[])`
        : [],
      shortcodes.length > 0
        ? db`SELECT shortcode, domain, image_url, static_url, visible_in_picker, category FROM custom_emojis
             WHERE NOT disabled AND shortcode = ANY(${shortcodes}::text[])`
        : [],
    ]);
  const voteRows =
    v && pollRows.length > 0
      ? await db`SELECT poll_id, choice FROM poll_votes
                 WHERE account_id = ${v} AND poll_id = ANY(${pollRows.map((p) => p.id)}::bigint[]) ORDER BY choice`
      : [];

  const accountIds = [...[...rows.values()].map((r) => r.account_id), ...mentionRows.map((m) => m.account_id as string)];
  const accounts = await loadAccounts(db, ctx.config, accountIds);
  const ids_ = (list: readonly Record<string, unknown>[], key = "status_id") => new Set(list.map((r) => String(r[key])));

  return {
    rows,
    accounts,
    mentions: new Map([...groupBy(mentionRows, (m) => m.status_id as string)].map(([k, ms]) => [k, ms.map((m) => m.account_id as string)])),
    tags: new Map([...groupBy(tagRows, (t) => t.status_id as string)].map(([k, ts]) => [k, ts.map((t) => t.name as string)])),
    media: groupBy(mediaRows, (m) => m.status_id!),
    polls: new Map(pollRows.map((p) => [p.status_id, p])),
    emojis: new Map(
      emojiRows.map((e) => [
        `${((e.domain as string | null) ?? "").toLowerCase()}:${e.shortcode}`,
        serializeCustomEmoji(e as unknown as Parameters<typeof serializeCustomEmoji>[0]),
      ]),
    ),
    applications: new Map(appRows.map((a) => [a.id as string, { name: a.name as string, website: (a.website as string | null) ?? null }])),
    favourited: ids_(favRows),
    reblogged: ids_(reblogRows),
    bookmarked: ids_(bookmarkRows),
    pinned: ids_(pinRows),
    mutedConversations: ids_(muteRows, "conversation_id"),
    votes: new Map([...groupBy(voteRows, (r) => r.poll_id as string)].map(([k, rs]) => [k, rs.map((r) => r.choice as number)])),
  };
}

/** The custom emojis a status uses: local ones for local statuses, the author's server's for remote ones. */
function statusEmojis(loaded: Loaded, row: StatusRow, author: Account): CustomEmoji[] {
  if (loaded.emojis.size === 0) return [];
  const domain = row.local ? "" : (author.acct.split("@")[1] ?? "").toLowerCase();
  return extractEmojiShortcodes(`${row.spoiler_text}\n${htmlToText(row.content)}`)
    .map((code) => loaded.emojis.get(`${domain}:${code}`))
    .filter((e): e is CustomEmoji => e !== undefined);
}

function build(ctx: AppContext, loaded: Loaded, row: StatusWithStats, viewer: Viewer | null, nested = false): Status | null {
  const account = loaded.accounts.get(row.account_id);
  if (!account) return null;
  let reblog: Status | null = null;
  if (row.reblog_of_id && !nested) {
    const original = loaded.rows.get(row.reblog_of_id);
    reblog = original ? build(ctx, loaded, original, viewer, true) : null;
    if (!reblog) return null;
  }
  const mentions = (loaded.mentions.get(row.id) ?? [])
    .map((id) => loaded.accounts.get(id))
    .filter((a): a is Account => a !== undefined)
    .map((a) => ({ id: a.id, username: a.username, url: a.url, acct: a.acct }));
  const poll = loaded.polls.get(row.id);
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
    application: (row.application_id && loaded.applications.get(row.application_id)) || null,
    account,
    media_attachments: renderMediaAttachments(ctx, loaded.media.get(row.id) ?? []),
    mentions,
    tags: (loaded.tags.get(row.id) ?? []).map((name) => ({ name, url: tagUrl(ctx, name) })),
    emojis: statusEmojis(loaded, row, account),
    card: null,
    poll: poll ? serializePoll(poll, viewer, loaded.votes.get(poll.id) ?? []) : null,
    quote: null,
  };
  if (viewer) {
    status.favourited = loaded.favourited.has(row.id);
    status.reblogged = loaded.reblogged.has(row.id);
    status.muted = row.conversation_id !== null && loaded.mutedConversations.has(row.conversation_id);
    status.bookmarked = loaded.bookmarked.has(row.id);
    // Only where pinning is possible: the viewer's own, non-reblog, non-direct statuses.
    if (row.account_id === viewer.accountId && !row.reblog_of_id && row.visibility !== "direct") {
      status.pinned = loaded.pinned.has(row.id);
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
  const visible = await visibleStatusIds(db, viewer?.accountId ?? null, statusIds);
  const ids = statusIds.filter((id) => visible.has(id));
  if (ids.length === 0) return [];
  const loaded = await loadAll(ctx, db, [...new Set(ids)], viewer);
  const statuses = ids
    .map((id) => loaded.rows.get(id))
    .filter((row): row is StatusWithStats => row !== undefined)
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
  const loaded = await loadAll(ctx, db, [statusId], viewer);
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
