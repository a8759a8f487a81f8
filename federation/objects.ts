/**
 * Our statuses as ActivityPub objects: a Note (a Question when it has a
 * poll) with Mastodon's shape, and the addressing our visibilities map to.
 * Used by the object dispatchers (GET of a status URI), the outbox and
 * featured collections, and the outgoing Create/Update/Delete/Announce.
 *
 * Addressing follows Mastodon's ActivityPub::TagManager:
 *
 * | visibility | to                  | cc                          |
 * | ---------- | ------------------- | --------------------------- |
 * | public     | Public              | followers, mentioned actors |
 * | unlisted   | followers           | Public, mentioned actors    |
 * | private    | followers           | mentioned actors            |
 * | direct     | mentioned actors    | —                           |
 *
 * Everything is loaded in batches (a fixed number of queries for any number
 * of statuses), so collection pages cost the same as a single object.
 *
 * Not emitted: `blurhash` and `focalPoint` of attachments (Mastodon's
 * extensions have no place in Fedify's vocabulary, and its serializer drops
 * unknown properties), and `quoteUrl` (no quotes yet).
 */
import { LanguageString } from "@fedify/fedify";
import {
  Announce,
  Collection,
  Create,
  Document,
  Emoji,
  Hashtag,
  Image,
  Mention,
  Note,
  PUBLIC_COLLECTION,
  Question,
  Tombstone,
} from "@fedify/fedify/vocab";
import type { AppContext } from "../src/context.ts";
import type { Db } from "../src/db/index.ts";
import { absoluteUrl, accountUrls } from "../src/http/urls.ts";
import { extractEmojiShortcodes, htmlToText } from "../src/text/index.ts";
import type { MediaRow, PollRow, StatusRow, Visibility } from "../modules/statuses/storage.ts";
import { tagUrl } from "../modules/statuses/serializer.ts";

/** An account as federation addresses it. */
export interface ActorRef {
  id: string;
  username: string;
  /** null for local accounts. */
  domain: string | null;
  /** The actor URI. */
  uri: string;
  /** Personal and shared inboxes (remote accounts; null when unknown). */
  inbox: string | null;
  sharedInbox: string | null;
  /** The followers collection (always known for local accounts). */
  followers: string | null;
  /** A display handle: @user@domain. */
  handle: string;
  suspended: boolean;
}

interface EmojiRow {
  id: string;
  shortcode: string;
  image_url: string;
  uri: string | null;
  created_at: Date;
}

/** A status and everything its object embeds. */
export interface StatusData {
  row: StatusRow;
  author: ActorRef;
  /** The status's ActivityPub id and its web page. */
  uri: string;
  url: string | null;
  mentions: ActorRef[];
  tags: string[];
  media: MediaRow[];
  poll: PollRow | null;
  emojis: EmojiRow[];
  /** The parent's id, for replies (null when the parent is gone or unknown). */
  inReplyToUri: string | null;
  /** For reblogs: the original status. */
  reblogOf: StatusData | null;
}

const MEDIA_TYPES: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  avif: "image/avif",
  mp4: "video/mp4",
  webm: "video/webm",
  mov: "video/quicktime",
  mp3: "audio/mpeg",
  ogg: "audio/ogg",
  oga: "audio/ogg",
  wav: "audio/wave",
  flac: "audio/flac",
  m4a: "audio/mp4",
};

/** The declared media type, else one guessed from the URL's extension (null when unknown). */
export function mediaTypeOf(url: string, declared: string | null = null): string | null {
  if (declared) return declared;
  try {
    const extension = /\.([a-z0-9]+)$/i.exec(new URL(url).pathname)?.[1]?.toLowerCase();
    return (extension && MEDIA_TYPES[extension]) || null;
  } catch {
    return null;
  }
}

const instant = (date: Date) => Temporal.Instant.fromEpochMilliseconds(new Date(date).getTime());

// ---------------------------------------------------------------------------
// Loading

/** Accounts by id as federation addresses them; unknown ids are absent. */
export async function loadActorRefs(ctx: AppContext, db: Db, ids: readonly string[]): Promise<Map<string, ActorRef>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await db`
    SELECT id, username, domain, uri, inbox_url, shared_inbox_url, followers_url, suspended_at IS NOT NULL AS suspended
    FROM accounts WHERE id = ANY(${unique}::bigint[])`;
  return new Map(rows.map((r) => [r.id as string, toActorRef(ctx, r)]));
}

export function toActorRef(ctx: AppContext, r: Record<string, any>): ActorRef {
  if (r.domain === null) {
    const urls = accountUrls(ctx.config, r.username);
    return {
      id: r.id,
      username: r.username,
      domain: null,
      uri: urls.uri,
      inbox: urls.inbox,
      sharedInbox: urls.sharedInbox,
      followers: urls.followers,
      handle: `@${r.username}@${ctx.config.localDomain}`,
      suspended: Boolean(r.suspended),
    };
  }
  return {
    id: r.id,
    username: r.username,
    domain: r.domain,
    uri: r.uri,
    inbox: r.inbox_url ?? null,
    sharedInbox: r.shared_inbox_url ?? null,
    followers: r.followers_url ?? null,
    handle: `@${r.username}@${r.domain}`,
    suspended: Boolean(r.suspended),
  };
}

/** A status's ActivityPub id: derived for local ones (reblogs: their Announce), stored for remote ones. */
export function statusUri(ctx: AppContext, row: Pick<StatusRow, "id" | "local" | "uri" | "reblog_of_id">, author: Pick<ActorRef, "username">): string {
  if (!row.local) return row.uri ?? "";
  const base = absoluteUrl(ctx.config, `/users/${encodeURIComponent(author.username)}/statuses/${row.id}`);
  return row.reblog_of_id ? `${base}/activity` : base;
}

function statusPage(ctx: AppContext, row: StatusRow, author: ActorRef): string | null {
  if (!row.local) return row.url ?? row.uri;
  return absoluteUrl(ctx.config, `/@${encodeURIComponent(author.username)}/${row.id}`);
}

/**
 * Statuses (deleted ones included: Delete and Undo need them) with what
 * their objects embed, and reblogs with their originals; missing ids are
 * absent from the map.
 */
export async function loadStatusData(ctx: AppContext, db: Db, ids: readonly string[]): Promise<Map<string, StatusData>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const first = await db<StatusRow[]>`SELECT * FROM statuses WHERE id = ANY(${unique}::bigint[])`;
  const originalIds = first.map((r) => r.reblog_of_id).filter((id): id is string => id !== null && !unique.includes(id));
  const originals = originalIds.length > 0 ? await db<StatusRow[]>`SELECT * FROM statuses WHERE id = ANY(${originalIds}::bigint[])` : [];
  const rows = [...first, ...originals];
  const all = rows.map((r) => r.id);
  const parentIds = [...new Set(rows.map((r) => r.in_reply_to_id).filter((id): id is string => id !== null))];
  const shortcodes = [
    ...new Set(rows.filter((r) => r.local).flatMap((r) => extractEmojiShortcodes(`${r.spoiler_text}\n${htmlToText(r.content)}`))),
  ];

  const [mentionRows, tagRows, mediaRows, pollRows, parentRows, emojiRows] = await Promise.all([
    db`SELECT status_id, account_id FROM mentions WHERE status_id = ANY(${all}::bigint[]) ORDER BY account_id`,
    db`SELECT st.status_id, t.name FROM statuses_tags st JOIN tags t ON t.id = st.tag_id
       WHERE st.status_id = ANY(${all}::bigint[]) ORDER BY t.name`,
    db<MediaRow[]>`SELECT * FROM media_attachments WHERE status_id = ANY(${all}::bigint[]) ORDER BY id`,
    db<PollRow[]>`SELECT * FROM polls WHERE status_id = ANY(${all}::bigint[])`,
    parentIds.length > 0
      ? db`SELECT p.id, p.local, p.uri, p.reblog_of_id, a.username
           FROM statuses p JOIN accounts a ON a.id = p.account_id WHERE p.id = ANY(${parentIds}::bigint[])`
      : Promise.resolve([]),
    shortcodes.length > 0
      ? db<EmojiRow[]>`SELECT id, shortcode, image_url, uri, created_at FROM custom_emojis
                       WHERE domain IS NULL AND NOT disabled AND shortcode = ANY(${shortcodes}::text[])`
      : Promise.resolve([] as EmojiRow[]),
  ]);

  const accounts = await loadActorRefs(ctx, db, [
    ...rows.map((r) => r.account_id),
    ...mentionRows.map((m) => m.account_id as string),
  ]);
  const parents = new Map(
    parentRows.map((p) => [
      p.id as string,
      statusUri(ctx, { id: p.id, local: p.local, uri: p.uri, reblog_of_id: p.reblog_of_id }, { username: p.username }),
    ]),
  );
  const emojis = new Map((emojiRows as EmojiRow[]).map((e) => [e.shortcode, e]));

  const built = new Map<string, StatusData>();
  for (const row of rows) {
    const author = accounts.get(row.account_id);
    if (!author) continue;
    built.set(row.id, {
      row,
      author,
      uri: statusUri(ctx, row, author),
      url: statusPage(ctx, row, author),
      mentions: mentionRows
        .filter((m) => m.status_id === row.id)
        .map((m) => accounts.get(m.account_id as string))
        .filter((a): a is ActorRef => a !== undefined),
      tags: tagRows.filter((t) => t.status_id === row.id).map((t) => t.name as string),
      media: mediaRows.filter((m) => m.status_id === row.id),
      poll: pollRows.find((p) => p.status_id === row.id) ?? null,
      emojis: row.local
        ? extractEmojiShortcodes(`${row.spoiler_text}\n${htmlToText(row.content)}`)
            .map((code) => emojis.get(code))
            .filter((e): e is EmojiRow => e !== undefined)
        : [],
      inReplyToUri: row.in_reply_to_id ? (parents.get(row.in_reply_to_id) ?? null) : null,
      reblogOf: null,
    });
  }
  for (const data of built.values()) {
    if (data.row.reblog_of_id) data.reblogOf = built.get(data.row.reblog_of_id) ?? null;
  }
  return new Map([...built].filter(([id]) => unique.includes(id)));
}

// ---------------------------------------------------------------------------
// Addressing

export interface Addressing {
  to: URL[];
  cc: URL[];
}

function urls(list: (string | null | undefined)[]): URL[] {
  const seen = new Set<string>();
  const out: URL[] = [];
  for (const item of list) {
    if (!item || seen.has(item)) continue;
    seen.add(item);
    out.push(new URL(item));
  }
  return out;
}

/** to/cc of a status's object and of the Create/Update/Delete carrying it. */
export function addressing(data: Pick<StatusData, "author" | "mentions"> & { row: { visibility: Visibility } }): Addressing {
  const followers = data.author.followers;
  const mentioned = data.mentions.map((m) => m.uri);
  const pub = PUBLIC_COLLECTION.href;
  switch (data.row.visibility) {
    case "public":
      return { to: urls([pub]), cc: urls([followers, ...mentioned]) };
    case "unlisted":
      return { to: urls([followers]), cc: urls([pub, ...mentioned]) };
    case "private":
      return { to: urls([followers]), cc: urls(mentioned) };
    case "direct":
      return { to: urls(mentioned), cc: [] };
  }
}

/** to/cc of an Announce: as Mastodon, the original's author is always cc'd. */
export function announceAddressing(data: StatusData): Addressing {
  const followers = data.author.followers;
  const originalAuthor = data.reblogOf?.author.uri ?? null;
  const pub = PUBLIC_COLLECTION.href;
  if (data.row.visibility === "public") return { to: urls([pub]), cc: urls([originalAuthor, followers]) };
  if (data.row.visibility === "unlisted") return { to: urls([followers]), cc: urls([originalAuthor, pub]) };
  return { to: urls([followers]), cc: urls([originalAuthor]) };
}

// ---------------------------------------------------------------------------
// Objects

/** The replies collection of a local status (FEP-7458), served by federation/dispatchers.ts. */
export function repliesUri(noteUri: string): string {
  return `${noteUri}/replies`;
}

function tagsOf(ctx: AppContext, data: StatusData): (Mention | Hashtag | Emoji)[] {
  const tags: (Mention | Hashtag | Emoji)[] = [];
  for (const mention of data.mentions) {
    tags.push(new Mention({ href: new URL(mention.uri), name: mention.handle }));
  }
  for (const name of data.tags) {
    tags.push(new Hashtag({ href: new URL(tagUrl(ctx, name)), name: `#${name}` }));
  }
  for (const emoji of data.emojis) {
    tags.push(
      new Emoji({
        id: new URL(emoji.uri ?? absoluteUrl(ctx.config, `/emojis/${emoji.id}`)),
        name: `:${emoji.shortcode}:`,
        icon: new Image({ url: new URL(emoji.image_url), mediaType: mediaTypeOf(emoji.image_url) }),
        updated: instant(emoji.created_at),
      }),
    );
  }
  return tags;
}

function attachmentsOf(ctx: AppContext, data: StatusData): Document[] {
  const documents: Document[] = [];
  for (const media of data.media) {
    const url = media.file_key ? ctx.media.publicUrl(media.file_key) : media.remote_url;
    if (!url) continue;
    const original = (media.meta?.original ?? null) as { width?: number; height?: number } | null;
    documents.push(
      new Document({
        mediaType: mediaTypeOf(url, media.content_type),
        url: new URL(url),
        name: media.description || null,
        width: typeof original?.width === "number" ? original.width : null,
        height: typeof original?.height === "number" ? original.height : null,
      }),
    );
  }
  return documents;
}

function pollOptions(poll: PollRow): Note[] {
  const expired = poll.expires_at !== null && new Date(poll.expires_at).getTime() <= Date.now();
  // hide_totals keeps counts secret until the end, as the API does.
  const showCounts = !poll.hide_totals || expired;
  return poll.options.map(
    (title, i) =>
      new Note({
        name: title,
        replies: new Collection({ totalItems: showCounts ? Number(poll.votes_counts[i] ?? 0) : 0 }),
      }),
  );
}

/** The Note (a Question for polls) of a local, non-reblog status. */
export function statusObject(ctx: AppContext, data: StatusData): Note | Question {
  const { row } = data;
  const audience = addressing(data);
  const content = row.content;
  const common = {
    id: new URL(data.uri),
    attribution: new URL(data.author.uri),
    contents: row.language ? [content, new LanguageString(content, row.language)] : [content],
    summary: row.spoiler_text || null,
    sensitive: row.sensitive,
    replyTarget: data.inReplyToUri ? new URL(data.inReplyToUri) : null,
    published: instant(row.created_at),
    updated: row.edited_at ? instant(row.edited_at) : null,
    url: data.url ? new URL(data.url) : null,
    tos: audience.to,
    ccs: audience.cc,
    tags: tagsOf(ctx, data),
    attachments: attachmentsOf(ctx, data),
    replies: new URL(repliesUri(data.uri)),
  };
  if (!data.poll) return new Note(common);
  const poll = data.poll;
  const expired = poll.expires_at !== null && new Date(poll.expires_at).getTime() <= Date.now();
  const options = pollOptions(poll);
  return new Question({
    ...common,
    ...(poll.multiple ? { inclusiveOptions: options } : { exclusiveOptions: options }),
    endTime: poll.expires_at ? instant(poll.expires_at) : null,
    closed: expired && poll.expires_at ? instant(poll.expires_at) : null,
    voters: Number(poll.voters_count),
  });
}

/** The Create a local status was (or would be) delivered in; its id is the status's /activity URI. */
export function createActivity(ctx: AppContext, data: StatusData): Create {
  const object = statusObject(ctx, data);
  return new Create({
    id: new URL(`${data.uri}/activity`),
    actor: new URL(data.author.uri),
    object,
    published: instant(data.row.created_at),
    tos: object.toIds,
    ccs: object.ccIds,
  });
}

/** A local reblog as the Announce it is; its id is the reblog's URI. */
export function announceActivity(data: StatusData): Announce | null {
  if (!data.reblogOf) return null;
  const audience = announceAddressing(data);
  return new Announce({
    id: new URL(data.uri),
    actor: new URL(data.author.uri),
    object: new URL(data.reblogOf.uri),
    published: instant(data.row.created_at),
    tos: audience.to,
    ccs: audience.cc,
  });
}

/** The Tombstone a Delete carries. */
export function tombstone(data: StatusData): Tombstone {
  return new Tombstone({ id: new URL(data.uri) });
}

/** The public statuses of a local account as its outbox lists them. */
export function outboxItem(ctx: AppContext, data: StatusData): Create | Announce | null {
  if (data.row.reblog_of_id) return announceActivity(data);
  return createActivity(ctx, data);
}
