/**
 * The placeholder images Mastodon ships as static files (default avatar and
 * header, the instance thumbnail), drawn here as solid-colour PNGs so the
 * server needs no binary assets. Encoded once, on first request.
 */
import { deflateSync } from "node:zlib";

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A width × height PNG of one RGBA colour. */
export function solidPng(width: number, height: number, rgba: [number, number, number, number]): Uint8Array<ArrayBuffer> {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, deflate, no filter, no interlace
  const row = new Uint8Array(1 + width * 4); // leading 0: filter type "none"
  for (let x = 0; x < width; x++) row.set(rgba, 1 + x * 4);
  const raw = new Uint8Array(row.length * height);
  for (let y = 0; y < height; y++) raw.set(row, y * row.length);
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", new Uint8Array(deflateSync(raw))),
    chunk("IEND", new Uint8Array()),
  ];
  const png = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    png.set(part, offset);
    offset += part.length;
  }
  return png;
}

const IMAGES: Record<string, () => Uint8Array<ArrayBuffer>> = {
  "/avatars/original/missing.png": () => solidPng(120, 120, [0x9b, 0xae, 0xc8, 0xff]),
  // Transparent, so clients' own theme shows where there is no header.
  "/headers/original/missing.png": () => solidPng(1, 1, [0, 0, 0, 0]),
  "/images/thumbnail.png": () => solidPng(600, 315, [0x56, 0x3a, 0xcc, 0xff]),
};

export const IMAGE_PATHS = Object.keys(IMAGES);

const cache = new Map<string, Uint8Array<ArrayBuffer>>();

export function placeholderImage(path: string): Uint8Array<ArrayBuffer> {
  let png = cache.get(path);
  if (!png) {
    png = IMAGES[path]!();
    cache.set(path, png);
  }
  return png;
}
