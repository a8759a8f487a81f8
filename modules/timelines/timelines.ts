/**
 * Reading timelines: home and list feeds from Redis (rebuilt from Postgres
 * on a miss, and continued from Postgres past the cached 800 items), public
 * and hashtag timelines from Postgres. Every page is hydrated in one batch
 * by the statuses serializer, which drops what the viewer may not see.
 */
import type { AppContext } from "../../src/context.ts";
import { pageIds, type Page } from "../../src/http/pagination.ts";
import { hiddenAccountIds } from "../relationships/service.ts";
import { renderStatuses, type Status } from "../statuses/serializer.ts";
import { readHomeFeed, readListFeed, rebuildHome, rebuildList, type CachedFeed } from "./feed-manager.ts";
import { homeIdsFromDatabase, listIdsFromDatabase } from "./feed-sources.ts";
import { fillPage, type FilledPage, type IdSource } from "./pages.ts";
import {
  selectHiddenStatusIds,
  selectPublicTimelineIds,
  selectTagIds,
  selectTagTimelineIds,
  type IdBounds,
  type ListRow,
  type PublicScope,
} from "./storage.ts";

/**
 * Ids from a cached feed, continued from Postgres where the cache may have
 * lost older items (evicted by the cap): below its oldest id, or a min_id
 * page starting below it.
 */
function cachedSource(feed: CachedFeed, fromDatabase: (bounds: IdBounds, want: number) => Promise<string[]>): IdSource {
  return async (bounds, limit) => {
    const fromCache = pageIds(feed.ids, { ...bounds, limit });
    if (!feed.hasOlder) return fromCache;
    const oldestCached = feed.ids[feed.ids.length - 1];
    if (bounds.minId) {
      const belowHorizon = !oldestCached || BigInt(bounds.minId) < BigInt(oldestCached);
      return belowHorizon ? fromDatabase(bounds, limit) : fromCache;
    }
    if (fromCache.length >= limit) return fromCache;
    const below =
      oldestCached && (!bounds.maxId || BigInt(oldestCached) < BigInt(bounds.maxId)) ? oldestCached : bounds.maxId;
    const older = await fromDatabase({ maxId: below, sinceId: bounds.sinceId }, limit - fromCache.length);
    return [...fromCache, ...older];
  };
}

/** Hydrates a home or list page, minus what the viewer muted, blocked or domain-blocked. */
async function renderFeedPage(ctx: AppContext, viewerId: string, hidden: string[], ids: string[]): Promise<Status[]> {
  const hiddenIds = await selectHiddenStatusIds(ctx.sql, viewerId, hidden, ids);
  return renderStatuses(
    ctx,
    ids.filter((id) => !hiddenIds.has(id)),
    { accountId: viewerId },
    { filterContext: "home" },
  );
}

export async function homeTimeline(ctx: AppContext, viewerId: string, page: Page): Promise<FilledPage<Status>> {
  const [feed, hidden] = await Promise.all([
    readHomeFeed(ctx, viewerId).then((cached) => cached ?? rebuildHome(ctx, viewerId)),
    hiddenAccountIds(ctx.sql, viewerId),
  ]);
  const source = cachedSource(feed, (bounds, want) => homeIdsFromDatabase(ctx, viewerId, bounds, want));
  return fillPage(page, source, (ids) => renderFeedPage(ctx, viewerId, [...hidden], ids));
}

export async function listTimeline(ctx: AppContext, list: ListRow, page: Page): Promise<FilledPage<Status>> {
  const viewerId = list.account_id;
  const [feed, hidden] = await Promise.all([
    readListFeed(ctx, list.id).then((cached) => cached ?? rebuildList(ctx, list)),
    hiddenAccountIds(ctx.sql, viewerId),
  ]);
  const source = cachedSource(feed, (bounds, want) => listIdsFromDatabase(ctx, list.id, bounds, want));
  return fillPage(page, source, (ids) => renderFeedPage(ctx, viewerId, [...hidden], ids));
}

export interface PublicOptions {
  local: boolean;
  remote: boolean;
  onlyMedia: boolean;
}

async function publicScope(ctx: AppContext, viewerId: string | null, options: PublicOptions): Promise<PublicScope> {
  return {
    ...options,
    viewerId,
    hiddenAccountIds: viewerId ? [...(await hiddenAccountIds(ctx.sql, viewerId))] : [],
  };
}

function renderPublic(ctx: AppContext, viewerId: string | null) {
  return (ids: string[]) =>
    renderStatuses(ctx, ids, viewerId ? { accountId: viewerId } : null, { filterContext: "public" });
}

export async function publicTimeline(
  ctx: AppContext,
  viewerId: string | null,
  options: PublicOptions,
  page: Page,
): Promise<FilledPage<Status>> {
  const scope = await publicScope(ctx, viewerId, options);
  return fillPage(page, (bounds, limit) => selectPublicTimelineIds(ctx.sql, scope, bounds, limit), renderPublic(ctx, viewerId));
}

/** Tag names as Mastodon normalises them for lookup: no leading '#', case-insensitive. */
export function normalizeTagName(raw: string): string {
  return raw.trim().replace(/^#/, "").normalize("NFKC").toLowerCase();
}

export interface TagQuery {
  tag: string;
  any: string[];
  all: string[];
  none: string[];
}

export async function tagTimeline(
  ctx: AppContext,
  viewerId: string | null,
  query: TagQuery,
  options: PublicOptions,
  page: Page,
): Promise<FilledPage<Status>> {
  const names = (values: string[]) => [...new Set(values.map(normalizeTagName).filter((n) => n !== ""))];
  const anyNames = names([query.tag, ...query.any]);
  const allNames = names(query.all);
  const noneNames = names(query.none);
  const ids = await selectTagIds(ctx.sql, [...anyNames, ...allNames, ...noneNames]);
  const pick = (list: string[]) => list.map((n) => ids.get(n)).filter((x): x is string => x !== undefined);
  const anyIds = pick(anyNames);
  // An unknown main tag, or an `all` tag nobody used, matches nothing.
  if (!ids.has(normalizeTagName(query.tag)) || anyIds.length === 0 || pick(allNames).length < allNames.length) {
    return { items: [] };
  }
  const tags = { anyIds, allIds: pick(allNames), noneIds: pick(noneNames) };
  const scope = await publicScope(ctx, viewerId, options);
  return fillPage(
    page,
    (bounds, limit) => selectTagTimelineIds(ctx.sql, tags, scope, bounds, limit),
    renderPublic(ctx, viewerId),
  );
}
