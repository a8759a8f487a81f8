/**
 * Remote statuses: from a translated draft (an inbox Create, a fetched
 * Note, an item of a replies collection or an outbox) to a stored status,
 * through the statuses module's store-remote-status use case.
 *
 * This is where URIs become our ids: the author, the status replied to
 * (fetched when unknown, a bounded number of levels up), the mentioned
 * accounts (fetched when unknown, a bounded number per post), our own
 * statuses and accounts by their URIs. And where Mastodon's rule for
 * unsolicited posts lives: a Create is kept only when it concerns someone
 * here — a local account follows the author, it mentions or addresses a
 * local account, or it replies to a local status, to an account local
 * accounts follow, or within a thread that started here. Fetched documents
 * (a search, a backfill, a parent) are kept regardless: someone asked.
 *
 * Documents are fetched signed as the instance actor and through the
 * SSRF guard; a document's id must be on the server that served it and its
 * author on the same server as the document.
 */
import type { AppContext } from "../src/context.ts";
import type { Db } from "../src/db/index.ts";
import { logger } from "../src/log.ts";
import { findLocalAccountId, selectAccountRows, type AccountRow } from "../modules/accounts/storage.ts";
import {
  storeRemoteStatus,
  updateRemoteStatus,
  type RemoteMedia,
  type RemotePoll,
  type ReplyTarget,
  type UpdateOutcome,
} from "../modules/statuses/services/store-remote-status.ts";
import { resolveRemoteAccountOrNull, signedPolicy, storeRemoteEmojis } from "./remote-accounts.ts";
import { hostOf, isSuspendedDomain } from "./domain-blocks.ts";
import { FetchRefusedError, fetchPolicy, guardedDocumentLoader } from "./ssrf.ts";
import { parseJsonLd, tolerantContextLoader, translateObject, type DocumentTranslation, type StatusDraft } from "./translate/index.ts";

const log = logger("federation", "remote-statuses");

/** Parents fetched above a post we receive, at most (Mastodon resolves threads upward the same way). */
export const MAX_PARENT_DEPTH = 8;
/** Unknown remote accounts a single post may make us fetch for its mentions. */
const MAX_MENTION_FETCHES = 5;

// ---------------------------------------------------------------------------
// Our own URIs

function localPath(ctx: AppContext, uri: string): string | null {
  try {
    const url = new URL(uri);
    return url.origin === ctx.config.publicUrl.origin ? url.pathname : null;
  } catch {
    return null;
  }
}

export function isLocalUri(ctx: AppContext, uri: string): boolean {
  return localPath(ctx, uri) !== null;
}

/** The local account an actor URI of ours names (`/users/alice`, `/@alice`). */
export async function localAccountIdOf(ctx: AppContext, uri: string): Promise<string | null> {
  const path = localPath(ctx, uri);
  const match = path ? /^\/(?:users\/|@)([^/@]+)\/?$/.exec(path) : null;
  if (!match) return null;
  const [row] = await ctx.sql`SELECT id FROM accounts WHERE domain IS NULL AND username = ${decodeURIComponent(match[1]!)}`;
  return (row?.id as string | undefined) ?? null;
}

/** The local status a status URI of ours names (`/users/alice/statuses/1`, `/@alice/1`). */
async function localStatusIdOf(ctx: AppContext, uri: string): Promise<string | null> {
  const path = localPath(ctx, uri);
  const match = path ? /^\/(?:users\/([^/@]+)\/statuses|@([^/@]+))\/(\d{1,19})(?:\/activity)?\/?$/.exec(path) : null;
  if (!match) return null;
  const username = decodeURIComponent(match[1] ?? match[2]!);
  const [row] = await ctx.sql`
    SELECT s.id FROM statuses s JOIN accounts a ON a.id = s.account_id
    WHERE s.id = ${match[3]!} AND s.local AND a.domain IS NULL AND a.username = ${username}`;
  return (row?.id as string | undefined) ?? null;
}

export interface StatusRef {
  id: string;
  account_id: string;
  conversation_id: string | null;
  local: boolean;
  deleted_at: Date | null;
  reblog_of_id: string | null;
  visibility: string;
}

/** A status we hold, by its ActivityPub id (ours or a remote one), deleted ones included. */
export async function statusByUri(ctx: AppContext, uri: string): Promise<StatusRef | null> {
  const localId = isLocalUri(ctx, uri) ? await localStatusIdOf(ctx, uri) : null;
  if (isLocalUri(ctx, uri) && !localId) return null;
  const [row] = localId
    ? await ctx.sql`SELECT id, account_id, conversation_id, local, deleted_at, reblog_of_id, visibility FROM statuses WHERE id = ${localId}`
    : await ctx.sql`SELECT id, account_id, conversation_id, local, deleted_at, reblog_of_id, visibility FROM statuses WHERE uri = ${uri}`;
  return (row as StatusRef | undefined) ?? null;
}

/** An account we hold, by actor URI: local by path, remote by uri. */
export async function accountIdByUri(db: Db, ctx: AppContext, uri: string): Promise<string | null> {
  if (isLocalUri(ctx, uri)) return localAccountIdOf(ctx, uri);
  const [row] = await db`SELECT id FROM accounts WHERE uri = ${uri} AND domain IS NOT NULL`;
  return (row?.id as string | undefined) ?? null;
}

export async function accountRow(ctx: AppContext, id: string): Promise<AccountRow | null> {
  const [row] = await selectAccountRows(ctx.sql, [id]);
  return row ?? null;
}

/** An actor's stored followers collection (for telling followers-only from direct). */
export async function followersUrlOf(ctx: AppContext, actorUri: string): Promise<string | null> {
  const [row] = await ctx.sql`SELECT followers_url FROM accounts WHERE uri = ${actorUri}`;
  return (row?.followers_url as string | null | undefined) ?? null;
}

// ---------------------------------------------------------------------------
// Fetching

export interface FetchedDocument {
  /** Where it was served from, after redirects. */
  url: string;
  translation: DocumentTranslation;
}

/**
 * GETs an ActivityPub document, signed as the instance actor, and
 * translates it. The document must carry an id on the origin that served
 * it (Fedify's lookupObject rule): a server speaks only for its own objects.
 */
export async function fetchDocument(ctx: AppContext, uri: string, signal?: AbortSignal): Promise<FetchedDocument> {
  if (await isSuspendedDomain(ctx.sql, hostOf(uri))) throw new FetchRefusedError(uri, "its domain is suspended on this server");
  const loader = guardedDocumentLoader(await signedPolicy(ctx));
  const document = await loader(uri, { signal });
  const parsed = await parseJsonLd(document.document, {
    baseUrl: new URL(document.documentUrl),
    contextLoader: tolerantContextLoader(guardedDocumentLoader(fetchPolicy(ctx.config))),
  });
  if (!parsed.ok) return { url: document.documentUrl, translation: { kind: "unsupported", type: "unknown", reason: parsed.error } };
  const id = parsed.object.id;
  if (!id || id.origin !== new URL(document.documentUrl).origin) {
    return { url: document.documentUrl, translation: { kind: "unsupported", type: "unknown", reason: "foreign or missing id" } };
  }
  return { url: document.documentUrl, translation: await translateObject(parsed.object, { json: parsed.json }) };
}

/**
 * The status at `uri`: the one we hold, or fetched and stored (with its
 * thread above it, up to MAX_PARENT_DEPTH). Null when it cannot be had.
 */
export async function resolveStatusUri(ctx: AppContext, uri: string, depth = 0): Promise<StatusRef | null> {
  const known = await statusByUri(ctx, uri);
  if (known || isLocalUri(ctx, uri)) return known;
  if (depth > MAX_PARENT_DEPTH) return null;
  let fetched: FetchedDocument;
  try {
    fetched = await fetchDocument(ctx, uri);
  } catch (error) {
    log.info("Fetching the status {uri} failed: {error}", { uri, error });
    return null;
  }
  if (fetched.translation.kind !== "status") {
    log.info("{uri} is not a status ({kind})", { uri, kind: fetched.translation.kind });
    return null;
  }
  const draft = fetched.translation.status;
  // Served under another id (a page URL): that id may be known already.
  if (draft.uri !== uri) {
    const byId = await statusByUri(ctx, draft.uri);
    if (byId) return byId;
  }
  const stored = await storeStatusDraft(ctx, draft, { solicited: true, depth });
  return stored ? statusByUri(ctx, draft.uri) : null;
}

// ---------------------------------------------------------------------------
// Storing

export interface StoreOptions {
  /** The author, when the caller resolved it already (the inbox's verified actor). */
  author?: AccountRow;
  /** Fetched on purpose (search, backfill, a parent): stored whatever Mastodon's relevance rule says. */
  solicited: boolean;
  /** How many parents above the post that started this are being fetched. */
  depth?: number;
}

async function authorOf(ctx: AppContext, draft: StatusDraft, given?: AccountRow): Promise<AccountRow | null> {
  if (!draft.authorUri) return null;
  // A server speaks only for its own accounts' posts.
  if (new URL(draft.authorUri).origin !== new URL(draft.uri).origin) return null;
  if (given) return given.uri === draft.authorUri && given.domain !== null ? given : null;
  const account = await resolveRemoteAccountOrNull(ctx, draft.authorUri);
  return account && account.domain !== null ? account : null;
}

interface ResolvedMentions {
  notified: string[];
  silent: string[];
  /** Some mentioned or addressed account is local. */
  local: boolean;
}

async function resolveMentions(ctx: AppContext, draft: StatusDraft): Promise<ResolvedMentions> {
  const result: ResolvedMentions = { notified: [], silent: [], local: false };
  let fetches = 0;
  const resolveOne = async (uri: string, mayFetch: boolean): Promise<string | null> => {
    const known = await accountIdByUri(ctx.sql, ctx, uri);
    if (known || isLocalUri(ctx, uri)) {
      if (known && isLocalUri(ctx, uri)) result.local = true;
      return known;
    }
    if (!mayFetch || fetches >= MAX_MENTION_FETCHES) return null;
    fetches++;
    return (await resolveRemoteAccountOrNull(ctx, uri))?.id ?? null;
  };
  for (const uri of draft.mentions) {
    const id = await resolveOne(uri, true);
    if (id) result.notified.push(id);
  }
  // Addressed without a Mention tag: access, no notification (Mastodon's silent mentions of direct messages).
  for (const uri of draft.addressed) {
    if (draft.mentions.includes(uri)) continue;
    const id = await resolveOne(uri, false);
    if (id) result.silent.push(id);
  }
  return result;
}

/** Mastodon's related_to_local_activity?: does this post concern anyone here? */
async function concernsLocalAccounts(ctx: AppContext, authorId: string, parent: StatusRef | null, mentions: ResolvedMentions): Promise<boolean> {
  if (mentions.local) return true;
  const [followed] = await ctx.sql`
    SELECT 1 FROM follows f JOIN accounts a ON a.id = f.account_id
    WHERE f.target_account_id = ${authorId} AND a.domain IS NULL LIMIT 1`;
  if (followed) return true;
  if (!parent) return false;
  if (parent.local) return true;
  const [related] = await ctx.sql`
    SELECT 1 WHERE EXISTS (
      SELECT 1 FROM follows f JOIN accounts a ON a.id = f.account_id
      WHERE f.target_account_id = ${parent.account_id} AND a.domain IS NULL)
    OR EXISTS (SELECT 1 FROM statuses r WHERE r.id = ${parent.conversation_id ?? parent.id} AND r.local)`;
  return related !== undefined;
}

function remoteMedia(draft: StatusDraft): RemoteMedia[] {
  return draft.attachments.map((a) => ({
    type: a.type,
    remoteUrl: a.url,
    contentType: a.mediaType,
    description: a.description,
    blurhash: a.blurhash,
    meta: a.width && a.height ? { original: { width: a.width, height: a.height, size: `${a.width}x${a.height}`, aspect: a.width / a.height } } : {},
    focus: a.focus ? `${a.focus.x},${a.focus.y}` : null,
  }));
}

function remotePoll(draft: StatusDraft): RemotePoll | null {
  if (!draft.poll) return null;
  const { poll } = draft;
  return {
    options: poll.options,
    votesCounts: poll.votesCounts,
    multiple: poll.multiple,
    votersCount: poll.votersCount,
    // A poll closed without an end time ends now, as far as we can tell.
    expiresAt: poll.expiresAt ?? (poll.closed ? new Date() : null),
  };
}

/**
 * Stores a translated status: the id of the stored (or already known)
 * status, or null when it was refused (author unknown or foreign, nobody
 * here concerned, a local URI).
 */
export async function storeStatusDraft(ctx: AppContext, draft: StatusDraft, options: StoreOptions): Promise<string | null> {
  if (isLocalUri(ctx, draft.uri)) return null;
  const known = await statusByUri(ctx, draft.uri);
  if (known) return known.id;
  const author = await authorOf(ctx, draft, options.author);
  if (!author || author.suspended_at) return null;

  let parent: StatusRef | null = null;
  if (draft.inReplyToUri) {
    parent = await statusByUri(ctx, draft.inReplyToUri);
    if (!parent && (options.depth ?? 0) < MAX_PARENT_DEPTH) parent = await resolveStatusUri(ctx, draft.inReplyToUri, (options.depth ?? 0) + 1);
    if (parent?.deleted_at || parent?.reblog_of_id) parent = null;
  }
  const mentions = await resolveMentions(ctx, draft);
  if (!options.solicited && !(await concernsLocalAccounts(ctx, author.id, parent, mentions))) {
    log.debug("Ignoring {uri}: it concerns nobody here", { uri: draft.uri });
    return null;
  }
  if (draft.emojis.length > 0) await storeRemoteEmojis(ctx.sql, author.domain!, draft.emojis);
  const replyTarget: ReplyTarget | null = parent
    ? { id: parent.id, accountId: parent.account_id, conversationId: parent.conversation_id }
    : null;
  const stored = await storeRemoteStatus(ctx, {
    uri: draft.uri,
    url: draft.url,
    accountId: author.id,
    content: draft.content,
    spoilerText: draft.spoilerText,
    sensitive: draft.sensitive,
    language: draft.language,
    visibility: draft.visibility,
    inReplyTo: replyTarget,
    mentionIds: mentions.notified,
    silentMentionIds: mentions.silent,
    tags: draft.hashtags,
    media: remoteMedia(draft),
    poll: remotePoll(draft),
    createdAt: draft.published ?? new Date(),
    editedAt: draft.updated && draft.published && draft.updated > draft.published ? draft.updated : null,
  });
  return stored.id;
}

/** Applies an Update of a status by its author; unknown statuses are not created (Mastodon's rule). */
export async function updateStatusDraft(ctx: AppContext, author: AccountRow, draft: StatusDraft): Promise<UpdateOutcome> {
  if (draft.authorUri && draft.authorUri !== author.uri) return "missing";
  const mentions = await resolveMentions(ctx, draft);
  if (draft.emojis.length > 0 && author.domain) await storeRemoteEmojis(ctx.sql, author.domain, draft.emojis);
  return updateRemoteStatus(ctx, author.id, draft.uri, {
    content: draft.content,
    spoilerText: draft.spoilerText,
    sensitive: draft.sensitive,
    language: draft.language,
    mentionIds: mentions.notified,
    tags: draft.hashtags,
    media: remoteMedia(draft),
    poll: remotePoll(draft),
    editedAt: draft.updated,
  });
}

/** A handle's local part is compared case-insensitively; local accounts by username. */
export async function localAccountByUsername(ctx: AppContext, username: string): Promise<string | null> {
  return findLocalAccountId(ctx.sql, username);
}
