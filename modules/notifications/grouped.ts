/**
 * Grouped notifications (API v2), as Mastodon 4.3 pages them: walk the
 * notifications newest first (oldest first for `min_id`), keep the first
 * notification of each group until `limit` distinct groups are found, then
 * describe each group (count, samples, page bounds) up to the page's top.
 */
import type { Db } from "../../src/db/index.ts";
import type { Page } from "../../src/http/pagination.ts";
import type { GroupInput } from "./serializer.ts";
import {
  countUnreadGroups,
  selectGroupData,
  selectNotificationBatch,
  type NotificationFilter,
  type NotificationRow,
} from "./storage.ts";
import { GROUPABLE_TYPES } from "./service.ts";

/** Mastodon's NotificationGroup::SAMPLE_ACCOUNTS_SIZE. */
const SAMPLE_ACCOUNTS_SIZE = 8;

/** `grouped_types[]` narrowed to the types that can group at all; absent means all of them. */
export function effectiveGroupedTypes(requested: string[] | null): string[] {
  if (requested === null) return [...GROUPABLE_TYPES];
  return requested.filter((type) => GROUPABLE_TYPES.includes(type));
}

function groupKeyOf(row: NotificationRow, groupedTypes: string[]): string {
  return groupedTypes.includes(row.type) ? row.group_key : `ungrouped-${row.id}`;
}

/**
 * One page of groups, newest group first; each input's head is the
 * notification that represents its group on this page (and carries the
 * group key the client sees).
 */
export async function pageNotificationGroups(
  db: Db,
  accountId: string,
  filter: NotificationFilter,
  groupedTypes: string[],
  page: Page,
): Promise<GroupInput[]> {
  const direction = page.minId !== undefined ? "asc" : "desc";
  const heads = new Map<string, NotificationRow>();
  const batchSize = Math.max(page.limit * 2, 40);
  let bounds = direction === "asc" ? { above: page.minId } : { below: page.maxId, above: page.sinceId };
  for (;;) {
    const batch = await selectNotificationBatch(db, accountId, filter, bounds, direction, batchSize);
    for (const row of batch) {
      const key = groupKeyOf(row, groupedTypes);
      if (!heads.has(key)) heads.set(key, { ...row, group_key: key });
      if (heads.size === page.limit) break;
    }
    if (heads.size === page.limit || batch.length < batchSize) break;
    const last = batch[batch.length - 1]!.id;
    bounds = direction === "asc" ? { above: last } : { below: last, above: page.sinceId };
  }

  const rows = [...heads.values()].sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1));
  if (rows.length === 0) return [];
  const range = { minId: rows[rows.length - 1]!.id, maxId: rows[0]!.id };
  const groupedKeys = rows.filter((r) => !r.group_key.startsWith("ungrouped-")).map((r) => r.group_key);
  const data = await selectGroupData(db, accountId, groupedKeys, range, SAMPLE_ACCOUNTS_SIZE);
  return rows.map((head) => ({ head, data: data.get(head.group_key), paginated: true }));
}

/** A single group (GET /api/v2/notifications/:group_key), without page bounds. */
export async function describeGroup(db: Db, accountId: string, head: NotificationRow): Promise<GroupInput> {
  if (head.group_key.startsWith("ungrouped-") || !GROUPABLE_TYPES.includes(head.type)) {
    return { head: { ...head, group_key: `ungrouped-${head.id}` }, paginated: false };
  }
  const data = await selectGroupData(db, accountId, [head.group_key], null, SAMPLE_ACCOUNTS_SIZE);
  return { head, data: data.get(head.group_key), paginated: false };
}

/** GET /api/v2/notifications/unread_count: distinct groups above the marker. */
export async function unreadGroupCount(
  db: Db,
  accountId: string,
  filter: NotificationFilter,
  groupedTypes: string[],
  markerId: string | null,
  limit: number,
): Promise<number> {
  return countUnreadGroups(db, accountId, filter, groupedTypes, markerId, limit);
}
