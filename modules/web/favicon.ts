/** A generated favicon: a 32×32 square in the instance colour, as an ICO wrapping a PNG (so no binary asset ships). */
import { solidPng } from "../instance/images.ts";

let cached: Uint8Array<ArrayBuffer> | null = null;

export function favicon(): Uint8Array<ArrayBuffer> {
  if (cached) return cached;
  const png = solidPng(32, 32, [0x56, 0x3a, 0xcc, 0xff]);
  const ico = new Uint8Array(6 + 16 + png.length);
  const view = new DataView(ico.buffer);
  view.setUint16(2, 1, true); // type: icon
  view.setUint16(4, 1, true); // one image
  ico[6] = 32; // width
  ico[7] = 32; // height
  view.setUint16(10, 1, true); // colour planes
  view.setUint16(12, 32, true); // bits per pixel
  view.setUint32(14, png.length, true);
  view.setUint32(18, 22, true); // offset of the image data
  ico.set(png, 22);
  cached = ico;
  return ico;
}
