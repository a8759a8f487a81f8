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
 * Readers sort and deduplicate what they read (list position is only a
 * hint), so a push that arrives out of order (retries, several workers,
 * backdated remote ids) still shows in id order, and a replayed push (a
 * fanout chunk run twice after a crash) shows once. That is why a push is a
 * bare LPUSH and not LREM+LPUSH: LREM scans the whole list and would cost
 * more than everything else a delivery does.
 *
 * Home feeds live only while their owner is active: reading one refreshes
 * its TTL (just under ACTIVE_DAYS), and fanout skips users inactive for
 * ACTIVE_DAYS, so a feed that survived is one fanout kept complete, and an
 * inactive user's feed has expired and is rebuilt from Postgres on the next
 * visit (synchronously: see docs/performance.md for its cost).
 *
 * Accounts with more followers than FANOUT_MERGE_THRESHOLD are not pushed:
 * their recent status ids are kept in one list per author
 *
 *   feed:author:<accountId>        recent status ids (not direct ones)
 *   feed:author:<accountId>:ready  the list was built (else rebuilt from Postgres)
 *   feed:merged-authors            the set of such authors
 *
 * and merged into their followers' homes when read (readHomeFeed).
 *
 * Every home delivery is published on `timeline:<accountId>` (list:
 * `timeline:list:<listId>`), in the same pipeline, for the streaming API:
 * `{"event":"update","status_id":"…"}` and `{"event":"delete","payload":"…"}`.
 */
import type { AppContext } from "../../src/context.ts";
import type { RedisCommand } from "../../src/services/redis/port.ts";
import type { Page } from "../../src/http/pagination.ts";
import { pageIds } from "../../src/http/pagination.ts";
import { logger } from "../../src/log.ts";
import { homeIdsFromDatabase, listIdsFromDatabase } from "./feed-sources.ts";
import { filterFromHome, loadCrutches } from "./feed-rules.ts";
import { selectFollowedAmong, selectRecentStatusesFor, selectStatusFacts } from "./storage.ts";

const log = logger("feeds");

/** Items kept per feed, as Mastodon's FeedManager::MAX_ITEMS. */
export const FEED_SIZE = 800;
/** Recipients per Redis pipeline: large enough to amortise round trips, small enough to stay responsive. */
const PIPELINE_RECIPIENTS = 1000;
/** A feed "complete" at build time is treated as possibly missing older items once it is this close to the cap. */
const COMPLETE_SLACK = 100;
const REBUILD_LOCK_SECONDS = 30;
/**
 * One push in TRIM_EVERY also trims the list and refreshes its TTL: a
 * per-push LTRIM would double the Redis commands of a delivery, and a list
 * a few dozen items over the cap costs nothing (readers cap it).
 */
const TRIM_EVERY = 8;
/**
 * Lists keep this many pushes beyond FEED_SIZE. Concurrent workers push
 * out of id order, and LTRIM drops the earliest *pushed*: keeping a margin
 * and trusting only the newest FEED_SIZE ids (sorted) means an id is never
 * trimmed while an older one is served, unless a feed received more than
 * TRIM_SLACK newer statuses while that one was in flight.
 */
const TRIM_SLACK = 200;
/** Read past the kept length, to cover untrimmed pushes and duplicates from replays. */
const READ_SLACK = TRIM_SLACK + 100;
/** How often API use refreshes users.last_sign_in_at (src/http/auth.ts); the feed TTL keeps this much margin twice. */
export const ACTIVITY_TOUCH_SECONDS = 3600;
/** Recent statuses kept per merged (very large) author. */
export const AUTHOR_FEED_SIZE = 100;
const AUTHOR_FEED_TTL_SECONDS = 7 * 86400;
/** How long a process trusts its copy of the merged-authors set. */
const MERGED_AUTHORS_CACHE_MS = 5000;

type FeedKind = "home" | "list";

const feedKey = (kind: FeedKind, id: string) => `feed:${kind}:${id}`;
const readyKey = (kind: FeedKind, id: string) => `feed:${kind}:${id}:ready`;
const lockKey = (kind: FeedKind, id: string) => `feed:${kind}:${id}:rebuilding`;
const authorKey = (accountId: string) => `feed:author:${accountId}`;
const authorReadyKey = (accountId: string) => `feed:author:${accountId}:ready`;
const MERGED_AUTHORS = "feed:merged-authors";
/** The streaming channel of a feed (Mastodon's names). */
export const feedChannel = (kind: FeedKind, id: string) => (kind === "home" ? `timeline:${id}` : `timeline:list:${id}`);

/** A home feed (and its ready marker) lives this long after its owner's last read. */
function homeTtl(ctx: AppContext): number {
  return Math.max(60, ctx.config.activeDays * 86400 - 2 * ACTIVITY_TOUCH_SECONDS);
}

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

/**
 * A push and its streaming message per owner; one in TRIM_EVERY also trims
 * and refreshes the TTL. The ready marker never outlives its feed: both get
 * the same TTL on read, and pushes only extend the feed's. Replays are
 * harmless: readers deduplicate.
 */
async function pushToFeeds(ctx: AppContext, kind: FeedKind, ownerIds: string[], statusId: string): Promise<void> {
  const message = JSON.stringify({ event: "update", status_id: statusId });
  const ttl = kind === "home" ? homeTtl(ctx) : 0;
  for (let i = 0; i < ownerIds.length; i += PIPELINE_RECIPIENTS) {
    const commands: RedisCommand[] = [];
    const end = Math.min(ownerIds.length, i + PIPELINE_RECIPIENTS);
    for (let j = i; j < end; j++) {
      const ownerId = ownerIds[j]!;
      const key = feedKey(kind, ownerId);
      commands.push(["lpush", key, statusId], ["publish", feedChannel(kind, ownerId), message]);
      if (Math.random() * TRIM_EVERY < 1) {
        commands.push(["ltrim", key, 0, FEED_SIZE + TRIM_SLACK - 1]);
        if (ttl > 0) commands.push(["expire", key, ttl]);
      }
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

async function removeFromFeeds(
  ctx: AppContext,
  kind: FeedKind,
  ownerIds: string[],
  statusIds: string[],
  options: { announce?: boolean } = {},
): Promise<void> {
  if (statusIds.length === 0) return;
  const perPipeline = Math.max(1, Math.floor(PIPELINE_RECIPIENTS / statusIds.length));
  for (let i = 0; i < ownerIds.length; i += perPipeline) {
    const commands: RedisCommand[] = [];
    for (const ownerId of ownerIds.slice(i, i + perPipeline)) {
      for (const statusId of statusIds) {
        commands.push(["lrem", feedKey(kind, ownerId), 0, statusId]);
        if (options.announce) {
          commands.push(["publish", feedChannel(kind, ownerId), JSON.stringify({ event: "delete", payload: statusId })]);
        }
      }
    }
    await ctx.redis.pipeline(commands);
  }
}

export function removeFromHome(ctx: AppContext, accountId: string, statusIds: string[]): Promise<void> {
  return removeFromFeeds(ctx, "home", [accountId], statusIds);
}

/** Fanout of a deletion: the same statuses out of many homes (announced on their streams). */
export function removeFromHomes(ctx: AppContext, accountIds: string[], statusIds: string[]): Promise<void> {
  return removeFromFeeds(ctx, "home", accountIds, statusIds, { announce: true });
}

export function removeFromLists(ctx: AppContext, listIds: string[], statusIds: string[]): Promise<void> {
  return removeFromFeeds(ctx, "list", listIds, statusIds, { announce: true });
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
  const ttl = kind === "home" ? homeTtl(ctx) : 0;
  if (ttl > 0) commands.push(["expire", key, ttl]);
  commands.push(["set", readyKey(kind, ownerId), complete ? "complete" : "partial", ttl > 0 ? { ex: ttl } : undefined]);
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
    ctx.redis.lrange(feedKey("home", accountId), 0, FEED_SIZE + READ_SLACK - 1),
  ]);
  if (ready === null) return;
  const cached = sortedUnique(current).slice(0, FEED_SIZE);
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
  const ttl = await ctx.redis.ttl(readyKey("home", accountId));
  if (ttl !== -2) await ctx.redis.set(readyKey("home", accountId), "partial", ttl > 0 ? { ex: ttl } : undefined);
}

/** Every id cached in a home feed (e.g. to find an unfollowed account's statuses in it). */
export async function cachedHomeIds(ctx: AppContext, accountId: string): Promise<string[]> {
  return sortedUnique(await ctx.redis.lrange(feedKey("home", accountId), 0, -1));
}

// ---------------------------------------------------------------------------
// Reads and rebuilds

async function readFeed(ctx: AppContext, kind: FeedKind, ownerId: string): Promise<CachedFeed | null> {
  const ttl = kind === "home" ? homeTtl(ctx) : 0;
  const [ready, raw] = await Promise.all([
    ctx.redis.get(readyKey(kind, ownerId)),
    ctx.redis.lrange(feedKey(kind, ownerId), 0, FEED_SIZE + READ_SLACK - 1),
    // A read keeps the feed alive: its owner is active (the read itself refreshed last_sign_in_at).
    ttl > 0 ? ctx.redis.pipeline([["expire", readyKey(kind, ownerId), ttl], ["expire", feedKey(kind, ownerId), ttl]]) : null,
  ]);
  if (ready === null) return null;
  const all = sortedUnique(raw);
  const ids = all.slice(0, FEED_SIZE);
  return { ids, hasOlder: ready !== "complete" || all.length >= FEED_SIZE - COMPLETE_SLACK };
}

/** The whole cached home feed, merged authors included, or null when it isn't built (the caller rebuilds). */
export async function readHomeFeed(ctx: AppContext, accountId: string): Promise<CachedFeed | null> {
  const feed = await readFeed(ctx, "home", accountId);
  return feed && mergeFollowedAuthors(ctx, accountId, feed);
}

export function readListFeed(ctx: AppContext, listId: string): Promise<CachedFeed | null> {
  return readFeed(ctx, "list", listId);
}

/** A page of the cached home feed, or null when the feed isn't built (the caller rebuilds). */
export async function readHome(ctx: AppContext, accountId: string, page: Page): Promise<CachedPage | null> {
  const feed = await readHomeFeed(ctx, accountId);
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

// ---------------------------------------------------------------------------
// Merged (very large) authors: pulled into homes at read time

/** Records a merged author's status in its author list and marks the author as merged. */
export async function pushToAuthorFeed(ctx: AppContext, authorId: string, statusId: string): Promise<void> {
  const key = authorKey(authorId);
  await ctx.redis.pipeline([
    ["lpush", key, statusId],
    ["ltrim", key, 0, AUTHOR_FEED_SIZE - 1],
    ["expire", key, AUTHOR_FEED_TTL_SECONDS],
    ["sadd", MERGED_AUTHORS, authorId],
  ]);
}

export async function removeFromAuthorFeed(ctx: AppContext, authorId: string, statusIds: string[]): Promise<void> {
  await ctx.redis.pipeline(statusIds.map((id): RedisCommand => ["lrem", authorKey(authorId), 0, id]));
}

let mergedAuthorsCache: { at: number; ids: string[]; redis: unknown } | null = null;

async function mergedAuthors(ctx: AppContext): Promise<string[]> {
  const now = Date.now();
  if (mergedAuthorsCache && mergedAuthorsCache.redis === ctx.redis && now - mergedAuthorsCache.at < MERGED_AUTHORS_CACHE_MS) {
    return mergedAuthorsCache.ids;
  }
  const ids = await ctx.redis.smembers(MERGED_AUTHORS);
  mergedAuthorsCache = { at: now, ids, redis: ctx.redis };
  return ids;
}

/** An author list, rebuilt from Postgres when Redis lost it. */
async function authorFeed(ctx: AppContext, authorId: string): Promise<string[]> {
  const [ready, ids] = await Promise.all([
    ctx.redis.get(authorReadyKey(authorId)),
    ctx.redis.lrange(authorKey(authorId), 0, AUTHOR_FEED_SIZE - 1),
  ]);
  if (ready !== null) return ids;
  // "0" sees no direct statuses: the list holds what every follower may see.
  const fresh = await selectRecentStatusesFor(ctx.sql, authorId, "0", AUTHOR_FEED_SIZE);
  const key = authorKey(authorId);
  const commands: RedisCommand[] = [["del", key]];
  if (fresh.length > 0) commands.push(["rpush", key, ...fresh], ["expire", key, AUTHOR_FEED_TTL_SECONDS]);
  commands.push(["set", authorReadyKey(authorId), "1", { ex: AUTHOR_FEED_TTL_SECONDS }]);
  await ctx.redis.pipeline(commands);
  return sortedUnique([...fresh, ...ids]);
}

/**
 * Adds the recent statuses of merged authors the viewer follows, with the
 * same per-receiver rules fanout applies. Only above the cache's horizon
 * when Postgres holds older items (it continues below the oldest cached id,
 * and includes these authors there).
 */
async function mergeFollowedAuthors(ctx: AppContext, viewerId: string, feed: CachedFeed): Promise<CachedFeed> {
  const merged = await mergedAuthors(ctx);
  if (merged.length === 0) return feed;
  const followed = [...(await selectFollowedAmong(ctx.sql, viewerId, merged))];
  if (followed.length === 0) return feed;
  const oldest = feed.ids[feed.ids.length - 1];
  const horizon = feed.hasOlder && oldest ? BigInt(oldest) : null;
  const present = new Set(feed.ids);
  const lists = await Promise.all(followed.map((authorId) => authorFeed(ctx, authorId)));
  const candidates = [...new Set(lists.flat())].filter((id) => !present.has(id) && (horizon === null || BigInt(id) > horizon));
  if (candidates.length === 0) return feed;
  const facts = (await selectStatusFacts(ctx.sql, candidates)).filter((f) => !f.deleted && f.visibility !== "direct");
  const crutches = (await loadCrutches(ctx.sql, [viewerId], facts)).for(viewerId);
  const kept = facts.filter((f) => !filterFromHome(f, viewerId, crutches)).map((f) => f.id);
  if (kept.length === 0) return feed;
  const all = sortedUnique([...feed.ids, ...kept]);
  return { ids: all.slice(0, FEED_SIZE), hasOlder: feed.hasOlder || all.length > FEED_SIZE };
}
