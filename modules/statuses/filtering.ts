/**
 * Applying the viewer's filters (v2) to rendered statuses: `warn` (and
 * `blur`) filters fill `filtered`, `hide` filters drop the status. The
 * filters themselves — storage and matching — belong to the timelines
 * module; this is the seam the serializer goes through.
 */
import type { AppContext } from "../../src/context.ts";
import type { Db } from "../../src/db/index.ts";
import { activeFilters, hiddenByFilters, matchFilters, type FilterContext } from "../timelines/filters.ts";
import type { Status } from "./serializer.ts";

export type { FilterContext, FilterResult } from "../timelines/filters.ts";

export async function applyFilters(
  _ctx: AppContext,
  db: Db,
  viewerId: string,
  statuses: Status[],
  context: FilterContext | undefined,
): Promise<Status[]> {
  // Mastodon sends `filtered` (possibly empty) whenever a user is signed in.
  for (const status of statuses) status.filtered = [];
  if (!context || statuses.length === 0) return statuses;
  const filters = await activeFilters(db, viewerId, context);
  if (filters.length === 0) return statuses;
  const kept: Status[] = [];
  for (const status of statuses) {
    // The author's own posts are never filtered away from them, as in Mastodon.
    const author = (status.reblog ?? status).account.id;
    const results = author === viewerId ? [] : matchFilters(filters, status);
    if (hiddenByFilters(results)) continue;
    status.filtered = results;
    if (status.reblog) status.reblog.filtered = results;
    kept.push(status);
  }
  return kept;
}
