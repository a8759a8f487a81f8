/**
 * Media over HTTP: uploads (v1 and v2), the MediaAttachment entity, the
 * stored renditions as clients fetch them (disk under /system/, and S3 via
 * s3rver), description/focus updates, deletion, the 422s, ownership, avatars
 * and headers through update_credentials, and media on statuses.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { isBlurhashValid } from "blurhash";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { startServer, type TestServer } from "./helpers/server.ts";
import { api, authorizeWithPassword, randomIp, registerApp, signUp } from "./helpers/client.ts";
import { assertEntity } from "./helpers/openapi.ts";
import { S3rver } from "./helpers/s3rver.ts";

// ---------------------------------------------------------------------------
// Generated test files

const solid = (width: number, height: number, channels: 3 | 4 = 3) =>
  sharp({ create: { width, height, channels, background: { r: 40, g: 120, b: 200, alpha: 1 } } });

const png = async (width: number, height: number) => new Uint8Array(await solid(width, height).png().toBuffer());

/** A JPEG stored 300×200 whose EXIF says "rotate 90°" (as phones write them), with a GPS-free but present EXIF block. */
const rotatedJpeg = async () =>
  new Uint8Array(await solid(300, 200).jpeg().withMetadata({ orientation: 6 }).toBuffer());

async function animatedGif(): Promise<Uint8Array> {
  const frame = (r: number) =>
    sharp({ create: { width: 60, height: 40, channels: 4, background: { r, g: 0, b: 0, alpha: 1 } } }).png().toBuffer();
  return new Uint8Array(await sharp([await frame(255), await frame(0)], { join: { animated: true } }).gif().toBuffer());
}

/** An ISO box: 32-bit size, type, payload. */
function box(type: string, ...parts: Uint8Array[]): Uint8Array {
  const size = 8 + parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(size);
  new DataView(out.buffer).setUint32(0, size);
  out.set(new TextEncoder().encode(type), 4);
  let at = 8;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The smallest MP4 our reader understands: ftyp, moov (mvhd: 3 s; trak/tkhd: 640×360) and some mdat. */
function tinyMp4(): Uint8Array {
  const ftyp = box("ftyp", new TextEncoder().encode("isom\0\0\x02\0isomiso2mp41"));
  const mvhd = new Uint8Array(100);
  const mv = new DataView(mvhd.buffer);
  mv.setUint32(12, 1000); // timescale
  mv.setUint32(16, 3000); // duration: 3 s
  const tkhd = new Uint8Array(84);
  const tk = new DataView(tkhd.buffer);
  tk.setUint32(76, 640 << 16);
  tk.setUint32(80, 360 << 16);
  const moov = box("moov", box("mvhd", mvhd), box("trak", box("tkhd", tkhd)));
  const mdat = box("mdat", new Uint8Array(4000).map((_, i) => i % 256));
  const out = new Uint8Array(ftyp.length + moov.length + mdat.length);
  out.set(ftyp, 0);
  out.set(moov, ftyp.length);
  out.set(mdat, ftyp.length + moov.length);
  return out;
}

function upload(bytes: Uint8Array, type: string, name: string, extra: Record<string, string | Blob> = {}): FormData {
  const form = new FormData();
  form.set("file", new Blob([bytes as Uint8Array<ArrayBuffer>], { type }), name);
  for (const [key, value] of Object.entries(extra)) form.set(key, value);
  return form;
}

async function fetchImage(url: string) {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const metadata = await sharp(bytes).metadata();
  return { response, bytes, metadata };
}

// ---------------------------------------------------------------------------

let server: TestServer;
let alice: string;
let bob: string;
let aliceId: string;

beforeAll(async () => {
  server = await startServer();
  const a = await signUp(server, { username: "alice" });
  alice = a.token;
  aliceId = a.accountId!;
  bob = (await signUp(server, { username: "bob" })).token;
}, 60_000);

afterAll(() => server?.stop());

describe("POST /api/v2/media and /api/v1/media", () => {
  test("a PNG: 200 with a MediaAttachment whose url and preview_url serve the image and its preview", async () => {
    const response = await api(server, alice).post("/api/v2/media", upload(await png(2000, 1000), "image/png", "wide.png"));
    expect(response.status).toBe(200);
    const media = response.body;
    assertEntity("MediaAttachment", media);
    expect(media).toMatchObject({
      type: "image",
      remote_url: null,
      preview_remote_url: null,
      text_url: null,
      description: null,
      meta: {
        original: { width: 2000, height: 1000, size: "2000x1000", aspect: 2 },
        // Mastodon's preview budget: 640×360 worth of pixels.
        small: { width: 678, height: 339, size: "678x339", aspect: 2 },
      },
    });
    expect(media.id).toMatch(/^\d+$/);
    expect(media.url).toBe(`${server.url}/system/media_attachments/${media.id}/original.png`);
    expect(media.preview_url).toBe(`${server.url}/system/media_attachments/${media.id}/small.png`);
    expect(isBlurhashValid(media.blurhash).result).toBe(true);

    const original = await fetchImage(media.url);
    expect(original.response.headers.get("content-type")).toBe("image/png");
    expect(original.response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(original.response.headers.get("cache-control")).toContain("max-age");
    expect([original.metadata.format, original.metadata.width, original.metadata.height]).toEqual(["png", 2000, 1000]);
    const small = await fetchImage(media.preview_url);
    expect([small.metadata.width, small.metadata.height]).toEqual([678, 339]);
  });

  test("a JPEG is auto-oriented and its EXIF stripped (v1 endpoint)", async () => {
    const response = await api(server, alice).post("/api/v1/media", upload(await rotatedJpeg(), "image/jpeg", "phone.jpg"));
    expect(response.status).toBe(200);
    assertEntity("MediaAttachment", response.body);
    expect(response.body.meta.original).toMatchObject({ width: 200, height: 300 });
    expect(response.body.url).toEndWith("/original.jpg");
    const original = await fetchImage(response.body.url);
    expect(original.response.headers.get("content-type")).toBe("image/jpeg");
    expect([original.metadata.format, original.metadata.width, original.metadata.height]).toEqual(["jpeg", 200, 300]);
    expect(original.metadata.exif).toBeUndefined();
    expect(original.metadata.orientation).toBeUndefined();
  });

  test("images above Mastodon's 3840×2160 pixel budget are scaled down, keeping the aspect ratio", async () => {
    const response = await api(server, alice).post("/api/v2/media", upload(await png(4000, 3000), "image/png", "big.png"));
    expect(response.status).toBe(200);
    const { width, height } = response.body.meta.original;
    expect(width * height).toBeLessThanOrEqual(3840 * 2160);
    expect(width * height).toBeGreaterThan(3840 * 2160 * 0.99);
    expect(Math.abs(width / height - 4 / 3)).toBeLessThan(0.01);
    const original = await fetchImage(response.body.url);
    expect([original.metadata.width, original.metadata.height]).toEqual([width, height]);
  });

  test("a PNG declared as application/octet-stream is recognised by its bytes", async () => {
    const response = await api(server, alice).post("/api/v2/media", upload(await png(10, 10), "application/octet-stream", "x"));
    expect(response.status).toBe(200);
    expect(response.body.type).toBe("image");
  });

  test("an animated GIF stays an animated image with a still PNG preview", async () => {
    const response = await api(server, alice).post("/api/v2/media", upload(await animatedGif(), "image/gif", "anim.gif"));
    expect(response.status).toBe(200);
    assertEntity("MediaAttachment", response.body);
    expect(response.body.type).toBe("image");
    expect(response.body.meta.original).toMatchObject({ width: 60, height: 40 });
    const original = await fetchImage(response.body.url);
    expect([original.metadata.format, original.metadata.pages]).toEqual(["gif", 2]);
    const small = await fetchImage(response.body.preview_url);
    expect(small.metadata.format).toBe("png");
  });

  test("description and focus are stored and rendered", async () => {
    const response = await api(server, alice).post(
      "/api/v2/media",
      upload(await png(40, 30), "image/png", "a.png", { description: "  A blue square  ", focus: "-0.5,0.25" }),
    );
    expect(response.status).toBe(200);
    expect(response.body.description).toBe("A blue square");
    expect(response.body.meta.focus).toEqual({ x: -0.5, y: 0.25 });
  });

  test("a video is stored as uploaded, with what its header says, and served with ranges", async () => {
    const mp4 = tinyMp4();
    const response = await api(server, alice).post("/api/v2/media", upload(mp4, "video/mp4", "clip.mp4"));
    expect(response.status).toBe(200);
    assertEntity("MediaAttachment", response.body);
    expect(response.body.type).toBe("video");
    expect(response.body.url).toEndWith("/original.mp4");
    expect(response.body.preview_url).toBeNull();
    expect(response.body.meta.original).toMatchObject({ width: 640, height: 360, aspect: 640 / 360, duration: 3 });

    const whole = await fetch(response.body.url);
    expect(whole.headers.get("content-type")).toBe("video/mp4");
    expect(Array.from(new Uint8Array(await whole.arrayBuffer()))).toEqual(Array.from(mp4));
    const head = await fetch(response.body.url, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(mp4.length));
    expect(head.headers.get("accept-ranges")).toBe("bytes");
    const part = await fetch(response.body.url, { headers: { range: "bytes=4-11" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 4-11/${mp4.length}`);
    expect(new TextDecoder().decode(await part.arrayBuffer())).toBe("ftypisom");
    const tail = await fetch(response.body.url, { headers: { range: "bytes=-4" } });
    expect(tail.headers.get("content-range")).toBe(`bytes ${mp4.length - 4}-${mp4.length - 1}/${mp4.length}`);
    await tail.arrayBuffer();
    const outside = await fetch(response.body.url, { headers: { range: `bytes=${mp4.length}-` } });
    expect(outside.status).toBe(416);
  });

  test("a video with a client thumbnail gets it as its preview", async () => {
    const response = await api(server, alice).post(
      "/api/v2/media",
      upload(tinyMp4(), "video/mp4", "clip.mp4", { thumbnail: new Blob([await png(1280, 720)], { type: "image/png" }) }),
    );
    expect(response.status).toBe(200);
    expect(response.body.preview_url).toContain(`/media_attachments/${response.body.id}/small.png`);
    expect(response.body.meta.small).toMatchObject({ width: 640, height: 360 });
    expect(isBlurhashValid(response.body.blurhash).result).toBe(true);
    const small = await fetchImage(response.body.preview_url);
    expect([small.metadata.width, small.metadata.height]).toEqual([640, 360]);
  });

  test("audio is stored as audio", async () => {
    const mp3 = new Uint8Array([...new TextEncoder().encode("ID3"), 4, 0, 0, 0, 0, 0, 0, ...new Array(200).fill(0)]);
    const response = await api(server, alice).post("/api/v2/media", upload(mp3, "audio/mpeg", "song.mp3"));
    expect(response.status).toBe(200);
    assertEntity("MediaAttachment", response.body);
    expect(response.body.type).toBe("audio");
    expect(response.body.url).toEndWith("/original.mp3");
  });

  describe("invalid uploads are 422 and store nothing", () => {
    const cases: [string, () => Promise<FormData>, RegExp][] = [
      ["a text file", async () => upload(new TextEncoder().encode("hello, world\n"), "text/plain", "a.txt"), /content type is invalid/],
      [
        "a corrupt PNG",
        async () => {
          const bytes = await png(60, 40);
          for (let i = 40; i < bytes.length - 12; i++) bytes[i] = i % 251;
          return upload(bytes, "image/png", "broken.png");
        },
        /could not be verified/,
      ],
      ["a truncated PNG", async () => upload((await png(60, 40)).subarray(0, 60), "image/png", "cut.png"), /could not be verified/],
      ["bytes that claim to be a PNG", async () => upload(new Uint8Array(100).fill(7), "image/png", "x.png"), /could not be verified/],
      [
        "a description over 1500 characters",
        async () => upload(await png(10, 10), "image/png", "a.png", { description: "x".repeat(1501) }),
        /Description is too long/,
      ],
      ["a focus outside -1..1", async () => upload(await png(10, 10), "image/png", "a.png", { focus: "2,0" }), /Focus/],
      ["a focus that is not two numbers", async () => upload(await png(10, 10), "image/png", "a.png", { focus: "left" }), /Focus/],
      [
        "no file",
        async () => {
          const form = new FormData();
          form.set("description", "nothing here");
          return form;
        },
        /File can't be blank/,
      ],
      [
        "an image over the 7680×4320 matrix limit",
        async () => upload(await png(8000, 5000), "image/png", "huge.png"),
        /8000x5000 images are not supported/,
      ],
    ];
    for (const [name, form, message] of cases) {
      test(name, async () => {
        const response = await api(server, alice).post("/api/v2/media", await form());
        expect(response.status).toBe(422);
        expect(response.body.error).toMatch(message);
      });
    }

    test("an image over 16 MB", async () => {
      // Random pixels do not compress: a 2400×2400 RGB PNG is over 16 MB.
      const noise = new Uint8Array(2400 * 2400 * 3);
      for (let i = 0; i < noise.length; i += 65536) crypto.getRandomValues(noise.subarray(i, i + 65536));
      const bytes = new Uint8Array(
        await sharp(noise, { raw: { width: 2400, height: 2400, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer(),
      );
      expect(bytes.length).toBeGreaterThan(16 * 1024 * 1024);
      const response = await api(server, alice).post("/api/v2/media", upload(bytes, "image/png", "noise.png"));
      expect(response.status).toBe(422);
      expect(response.body.error).toBe("Validation failed: File file size must be less than 16 MB");
    });

    test("JSON without a file", async () => {
      const response = await api(server, alice).post("/api/v1/media", { description: "no file" });
      expect(response.status).toBe(422);
    });
  });

  test("needs a token with write:media", async () => {
    expect((await api(server).post("/api/v2/media", upload(await png(10, 10), "image/png", "a.png"))).status).toBe(401);
    const app = await registerApp(server, { scopes: "read write:statuses" });
    const readOnly = await authorizeWithPassword(server, app, {
      login: "alice@example.com",
      password: "correct horse battery staple",
      scopes: "read write:statuses",
      headers: { "x-forwarded-for": randomIp() },
    });
    const response = await api(server, readOnly).post("/api/v2/media", upload(await png(10, 10), "image/png", "a.png"));
    expect(response.status).toBe(403);
  });
});

describe("GET, PUT and DELETE /api/v1/media/:id", () => {
  let mediaId: string;
  let mediaUrl: string;

  beforeAll(async () => {
    const response = await api(server, alice).post("/api/v2/media", upload(await png(64, 48), "image/png", "a.png"));
    mediaId = response.body.id;
    mediaUrl = response.body.url;
  });

  test("the owner reads it", async () => {
    const response = await api(server, alice).get(`/api/v1/media/${mediaId}`);
    expect(response.status).toBe(200);
    assertEntity("MediaAttachment", response.body);
    expect(response.body.id).toBe(mediaId);
  });

  test("other users, and ids that are not ids, get 404", async () => {
    expect((await api(server, bob).get(`/api/v1/media/${mediaId}`)).status).toBe(404);
    expect((await api(server, bob).put(`/api/v1/media/${mediaId}`, { description: "mine now" })).status).toBe(404);
    expect((await api(server, bob).delete(`/api/v1/media/${mediaId}`)).status).toBe(404);
    for (const id of ["abc", "99999999999999999999", "1"]) {
      expect((await api(server, alice).get(`/api/v1/media/${id}`)).status).toBe(404);
    }
    expect((await api(server, alice).get(`/api/v1/media/${mediaId}`)).body.description).toBeNull();
  });

  test("PUT changes description and focus; invalid values are 422 and change nothing", async () => {
    const updated = await api(server, alice).put(`/api/v1/media/${mediaId}`, { description: "A chart", focus: "0.1,-0.9" });
    expect(updated.status).toBe(200);
    assertEntity("MediaAttachment", updated.body);
    expect(updated.body.description).toBe("A chart");
    expect(updated.body.meta.focus).toEqual({ x: 0.1, y: -0.9 });
    expect(updated.body.meta.original).toMatchObject({ width: 64, height: 48 });

    const tooLong = await api(server, alice).put(`/api/v1/media/${mediaId}`, { description: "y".repeat(1501) });
    expect(tooLong.status).toBe(422);
    const badFocus = await api(server, alice).put(`/api/v1/media/${mediaId}`, { description: "Other", focus: "0,3" });
    expect(badFocus.status).toBe(422);
    const after = await api(server, alice).get(`/api/v1/media/${mediaId}`);
    expect(after.body.description).toBe("A chart");

    // Multipart, as most clients send it.
    const form = new FormData();
    form.set("description", "");
    const cleared = await api(server, alice).put(`/api/v1/media/${mediaId}`, form);
    expect(cleared.body.description).toBeNull();
  });

  test("PUT with a new thumbnail replaces the preview", async () => {
    const before = (await api(server, alice).get(`/api/v1/media/${mediaId}`)).body;
    const form = new FormData();
    form.set("thumbnail", new Blob([await png(320, 320)], { type: "image/png" }), "t.png");
    const response = await api(server, alice).put(`/api/v1/media/${mediaId}`, form);
    expect(response.status).toBe(200);
    expect(response.body.preview_url).not.toBe(before.preview_url);
    expect(response.body.meta.small).toMatchObject({ width: 320, height: 320 });
    expect((await fetch(before.preview_url)).status).toBe(404);
    const small = await fetchImage(response.body.preview_url);
    expect(small.metadata.width).toBe(320);
  });

  test("DELETE removes the row and the files", async () => {
    const response = await api(server, alice).delete(`/api/v1/media/${mediaId}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({});
    expect((await api(server, alice).get(`/api/v1/media/${mediaId}`)).status).toBe(404);
    expect((await fetch(mediaUrl)).status).toBe(404);
    expect((await api(server, alice).delete(`/api/v1/media/${mediaId}`)).status).toBe(404);
  });
});

describe("GET /system/*", () => {
  test("unknown keys and path traversal are 404", async () => {
    for (const path of [
      "/system/media_attachments/1/original.png",
      "/system/%2e%2e/%2e%2e/etc/passwd",
      "/system/media_attachments/..%2f..%2f..%2fetc/passwd",
      "/system/",
    ]) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status).toBe(404);
      await response.arrayBuffer();
    }
  });
});

describe("avatar and header", () => {
  test("update_credentials takes both (multipart); they are cropped and served; a new one replaces the old file", async () => {
    const form = new FormData();
    form.set("display_name", "Alice");
    form.set("avatar", new Blob([await rotatedJpeg()], { type: "image/jpeg" }), "me.jpg");
    form.set("header", new Blob([await png(3000, 2000)], { type: "image/png" }), "banner.png");
    const response = await api(server, alice).patch("/api/v1/accounts/update_credentials", form);
    expect(response.status).toBe(200);
    assertEntity("CredentialAccount", response.body);
    expect(response.body.display_name).toBe("Alice");
    const { avatar, header } = response.body;
    expect(response.body.avatar_static).toBe(avatar);
    expect(response.body.header_static).toBe(header);
    const avatarImage = await fetchImage(avatar);
    expect([avatarImage.metadata.format, avatarImage.metadata.width, avatarImage.metadata.height]).toEqual(["jpeg", 400, 400]);
    expect(avatarImage.metadata.exif).toBeUndefined();
    const headerImage = await fetchImage(header);
    expect([headerImage.metadata.width, headerImage.metadata.height]).toEqual([1500, 500]);
    expect((await api(server).get(`/api/v1/accounts/${aliceId}`)).body.avatar).toBe(avatar);

    const again = new FormData();
    again.set("avatar", new Blob([await png(100, 100)], { type: "image/png" }), "new.png");
    const replaced = await api(server, alice).patch("/api/v1/accounts/update_credentials", again);
    expect(replaced.status).toBe(200);
    expect(replaced.body.avatar).not.toBe(avatar);
    expect(replaced.body.header).toBe(header);
    expect((await fetch(avatar)).status).toBe(404);
    expect((await fetchImage(replaced.body.avatar)).metadata.format).toBe("png");
  });

  test("a text file as avatar is 422 and changes nothing", async () => {
    const before = (await api(server, alice).get("/api/v1/accounts/verify_credentials")).body;
    const form = new FormData();
    form.set("display_name", "Changed");
    form.set("avatar", new Blob(["not an image"], { type: "text/plain" }), "a.txt");
    const response = await api(server, alice).patch("/api/v1/accounts/update_credentials", form);
    expect(response.status).toBe(422);
    expect(response.body.error).toMatch(/Avatar content type is invalid/);
    expect((await api(server, alice).get("/api/v1/accounts/verify_credentials")).body).toEqual(before);
  });

  test("DELETE /api/v1/profile/avatar and /header bring the defaults back", async () => {
    const current = (await api(server, alice).get("/api/v1/accounts/verify_credentials")).body;
    const response = await api(server, alice).delete("/api/v1/profile/avatar");
    expect(response.status).toBe(200);
    assertEntity("CredentialAccount", response.body);
    expect(response.body.avatar).toBe(`${server.url}/avatars/original/missing.png`);
    expect(response.body.header).toBe(current.header);
    expect((await fetch(current.avatar)).status).toBe(404);
    const header = await api(server, alice).delete("/api/v1/profile/header");
    expect(header.body.header).toBe(`${server.url}/headers/original/missing.png`);
  });
});

describe("media on statuses", () => {
  const post = (token: string, body: Record<string, unknown>) => api(server, token).post("/api/v1/statuses", body);
  const newMedia = async (token = alice, extra: Record<string, string> = {}) =>
    (await api(server, token).post("/api/v2/media", upload(await png(80, 60), "image/png", "a.png", extra))).body.id as string;

  test("media_ids attach media, rendered with the status; attached media can no longer be edited or deleted", async () => {
    const first = await newMedia(alice, { description: "first", focus: "0.5,0.5" });
    const second = await newMedia();
    const response = await post(alice, { status: "Look", media_ids: [first, second] });
    expect(response.status).toBe(200);
    assertEntity("Status", response.body);
    const attachments = response.body.media_attachments;
    expect(attachments.map((m: { id: string }) => m.id)).toEqual([first, second]);
    for (const media of attachments) assertEntity("MediaAttachment", media);
    expect(attachments[0]).toMatchObject({ description: "first", meta: { focus: { x: 0.5, y: 0.5 } } });
    expect(attachments[0].preview_url).toContain("/small.png");
    expect((await fetchImage(attachments[0].url)).metadata.width).toBe(80);

    const shown = await api(server, alice).get(`/api/v1/statuses/${response.body.id}`);
    expect(shown.body.media_attachments.map((m: { id: string }) => m.id)).toEqual([first, second]);

    expect((await api(server, alice).get(`/api/v1/media/${first}`)).status).toBe(404);
    expect((await api(server, alice).put(`/api/v1/media/${first}`, { description: "late" })).status).toBe(404);
    const deleting = await api(server, alice).delete(`/api/v1/media/${first}`);
    expect(deleting.status).toBe(422);
    expect((await fetch(attachments[0].url)).status).toBe(200);

    // Already attached: another post cannot take it.
    const reuse = await post(alice, { status: "Again", media_ids: [first] });
    expect(reuse.status).toBe(422);
  });

  test("someone else's media, unknown ids and more than four are 422", async () => {
    const bobs = await newMedia(bob);
    expect((await post(alice, { status: "Not mine", media_ids: [bobs] })).status).toBe(422);
    expect((await post(alice, { status: "Unknown", media_ids: ["123456789"] })).status).toBe(422);
    const five = await Promise.all([1, 2, 3, 4, 5].map(() => newMedia()));
    expect((await post(alice, { status: "Too many", media_ids: five })).status).toBe(422);
    // The refused posts attached nothing.
    expect((await api(server, bob).get(`/api/v1/media/${bobs}`)).status).toBe(200);
    expect((await api(server, alice).get(`/api/v1/media/${five[0]}`)).status).toBe(200);
  });

  test("a post with only media needs no text", async () => {
    const response = await post(alice, { media_ids: [await newMedia()] });
    expect(response.status).toBe(200);
    expect(response.body.media_attachments).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------
// S3: the same upload with the server configured for a bucket (s3rver)

describe("with S3 storage (s3rver)", () => {
  const bucket = "fedisky-uploads";
  let directory: string;
  let s3rver: S3rver;
  let endpoint: string;
  let s3Server: TestServer;
  let token: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "fedisky-media-api-"));
    s3rver = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory });
    const { port } = await s3rver.run();
    endpoint = `http://127.0.0.1:${port}`;
    const admin = new S3Client({
      endpoint,
      forcePathStyle: true,
      region: "us-east-1",
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    });
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    admin.destroy();
    s3Server = await startServer({
      env: {
        S3_ENDPOINT: endpoint,
        S3_BUCKET: bucket,
        AWS_ACCESS_KEY_ID: "S3RVER",
        AWS_SECRET_ACCESS_KEY: "S3RVER",
      },
    });
    token = (await signUp(s3Server, { username: "carol" })).token;
  }, 60_000);

  afterAll(async () => {
    await s3Server?.stop();
    await s3rver?.close();
    await rm(directory, { recursive: true, force: true });
  });

  test("uploads land in the bucket and the URLs point there", async () => {
    const response = await api(s3Server, token).post("/api/v2/media", upload(await png(300, 200), "image/png", "s3.png"));
    expect(response.status).toBe(200);
    assertEntity("MediaAttachment", response.body);
    const { id, url, preview_url } = response.body;
    expect(url).toBe(`${endpoint}/${bucket}/media_attachments/${id}/original.png`);
    expect(preview_url).toBe(`${endpoint}/${bucket}/media_attachments/${id}/small.png`);
    const original = await fetchImage(url);
    expect(original.response.headers.get("content-type")).toBe("image/png");
    expect([original.metadata.width, original.metadata.height]).toEqual([300, 200]);
    // /system/ is only for disk storage.
    expect((await fetch(`${s3Server.url}/system/media_attachments/${id}/original.png`)).status).toBe(404);

    expect((await api(s3Server, token).delete(`/api/v1/media/${id}`)).status).toBe(200);
    expect((await fetch(url)).status).toBe(404);
  });
});
