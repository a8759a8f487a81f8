/**
 * Mastodon pagination: `max_id` (older than), `since_id` (newer than, newest
 * first), `min_id` (newer than, oldest first — reading forward), `limit`,
 * and a `Link` header with `next` (older) and `prev` (newer) pages.
 */
import type { Config } from "../config.ts";
import { id, int, type Params } from "./params.ts";
import { absoluteUrl } from "./urls.ts";

export interface Page {
  maxId?: string;
  sinceId?: string;
  minId?: string;
  limit: number;
}

export function readPage(params: Params, defaults: { limit: number; max: number }): Page {
  return {
    maxId: id(params.max_id),
    sinceId: id(params.since_id),
    minId: id(params.min_id),
    limit: int(params.limit, "limit", { min: 1, max: defaults.max }) ?? defaults.limit,
  };
}

/**
 * The Link header for a page of results sorted newest first. `cursorOf`
 * gives the pagination id of an item (a status id, or e.g. a follow id for
 * account lists, which Mastodon paginates by the relationship row).
 */
export function linkHeader<T>(
  config: Config,
  path: string,
  params: Params,
  items: T[],
  cursorOf: (item: T) => string,
): string | undefined {
  if (items.length === 0) return undefined;
  const keep = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (["max_id", "since_id", "min_id"].includes(key) || value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const v of value) keep.append(`${key}[]`, String(v));
    else if (typeof value !== "object") keep.set(key, String(value));
  }
  const url = (extra: Record<string, string>) => {
    const query = new URLSearchParams(keep);
    for (const [k, v] of Object.entries(extra)) query.set(k, v);
    return `${absoluteUrl(config, path)}?${query}`;
  };
  const newest = cursorOf(items[0]!);
  const oldest = cursorOf(items[items.length - 1]!);
  return `<${url({ max_id: oldest })}>; rel="next", <${url({ min_id: newest })}>; rel="prev"`;
}

/**
 * SQL-free paging of an id-sorted list already in memory (e.g. a Redis
 * timeline): returns the slice the page asks for, newest first.
 */
export function pageIds(idsNewestFirst: string[], page: Page): string[] {
  const gt = (a: string, b: string) => BigInt(a) > BigInt(b);
  let ids = idsNewestFirst;
  if (page.maxId) ids = ids.filter((x) => gt(page.maxId!, x));
  if (page.sinceId) ids = ids.filter((x) => gt(x, page.sinceId!));
  if (page.minId) {
    // Reading forward: the `limit` items just above min_id, still returned newest first.
    const above = ids.filter((x) => gt(x, page.minId!));
    return above.slice(Math.max(0, above.length - page.limit));
  }
  return ids.slice(0, page.limit);
}
