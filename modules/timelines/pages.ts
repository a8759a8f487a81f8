/**
 * A page of a timeline: ids from a source (Redis or SQL), hydrated in one
 * batch, topped up when hydration drops some (deleted, no longer visible,
 * hidden by a filter) so clients don't mistake a short page for the end.
 * The Link header cursors are the ids examined, not only those shown, so
 * the next page never re-reads what was skipped (no duplicates, no gaps).
 */
import type { Config } from "../../src/config.ts";
import { linkHeader, type Page } from "../../src/http/pagination.ts";
import type { Params } from "../../src/http/params.ts";
import type { IdBounds } from "./storage.ts";

/** Newest-first ids within `bounds` (min_id: the oldest `limit` above it, still newest first). */
export type IdSource = (bounds: IdBounds, limit: number) => Promise<string[]>;

const MAX_ROUNDS = 4;

export interface FilledPage<T extends { id: string }> {
  items: T[];
  /** Cursor for `prev` (min_id): the newest id examined. */
  newest?: string;
  /** Cursor for `next` (max_id): the oldest id examined. */
  oldest?: string;
}

export async function fillPage<T extends { id: string }>(
  page: Page,
  source: IdSource,
  render: (ids: string[]) => Promise<T[]>,
): Promise<FilledPage<T>> {
  const limit = page.limit;
  let bounds: IdBounds = { maxId: page.maxId, sinceId: page.sinceId, minId: page.minId };
  let items: T[] = [];
  let newest: string | undefined;
  let oldest: string | undefined;
  for (let round = 0; round < MAX_ROUNDS && items.length < limit; round++) {
    const ids = await source(bounds, limit);
    if (ids.length === 0) break;
    const rendered = await render(ids);
    const need = limit - items.length;
    if (page.minId) {
      // Reading forward: each round is newer than the last; keep those closest to min_id.
      oldest ??= ids[ids.length - 1];
      if (rendered.length >= need) {
        items = [...rendered.slice(rendered.length - need), ...items];
        newest = items[0]!.id;
        break;
      }
      items = [...rendered, ...items];
      newest = ids[0];
      bounds = { ...bounds, minId: ids[0] };
    } else {
      newest ??= ids[0];
      if (rendered.length >= need) {
        items = [...items, ...rendered.slice(0, need)];
        oldest = items[items.length - 1]!.id;
        break;
      }
      items = [...items, ...rendered];
      oldest = ids[ids.length - 1];
      bounds = { ...bounds, maxId: ids[ids.length - 1] };
    }
    if (ids.length < limit) break;
  }
  return { items, newest, oldest };
}

/** The Link header for a filled page (none when nothing was examined). */
export function pageLink<T extends { id: string }>(
  config: Config,
  path: string,
  params: Params,
  filled: FilledPage<T>,
): string | undefined {
  if (!filled.newest || !filled.oldest || filled.items.length === 0) return undefined;
  return linkHeader(config, path, params, [filled.newest, filled.oldest], (id) => id);
}
