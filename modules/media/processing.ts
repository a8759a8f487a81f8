/**
 * From uploaded bytes to what we store: what a file really is (by its
 * bytes, not the type the client declared, as Mastodon does), images
 * auto-oriented, stripped of EXIF (GPS positions!) and resized to Mastodon's
 * pixel budgets, blurhashes, and what little can be read cheaply from
 * video and audio containers. No database, no storage: plain bytes in and out.
 */
// sharp: libvips bindings, the practical way in Bun to decode every image
// format clients upload (JPEG, PNG, WebP, GIF, AVIF), auto-orient, strip
// metadata and resize with shrink-on-load instead of a full RGBA buffer in
// JS. Its native binary ships in the @img/sharp-linux-x64 registry package.
import sharp from "sharp";
import type { Metadata, Sharp, SharpOptions } from "sharp";
// blurhash: Wolt's reference encoder of the placeholder hash Mastodon
// clients decode while media loads; small and pure JS.
import { encode as encodeBlurhash } from "blurhash";
import { ApiError, unprocessable } from "../../src/http/errors.ts";
import { INSTANCE_LIMITS } from "../instance/limits.ts";

const LIMITS = INSTANCE_LIMITS.mediaAttachments;

/** Mastodon's style budgets: originals above 3840×2160 worth of pixels are scaled down, previews to 640×360 worth. */
export const ORIGINAL_PIXELS = 3840 * 2160;
export const SMALL_PIXELS = 640 * 360;
/** Mastodon's avatar and header upload limit. */
export const PROFILE_IMAGE_SIZE_LIMIT = 8 * 1024 * 1024;
const PROFILE_IMAGE_TYPES = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);

export type MediaKind = "image" | "video" | "audio";

export interface Detected {
  mime: string;
  kind: MediaKind;
}

export interface Rendition {
  bytes: Uint8Array;
  contentType: string;
  ext: string;
  width: number;
  height: number;
}

/** Mastodon's meta entry for one rendition: `size` is "WxH", `aspect` width/height. */
export interface MetaDetails {
  width?: number;
  height?: number;
  size?: string;
  aspect?: number;
  duration?: number;
  bitrate?: number;
}

export const fileTypeError = () => new ApiError(422, "File type of uploaded media could not be verified");
export const invalidContentType = (field = "File") => unprocessable(`${field} content type is invalid`);

function humanSize(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MB`;
}

export const tooLarge = (field: string, limit: number) =>
  unprocessable(`${field} file size must be less than ${humanSize(limit)}`);

// ---------------------------------------------------------------------------
// What is it?

const text = (bytes: Uint8Array, start: number, length: number) =>
  String.fromCharCode(...bytes.subarray(start, start + length));

function startsWith(bytes: Uint8Array, signature: number[], offset = 0): boolean {
  return signature.every((byte, i) => bytes[offset + i] === byte);
}

/** The ISO base media (MP4/MOV/HEIF/AVIF) major and compatible brands, from the leading ftyp box. */
function ftypBrands(bytes: Uint8Array): string[] | null {
  if (bytes.length < 12 || text(bytes, 4, 4) !== "ftyp") return null;
  const size = Math.min(new DataView(bytes.buffer, bytes.byteOffset).getUint32(0), bytes.length);
  const brands = [text(bytes, 8, 4)];
  for (let at = 16; at + 4 <= size; at += 4) brands.push(text(bytes, at, 4));
  return brands;
}

/**
 * The type the bytes say they are; null when unrecognised. The first
 * 64 bytes are enough. Ambiguous containers (Ogg, WebM, MP4 can hold
 * audio only) follow the declared type's family.
 */
export function sniff(head: Uint8Array, declared: string): Detected | null {
  const declaredAudio = declared.startsWith("audio/");
  const image = (mime: string): Detected => ({ mime, kind: "image" });
  const video = (mime: string): Detected => ({ mime, kind: "video" });
  const audio = (mime: string): Detected => ({ mime, kind: "audio" });

  if (startsWith(head, [0xff, 0xd8, 0xff])) return image("image/jpeg");
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return image("image/png");
  if (text(head, 0, 6) === "GIF87a" || text(head, 0, 6) === "GIF89a") return image("image/gif");
  if (text(head, 0, 4) === "RIFF") {
    const format = text(head, 8, 4);
    if (format === "WEBP") return image("image/webp");
    if (format === "WAVE") return audio("audio/wav");
    return null;
  }
  const brands = ftypBrands(head);
  if (brands) {
    const major = brands[0]!;
    if (brands.some((b) => b === "avif" || b === "avis")) return image("image/avif");
    if (["heic", "heix", "heim", "heis", "mif1", "msf1"].includes(major)) return image("image/heic");
    if (major === "M4A " || major === "M4B ") return audio("audio/mp4");
    if (major === "qt  ") return video("video/quicktime");
    if (major.startsWith("3gp")) return declaredAudio ? audio("audio/3gpp") : video("video/mp4");
    return declaredAudio ? audio("audio/mp4") : video("video/mp4");
  }
  if (startsWith(head, [0x1a, 0x45, 0xdf, 0xa3])) return declaredAudio ? audio("audio/webm") : video("video/webm");
  if (text(head, 0, 4) === "OggS") {
    // The first page carries the codec's identification header.
    return text(head, 0, head.length).includes("theora") ? video("video/ogg") : audio("audio/ogg");
  }
  if (text(head, 0, 4) === "fLaC") return audio("audio/flac");
  if (text(head, 0, 3) === "ID3") return audio("audio/mpeg");
  if (head[0] === 0xff && head.length > 1 && (head[1]! & 0xe0) === 0xe0) {
    // Frame sync: ADTS (AAC) has layer bits 00, MPEG audio does not.
    return (head[1]! & 0x06) === 0 ? audio("audio/aac") : audio("audio/mpeg");
  }
  if (startsWith(head, [0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11])) return video("video/x-ms-asf");
  return null;
}

/**
 * What an upload is, or the 422 Mastodon answers. Images must be
 * recognisable by their bytes (they are decoded); audio and video we only
 * store, so a supported declared type is trusted when the container is one
 * we do not sniff (they are served with nosniff).
 */
export function detectMedia(head: Uint8Array, declaredType: string): Detected {
  const declared = declaredType.split(";")[0]!.trim().toLowerCase();
  const supported = LIMITS.supportedMimeTypes;
  const sniffed = sniff(head, declared);
  if (sniffed) {
    if (!supported.includes(sniffed.mime)) throw invalidContentType();
    return sniffed;
  }
  if (supported.includes(declared)) {
    if (declared.startsWith("video/")) return { mime: declared, kind: "video" };
    if (declared.startsWith("audio/")) return { mime: declared, kind: "audio" };
    throw fileTypeError();
  }
  throw invalidContentType();
}

export function sizeLimitOf(kind: MediaKind): number {
  return kind === "image" ? LIMITS.imageSizeLimit : LIMITS.videoSizeLimit;
}

// ---------------------------------------------------------------------------
// Images

/** Output format per input: browsers and mobile clients all show JPEG/PNG/WebP/GIF; HEIC and AVIF become JPEG (PNG with alpha). */
function outputFormat(mime: string, hasAlpha: boolean): "jpeg" | "png" | "webp" | "gif" {
  switch (mime) {
    case "image/png":
      return "png";
    case "image/webp":
      return "webp";
    case "image/gif":
      return "gif";
    case "image/jpeg":
      return "jpeg";
    default:
      return hasAlpha ? "png" : "jpeg";
  }
}

const FORMAT_INFO = {
  jpeg: { contentType: "image/jpeg", ext: "jpg" },
  png: { contentType: "image/png", ext: "png" },
  webp: { contentType: "image/webp", ext: "webp" },
  gif: { contentType: "image/gif", ext: "gif" },
} as const;

/** The largest size with the same aspect ratio within `pixels`, never enlarging. */
export function fitPixels(width: number, height: number, pixels: number): { width: number; height: number } {
  if (width * height <= pixels) return { width, height };
  const scale = Math.sqrt(pixels / (width * height));
  return { width: Math.max(1, Math.floor(width * scale)), height: Math.max(1, Math.floor(height * scale)) };
}

export function metaDetails(width: number, height: number): MetaDetails {
  return { width, height, size: `${width}x${height}`, aspect: width / height };
}

interface Decoded {
  /** Auto-oriented, first frame only (animations are kept only for GIF originals). */
  image: Sharp;
  width: number;
  height: number;
  hasAlpha: boolean;
  pages: number;
}

/** Decodes enough to know the image is one; a 422 for anything sharp cannot read or that is too large. */
async function decode(bytes: Uint8Array): Promise<Decoded> {
  // Corrupt data fails here or when encoding; "error" (not "warning") still
  // accepts the slightly-off files cameras and editors produce.
  const options: SharpOptions = { failOn: "error", limitInputPixels: LIMITS.imageMatrixLimit };
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, { ...options, limitInputPixels: false }).metadata();
  } catch {
    throw fileTypeError();
  }
  const rotated = (metadata.orientation ?? 1) >= 5;
  const rawWidth = metadata.width ?? 0;
  const rawHeight = metadata.pageHeight ?? metadata.height ?? 0;
  if (rawWidth === 0 || rawHeight === 0) throw fileTypeError();
  const width = rotated ? rawHeight : rawWidth;
  const height = rotated ? rawWidth : rawHeight;
  if (width * height > LIMITS.imageMatrixLimit) {
    throw new ApiError(422, `${width}x${height} images are not supported`);
  }
  return {
    image: sharp(bytes, options).rotate(),
    width,
    height,
    hasAlpha: metadata.hasAlpha ?? false,
    pages: metadata.pages ?? 1,
  };
}

async function encode(
  image: Sharp,
  format: keyof typeof FORMAT_INFO,
  size: { width: number; height: number } | null,
): Promise<Rendition> {
  let pipeline = image.clone();
  if (size) pipeline = pipeline.resize(size.width, size.height, { fit: "fill" });
  // sharp writes no EXIF/XMP/ICC unless asked (withMetadata), so metadata is stripped here.
  pipeline =
    format === "jpeg" ? pipeline.jpeg({ quality: 90 })
      : format === "png" ? pipeline.png()
        : format === "webp" ? pipeline.webp({ quality: 90 })
          : pipeline.gif();
  try {
    const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
    return {
      bytes: new Uint8Array(data),
      ...FORMAT_INFO[format],
      width: info.width,
      height: info.pageHeight ?? info.height,
    };
  } catch {
    throw fileTypeError();
  }
}

async function blurhashOf(image: Sharp): Promise<string | null> {
  try {
    const { data, info } = await image
      .clone()
      .resize(32, 32, { fit: "inside" })
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    // 4×4 components, as Mastodon computes them.
    return encodeBlurhash(new Uint8ClampedArray(data), info.width, info.height, 4, 4);
  } catch {
    return null;
  }
}

export interface ProcessedImage {
  original: Rendition;
  small: Rendition;
  blurhash: string | null;
}

/**
 * An uploaded image: the original scaled to Mastodon's budget and
 * re-encoded without metadata, a preview, and its blurhash. Animated GIFs
 * keep their animation (and bytes, when small enough): a GIF is not
 * transcoded to video here, so it stays an `image` that <img> can play.
 */
export async function processImage(bytes: Uint8Array, mime: string): Promise<ProcessedImage> {
  const decoded = await decode(bytes);
  const format = outputFormat(mime, decoded.hasAlpha);
  const target = fitPixels(decoded.width, decoded.height, ORIGINAL_PIXELS);
  const resize = target.width !== decoded.width || target.height !== decoded.height ? target : null;

  let original: Rendition;
  if (format === "gif" && decoded.pages > 1) {
    const animated = sharp(bytes, { animated: true, failOn: "error", limitInputPixels: false });
    original = resize
      ? await encode(animated, "gif", resize)
      : { bytes, ...FORMAT_INFO.gif, width: decoded.width, height: decoded.height };
  } else {
    original = await encode(decoded.image, format, resize);
  }
  const small = await encode(
    decoded.image,
    format === "gif" ? "png" : format,
    fitPixels(decoded.width, decoded.height, SMALL_PIXELS),
  );
  return { original, small, blurhash: await blurhashOf(decoded.image) };
}

/** A client-supplied preview (thumbnail) for any media: an image, scaled to the preview budget. */
export async function processThumbnail(file: Blob): Promise<{ small: Rendition; blurhash: string | null }> {
  if (file.size > LIMITS.imageSizeLimit) throw tooLarge("Thumbnail", LIMITS.imageSizeLimit);
  const bytes = new Uint8Array(await file.arrayBuffer());
  const detected = sniff(bytes.subarray(0, 64), file.type);
  if (!detected || detected.kind !== "image" || !LIMITS.supportedMimeTypes.includes(detected.mime)) {
    throw invalidContentType("Thumbnail");
  }
  const decoded = await decode(bytes);
  const format = outputFormat(detected.mime, decoded.hasAlpha);
  const small = await encode(
    decoded.image,
    format === "gif" ? "png" : format,
    fitPixels(decoded.width, decoded.height, SMALL_PIXELS),
  );
  return { small, blurhash: await blurhashOf(decoded.image) };
}

/**
 * Avatars are cropped to 400×400 and headers to 1500×500 around the centre,
 * as Mastodon does. The result is always a still image (a GIF's first
 * frame as PNG), so `avatar_static` can be the same URL.
 */
export async function processProfileImage(file: Blob, kind: "avatar" | "header"): Promise<Rendition> {
  const field = kind === "avatar" ? "Avatar" : "Header";
  if (file.size > PROFILE_IMAGE_SIZE_LIMIT) throw tooLarge(field, PROFILE_IMAGE_SIZE_LIMIT);
  const bytes = new Uint8Array(await file.arrayBuffer());
  const detected = sniff(bytes.subarray(0, 64), file.type);
  if (!detected || !PROFILE_IMAGE_TYPES.has(detected.mime)) throw invalidContentType(field);
  const decoded = await decode(bytes);
  const size = kind === "avatar" ? { width: 400, height: 400 } : { width: 1500, height: 500 };
  const format = outputFormat(detected.mime, decoded.hasAlpha);
  const cropped = decoded.image.clone().resize(size.width, size.height, { fit: "cover", position: "centre" });
  return encode(cropped, format === "gif" ? "png" : format, null);
}

// ---------------------------------------------------------------------------
// Audio and video: only what the container header says, no decoding

interface Box {
  type: string;
  start: number;
  end: number;
}

function* boxes(view: DataView, start: number, end: number): Generator<Box> {
  let at = start;
  while (at + 8 <= end) {
    let size = view.getUint32(at);
    const type = String.fromCharCode(
      view.getUint8(at + 4), view.getUint8(at + 5), view.getUint8(at + 6), view.getUint8(at + 7),
    );
    let header = 8;
    if (size === 1) {
      if (at + 16 > end) return;
      size = Number(view.getBigUint64(at + 8));
      header = 16;
    } else if (size === 0) {
      size = end - at;
    }
    if (size < header || at + size > end) return;
    yield { type, start: at + header, end: at + size };
    at += size;
  }
}

function child(view: DataView, parent: Box, type: string): Box | undefined {
  for (const box of boxes(view, parent.start, parent.end)) if (box.type === type) return box;
  return undefined;
}

/** Duration (mvhd) and the first visual track's size (tkhd) of an MP4/MOV/M4A file. */
export function readIsoMediaInfo(bytes: Uint8Array): { duration?: number; width?: number; height?: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    let moov: Box | undefined;
    for (const box of boxes(view, 0, bytes.byteLength)) if (box.type === "moov") moov = box;
    if (!moov) return {};
    const info: { duration?: number; width?: number; height?: number } = {};
    const mvhd = child(view, moov, "mvhd");
    if (mvhd) {
      const v1 = view.getUint8(mvhd.start) === 1;
      const timescale = view.getUint32(mvhd.start + (v1 ? 20 : 12));
      const units = v1 ? Number(view.getBigUint64(mvhd.start + 24)) : view.getUint32(mvhd.start + 16);
      if (timescale > 0) info.duration = Math.round((units / timescale) * 1000) / 1000;
    }
    for (const trak of boxes(view, moov.start, moov.end)) {
      if (trak.type !== "trak") continue;
      const tkhd = child(view, trak, "tkhd");
      if (!tkhd) continue;
      const offset = view.getUint8(tkhd.start) === 1 ? 88 : 76;
      if (tkhd.start + offset + 8 > tkhd.end) continue;
      // 16.16 fixed point.
      const width = view.getUint32(tkhd.start + offset) >>> 16;
      const height = view.getUint32(tkhd.start + offset + 4) >>> 16;
      if (width > 0 && height > 0) {
        info.width = width;
        info.height = height;
        break;
      }
    }
    return info;
  } catch {
    // A truncated or odd container: we store it anyway, just without meta.
    return {};
  }
}

/** Mastodon-style meta for audio/video we do not transcode; only what ISO media headers give cheaply. */
export function audioVideoMeta(bytes: Uint8Array, detected: Detected): { original?: MetaDetails } {
  const isIsoMedia = ftypBrands(bytes.subarray(0, 64)) !== null;
  if (!isIsoMedia) return {};
  const info = readIsoMediaInfo(bytes);
  const original: MetaDetails = {};
  if (detected.kind === "video" && info.width && info.height) {
    if (info.width * info.height > LIMITS.videoMatrixLimit) {
      throw new ApiError(422, `${info.width}x${info.height} videos are not supported`);
    }
    Object.assign(original, metaDetails(info.width, info.height));
  }
  if (info.duration) {
    original.duration = info.duration;
    original.bitrate = Math.round((bytes.byteLength * 8) / info.duration);
  }
  return Object.keys(original).length > 0 ? { original } : {};
}
