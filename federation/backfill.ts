/**
 * Fetching what other servers never sent us:
 *
 * - Replies (FEP-7458): a remote status's `replies` collection, and the
 *   collections of the replies found there, breadth first — bounded in
 *   depth, in statuses fetched, in pages read per collection, and to
 *   statuses young enough for their threads to still matter. Run when a
 *   remote status's context is viewed (at most once per status per
 *   BACKFILL_COOLDOWN_SECONDS, across nodes through Redis) and by the
 *   workers' backfill schedule for remote statuses in local homes
 *   (src/workers/backfill.ts's fetcher hook).
 * - Recent posts: the first page of a newly discovered account's outbox
 *   (its Create activities, at most RECENT_POSTS), in the bulk lane of the
 *   event queue, once per account.
 *
 * Everything fetched is stored through remote-statuses.ts as solicited
 * (someone here asked for it), with replies linked to their parents.
 */
import type { AppContext } from "../src/context.ts";
import { BULK, emitEvent, onEvent } from "../src/events/index.ts";
import { nudgeEventWorker } from "../src/events/worker.ts";
import { logger } from "../src/log.ts";
import { setReplyFetcher } from "../src/workers/backfill.ts";
import { setRemoteContextHook } from "../modules/statuses/services/status-context.ts";
import {
  fetchDocument,
  isLocalUri,
  resolveStatusUri,
  statusByUri,
  storeStatusDraft,
} from "./remote-statuses.ts";
import type { Object as APObject } from "@fedify/fedify/vocab";
import {
  offlineContextLoader,
  parseJsonLd,
  translateObject,
  type CollectionDraft,
  type CollectionItem,
  type DocumentTranslation,
} from "./translate/index.ts";

const log = logger("federation", "backfill");

export const BACKFILL_LIMITS = {
  /** Levels of replies below the status. */
  depth: 3,
  /** New statuses fetched per backfill. */
  statuses: 60,
  /** Collection pages read per status. */
  pages: 3,
  /** Documents (statuses and pages) requested per backfill, known statuses included. */
  documents: 150,
  /** Threads older than this are left alone. */
  maxAgeDays: 30,
};
export const BACKFILL_COOLDOWN_SECONDS = 300;
export const RECENT_POSTS = 20;

interface Budget {
  /** New statuses fetched. */
  fetched: number;
  /** Of those, stored. */
  found: number;
  /** Documents requested (statuses and collection pages). */
  documents: number;
}

/** An item of a collection page, with the origin of the server that served the page. */
interface ServedItem extends CollectionItem {
  servedBy: string;
}

/** The items of a collection: its inline page, else its first page and the next ones, up to `pages` pages. */
async function collectionItems(ctx: AppContext, uri: string, pages: number, budget?: Budget): Promise<ServedItem[]> {
  const items: ServedItem[] = [];
  let next: string | null = uri;
  const seen = new Set<string>();
  for (let page = 0; next && page <= pages && !seen.has(next); page++) {
    seen.add(next);
    if (budget && budget.documents++ >= BACKFILL_LIMITS.documents) break;
    const fetched = await fetchDocument(ctx, next);
    if (fetched.translation.kind !== "collection") break;
    const collection: CollectionDraft = fetched.translation.collection;
    const servedBy = new URL(fetched.url).origin;
    items.push(...collection.items.map((item) => ({ ...item, servedBy })));
    next = collection.page || collection.items.length > 0 ? collection.next : collection.first;
  }
  return items;
}

/**
 * An item embedded in a collection page, translated. Fedify keeps nested
 * objects in expanded form; the translators read compact JSON (embedded or
 * referenced, extension fields), so the item is compacted and parsed anew.
 */
async function translateItem(object: APObject): Promise<DocumentTranslation> {
  const compact = await object.toJsonLd({ format: "compact", contextLoader: offlineContextLoader });
  const parsed = await parseJsonLd(compact);
  return parsed.ok ? translateObject(parsed.object, { json: parsed.json }) : { kind: "unsupported", type: "unknown", reason: parsed.error };
}

/** Stores one item of a replies collection (embedded when its own server embedded it, else fetched). */
async function storeItem(ctx: AppContext, item: ServedItem, budget: Budget): Promise<string | null> {
  if (!item.uri) return null;
  const known = await statusByUri(ctx, item.uri);
  if (known) return known.deleted_at ? null : known.id;
  if (isLocalUri(ctx, item.uri) || budget.fetched >= BACKFILL_LIMITS.statuses) return null;
  budget.fetched++;
  let id: string | null = null;
  // An embedded copy is only as good as the server that served it: trusted for its own objects only.
  if (item.object && new URL(item.uri).origin === item.servedBy) {
    const translated = await translateItem(item.object);
    if (translated.kind === "status") id = await storeStatusDraft(ctx, translated.status, { solicited: true });
  }
  id ??= (await resolveStatusUri(ctx, item.uri))?.id ?? null;
  if (id) budget.found++;
  return id;
}

/** Replies of the status at `uri` (and below, breadth first) not yet known here; returns how many were stored. */
async function walkReplies(ctx: AppContext, rootUri: string): Promise<number> {
  const budget: Budget = { fetched: 0, found: 0, documents: 0 };
  let level = [rootUri];
  for (let depth = 0; depth < BACKFILL_LIMITS.depth && level.length > 0; depth++) {
    const nextLevel: string[] = [];
    for (const uri of level) {
      if (budget.fetched >= BACKFILL_LIMITS.statuses || budget.documents++ >= BACKFILL_LIMITS.documents) return budget.found;
      let repliesUri: string | null = null;
      try {
        const fetched = await fetchDocument(ctx, uri);
        if (fetched.translation.kind === "status") repliesUri = fetched.translation.status.repliesUri;
      } catch (error) {
        log.debug("Fetching {uri} for its replies failed: {error}", { uri, error });
      }
      if (!repliesUri) continue;
      let items: ServedItem[];
      try {
        items = await collectionItems(ctx, repliesUri, BACKFILL_LIMITS.pages, budget);
      } catch (error) {
        log.debug("Fetching the replies of {uri} failed: {error}", { uri, error });
        continue;
      }
      for (const item of items) {
        const id = await storeItem(ctx, item, budget);
        if (id && item.uri && !isLocalUri(ctx, item.uri)) nextLevel.push(item.uri);
      }
    }
    level = nextLevel;
  }
  return budget.found;
}

/** The fetcher: replies of a remote status other servers did not send us; how many were new. */
export async function backfillReplies(ctx: AppContext, statusId: string): Promise<number> {
  const [status] = await ctx.sql`
    SELECT uri, local, deleted_at, reblog_of_id, created_at FROM statuses WHERE id = ${statusId}`;
  if (!status || status.local || status.deleted_at || status.reblog_of_id || !status.uri) return 0;
  const age = Date.now() - new Date(status.created_at as Date).getTime();
  if (age > BACKFILL_LIMITS.maxAgeDays * 86_400_000) return 0;
  return walkReplies(ctx, status.uri as string);
}

/** A remote status's thread was opened: backfill it now, unless that happened within the cooldown. */
export function backfillOnView(ctx: AppContext, statusId: string): void {
  void (async () => {
    if (!(await ctx.redis.set(`backfill:viewed:${statusId}`, "1", { ex: BACKFILL_COOLDOWN_SECONDS, nx: true }))) return;
    const found = await backfillReplies(ctx, statusId);
    if (found > 0) log.debug("Backfilled {found} replies of {statusId} on view", { found, statusId });
  })().catch((error) => log.warn("Backfilling the replies of {statusId} failed: {error}", { statusId, error }));
}

// ---------------------------------------------------------------------------
// A new account's recent posts

/** Asks for an account's recent posts once (per day, across nodes), when we hold none of them. */
export async function scheduleRecentPosts(ctx: AppContext, accountId: string): Promise<void> {
  const [row] = await ctx.sql`
    SELECT a.outbox_url, EXISTS (SELECT 1 FROM statuses s WHERE s.account_id = a.id) AS has_statuses
    FROM accounts a WHERE a.id = ${accountId} AND a.domain IS NOT NULL`;
  if (!row?.outbox_url || row.has_statuses) return;
  if (!(await ctx.redis.set(`recent-posts:${accountId}`, "1", { ex: 86_400, nx: true }))) return;
  await emitEvent(ctx.sql, "account.recent_posts", accountId, {}, { lane: BULK, dedupeKey: `recent-posts:${accountId}` });
  nudgeEventWorker();
}

/** Stores the Creates of the first page of the account's outbox (at most RECENT_POSTS). */
export async function fetchRecentPosts(ctx: AppContext, accountId: string): Promise<number> {
  const [account] = await ctx.sql`SELECT uri, outbox_url FROM accounts WHERE id = ${accountId} AND domain IS NOT NULL`;
  if (!account?.outbox_url || !account.uri) return 0;
  let items: ServedItem[];
  try {
    items = await collectionItems(ctx, account.outbox_url as string, 1);
  } catch (error) {
    log.info("Fetching the outbox of {uri} failed: {error}", { uri: account.uri, error });
    return 0;
  }
  let stored = 0;
  const actorOrigin = new URL(account.uri as string).origin;
  for (const item of items.slice(0, RECENT_POSTS)) {
    // Only the account's own server speaks for its posts.
    if (!item.object || item.servedBy !== actorOrigin) continue;
    const translated = await translateItem(item.object);
    if (translated.kind !== "activity" || translated.command.kind !== "create-status") continue;
    const { command } = translated;
    if (command.actor !== account.uri || !command.status) continue;
    if (await storeStatusDraft(ctx, command.status, { solicited: true })) stored++;
  }
  return stored;
}

let registered = false;

/** Installs the fetchers in the hooks the workers and the statuses module expose. */
export function registerBackfill(): void {
  if (registered) return;
  registered = true;
  setReplyFetcher(backfillReplies);
  setRemoteContextHook(backfillOnView);
  onEvent("account.recent_posts", async (ctx, event) => {
    await fetchRecentPosts(ctx, event.accountId);
  });
}
