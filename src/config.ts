/**
 * The server's configuration, read once from the environment.
 *
 * Every variable is parsed and validated here so that a typo fails at start
 * with a message naming the variable, instead of surfacing as a strange
 * runtime error hours later.
 */
import { resolve } from "node:path";

export type RegistrationsMode = "open" | "approval" | "closed";

export interface Config {
  port: number;
  /** Origin every emitted URL is built on; never the address a request came in on. */
  publicUrl: URL;
  /** Domain in handles (`@alice@LOCAL_DOMAIN`). */
  localDomain: string;
  dataDir: string;
  databaseUrl: string | null;
  redis:
    | { kind: "native"; url: string }
    | { kind: "upstash"; url: string; token: string }
    | { kind: "memory" };
  /** Prefix for every Redis key, so several instances can share one Redis. */
  redisKeyPrefix: string;
  clickhouseUrl: string | null;
  typesense: { url: string; apiKey: string } | null;
  s3: {
    endpoint: string | null;
    bucket: string;
    region: string;
    accessKeyId: string | null;
    secretAccessKey: string | null;
    /** Base URL clients fetch objects from (a CDN in front of the bucket); null derives it from endpoint/bucket. */
    publicUrl: string | null;
  } | null;
  workerId: number;
  workerCount: number;
  /** How long a worker's shard leases last without a heartbeat (src/workers/leases.ts). */
  workerLeaseSeconds: number;
  /** Interactive events a `bun run worker` process handles at once (in-process workers handle one, in order). */
  workerConcurrency: number;
  /** Followers above which an account's posts are merged into homes at read time instead of pushed. */
  fanoutMergeThreshold: number;
  registrations: RegistrationsMode;
  /** What /api/v1/instance tells clients about the server; contactEmail "" when unset, as Mastodon. */
  instance: { title: string; description: string; contactEmail: string };
  allowPrivateAddress: boolean;
  /** Serve actors, collections and statuses only to signed GETs (AUTHORIZED_FETCH). */
  authorizedFetch: boolean;
  /** Users who signed in within this many days receive fanout. */
  activeDays: number;
  /** Whether this process runs the background workers in-process. */
  inProcessWorkers: boolean;
  logLevel: "debug" | "info" | "warning" | "error";
}

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

function nonEmpty(env: Env, name: string): string | null {
  const value = env[name];
  return value === undefined || value.trim() === "" ? null : value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = nonEmpty(env, name);
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ConfigError(name, `expected a number from ${min} to ${max}, got ${value}`);
  }
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = nonEmpty(env, name);
  if (raw === null) return fallback;
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  throw new ConfigError(name, `expected true or false, got "${raw}"`);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = nonEmpty(env, name);
  if (raw === null) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `expected one of ${allowed.join(", ")}, got "${raw}"`);
  }
  return raw as T;
}

function url(env: Env, name: string, protocols: string[]): string | null {
  const raw = nonEmpty(env, name);
  if (raw === null) return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `not a valid URL: "${raw}"`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `expected a ${protocols.join(" or ")} URL, got "${raw}"`);
  }
  return raw;
}

function requireTogether(env: Env, names: string[]): void {
  const present = names.filter((n) => nonEmpty(env, n) !== null);
  if (present.length > 0 && present.length < names.length) {
    const missing = names.filter((n) => !present.includes(n));
    throw new ConfigError(missing[0]!, `must be set together with ${present.join(", ")}`);
  }
}

export function loadConfig(env: Env = process.env): Config {
  const port = integer(env, "PORT", 3000, 0, 65535);
  const publicUrlRaw = url(env, "PUBLIC_URL", ["http:", "https:"]) ?? `http://localhost:${port}`;
  const publicUrl = new URL(publicUrlRaw);
  if (publicUrl.pathname !== "/" || publicUrl.search || publicUrl.hash) {
    throw new ConfigError("PUBLIC_URL", "must be an origin without a path, e.g. https://social.example");
  }
  // Handles carry no port (`@alice@localhost`, not `@alice@localhost:3000`); set LOCAL_DOMAIN to keep one.
  const localDomain = nonEmpty(env, "LOCAL_DOMAIN") ?? publicUrl.hostname;
  if (!/^[a-z0-9.-]+(:\d+)?$/i.test(localDomain)) {
    throw new ConfigError("LOCAL_DOMAIN", `not a valid domain: "${localDomain}"`);
  }

  requireTogether(env, ["UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN"]);
  const redisUrl = url(env, "REDIS_URL", ["redis:", "rediss:"]);
  const upstashUrl = url(env, "UPSTASH_REDIS_REST_URL", ["http:", "https:"]);
  if (redisUrl && upstashUrl) {
    throw new ConfigError("REDIS_URL", "set either REDIS_URL or UPSTASH_REDIS_REST_URL, not both");
  }
  const redis: Config["redis"] = redisUrl
    ? { kind: "native", url: redisUrl }
    : upstashUrl
      ? { kind: "upstash", url: upstashUrl, token: nonEmpty(env, "UPSTASH_REDIS_REST_TOKEN")! }
      : { kind: "memory" };

  requireTogether(env, ["TYPESENSE_URL", "TYPESENSE_API_KEY"]);
  const typesenseUrl = url(env, "TYPESENSE_URL", ["http:", "https:"]);

  requireTogether(env, ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]);
  const s3Endpoint = url(env, "S3_ENDPOINT", ["http:", "https:"]);
  const s3Bucket = nonEmpty(env, "S3_BUCKET");
  if (s3Endpoint && !s3Bucket) throw new ConfigError("S3_BUCKET", "must be set when S3_ENDPOINT is set");
  if (s3Bucket && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(s3Bucket)) {
    throw new ConfigError("S3_BUCKET", `not a valid bucket name: "${s3Bucket}"`);
  }
  const s3PublicUrl = url(env, "S3_PUBLIC_URL", ["http:", "https:"]);
  if (s3PublicUrl && !s3Bucket) throw new ConfigError("S3_BUCKET", "must be set when S3_PUBLIC_URL is set");
  if (s3PublicUrl && /[?#]/.test(s3PublicUrl)) {
    throw new ConfigError("S3_PUBLIC_URL", `must not have a query or fragment, got "${s3PublicUrl}"`);
  }

  const contactEmail = nonEmpty(env, "CONTACT_EMAIL") ?? "";
  if (contactEmail && !/^[^\s@]+@[^\s@]+$/.test(contactEmail)) {
    throw new ConfigError("CONTACT_EMAIL", `not an e-mail address: "${contactEmail}"`);
  }

  const workerCount = integer(env, "WORKER_COUNT", 1, 1, 4096);
  const workerId = integer(env, "WORKER_ID", 0, 0, 4095);
  if (workerId >= workerCount) {
    throw new ConfigError("WORKER_ID", `must be below WORKER_COUNT (${workerCount}), got ${workerId}`);
  }

  return {
    port,
    publicUrl,
    localDomain,
    dataDir: resolve(nonEmpty(env, "DATA_DIR") ?? "./data"),
    databaseUrl: url(env, "DATABASE_URL", ["postgres:", "postgresql:"]),
    redis,
    redisKeyPrefix: nonEmpty(env, "REDIS_KEY_PREFIX") ?? "",
    clickhouseUrl: url(env, "CLICKHOUSE_URL", ["http:", "https:"]),
    typesense: typesenseUrl ? { url: typesenseUrl, apiKey: nonEmpty(env, "TYPESENSE_API_KEY")! } : null,
    s3: s3Bucket
      ? {
          endpoint: s3Endpoint,
          bucket: s3Bucket,
          region: nonEmpty(env, "S3_REGION") ?? "us-east-1",
          accessKeyId: nonEmpty(env, "AWS_ACCESS_KEY_ID"),
          secretAccessKey: nonEmpty(env, "AWS_SECRET_ACCESS_KEY"),
          // Keys are appended after a "/", so a trailing one would double up.
          publicUrl: s3PublicUrl?.replace(/\/+$/, "") ?? null,
        }
      : null,
    workerId,
    workerCount,
    workerLeaseSeconds: integer(env, "WORKER_LEASE_SECONDS", 30, 2, 3600),
    workerConcurrency: integer(env, "WORKER_CONCURRENCY", 12, 1, 256),
    fanoutMergeThreshold: integer(env, "FANOUT_MERGE_THRESHOLD", 1_000_000, 1, 1_000_000_000),
    registrations: oneOf(env, "REGISTRATIONS", ["open", "approval", "closed"] as const, "open"),
    instance: {
      title: nonEmpty(env, "INSTANCE_TITLE") ?? localDomain,
      description: nonEmpty(env, "INSTANCE_DESCRIPTION") ?? "",
      contactEmail,
    },
    allowPrivateAddress: boolean(env, "ALLOW_PRIVATE_ADDRESS", false),
    authorizedFetch: boolean(env, "AUTHORIZED_FETCH", false),
    activeDays: integer(env, "ACTIVE_DAYS", 7, 1, 3650),
    inProcessWorkers: boolean(env, "IN_PROCESS_WORKERS", true),
    logLevel: oneOf(env, "LOG_LEVEL", ["debug", "info", "warning", "error"] as const, "info"),
  };
}

/** True when the database is the embedded PGlite owned by this process. */
export function usesEmbeddedDatabase(config: Config): boolean {
  return config.databaseUrl === null;
}
