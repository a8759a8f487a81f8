/**
 * The search use cases (Mastodon's SearchService, AccountSearchService,
 * StatusesSearchService and TagSearchService): decide what to search for a
 * query, ask the backend (backend.ts) for ids, and pass every id through the
 * visibility rules before anything is rendered.
 */
import type { AppContext } from "../../src/context.ts";
import { ApiError } from "../../src/http/errors.ts";
import { loadAccounts, type Account } from "../accounts/serializer.ts";
import { renderStatuses, type Status } from "../statuses/serializer.ts";
import { searchIndexFor } from "./backend.ts";
import { hashtagPrefix, hasTextClauses, parseHandle, parseSearchQuery, SearchSyntaxError } from "./query.ts";
import { isUrlQuery, resolveRemote, resolveUrl, type ResolvedResource } from "./resolve.ts";
import { renderTags, type Tag } from "../trends/serializer.ts";
import { serializeSearch, type Search } from "./serializer.ts";
import { findableStatusIds, findAccountByHandle, isFollowing, searchTags, shownAccountIds } from "./storage.ts";

export interface Viewer {
  accountId: string;
}

export type SearchType = "accounts" | "statuses" | "hashtags";

export interface SearchOptions {
  q: string;
  /** null searches every type; an unknown type searches none (Mastodon). */
  type: string | null;
  resolve: boolean;
  following: boolean;
  /** `account_id`: undefined when absent, null when present but not an id (matches nothing). */
  accountId: string | null | undefined;
  excludeUnreviewed: boolean;
  maxId: string | null;
  minId: string | null;
  limit: number;
  offset: number;
}

export interface AccountSearchOptions {
  q: string;
  resolve: boolean;
  following: boolean;
  limit: number;
  offset: number;
}

/** Mastodon's SearchService normalises typographic quotes before anything else. */
const QUOTE_EQUIVALENTS = /[“”„«»「」『』《》]/g;

function isLocalDomain(ctx: AppContext, domain: string): boolean {
  const lower = domain.toLowerCase();
  return lower === ctx.config.localDomain.toLowerCase() || lower === ctx.config.publicUrl.host.toLowerCase();
}

// ---------------------------------------------------------------------------
// Accounts

/**
 * The account a handle query names exactly (`alice`, `alice@here`,
 * `alice@elsewhere`), fetched through the federation hook when `resolve`
 * asks for it and it is not known yet.
 */
async function exactAccount(ctx: AppContext, q: string, viewer: Viewer | null, resolve: boolean): Promise<string | null> {
  const handle = parseHandle(q);
  if (!handle) return null;
  const local = handle.domain === null || isLocalDomain(ctx, handle.domain);
  const known = await findAccountByHandle(ctx.sql, handle.username, local ? null : handle.domain);
  if (known || local || !resolve || !viewer) return known;
  const resolved = await resolveRemote(ctx, `@${handle.username}@${handle.domain}`, viewer);
  return resolved?.type === "accounts" ? resolved.id : null;
}

/** Account ids for a query, best first: the exact handle match, then the backend's ranking. */
export async function findAccountIds(ctx: AppContext, viewer: Viewer | null, options: AccountSearchOptions): Promise<string[]> {
  let q = options.q.trim().replace(/^@/, "");
  if (q === "" || options.limit === 0) return [];
  // Local accounts have no domain to match: `alice@our.domain` searches as `alice` (as Mastodon does).
  const handle = parseHandle(q);
  if (handle?.domain && isLocalDomain(ctx, handle.domain)) q = handle.username;
  const following = options.following && viewer !== null;
  const ids: string[] = [];
  // The exact match leads the first page only, so later pages don't repeat it.
  if (options.offset === 0) {
    const exact = await exactAccount(ctx, q, viewer, options.resolve);
    if (exact && (!following || (await isFollowing(ctx.sql, viewer!.accountId, exact)))) ids.push(exact);
  }
  const found = await searchIndexFor(ctx).searchAccounts({
    q,
    viewerId: viewer?.accountId ?? null,
    following,
    limit: options.limit,
    offset: options.offset,
  });
  const merged = [...new Set([...ids, ...found])].slice(0, options.limit);
  return shownAccountIds(ctx.sql, viewer?.accountId ?? null, merged);
}

async function renderAccounts(ctx: AppContext, ids: string[]): Promise<Account[]> {
  const accounts = await loadAccounts(ctx.sql, ctx.config, ids);
  return ids.map((id) => accounts.get(id)).filter((a): a is Account => a !== undefined);
}

/** GET /api/v1/accounts/search. */
export async function searchAccounts(ctx: AppContext, viewer: Viewer, options: AccountSearchOptions): Promise<Account[]> {
  return renderAccounts(ctx, await findAccountIds(ctx, viewer, options));
}

// ---------------------------------------------------------------------------
// Statuses

/**
 * `from:` handles to account ids; `me` is the viewer. Null when a handle is
 * unknown: Mastodon then matches nothing rather than ignoring the operator.
 */
async function accountIdsOf(ctx: AppContext, viewer: Viewer, handles: string[]): Promise<(string | null)[]> {
  return Promise.all(
    handles.map(async (value) => {
      if (value.toLowerCase() === "me") return viewer.accountId;
      const handle = parseHandle(value);
      if (!handle) return null;
      const domain = handle.domain && !isLocalDomain(ctx, handle.domain) ? handle.domain : null;
      return findAccountByHandle(ctx.sql, handle.username, domain);
    }),
  );
}

/** Status ids the viewer may find for `q`, newest first (Mastodon 4.2's StatusesSearchService). */
export async function findStatusIds(ctx: AppContext, viewer: Viewer, q: string, options: SearchOptions): Promise<string[]> {
  const query = parseSearchQuery(q);
  if (options.accountId === null) return [];
  const from = await accountIdsOf(ctx, viewer, query.from);
  if (from.some((id) => id === null)) return [];
  const notFrom = (await accountIdsOf(ctx, viewer, query.not.from)).filter((id): id is string => id !== null);
  // A search needs words, or an author to list: anything else would scan every status.
  if (!hasTextClauses(query) && from.length === 0 && !options.accountId) return [];
  const ids = await searchIndexFor(ctx).searchStatuses({
    query,
    viewerId: viewer.accountId,
    fromAccountIds: from as string[],
    notFromAccountIds: notFrom,
    accountId: options.accountId ?? null,
    maxId: options.maxId,
    minId: options.minId,
    limit: options.limit,
    offset: options.offset,
  });
  return findableStatusIds(ctx.sql, viewer.accountId, ids, query.in);
}

// ---------------------------------------------------------------------------
// Hashtags

async function findTags(ctx: AppContext, viewer: Viewer | null, q: string, options: SearchOptions): Promise<Tag[]> {
  const prefix = hashtagPrefix(q);
  if (prefix === null) return [];
  const rows = await searchTags(ctx.sql, prefix, {
    exactOnly: options.excludeUnreviewed,
    limit: options.limit,
    offset: options.offset,
  });
  return renderTags(ctx, rows, viewer?.accountId ?? null);
}

// ---------------------------------------------------------------------------
// Everything at once

async function renderResolved(ctx: AppContext, viewer: Viewer, resource: ResolvedResource): Promise<Search> {
  if (resource.type === "accounts") {
    const ids = await shownAccountIds(ctx.sql, viewer.accountId, [resource.id]);
    return serializeSearch(await renderAccounts(ctx, ids), [], []);
  }
  return serializeSearch([], await renderStatuses(ctx, [resource.id], viewer), []);
}

/**
 * GET /api/v2/search. Accounts and hashtags are open to anonymous
 * searchers; statuses need a signed-in viewer (Mastodon answers [] without
 * one). With `resolve`, a URL query answers only with what the URL names.
 */
export async function search(ctx: AppContext, viewer: Viewer | null, options: SearchOptions): Promise<Search> {
  const q = options.q.trim().replace(QUOTE_EQUIVALENTS, '"');
  const empty = serializeSearch([], [], []);
  if (q === "" || options.limit === 0) return empty;
  const wants = (type: SearchType) => options.type === null || options.type === type;
  // Mastodon applies offset only to single-type searches.
  const typed: SearchOptions = { ...options, q, offset: options.type === null ? 0 : options.offset };

  if (options.resolve && viewer && isUrlQuery(q)) {
    const resource = await resolveUrl(ctx, q, viewer);
    if (!resource || typed.offset > 0 || !wants(resource.type)) return empty;
    return renderResolved(ctx, viewer, resource);
  }

  // Mastodon: "#tag" is no account search, and neither is "user@domain and more words".
  const accountSearch = wants("accounts") && !(q.startsWith("#") || (q.includes("@") && /\s/.test(q)));
  const hashtagSearch = wants("hashtags") && !q.includes("@");
  const statusSearch = wants("statuses") && viewer !== null;

  try {
    const [accountIds, statusIds, hashtags] = await Promise.all([
      accountSearch
        ? findAccountIds(ctx, viewer, { q, resolve: options.resolve, following: options.following, limit: typed.limit, offset: typed.offset })
        : [],
      statusSearch ? findStatusIds(ctx, viewer!, q, typed) : [],
      hashtagSearch ? findTags(ctx, viewer, q, typed) : [],
    ]);
    const [accounts, statuses] = await Promise.all([
      renderAccounts(ctx, accountIds),
      statusIds.length > 0 ? renderStatuses(ctx, statusIds, viewer) : ([] as Status[]),
    ]);
    return serializeSearch(accounts, statuses, hashtags);
  } catch (error) {
    if (error instanceof SearchSyntaxError) throw new ApiError(422, error.message);
    throw error;
  }
}
