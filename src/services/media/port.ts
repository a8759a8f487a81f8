/**
 * Where uploaded and cached media bytes live: S3 (any S3-compatible store)
 * or the local disk under DATA_DIR. Keys are relative paths like
 * `media_attachments/123/original.png`; `publicUrl` says where clients fetch them.
 */
export interface MediaStore {
  readonly kind: "s3" | "disk";
  put(key: string, bytes: Uint8Array, contentType: string): Promise<void>;
  /** Null when the key does not exist. */
  get(key: string): Promise<{ bytes: Uint8Array; contentType: string } | null>;
  delete(key: string): Promise<void>;
  publicUrl(key: string): string;
  close(): Promise<void>;
}
