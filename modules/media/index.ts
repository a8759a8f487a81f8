/**
 * Media routes (Mastodon's Api::V1::MediaController and Api::V2::MediaController),
 * removing the avatar/header (Api::V1::Profile::*Controller), and serving
 * disk-stored media under /system/ (with S3, URLs point at the bucket and
 * this route answers 404).
 */
import { Elysia } from "elysia";
import type { AppContext } from "../../src/context.ts";
import { requireUser } from "../../src/http/auth.ts";
import { notFound } from "../../src/http/errors.ts";
import { requestParams } from "../../src/http/request.ts";
import { loadCredentialAccount } from "../accounts/serializer.ts";
import { renderMediaAttachments, type MediaAttachment } from "./serializer.ts";
import { deleteMedia, removeProfileImage, showMedia, updateMedia, uploadMedia } from "./service.ts";
import type { MediaAttachmentRow } from "./storage.ts";

export { renderMediaAttachments, type MediaAttachment } from "./serializer.ts";
export { attachableMedia, storeProfileImage, setProfileImage, discardProfileImages } from "./service.ts";

/** Mastodon's media endpoints all require write:media, reading included. */
const SCOPE = "write:media";

/** Keys are our own `a/b/c.ext` paths; anything else (dot segments, odd characters) is simply not found. */
const KEY_PATTERN = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*\/[A-Za-z0-9_.-]+$/;

function systemKey(pathname: string): string | null {
  let key: string;
  try {
    key = decodeURIComponent(pathname.slice("/system/".length));
  } catch {
    return null;
  }
  if (!KEY_PATTERN.test(key) || key.split("/").some((segment) => segment === "." || segment === "..")) return null;
  return key;
}

/** A single `bytes=a-b` range (all browsers and players send); null to answer the whole file. */
function byteRange(header: string | null, size: number): { start: number; end: number } | "invalid" | null {
  const match = header && /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const [, from, to] = match;
  if (from === "" && to === "") return "invalid";
  let start: number;
  let end: number;
  if (from === "") {
    // The last N bytes.
    start = Math.max(0, size - Number(to));
    end = size - 1;
  } else {
    start = Number(from);
    end = to === "" ? size - 1 : Math.min(Number(to), size - 1);
  }
  if (start > end || start >= size) return "invalid";
  return { start, end };
}

export const mediaModule = (ctx: AppContext) => {
  const render = (row: MediaAttachmentRow): MediaAttachment => renderMediaAttachments(ctx, [row])[0]!;
  const credentialAccount = async (accountId: string) => {
    const account = await loadCredentialAccount(ctx.sql, ctx.config, accountId);
    if (!account) throw notFound();
    return account;
  };

  /** Stores hand back ArrayBuffer-backed arrays; the type only says so (no copy of a large video). */
  const body = (bytes: Uint8Array) => bytes as Uint8Array<ArrayBuffer>;

  const serveSystem = async (request: Request, headOnly: boolean): Promise<Response> => {
    const key = ctx.media.kind === "disk" ? systemKey(new URL(request.url).pathname) : null;
    const file = key ? await ctx.media.get(key) : null;
    if (!file) throw notFound();
    const headers: Record<string, string> = {
      "content-type": file.contentType,
      // Keys never change content (new uploads get new keys), so caches may keep them for good.
      "cache-control": "public, max-age=31536000, immutable",
      "accept-ranges": "bytes",
      // User uploads must never run as a page on our origin.
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'; form-action 'none'; sandbox",
      // Browser clients (Elk, Phanpy) read media from other origins, e.g. to draw them on a canvas.
      "access-control-allow-origin": "*",
    };
    const size = file.bytes.byteLength;
    const range = byteRange(request.headers.get("range"), size);
    if (range === "invalid") {
      return new Response(null, { status: 416, headers: { ...headers, "content-range": `bytes */${size}` } });
    }
    if (range) {
      const part = file.bytes.subarray(range.start, range.end + 1);
      return new Response(headOnly ? null : body(part), {
        status: 206,
        headers: {
          ...headers,
          "content-range": `bytes ${range.start}-${range.end}/${size}`,
          "content-length": String(part.byteLength),
        },
      });
    }
    return new Response(headOnly ? null : body(file.bytes), {
      headers: { ...headers, "content-length": String(size) },
    });
  };

  return new Elysia({ name: "media" })
    .post("/api/v1/media", async ({ request, body }) => {
      const auth = await requireUser(ctx, request, SCOPE);
      return render(await uploadMedia(ctx, auth.user.accountId, requestParams(request, body)));
    })
    // v2 may answer 202 while processing; ours is done when it answers, so always 200 with URLs.
    .post("/api/v2/media", async ({ request, body }) => {
      const auth = await requireUser(ctx, request, SCOPE);
      return render(await uploadMedia(ctx, auth.user.accountId, requestParams(request, body)));
    })
    .get("/api/v1/media/:id", async ({ request, params }) => {
      const auth = await requireUser(ctx, request, SCOPE);
      return render(await showMedia(ctx, auth.user.accountId, params.id));
    })
    .put("/api/v1/media/:id", async ({ request, params, body }) => {
      const auth = await requireUser(ctx, request, SCOPE);
      return render(await updateMedia(ctx, auth.user.accountId, params.id, requestParams(request, body)));
    })
    .delete("/api/v1/media/:id", async ({ request, params }) => {
      const auth = await requireUser(ctx, request, SCOPE);
      await deleteMedia(ctx, auth.user.accountId, params.id);
      return {};
    })
    .delete("/api/v1/profile/avatar", async ({ request }) => {
      const auth = await requireUser(ctx, request, "write:accounts");
      await removeProfileImage(ctx, auth.user.accountId, "avatar");
      return credentialAccount(auth.user.accountId);
    })
    .delete("/api/v1/profile/header", async ({ request }) => {
      const auth = await requireUser(ctx, request, "write:accounts");
      await removeProfileImage(ctx, auth.user.accountId, "header");
      return credentialAccount(auth.user.accountId);
    })
    .get("/system/*", ({ request }) => serveSystem(request, false))
    .head("/system/*", ({ request }) => serveSystem(request, true));
};
