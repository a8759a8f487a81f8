/**
 * The only code that reads or writes feed keys in Redis (Mastodon's
 * FeedManager). A feed is a Redis list of status ids, newest pushed first,
 * capped at FEED_SIZE:
 *
 *   feed:home:<accountId>         the home feed
 *   feed:home:<accountId>:ready   "complete" | "partial": the feed was built
 *   feed:list:<listId>            a list feed (same shape)
 *   feed:list:<listId>:ready
 *
 * Redis holds rebuildable state only. A feed whose `ready` marker is missing
 * (new user, flushed or lost Redis) is rebuilt from Postgres on its next
 * read; fanout may push into a feed that isn't built yet, which is harmless
 * because the rebuild replaces it. "complete" means the feed held everything
 * there was when built, so a short page needn't ask Postgres for older items.
 *
 * Readers sort what they read (list position is only a hint), so a push that
 * arrives out of order (retries, several workers, backdated remote ids)
 * still shows in id order.
 */
import type { AppContext } from "../../src/context.ts";
import type { RedisCommand } from "../../src/services/redis/port.ts";
import type { Page } from "../../src/http/pagination.ts";
import { pageIds } from "../../src/http/pagination.ts";
import { logger } from "../../src/log.ts";
import { homeIdsFromDatabase, listIdsFromDatabase } from "./feed-sources.ts";

const log = logger("feeds");

/** Items kept per feed, as Mastodon's FeedManager::MAX_ITEMS. */
export const FEED_SIZE = 800;
/** Recipients per Redis pipeline: large enough to amortise round trips, small enough to stay responsive. */
const PIPELINE_RECIPIENTS = 1000;
/** A feed "complete" at build time is treated as possibly missing older items once it is this close to the cap. */
const COMPLETE_SLACK = 100;
const REBUILD_LOCK_SECONDS = 30;

type FeedKind = "home" | "list";

const feedKey = (kind: FeedKind, id: string) => `feed:${kind}:${id}`;
const readyKey = (kind: FeedKind, id: string) => `feed:${kind}:${id}:ready`;
const lockKey = (kind: FeedKind, id: string) => `feed:${kind}:${id}:rebuilding`;

/** A feed as read from Redis: every cached id, newest first, and whether Postgres may hold older ones. */
export interface CachedFeed {
  ids: string[];
  hasOlder: boolean;
}

/** The page a cache answered, plus what the reader needs to decide about falling back to Postgres. */
export interface CachedPage extends CachedFeed {
  page: string[];
}

/** Newest first. Ids are decimal strings without leading zeros: longer is larger, then compare as text (no BigInt per comparison). */
function byIdDesc(a: string, b: string): number {
  if (a.length !== b.length) return b.length - a.length;
  return a < b ? 1 : a > b ? -1 : 0;
}

function sortedUnique(ids: Iterable<string>): string[] {
  return [...new Set(ids)].sort(byIdDesc);
}

// ---------------------------------------------------------------------------
// Writes

/** Idempotent push (a replayed event must not duplicate): remove, push, trim. */
async function pushToFeeds(ctx: AppContext, kind: FeedKind, ownerIds: string[], statusId: string): Promise<void> {
  for (let i = 0; i < ownerIds.length; i += PIPELINE_RECIPIENTS) {
    const commands: RedisCommand[] = [];
    for (const ownerId of ownerIds.slice(i, i + PIPELINE_RECIPIENTS)) {
      const key = feedKey(kind, ownerId);
      commands.push(["lrem", key, 0, statusId], ["lpush", key, statusId], ["ltrim", key, 0, FEED_SIZE - 1]);
    }
    await ctx.redis.pipeline(commands);
  }
}

export function pushToHome(ctx: AppContext, accountIds: string[], statusId: string): Promise<void> {
  return pushToFeeds(ctx, "home", accountIds, statusId);
}

export function pushToLists(ctx: AppContext, listIds: string[], statusId: string): Promise<void> {
  return pushToFeeds(ctx, "list", listIds, statusId);
}

async function removeFromFeeds(ctx: AppContext, kind: FeedKind, ownerIds: string[], statusIds: string[]): Promise<void> {
  if (statusIds.length === 0) return;
  const perPipeline = Math.max(1, Math.floor(PIPELINE_RECIPIENTS / statusIds.length));
  for (let i = 0; i < ownerIds.length; i += perPipeline) {
    const commands: RedisCommand[] = [];
    for (const ownerId of ownerIds.slice(i, i + perPipeline)) {
      for (const statusId of statusIds) commands.push(["lrem", feedKey(kind, ownerId), 0, statusId]);
    }
    await ctx.redis.pipeline(commands);
  }
}

export function removeFromHome(ctx: AppContext, accountId: string, statusIds: string[]): Promise<void> {
  return removeFromFeeds(ctx, "home", [accountId], statusIds);
}

/** Fanout of a deletion: the same statuses out of many homes. */
export function removeFromHomes(ctx: AppContext, accountIds: string[], statusIds: string[]): Promise<void> {
  return removeFromFeeds(ctx, "home", accountIds, statusIds);
}

export function removeFromLists(ctx: AppContext, listIds: string[], statusIds: string[]): Promise<void> {
  return removeFromFeeds(ctx, "list", listIds, statusIds);
}

/** The newest `count` cached ids of each home (reblog aggregation looks at the top of the feed). */
export async function homeHeads(ctx: AppContext, accountIds: string[], count: number): Promise<Map<string, string[]>> {
  return feedHeads(ctx, "home", accountIds, count);
}

export async function listHeads(ctx: AppContext, listIds: string[], count: number): Promise<Map<string, string[]>> {
  return feedHeads(ctx, "list", listIds, count);
}

async function feedHeads(ctx: AppContext, kind: FeedKind, ownerIds: string[], count: number): Promise<Map<string, string[]>> {
  // Issued together: the native client pipelines concurrent commands on one connection.
  const heads = await Promise.all(ownerIds.map((id) => ctx.redis.lrange(feedKey(kind, id), 0, count * 2 - 1)));
  return new Map(ownerIds.map((id, i) => [id, sortedUnique(heads[i]!).slice(0, count)]));
}

/** Replaces a feed with `ids` (newest first) and marks it built. */
async function writeFeed(ctx: AppContext, kind: FeedKind, ownerId: string, ids: string[], complete: boolean): Promise<void> {
  const key = feedKey(kind, ownerId);
  const commands: RedisCommand[] = [["del", key]];
  const capped = ids.slice(0, FEED_SIZE);
  for (let i = 0; i < capped.length; i += 500) commands.push(["rpush", key, ...capped.slice(i, i + 500)]);
  commands.push(["set", readyKey(kind, ownerId), complete ? "complete" : "partial"]);
  await ctx.redis.pipeline(commands);
}

/** Forgets a feed; its next read rebuilds it from Postgres. */
export async function invalidateHome(ctx: AppContext, accountId: string): Promise<void> {
  await ctx.redis.del(readyKey("home", accountId), feedKey("home", accountId));
}

export async function invalidateLists(ctx: AppContext, listIds: string[]): Promise<void> {
  if (listIds.length === 0) return;
  await ctx.redis.del(...listIds.flatMap((id) => [readyKey("list", id), feedKey("list", id)]));
}

/**
 * Adds statuses to a built home feed, keeping it sorted and capped (a new
 * follow brings the followed account's recent posts in). An unbuilt feed is
 * left alone: its rebuild will include them.
 */
export async function mergeIntoHome(ctx: AppContext, accountId: string, statusIds: string[]): Promise<void> {
  if (statusIds.length === 0) return;
  const [ready, current] = await Promise.all([
    ctx.redis.get(readyKey("home", accountId)),
    ctx.redis.lrange(feedKey("home", accountId), 0, -1),
  ]);
  if (ready === null) return;
  const cached = sortedUnique(current);
  const oldest = cached[cached.length - 1];
  // Below the horizon of a feed that has lost older items, Postgres answers: adding there would leave a gap.
  const hasOlder = ready !== "complete" || cached.length >= FEED_SIZE - COMPLETE_SLACK;
  const additions = hasOlder && oldest ? statusIds.filter((id) => BigInt(id) > BigInt(oldest)) : statusIds;
  if (additions.length === 0) return;
  const merged = sortedUnique([...cached, ...additions]);
  await writeFeed(ctx, "home", accountId, merged, !hasOlder && merged.length <= FEED_SIZE);
}

/**
 * Takes statuses out of a built home feed (unfollow, block, mute). What was
 * evicted by the cap may now be missing from the cache, so the feed stops
 * claiming to be complete.
 */
export async function unmergeFromHome(ctx: AppContext, accountId: string, statusIds: string[]): Promise<void> {
  if (statusIds.length === 0) return;
  await removeFromFeeds(ctx, "home", [accountId], statusIds);
  if ((await ctx.redis.get(readyKey("home", accountId))) !== null) {
    await ctx.redis.set(readyKey("home", accountId), "partial");
  }
}

/** Every id cached in a home feed (e.g. to find an unfollowed account's statuses in it). */
export async function cachedHomeIds(ctx: AppContext, accountId: string): Promise<string[]> {
  return sortedUnique(await ctx.redis.lrange(feedKey("home", accountId), 0, -1));
}

// ---------------------------------------------------------------------------
// Reads and rebuilds

async function readFeed(ctx: AppContext, kind: FeedKind, ownerId: string): Promise<CachedFeed | null> {
  const [ready, raw] = await Promise.all([
    ctx.redis.get(readyKey(kind, ownerId)),
    ctx.redis.lrange(feedKey(kind, ownerId), 0, -1),
  ]);
  if (ready === null) return null;
  const ids = sortedUnique(raw);
  return { ids, hasOlder: ready !== "complete" || ids.length >= FEED_SIZE - COMPLETE_SLACK };
}

/** The whole cached home feed, or null when it isn't built (the caller rebuilds). */
export function readHomeFeed(ctx: AppContext, accountId: string): Promise<CachedFeed | null> {
  return readFeed(ctx, "home", accountId);
}

export function readListFeed(ctx: AppContext, listId: string): Promise<CachedFeed | null> {
  return readFeed(ctx, "list", listId);
}

/** A page of the cached home feed, or null when the feed isn't built (the caller rebuilds). */
export async function readHome(ctx: AppContext, accountId: string, page: Page): Promise<CachedPage | null> {
  const feed = await readFeed(ctx, "home", accountId);
  return feed && { ...feed, page: pageIds(feed.ids, page) };
}

export async function readList(ctx: AppContext, listId: string, page: Page): Promise<CachedPage | null> {
  const feed = await readFeed(ctx, "list", listId);
  return feed && { ...feed, page: pageIds(feed.ids, page) };
}

/** Concurrent rebuilds of one feed in this process share one computation. */
const inFlight = new Map<string, Promise<CachedFeed>>();

async function rebuildFeed(
  ctx: AppContext,
  kind: FeedKind,
  ownerId: string,
  compute: () => Promise<string[]>,
): Promise<CachedFeed> {
  const flightKey = `${kind}:${ownerId}`;
  const running = inFlight.get(flightKey);
  if (running) return running;
  const work = (async () => {
    const ids = await compute();
    const complete = ids.length < FEED_SIZE;
    // Another process rebuilding the same feed: serve what we computed and let it write.
    const locked = await ctx.redis.set(lockKey(kind, ownerId), "1", { nx: true, ex: REBUILD_LOCK_SECONDS });
    if (locked) {
      try {
        await writeFeed(ctx, kind, ownerId, ids, complete);
      } finally {
        await ctx.redis.del(lockKey(kind, ownerId));
      }
      log.debug("Rebuilt {kind} feed {ownerId} with {count} items", { kind, ownerId, count: ids.length });
    }
    return { ids, hasOlder: !complete };
  })();
  inFlight.set(flightKey, work);
  try {
    return await work;
  } finally {
    inFlight.delete(flightKey);
  }
}

/** Rebuilds a home feed from Postgres (the follow graph plus followed accounts' recent statuses). */
export function rebuildHome(ctx: AppContext, accountId: string): Promise<CachedFeed> {
  return rebuildFeed(ctx, "home", accountId, () => homeIdsFromDatabase(ctx, accountId, {}, FEED_SIZE));
}

export function rebuildList(ctx: AppContext, list: { id: string; account_id: string }): Promise<CachedFeed> {
  return rebuildFeed(ctx, "list", list.id, () => listIdsFromDatabase(ctx, list.id, {}, FEED_SIZE));
}
