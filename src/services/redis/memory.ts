/**
 * In-process Redis, used when no Redis server is configured (and in tests).
 *
 * It mimics Redis for everything the port exposes — key types and WRONGTYPE
 * errors, TTL, list/zset ordering, pub/sub — so that code developed against
 * it behaves the same on a real server. Nothing is persisted: the port only
 * holds rebuildable state.
 */
import { logger } from "../../log.ts";
import type { Redis, RedisCommand } from "./port.ts";

const log = logger("redis");

interface Values {
  string: string;
  list: string[];
  zset: Map<string, number>;
  hash: Map<string, string>;
  set: Set<string>;
}
type DataType = keyof Values;
type Data = { [T in DataType]: { type: T; value: Values[T] } }[DataType];

interface Entry {
  data: Data;
  /** Epoch milliseconds; null when the key never expires. */
  expiresAt: number | null;
}

type Listener = (message: string) => void;

const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_INTEGER = "ERR value is not an integer or out of range";
const SWEEP_INTERVAL_MS = 60_000;

/**
 * The "server": every MemoryRedis built on one store sees the same keys and
 * channels, like clients of one Redis. openRedis makes a fresh store per
 * call so that unrelated instances in one process (tests) never share data.
 */
export class MemoryStore {
  readonly entries = new Map<string, Entry>();
  readonly channels = new Map<string, Set<Listener>>();
  private lastSweep = Date.now();

  /** The live entry for a key, dropping it first if it has expired. */
  lookup(key: string, now = Date.now()): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt !== null && entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /**
   * Expiry is otherwise lazy (on access, as in Redis); an occasional full
   * sweep keeps keys that are never read again from piling up, without a
   * timer that would keep the process alive.
   */
  maybeSweep(now = Date.now()): void {
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt !== null && entry.expiresAt <= now) this.entries.delete(key);
    }
  }
}

/** Redis orders equal scores by member bytes; UTF-8 byte order is code point order. */
function compareMembers(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++; // both strings hold the same surrogate pair here
  }
  return a.length - b.length;
}

function parseInteger(raw: string): number {
  if (!/^(0|-?[1-9]\d*)$/.test(raw)) throw new Error(NOT_INTEGER);
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(NOT_INTEGER);
  return value;
}

function checkInteger(by: number): void {
  if (!Number.isSafeInteger(by)) throw new Error(NOT_INTEGER);
}

/** Normalises Redis's inclusive, possibly negative index pair; null when empty. */
function listRange(length: number, start: number, stop: number): [number, number] | null {
  if (start < 0) start = length + start;
  if (stop < 0) stop = length + stop;
  if (start < 0) start = 0;
  if (start > stop || start >= length) return null;
  if (stop >= length) stop = length - 1;
  return [start, stop];
}

export class MemoryRedis implements Redis {
  readonly kind = "memory" as const;
  readonly store: MemoryStore;
  private readonly prefix: string;
  private readonly subscriptions = new Set<{ channel: string; listener: Listener }>();

  constructor(options: { prefix?: string; store?: MemoryStore } = {}) {
    this.prefix = options.prefix ?? "";
    this.store = options.store ?? new MemoryStore();
  }

  private read<T extends DataType>(key: string, type: T): Values[T] | undefined {
    const entry = this.store.lookup(this.prefix + key);
    if (!entry) return undefined;
    if (entry.data.type !== type) throw new Error(WRONGTYPE);
    return entry.data.value as Values[T];
  }

  /** The container at key, created empty (without expiry) when missing. */
  private write<T extends DataType>(key: string, type: T, empty: () => Values[T]): Values[T] {
    this.store.maybeSweep();
    const existing = this.read(key, type);
    if (existing !== undefined) return existing;
    const value = empty();
    this.store.entries.set(this.prefix + key, { data: { type, value } as Data, expiresAt: null });
    return value;
  }

  /** Redis deletes a list, set, zset or hash once it has no elements left. */
  private dropIfEmpty(key: string, size: number): void {
    if (size === 0) this.store.entries.delete(this.prefix + key);
  }

  async get(key: string): Promise<string | null> {
    return this.read(key, "string") ?? null;
  }

  async mget(keys: string[]): Promise<(string | null)[]> {
    // MGET answers nil for a key of another type rather than failing.
    return keys.map((key) => {
      const entry = this.store.lookup(this.prefix + key);
      return entry && entry.data.type === "string" ? entry.data.value : null;
    });
  }

  async set(key: string, value: string, options: { ex?: number; nx?: boolean } = {}): Promise<boolean> {
    if (options.ex !== undefined && (!Number.isSafeInteger(options.ex) || options.ex <= 0)) {
      throw new Error("ERR invalid expire time in 'set' command");
    }
    this.store.maybeSweep();
    const full = this.prefix + key;
    if (options.nx && this.store.lookup(full)) return false;
    // SET replaces a value of any type and drops any earlier TTL, as in Redis.
    this.store.entries.set(full, {
      data: { type: "string", value },
      expiresAt: options.ex !== undefined ? Date.now() + options.ex * 1000 : null,
    });
    return true;
  }

  async del(...keys: string[]): Promise<number> {
    let removed = 0;
    for (const key of keys) {
      const full = this.prefix + key;
      if (this.store.lookup(full)) {
        this.store.entries.delete(full);
        removed++;
      }
    }
    return removed;
  }

  async exists(key: string): Promise<boolean> {
    return this.store.lookup(this.prefix + key) !== undefined;
  }

  async incr(key: string): Promise<number> {
    return this.incrby(key, 1);
  }

  async incrby(key: string, by: number): Promise<number> {
    checkInteger(by);
    const full = this.prefix + key;
    const entry = this.store.lookup(full);
    if (entry && entry.data.type !== "string") throw new Error(WRONGTYPE);
    const next = (entry ? parseInteger(entry.data.value as string) : 0) + by;
    if (!Number.isSafeInteger(next)) throw new Error("ERR increment or decrement would overflow");
    if (entry) {
      entry.data = { type: "string", value: String(next) }; // keeps the TTL, as INCR does
    } else {
      this.store.entries.set(full, { data: { type: "string", value: String(next) }, expiresAt: null });
    }
    return next;
  }

  async expire(key: string, seconds: number): Promise<boolean> {
    checkInteger(seconds);
    const full = this.prefix + key;
    const entry = this.store.lookup(full);
    if (!entry) return false;
    // A non-positive timeout deletes the key at once, as in Redis.
    if (seconds <= 0) this.store.entries.delete(full);
    else entry.expiresAt = Date.now() + seconds * 1000;
    return true;
  }

  async ttl(key: string): Promise<number> {
    const now = Date.now();
    const entry = this.store.lookup(this.prefix + key, now);
    if (!entry) return -2;
    if (entry.expiresAt === null) return -1;
    return Math.floor((entry.expiresAt - now + 500) / 1000); // Redis rounds to the nearest second
  }

  async lpush(key: string, ...values: string[]): Promise<number> {
    if (values.length === 0) return this.llen(key);
    const list = this.write(key, "list", () => []);
    for (const value of values) list.unshift(value);
    return list.length;
  }

  async rpush(key: string, ...values: string[]): Promise<number> {
    if (values.length === 0) return this.llen(key);
    const list = this.write(key, "list", () => []);
    list.push(...values);
    return list.length;
  }

  async lrange(key: string, start: number, stop: number): Promise<string[]> {
    const list = this.read(key, "list") ?? [];
    const range = listRange(list.length, start, stop);
    return range ? list.slice(range[0], range[1] + 1) : [];
  }

  async ltrim(key: string, start: number, stop: number): Promise<void> {
    const list = this.read(key, "list");
    if (!list) return;
    const range = listRange(list.length, start, stop);
    if (range) {
      list.splice(range[1] + 1);
      list.splice(0, range[0]);
    } else {
      list.length = 0;
    }
    this.dropIfEmpty(key, list.length);
  }

  async lrem(key: string, count: number, value: string): Promise<number> {
    const list = this.read(key, "list");
    if (!list) return 0;
    const limit = count === 0 ? Infinity : Math.abs(count);
    let removed = 0;
    if (count >= 0) {
      for (let i = 0; i < list.length && removed < limit; ) {
        if (list[i] === value) {
          list.splice(i, 1);
          removed++;
        } else i++;
      }
    } else {
      for (let i = list.length - 1; i >= 0 && removed < limit; i--) {
        if (list[i] === value) {
          list.splice(i, 1);
          removed++;
        }
      }
    }
    this.dropIfEmpty(key, list.length);
    return removed;
  }

  async llen(key: string): Promise<number> {
    return this.read(key, "list")?.length ?? 0;
  }

  async zadd(key: string, score: number, member: string): Promise<number> {
    if (Number.isNaN(score)) throw new Error("ERR value is not a valid float");
    const zset = this.write(key, "zset", () => new Map());
    const added = zset.has(member) ? 0 : 1;
    zset.set(member, score);
    return added;
  }

  async zrem(key: string, ...members: string[]): Promise<number> {
    const zset = this.read(key, "zset");
    if (!zset) return 0;
    let removed = 0;
    for (const member of members) if (zset.delete(member)) removed++;
    this.dropIfEmpty(key, zset.size);
    return removed;
  }

  async zrevrangebyscore(
    key: string,
    max: number | "+inf",
    min: number | "-inf",
    options?: { offset: number; count: number },
  ): Promise<string[]> {
    const zset = this.read(key, "zset");
    if (!zset) return [];
    const high = max === "+inf" ? Infinity : max;
    const low = min === "-inf" ? -Infinity : min;
    // Sorting per query is fine for the capped sets the server keeps.
    const matches = [...zset]
      .filter(([, score]) => score >= low && score <= high)
      .sort(([am, as], [bm, bs]) => (as !== bs ? bs - as : compareMembers(bm, am)))
      .map(([member]) => member);
    if (!options) return matches;
    if (options.offset < 0) return [];
    const end = options.count < 0 ? undefined : options.offset + options.count;
    return matches.slice(options.offset, end);
  }

  async zcard(key: string): Promise<number> {
    return this.read(key, "zset")?.size ?? 0;
  }

  async zscore(key: string, member: string): Promise<number | null> {
    return this.read(key, "zset")?.get(member) ?? null;
  }

  async hset(key: string, fields: Record<string, string>): Promise<number> {
    const entries = Object.entries(fields);
    if (entries.length === 0) return 0;
    const hash = this.write(key, "hash", () => new Map());
    let added = 0;
    for (const [field, value] of entries) {
      if (!hash.has(field)) added++;
      hash.set(field, value);
    }
    return added;
  }

  async hget(key: string, field: string): Promise<string | null> {
    return this.read(key, "hash")?.get(field) ?? null;
  }

  async hgetall(key: string): Promise<Record<string, string>> {
    return Object.fromEntries(this.read(key, "hash") ?? []);
  }

  async hdel(key: string, ...fields: string[]): Promise<number> {
    const hash = this.read(key, "hash");
    if (!hash) return 0;
    let removed = 0;
    for (const field of fields) if (hash.delete(field)) removed++;
    this.dropIfEmpty(key, hash.size);
    return removed;
  }

  async hincrby(key: string, field: string, by: number): Promise<number> {
    checkInteger(by);
    const hash = this.write(key, "hash", () => new Map());
    const current = hash.get(field);
    const next = (current === undefined ? 0 : parseInteger(current)) + by;
    if (!Number.isSafeInteger(next)) throw new Error("ERR increment or decrement would overflow");
    hash.set(field, String(next));
    return next;
  }

  async sadd(key: string, ...members: string[]): Promise<number> {
    if (members.length === 0) return 0;
    const set = this.write(key, "set", () => new Set());
    let added = 0;
    for (const member of members) {
      if (!set.has(member)) {
        set.add(member);
        added++;
      }
    }
    return added;
  }

  async srem(key: string, ...members: string[]): Promise<number> {
    const set = this.read(key, "set");
    if (!set) return 0;
    let removed = 0;
    for (const member of members) if (set.delete(member)) removed++;
    this.dropIfEmpty(key, set.size);
    return removed;
  }

  async smembers(key: string): Promise<string[]> {
    return [...(this.read(key, "set") ?? [])];
  }

  async sismember(key: string, member: string): Promise<boolean> {
    return this.read(key, "set")?.has(member) ?? false;
  }

  async pipeline(commands: RedisCommand[]): Promise<void> {
    // Like a Redis pipeline, a failing command does not stop the ones after it.
    let firstError: unknown = null;
    for (const command of commands) {
      try {
        await this.apply(command);
      } catch (error) {
        firstError ??= error;
      }
    }
    if (firstError !== null) throw firstError;
  }

  private apply(command: RedisCommand): Promise<unknown> {
    switch (command[0]) {
      case "get": return this.get(command[1]);
      case "set": return this.set(command[1], command[2], command[3]);
      case "del": return this.del(...command.slice(1) as string[]);
      case "incr": return this.incr(command[1]);
      case "incrby": return this.incrby(command[1], command[2]);
      case "expire": return this.expire(command[1], command[2]);
      case "lpush": return this.lpush(command[1], ...command.slice(2) as string[]);
      case "rpush": return this.rpush(command[1], ...command.slice(2) as string[]);
      case "ltrim": return this.ltrim(command[1], command[2], command[3]);
      case "lrem": return this.lrem(command[1], command[2], command[3]);
      case "zadd": return this.zadd(command[1], command[2], command[3]);
      case "zrem": return this.zrem(command[1], ...command.slice(2) as string[]);
      case "hset": return this.hset(command[1], command[2]);
      case "hdel": return this.hdel(command[1], ...command.slice(2) as string[]);
      case "sadd": return this.sadd(command[1], ...command.slice(2) as string[]);
      case "srem": return this.srem(command[1], ...command.slice(2) as string[]);
      case "publish": return this.publish(command[1], command[2]);
    }
  }

  async publish(channel: string, message: string): Promise<number> {
    const listeners = [...(this.store.channels.get(this.prefix + channel) ?? [])];
    for (const listener of listeners) {
      // Delivered later, as from a real server, so a listener never runs inside publish().
      queueMicrotask(() => {
        try {
          listener(message);
        } catch (error) {
          log.error("A pub/sub subscriber threw: {error}", { error });
        }
      });
    }
    return listeners.length;
  }

  async subscribe(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>> {
    const full = this.prefix + channel;
    // A fresh function per call, so subscribing one callback twice gives two subscriptions.
    const subscription = { channel: full, listener: (message: string) => onMessage(message) };
    let listeners = this.store.channels.get(full);
    if (!listeners) this.store.channels.set(full, (listeners = new Set()));
    listeners.add(subscription.listener);
    this.subscriptions.add(subscription);
    return async () => this.unsubscribe(subscription);
  }

  private unsubscribe(subscription: { channel: string; listener: Listener }): void {
    this.subscriptions.delete(subscription);
    const listeners = this.store.channels.get(subscription.channel);
    if (!listeners) return;
    listeners.delete(subscription.listener);
    if (listeners.size === 0) this.store.channels.delete(subscription.channel);
  }

  async flushPrefix(): Promise<void> {
    for (const key of [...this.store.entries.keys()]) {
      if (key.startsWith(this.prefix)) this.store.entries.delete(key);
    }
  }

  async close(): Promise<void> {
    for (const subscription of [...this.subscriptions]) this.unsubscribe(subscription);
  }
}
