/**
 * Media use cases: upload (POST /api/v1|v2/media), show, update and delete
 * unattached media, the check statuses run before attaching media, and
 * avatar/header images for update_credentials.
 *
 * Files are written before their row: a row never points at missing files,
 * and if the insert fails the files are removed again. Processing is
 * synchronous (no transcoding), so every answer already has its URLs.
 */
import type { AppContext } from "../../src/context.ts";
import type { Db } from "../../src/db/index.ts";
import { emitEvent } from "../../src/events/index.ts";
import { nudgeEventWorker } from "../../src/events/worker.ts";
import { ApiError, notFound, unprocessable } from "../../src/http/errors.ts";
import { id as idParam, str, type Params } from "../../src/http/params.ts";
import { logger } from "../../src/log.ts";
import { INSTANCE_LIMITS } from "../instance/limits.ts";
import {
  audioVideoMeta,
  detectMedia,
  metaDetails,
  processImage,
  processProfileImage,
  processThumbnail,
  sizeLimitOf,
  tooLarge,
  type MetaDetails,
  type Rendition,
} from "./processing.ts";
import { parseFocus } from "./serializer.ts";
import {
  deleteUnattachedMedia,
  insertMedia,
  nextMediaId,
  replaceProfileImageUrl,
  selectAttachableMedia,
  selectOwnMedia,
  selectUnattachedMedia,
  updateUnattachedMedia,
  type MediaAttachmentRow,
  type MediaChanges,
  type ProfileImageKind,
} from "./storage.ts";

const log = logger("media");
const LIMITS = INSTANCE_LIMITS.mediaAttachments;

const AUDIO_VIDEO_EXTENSIONS: Record<string, string> = {
  "video/mp4": "mp4", "video/quicktime": "mov", "video/webm": "webm", "video/ogg": "ogv", "video/x-ms-asf": "asf",
  "audio/wav": "wav", "audio/wave": "wav", "audio/x-wav": "wav", "audio/x-pn-wave": "wav", "audio/vnd.wave": "wav",
  "audio/ogg": "ogg", "audio/vorbis": "ogg", "audio/mpeg": "mp3", "audio/mp3": "mp3", "audio/webm": "weba",
  "audio/flac": "flac", "audio/aac": "aac", "audio/m4a": "m4a", "audio/x-m4a": "m4a", "audio/mp4": "m4a",
  "audio/3gpp": "3gp",
};

const isUpload = (value: unknown): value is Blob => value instanceof Blob && value.size > 0;
/** Code points, as Mastodon (Ruby String#length) counts them. */
const length = (text: string) => [...text].length;

async function removeFiles(ctx: AppContext, keys: (string | null | undefined)[]): Promise<void> {
  await Promise.all(
    keys
      .filter((key): key is string => !!key)
      .map((key) =>
        ctx.media.delete(key).catch((error) => log.warn("Could not delete media file {key}: {error}", { key, error })),
      ),
  );
}

// ---------------------------------------------------------------------------
// Parameters

/** Trimmed text, null when empty; undefined when not sent. 422 past Mastodon's 1500 characters. */
function readDescription(params: Params): string | null | undefined {
  if (params.description === undefined) return undefined;
  const description = (str(params.description) ?? "").trim();
  if (length(description) > LIMITS.descriptionLimit) {
    throw unprocessable(`Description is too long (maximum is ${LIMITS.descriptionLimit} characters)`);
  }
  return description === "" ? null : description;
}

/** "x,y" with both within -1..1 (0,0 the centre); null clears it, undefined when not sent. */
function readFocus(params: Params): string | null | undefined {
  if (params.focus === undefined) return undefined;
  const raw = (str(params.focus) ?? "").trim();
  if (raw === "") return null;
  const focus = parseFocus(raw);
  if (!focus || Math.abs(focus.x) > 1 || Math.abs(focus.y) > 1) {
    throw unprocessable("Focus must be two numbers from -1.0 to 1.0, separated by a comma");
  }
  return `${focus.x},${focus.y}`;
}

// ---------------------------------------------------------------------------
// Upload

interface Prepared {
  type: "image" | "video" | "audio";
  original: { bytes: Uint8Array; contentType: string; ext: string };
  small: Rendition | null;
  blurhash: string | null;
  meta: Record<string, unknown>;
}

/** Everything that can fail with a 422, before anything is stored. */
async function prepareUpload(file: Blob, thumbnail: Blob | null): Promise<Prepared> {
  const head = new Uint8Array(await file.slice(0, 64).arrayBuffer());
  const detected = detectMedia(head, file.type);
  const limit = sizeLimitOf(detected.kind);
  if (file.size > limit) throw tooLarge("File", limit);
  const bytes = new Uint8Array(await file.arrayBuffer());
  const custom = thumbnail ? await processThumbnail(thumbnail) : null;

  if (detected.kind === "image") {
    const image = await processImage(bytes, detected.mime);
    const small = custom?.small ?? image.small;
    return {
      type: "image",
      original: image.original,
      small,
      blurhash: custom?.blurhash ?? image.blurhash,
      meta: {
        original: metaDetails(image.original.width, image.original.height),
        small: metaDetails(small.width, small.height),
      },
    };
  }
  const meta: Record<string, unknown> & { original?: MetaDetails } = { ...audioVideoMeta(bytes, detected) };
  if (custom) meta.small = metaDetails(custom.small.width, custom.small.height);
  return {
    type: detected.kind,
    original: { bytes, contentType: detected.mime, ext: AUDIO_VIDEO_EXTENSIONS[detected.mime] ?? "bin" },
    small: custom?.small ?? null,
    blurhash: custom?.blurhash ?? null,
    meta,
  };
}

/** POST /api/v1/media and /api/v2/media. */
export async function uploadMedia(ctx: AppContext, accountId: string, params: Params): Promise<MediaAttachmentRow> {
  const description = readDescription(params) ?? null;
  const focus = readFocus(params) ?? null;
  if (!isUpload(params.file)) throw unprocessable("File can't be blank");
  const thumbnail = isUpload(params.thumbnail) ? params.thumbnail : null;
  const prepared = await prepareUpload(params.file, thumbnail);

  const id = await nextMediaId(ctx.sql);
  const fileKey = `media_attachments/${id}/original.${prepared.original.ext}`;
  const previewKey = prepared.small ? `media_attachments/${id}/small.${prepared.small.ext}` : null;
  try {
    await Promise.all([
      ctx.media.put(fileKey, prepared.original.bytes, prepared.original.contentType),
      prepared.small && previewKey ? ctx.media.put(previewKey, prepared.small.bytes, prepared.small.contentType) : null,
    ]);
    return await insertMedia(ctx.sql, {
      id,
      accountId,
      type: prepared.type,
      fileKey,
      previewKey,
      contentType: prepared.original.contentType,
      description,
      blurhash: prepared.blurhash,
      meta: prepared.meta,
      focus,
    });
  } catch (error) {
    await removeFiles(ctx, [fileKey, previewKey]);
    throw error;
  }
}

// ---------------------------------------------------------------------------
// Show, update, delete

/** GET /api/v1/media/:id: like Mastodon, only the owner's media that no status shows yet. */
export async function showMedia(ctx: AppContext, accountId: string, rawId: string): Promise<MediaAttachmentRow> {
  const id = idParam(rawId);
  const row = id && (await selectUnattachedMedia(ctx.sql, accountId, id));
  if (!row) throw notFound();
  return row;
}

/** PUT /api/v1/media/:id: description, focus and thumbnail, until a status shows the media. */
export async function updateMedia(
  ctx: AppContext,
  accountId: string,
  rawId: string,
  params: Params,
): Promise<MediaAttachmentRow> {
  const id = idParam(rawId);
  const current = id && (await selectUnattachedMedia(ctx.sql, accountId, id));
  if (!current) throw notFound();
  const changes: MediaChanges = {};
  const description = readDescription(params);
  if (description !== undefined) changes.description = description;
  const focus = readFocus(params);
  if (focus !== undefined) changes.focus = focus;

  let newPreviewKey: string | null = null;
  if (isUpload(params.thumbnail)) {
    const { small, blurhash } = await processThumbnail(params.thumbnail);
    // A fresh key: the old preview may sit in caches under its URL.
    newPreviewKey = `media_attachments/${current.id}/thumbnail-${Date.now().toString(36)}.${small.ext}`;
    await ctx.media.put(newPreviewKey, small.bytes, small.contentType);
    changes.preview_key = newPreviewKey;
    changes.blurhash = blurhash;
    changes.meta = { ...(current.meta ?? {}), small: metaDetails(small.width, small.height) };
  }
  const updated = await updateUnattachedMedia(ctx.sql, accountId, current.id, changes);
  if (!updated) {
    // Attached (or deleted) meanwhile: nothing changed, so the new preview has no row.
    await removeFiles(ctx, [newPreviewKey]);
    throw notFound();
  }
  if (newPreviewKey && current.preview_key) await removeFiles(ctx, [current.preview_key]);
  return updated;
}

/** DELETE /api/v1/media/:id (Mastodon 4.4): only media no status shows. */
export async function deleteMedia(ctx: AppContext, accountId: string, rawId: string): Promise<void> {
  const id = idParam(rawId);
  if (!id) throw notFound();
  const deleted = await deleteUnattachedMedia(ctx.sql, accountId, id);
  if (!deleted) {
    if (await selectOwnMedia(ctx.sql, accountId, id)) {
      throw new ApiError(422, "Media attachment is currently used by a status");
    }
    throw notFound();
  }
  await removeFiles(ctx, [deleted.file_key, deleted.preview_key]);
}

// ---------------------------------------------------------------------------
// Attaching to statuses

/**
 * The media rows a status may show, in the order given: each must be the
 * author's and not on another status (`statusId`: the status being edited,
 * whose own media stay attachable). At most four, and audio or video only
 * alone, as Mastodon's PostStatusService checks. Call inside the posting
 * transaction: the rows stay locked until it ends.
 */
export async function attachableMedia(
  db: Db,
  accountId: string,
  ids: string[],
  statusId: string | null = null,
): Promise<MediaAttachmentRow[]> {
  const wanted = [...new Set(ids)];
  if (wanted.length === 0) return [];
  const max = INSTANCE_LIMITS.statuses.maxMediaAttachments;
  if (wanted.length > max) throw new ApiError(422, `Cannot attach more than ${max} files`);
  const numeric = wanted.map((value) => idParam(value)).filter((value): value is string => value !== undefined);
  const rows = await selectAttachableMedia(db, accountId, numeric, statusId);
  const byId = new Map(rows.map((row) => [String(row.id), row]));
  const missing = wanted.filter((value) => !byId.has(value));
  if (missing.length > 0) {
    throw new ApiError(422, `Media ${missing.join(", ")} not found or already attached to another post`);
  }
  const ordered = wanted.map((value) => byId.get(value)!);
  if (ordered.length > 1 && ordered.some((row) => row.type === "video" || row.type === "audio")) {
    throw new ApiError(422, "Cannot attach a video to a post that already contains images");
  }
  return ordered;
}

// ---------------------------------------------------------------------------
// Avatar and header

/**
 * Processes and stores an avatar (400×400) or header (1500×500) under a new
 * key and returns its public URL; 422 for anything that is not a usable
 * image. The account is not changed here: update_credentials records the
 * URL in its own transaction (with `setProfileImage`).
 */
export async function storeProfileImage(
  ctx: AppContext,
  accountId: string,
  kind: ProfileImageKind,
  file: Blob,
): Promise<string> {
  const image = await processProfileImage(file, kind);
  // Unique per upload: clients and CDNs cache the old picture under its URL.
  const key = `accounts/${kind}s/${accountId}/${crypto.randomUUID()}.${image.ext}`;
  await ctx.media.put(key, image.bytes, image.contentType);
  return ctx.media.publicUrl(key);
}

/** Records a stored avatar/header URL (or null to remove it); returns the URL it replaced. */
export async function setProfileImage(
  db: Db,
  accountId: string,
  kind: ProfileImageKind,
  url: string | null,
): Promise<string | null> {
  return replaceProfileImageUrl(db, accountId, kind, url);
}

/** The store key behind one of our profile-image URLs; null for anything else (remote or default images). */
function profileImageKey(ctx: AppContext, url: string): string | null {
  const probe = ctx.media.publicUrl("accounts/x");
  const prefix = probe.slice(0, -"accounts/x".length);
  if (!url.startsWith(prefix)) return null;
  const key = url.slice(prefix.length).split("/").map(decodeURIComponent).join("/");
  return key.startsWith("accounts/") ? key : null;
}

/** Deletes replaced avatar/header files, after the change committed; failures are only logged. */
export async function discardProfileImages(ctx: AppContext, urls: (string | null | undefined)[]): Promise<void> {
  const keys = urls.filter((url): url is string => !!url).map((url) => profileImageKey(ctx, url));
  await removeFiles(ctx, keys);
}

/** DELETE /api/v1/profile/avatar and /header (Mastodon 4.2): back to the default picture. */
export async function removeProfileImage(ctx: AppContext, accountId: string, kind: ProfileImageKind): Promise<void> {
  const previous = await ctx.sql.begin(async (tx) => {
    const replaced = await setProfileImage(tx, accountId, kind, null);
    // Remote servers learn of the new picture from the account's Update activity.
    if (replaced) await emitEvent(tx, "account.updated", accountId);
    return replaced;
  });
  if (previous) {
    nudgeEventWorker();
    await discardProfileImages(ctx, [previous]);
  }
}
