/**
 * The Redis port: the subset of Redis the server uses, with three adapters
 * (Bun's native RedisClient, Upstash REST, in-process). Redis holds derived,
 * rebuildable state only — home timelines, caches, counters, pub/sub — so an
 * adapter may lose everything and the server still answers correctly.
 *
 * Keys are given without the configured prefix; adapters add it.
 */
export type RedisCommand =
  | ["get", string]
  | ["set", string, string, { ex?: number; nx?: boolean }?]
  | ["del", ...string[]]
  | ["incr", string]
  | ["incrby", string, number]
  | ["expire", string, number]
  | ["lpush", string, ...string[]]
  | ["rpush", string, ...string[]]
  | ["ltrim", string, number, number]
  | ["lrem", string, number, string]
  | ["zadd", string, number, string]
  | ["zrem", string, ...string[]]
  | ["hset", string, Record<string, string>]
  | ["hdel", string, ...string[]]
  | ["sadd", string, ...string[]]
  | ["srem", string, ...string[]]
  | ["publish", string, string];

export interface Redis {
  readonly kind: "native" | "upstash" | "memory";

  get(key: string): Promise<string | null>;
  /** Values of many string keys in one round trip, in order; null for a missing key or one of another type (as MGET). */
  mget(keys: string[]): Promise<(string | null)[]>;
  /** Returns false when `nx` was asked and the key existed. */
  set(key: string, value: string, options?: { ex?: number; nx?: boolean }): Promise<boolean>;
  del(...keys: string[]): Promise<number>;
  exists(key: string): Promise<boolean>;
  incr(key: string): Promise<number>;
  incrby(key: string, by: number): Promise<number>;
  /** Seconds; returns false when the key does not exist. */
  expire(key: string, seconds: number): Promise<boolean>;
  /** Seconds left; -1 without expiry, -2 when missing (as Redis). */
  ttl(key: string): Promise<number>;

  lpush(key: string, ...values: string[]): Promise<number>;
  rpush(key: string, ...values: string[]): Promise<number>;
  lrange(key: string, start: number, stop: number): Promise<string[]>;
  ltrim(key: string, start: number, stop: number): Promise<void>;
  lrem(key: string, count: number, value: string): Promise<number>;
  llen(key: string): Promise<number>;

  zadd(key: string, score: number, member: string): Promise<number>;
  zrem(key: string, ...members: string[]): Promise<number>;
  /** Members with scores between max and min, highest first. */
  zrevrangebyscore(
    key: string,
    max: number | "+inf",
    min: number | "-inf",
    options?: { offset: number; count: number },
  ): Promise<string[]>;
  zcard(key: string): Promise<number>;
  zscore(key: string, member: string): Promise<number | null>;

  hset(key: string, fields: Record<string, string>): Promise<number>;
  hget(key: string, field: string): Promise<string | null>;
  hgetall(key: string): Promise<Record<string, string>>;
  hdel(key: string, ...fields: string[]): Promise<number>;
  hincrby(key: string, field: string, by: number): Promise<number>;

  sadd(key: string, ...members: string[]): Promise<number>;
  srem(key: string, ...members: string[]): Promise<number>;
  smembers(key: string): Promise<string[]>;
  sismember(key: string, member: string): Promise<boolean>;

  /**
   * Sends many write commands in one round trip where the adapter can
   * (fanout's hot path); resolves once all are applied, in order.
   */
  pipeline(commands: RedisCommand[]): Promise<void>;

  publish(channel: string, message: string): Promise<number>;
  /** Returns an unsubscribe function. */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>>;

  /** Deletes every key under this adapter's prefix (tests, `admin redis flush`). */
  flushPrefix(): Promise<void>;
  close(): Promise<void>;
}
