/**
 * SQL the media module owns: media_attachments rows and the avatar/header
 * URLs on accounts. Conditions that decide ownership and "not attached yet"
 * are in the statements themselves, so a request racing an attach cannot
 * change or delete media a status already shows.
 */
import type { Db } from "../../src/db/index.ts";

export interface MediaAttachmentRow {
  id: string;
  account_id: string | null;
  status_id: string | null;
  type: string;
  file_key: string | null;
  /** Absent on rows loaded by code written before migration 0017's column was known to it. */
  preview_key?: string | null;
  remote_url: string | null;
  content_type: string | null;
  description: string | null;
  blurhash: string | null;
  meta: Record<string, unknown> | null;
  focus: string | null;
  created_at?: Date;
}

/** An id before the row exists: storage keys contain it, and the row is written only once the files are stored. */
export async function nextMediaId(db: Db): Promise<string> {
  const [row] = await db`SELECT timestamp_id()::text AS id`;
  return row!.id as string;
}

export interface NewMediaRow {
  id: string;
  accountId: string;
  type: string;
  fileKey: string;
  previewKey: string | null;
  contentType: string;
  description: string | null;
  blurhash: string | null;
  meta: Record<string, unknown>;
  focus: string | null;
}

export async function insertMedia(db: Db, row: NewMediaRow): Promise<MediaAttachmentRow> {
  const [inserted] = await db<MediaAttachmentRow[]>`
    INSERT INTO media_attachments (id, account_id, type, file_key, preview_key, content_type, description, blurhash, meta, focus)
    VALUES (${row.id}, ${row.accountId}, ${row.type}, ${row.fileKey}, ${row.previewKey}, ${row.contentType},
            ${row.description}, ${row.blurhash}, ${db.json(row.meta as never)}, ${row.focus})
    RETURNING *`;
  return inserted!;
}

/** The account's media that no status shows yet (what Mastodon's media endpoints can see); null otherwise. */
export async function selectUnattachedMedia(db: Db, accountId: string, id: string): Promise<MediaAttachmentRow | null> {
  const [row] = await db<MediaAttachmentRow[]>`
    SELECT * FROM media_attachments WHERE id = ${id} AND account_id = ${accountId} AND status_id IS NULL`;
  return row ?? null;
}

export async function selectOwnMedia(db: Db, accountId: string, id: string): Promise<MediaAttachmentRow | null> {
  const [row] = await db<MediaAttachmentRow[]>`
    SELECT * FROM media_attachments WHERE id = ${id} AND account_id = ${accountId}`;
  return row ?? null;
}

export interface MediaChanges {
  description?: string | null;
  focus?: string | null;
  preview_key?: string | null;
  blurhash?: string | null;
  meta?: Record<string, unknown>;
}

/** Applies the changes only while the media is unattached; null when it is not (any more). */
export async function updateUnattachedMedia(
  db: Db,
  accountId: string,
  id: string,
  changes: MediaChanges,
): Promise<MediaAttachmentRow | null> {
  const { meta, ...columns } = changes;
  const set: Record<string, unknown> = { ...columns };
  if (meta) set.meta = db.json(meta as never);
  if (Object.keys(set).length === 0) return selectUnattachedMedia(db, accountId, id);
  const [row] = await db<MediaAttachmentRow[]>`
    UPDATE media_attachments SET ${db(set)}
    WHERE id = ${id} AND account_id = ${accountId} AND status_id IS NULL
    RETURNING *`;
  return row ?? null;
}

/** Deletes the row only while unattached; the deleted row, or null. */
export async function deleteUnattachedMedia(db: Db, accountId: string, id: string): Promise<MediaAttachmentRow | null> {
  const [row] = await db<MediaAttachmentRow[]>`
    DELETE FROM media_attachments
    WHERE id = ${id} AND account_id = ${accountId} AND status_id IS NULL
    RETURNING *`;
  return row ?? null;
}

/**
 * The account's rows among `ids` that are free, or already on `statusId`
 * (an edit keeps its media), locked until the caller's transaction ends so
 * two posts cannot take the same media.
 */
export async function selectAttachableMedia(
  db: Db,
  accountId: string,
  ids: string[],
  statusId: string | null,
): Promise<MediaAttachmentRow[]> {
  if (ids.length === 0) return [];
  return db<MediaAttachmentRow[]>`
    SELECT * FROM media_attachments
    WHERE id = ANY(${ids}::bigint[]) AND account_id = ${accountId}
      AND (status_id IS NULL ${statusId ? db`OR status_id = ${statusId}` : db``})
    FOR UPDATE`;
}

export type ProfileImageKind = "avatar" | "header";

/**
 * Sets (or clears, with null) the avatar or header URL; returns the URL it
 * replaced so the caller can delete the old file once the change committed.
 */
export async function replaceProfileImageUrl(
  db: Db,
  accountId: string,
  kind: ProfileImageKind,
  url: string | null,
): Promise<string | null> {
  // Two statements: a CTE reading the old value is evaluated after the update it feeds.
  const column = kind === "avatar" ? "avatar_url" : "header_url";
  const [row] = await db`SELECT ${db(column)} AS previous FROM accounts WHERE id = ${accountId} FOR UPDATE`;
  await db`UPDATE accounts SET ${db(column)} = ${url}, updated_at = now() WHERE id = ${accountId}`;
  return (row?.previous as string | null | undefined) ?? null;
}
