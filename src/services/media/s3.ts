/** Media in S3 or any S3-compatible store (MinIO, R2, Garage, s3rver, ...). */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import type { Config } from "../../config.ts";
import type { MediaStore } from "./port.ts";

/**
 * Rejects keys that would mean something else once they are in a URL: a
 * client resolves `.`/`..` segments, so `a/../b` would be fetched from `b`.
 * (The disk store likewise refuses keys that escape its directory.)
 */
function checkKey(key: string): string {
  if (key === "" || key.split("/").some((s) => s === "" || s === "." || s === "..")) {
    throw new Error(`invalid media key: ${key}`);
  }
  return key;
}

const encodeKey = (key: string) => key.split("/").map(encodeURIComponent).join("/");

function publicBase(s3: NonNullable<Config["s3"]>): string {
  if (s3.publicUrl) return s3.publicUrl;
  if (s3.endpoint) return `${s3.endpoint.replace(/\/+$/, "")}/${s3.bucket}`;
  // AWS's wildcard certificate covers one label only, so dotted bucket names
  // are unreachable over HTTPS as virtual hosts; the SDK itself falls back to
  // path style for them.
  return s3.bucket.includes(".")
    ? `https://s3.${s3.region}.amazonaws.com/${s3.bucket}`
    : `https://${s3.bucket}.s3.${s3.region}.amazonaws.com`;
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === "NoSuchKey" || e?.name === "NotFound" || e?.$metadata?.httpStatusCode === 404;
}

export function createS3MediaStore(_config: Config, s3: NonNullable<Config["s3"]>): MediaStore {
  const options: S3ClientConfig = { region: s3.region };
  if (s3.endpoint) {
    options.endpoint = s3.endpoint;
    // Most S3-compatible stores do not route virtual-hosted bucket names.
    options.forcePathStyle = true;
    // Newer SDKs add CRC checksums to every request by default, which several
    // S3-compatible stores reject; only send them where S3 requires them.
    options.requestChecksumCalculation = "WHEN_REQUIRED";
    options.responseChecksumValidation = "WHEN_REQUIRED";
  }
  if (s3.accessKeyId && s3.secretAccessKey) {
    options.credentials = { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey };
  }
  // Otherwise the SDK's default chain applies (instance roles, profiles, ...).
  const client = new S3Client(options);
  const base = publicBase(s3);

  return {
    kind: "s3",
    async put(key, bytes, contentType) {
      await client.send(
        new PutObjectCommand({ Bucket: s3.bucket, Key: checkKey(key), Body: bytes, ContentType: contentType }),
      );
    },
    async get(key) {
      try {
        const res = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: checkKey(key) }));
        if (!res.Body) return null;
        return {
          bytes: await res.Body.transformToByteArray(),
          contentType: res.ContentType ?? "application/octet-stream",
        };
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    },
    async delete(key) {
      // S3 deletes are idempotent: a missing key is not an error.
      await client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: checkKey(key) }));
    },
    publicUrl: (key) => `${base}/${encodeKey(checkKey(key))}`,
    async close() {
      client.destroy();
    },
  };
}
