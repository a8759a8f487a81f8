import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type Config } from "../src/config.ts";
import { createDiskMediaStore } from "../src/services/media/disk.ts";
import type { MediaStore } from "../src/services/media/port.ts";
import { createS3MediaStore } from "../src/services/media/s3.ts";
import { S3rver } from "./helpers/s3rver.ts";

// Zero and 0xff bytes catch any accidental text decoding on the way through.
const BYTES = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The behaviour every MediaStore must share, whatever it stores bytes in. */
function contract(open: () => MediaStore, expectedUrl: (key: string) => string) {
  let store: MediaStore;
  beforeAll(() => {
    store = open();
  });
  afterAll(() => store.close());

  test("put then get round-trips bytes and content type", async () => {
    const key = "media_attachments/1/original.png";
    await store.put(key, BYTES, "image/png");
    const got = await store.get(key);
    expect(got).not.toBeNull();
    expect(got!.contentType).toBe("image/png");
    expect(Array.from(got!.bytes)).toEqual(Array.from(BYTES));
  });

  test("put overwrites an existing key", async () => {
    const key = "media_attachments/2/original.bin";
    await store.put(key, new Uint8Array([1]), "application/octet-stream");
    await store.put(key, new Uint8Array([2, 3]), "image/webp");
    const got = await store.get(key);
    expect(Array.from(got!.bytes)).toEqual([2, 3]);
    expect(got!.contentType).toBe("image/webp");
  });

  test("get of a missing key is null", async () => {
    expect(await store.get("media_attachments/404/none.png")).toBeNull();
  });

  test("delete removes the key and tolerates a missing one", async () => {
    const key = "media_attachments/3/original.jpg";
    await store.put(key, BYTES, "image/jpeg");
    await store.delete(key);
    expect(await store.get(key)).toBeNull();
    await store.delete(key);
  });

  test("publicUrl is an absolute URL ending in the key", () => {
    const key = "media_attachments/1/original.png";
    const url = store.publicUrl(key);
    expect(url).toBe(expectedUrl(key));
    expect(new URL(url).pathname.endsWith(`/${key}`)).toBe(true);
  });

  test("keys that climb out with ../ are refused", async () => {
    for (const key of ["../escape.png", "media_attachments/../../escape.png"]) {
      await expect(store.put(key, BYTES, "image/png")).rejects.toThrow();
      await expect(store.get(key)).rejects.toThrow();
      await expect(store.delete(key)).rejects.toThrow();
    }
  });
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "fedisky-media-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("disk media store", () => {
  let config: Config;
  beforeAll(() => {
    config = loadConfig({ DATA_DIR: join(tmp, "data"), PUBLIC_URL: "https://social.example" });
  });
  contract(
    () => createDiskMediaStore(config),
    (key) => `https://social.example/system/${key}`,
  );

  test("a traversal attempt leaves nothing outside the media directory", async () => {
    const store = createDiskMediaStore(config);
    await expect(store.put("../outside.png", BYTES, "image/png")).rejects.toThrow(/escapes/);
    expect(await Bun.file(join(config.dataDir, "outside.png")).exists()).toBe(false);
  });
});

// s3rver runs in-process under Bun (checked with s3rver 3.7.1 / Bun 1.4), so
// no Node child process is needed.
describe("S3 media store (s3rver)", () => {
  const bucket = "fedisky-media";
  let server: S3rver;
  let endpoint: string;
  let s3: NonNullable<Config["s3"]>;
  let config: Config;

  beforeAll(async () => {
    server = new S3rver({
      address: "127.0.0.1",
      port: 0, // an ephemeral port, so parallel runs do not collide
      silent: true,
      directory: join(tmp, "s3rver"),
    });
    const { port } = await server.run();
    endpoint = `http://127.0.0.1:${port}`;
    config = loadConfig({
      DATA_DIR: join(tmp, "data-s3"),
      S3_ENDPOINT: endpoint,
      S3_BUCKET: bucket,
      // s3rver's fixed credentials; it checks signatures.
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
    });
    s3 = config.s3!;
    // Create the bucket through the API rather than configureBuckets, which
    // also exercises the SDK-against-s3rver path before the store uses it.
    const admin = new S3Client({
      endpoint,
      forcePathStyle: true,
      region: s3.region,
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    });
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    admin.destroy();
  });
  afterAll(async () => {
    await server?.close();
  });

  contract(
    () => createS3MediaStore(config, s3),
    (key) => `${endpoint}/${bucket}/${key}`,
  );

  test("publicUrl without an endpoint is the virtual-hosted AWS URL", () => {
    const aws = loadConfig({ S3_BUCKET: "my-bucket", S3_REGION: "eu-west-1" });
    const store = createS3MediaStore(aws, aws.s3!);
    expect(store.publicUrl("a/b c.png")).toBe("https://my-bucket.s3.eu-west-1.amazonaws.com/a/b%20c.png");
    store.close();
  });

  test("S3_PUBLIC_URL overrides the URL clients fetch from", () => {
    const cdn = loadConfig({ S3_BUCKET: "my-bucket", S3_PUBLIC_URL: "https://cdn.example/media/" });
    const store = createS3MediaStore(cdn, cdn.s3!);
    expect(store.publicUrl("a/b.png")).toBe("https://cdn.example/media/a/b.png");
    store.close();
  });
});
