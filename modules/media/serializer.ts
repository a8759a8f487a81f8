/**
 * The one place the MediaAttachment entity takes its shape, for the media
 * endpoints and for statuses (which pass the rows they batch-loaded). URLs
 * are computed when rendering, from the media store's public URL, so moving
 * PUBLIC_URL or the bucket's CDN moves every URL with it.
 */
import type { AppContext } from "../../src/context.ts";
import type { MediaAttachmentRow } from "./storage.ts";

export interface MediaAttachment {
  id: string;
  type: "unknown" | "image" | "gifv" | "video" | "audio";
  url: string | null;
  preview_url: string | null;
  remote_url: string | null;
  preview_remote_url: string | null;
  text_url: string | null;
  meta: Record<string, unknown> | null;
  description: string | null;
  blurhash: string | null;
}

/** What rendering needs from a row; statuses' `SELECT *` rows qualify. */
export type RenderableMedia = Pick<
  MediaAttachmentRow,
  "id" | "type" | "file_key" | "remote_url" | "description" | "blurhash" | "meta" | "focus"
> & { preview_key?: string | null };

const TYPES = new Set(["image", "gifv", "video", "audio"]);

/** "x,y" as stored → Mastodon's `meta.focus`; null for anything else. */
export function parseFocus(focus: string | null | undefined): { x: number; y: number } | null {
  if (!focus) return null;
  const [x, y, ...rest] = focus.split(",").map((part) => Number(part.trim()));
  if (rest.length > 0 || !Number.isFinite(x) || !Number.isFinite(y)) return null;
  return { x: x!, y: y! };
}

function renderOne(ctx: Pick<AppContext, "media">, row: RenderableMedia): MediaAttachment {
  const local = row.file_key !== null;
  const url = local ? ctx.media.publicUrl(row.file_key!) : row.remote_url;
  // Remote media we have not cached is shown from its origin: the remote URL stands for the preview too.
  const previewUrl = row.preview_key ? ctx.media.publicUrl(row.preview_key) : local ? null : row.remote_url;
  const meta: Record<string, unknown> = { ...(row.meta ?? {}) };
  const focus = parseFocus(row.focus);
  if (focus) meta.focus = focus;
  return {
    id: String(row.id),
    type: (TYPES.has(row.type) ? row.type : "unknown") as MediaAttachment["type"],
    url,
    preview_url: previewUrl,
    remote_url: local ? null : row.remote_url,
    preview_remote_url: null,
    text_url: null,
    meta,
    description: row.description,
    blurhash: row.blurhash,
  };
}

/** MediaAttachment entities, in the rows' order. */
export function renderMediaAttachments(ctx: Pick<AppContext, "media">, rows: readonly RenderableMedia[]): MediaAttachment[] {
  return rows.map((row) => renderOne(ctx, row));
}
