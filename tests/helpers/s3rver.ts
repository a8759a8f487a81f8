/**
 * s3rver, a local S3 for the media tests. It ships no type declarations (and
 * there is no @types package in the project); requiring it keeps
 * `tsc --noEmit` clean without an ambient .d.ts.
 */
import { createRequire } from "node:module";

export interface S3rver {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}

export const S3rver = createRequire(import.meta.url)("s3rver") as new (options: {
  address?: string;
  port?: number;
  silent?: boolean;
  directory: string;
}) => S3rver;
