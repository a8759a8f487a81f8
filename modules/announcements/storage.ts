/** SQL the announcements module owns: announcements, their dismissals and their reactions. */
import type { Db } from "../../src/db/index.ts";
import type { EmojiRow } from "../instance/storage.ts";

export interface AnnouncementRow {
  id: string;
  text: string;
  starts_at: Date | null;
  ends_at: Date | null;
  all_day: boolean;
  published: boolean;
  published_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface NewAnnouncement {
  text: string;
  startsAt: Date | null;
  endsAt: Date | null;
  allDay: boolean;
}

export async function insertAnnouncement(db: Db, a: NewAnnouncement): Promise<AnnouncementRow> {
  const [row] = await db<AnnouncementRow[]>`
    INSERT INTO announcements (text, starts_at, ends_at, all_day, published, published_at)
    VALUES (${a.text}, ${a.startsAt}, ${a.endsAt}, ${a.allDay}, true, now())
    RETURNING *`;
  return row!;
}

export async function deleteAnnouncement(db: Db, id: string): Promise<boolean> {
  const rows = await db`DELETE FROM announcements WHERE id = ${id} RETURNING id`;
  return rows.length > 0;
}

/** Every announcement, newest first (for the admin CLI). */
export async function selectAllAnnouncements(db: Db): Promise<AnnouncementRow[]> {
  return db<AnnouncementRow[]>`SELECT * FROM announcements ORDER BY id DESC`;
}

/** What users see: published and not over, in Mastodon's chronological order. */
const LIVE = (db: Db) => db`a.published AND (a.ends_at IS NULL OR a.ends_at > now())`;

export interface ListedAnnouncement extends AnnouncementRow {
  read: boolean;
}

export async function selectLiveAnnouncements(db: Db, accountId: string, withDismissed: boolean): Promise<ListedAnnouncement[]> {
  return db<ListedAnnouncement[]>`
    SELECT a.*, (d.account_id IS NOT NULL) AS read
    FROM announcements a
    LEFT JOIN announcement_dismissals d ON d.announcement_id = a.id AND d.account_id = ${accountId}
    WHERE ${LIVE(db)} ${withDismissed ? db`` : db`AND d.account_id IS NULL`}
    ORDER BY coalesce(a.starts_at, a.published_at, a.created_at), a.id`;
}

export async function liveAnnouncementExists(db: Db, id: string): Promise<boolean> {
  const [row] = await db`SELECT 1 FROM announcements a WHERE a.id = ${id} AND ${LIVE(db)}`;
  return row !== undefined;
}

export async function insertDismissal(db: Db, announcementId: string, accountId: string): Promise<void> {
  await db`
    INSERT INTO announcement_dismissals (announcement_id, account_id) VALUES (${announcementId}, ${accountId})
    ON CONFLICT DO NOTHING`;
}

export interface ReactionCount {
  announcement_id: string;
  name: string;
  count: number;
  me: boolean;
}

/** Reaction counts per announcement and emoji, in order of first use. */
export async function selectReactionCounts(db: Db, announcementIds: string[], accountId: string): Promise<ReactionCount[]> {
  if (announcementIds.length === 0) return [];
  return db<ReactionCount[]>`
    SELECT announcement_id, name, count(*)::int AS count, bool_or(account_id = ${accountId}) AS me
    FROM announcement_reactions
    WHERE announcement_id = ANY(${announcementIds}::bigint[])
    GROUP BY announcement_id, name
    ORDER BY announcement_id, min(created_at)`;
}

/** The other emoji already used on the announcement (Mastodon caps their number). */
export async function countOtherReactionNames(db: Db, announcementId: string, name: string): Promise<{ others: number; exists: boolean }> {
  const [row] = await db`
    SELECT count(DISTINCT name) FILTER (WHERE name <> ${name})::int AS others, bool_or(name = ${name}) AS exists
    FROM announcement_reactions WHERE announcement_id = ${announcementId}`;
  return { others: row!.others as number, exists: row!.exists === true };
}

export async function insertReaction(db: Db, announcementId: string, accountId: string, name: string): Promise<void> {
  await db`
    INSERT INTO announcement_reactions (announcement_id, account_id, name) VALUES (${announcementId}, ${accountId}, ${name})
    ON CONFLICT DO NOTHING`;
}

export async function deleteReaction(db: Db, announcementId: string, accountId: string, name: string): Promise<boolean> {
  const rows = await db`
    DELETE FROM announcement_reactions
    WHERE announcement_id = ${announcementId} AND account_id = ${accountId} AND name = ${name}
    RETURNING name`;
  return rows.length > 0;
}

/** Enabled local custom emojis by shortcode (reactions and announcement text use them). */
export async function selectLocalEmojis(db: Db, shortcodes: string[]): Promise<Map<string, EmojiRow>> {
  if (shortcodes.length === 0) return new Map();
  const rows = await db`
    SELECT shortcode, image_url, static_url, visible_in_picker, category FROM custom_emojis
    WHERE domain IS NULL AND NOT disabled AND shortcode = ANY(${shortcodes}::text[])`;
  return new Map(rows.map((r) => [r.shortcode as string, r as unknown as EmojiRow]));
}
