/**
 * Read markers (GET/POST /api/v1/markers): where the user stopped reading
 * home and notifications, shared across their clients. `version` grows on
 * every change so clients can tell a stale marker from a fresh one.
 */
import type { Db, Sql } from "../../src/db/index.ts";

export const MARKER_TIMELINES = ["home", "notifications"] as const;
export type MarkerTimeline = (typeof MARKER_TIMELINES)[number];

export interface MarkerRow {
  timeline: MarkerTimeline;
  last_read_id: string;
  version: number;
  updated_at: Date;
}

export function isMarkerTimeline(value: string): value is MarkerTimeline {
  return (MARKER_TIMELINES as readonly string[]).includes(value);
}

export async function selectMarkers(db: Db, accountId: string, timelines: MarkerTimeline[]): Promise<MarkerRow[]> {
  if (timelines.length === 0) return [];
  return db<MarkerRow[]>`
    SELECT timeline, last_read_id, version, updated_at FROM markers
    WHERE account_id = ${accountId} AND timeline = ANY(${timelines}::text[])`;
}

/** The notifications marker, which unread counts start from. */
export async function notificationsMarker(db: Db, accountId: string): Promise<string | null> {
  const [row] = await selectMarkers(db, accountId, ["notifications"]);
  return row?.last_read_id ?? null;
}

/**
 * Saves the given positions together. Setting the same position again
 * changes nothing (no version bump), like Rails' optimistic locking.
 */
export async function saveMarkers(
  sql: Sql,
  accountId: string,
  positions: Partial<Record<MarkerTimeline, string>>,
): Promise<MarkerRow[]> {
  return sql.begin(async (tx) => {
    const saved: MarkerRow[] = [];
    for (const timeline of MARKER_TIMELINES) {
      const lastReadId = positions[timeline];
      if (lastReadId === undefined) continue;
      const [row] = await tx<MarkerRow[]>`
        INSERT INTO markers (account_id, timeline, last_read_id, version)
        VALUES (${accountId}, ${timeline}, ${lastReadId}, 0)
        ON CONFLICT (account_id, timeline) DO UPDATE SET
          last_read_id = EXCLUDED.last_read_id,
          version = markers.version + 1,
          updated_at = now()
        WHERE markers.last_read_id <> EXCLUDED.last_read_id
        RETURNING timeline, last_read_id, version, updated_at`;
      if (row) saved.push(row);
      else saved.push(...(await selectMarkers(tx, accountId, [timeline])));
    }
    return saved;
  });
}
