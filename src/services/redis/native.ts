/**
 * Redis over TCP through Bun's built-in RedisClient.
 *
 * Every command goes through `send` with plain Redis arguments, so one
 * function (`argv`) knows how each port command maps to Redis and the
 * pipeline reuses it. The prefix is added to every key and channel here.
 */
import { RedisClient } from "bun";
import type { Redis, RedisCommand } from "./port.ts";

type Argv = [name: string, args: string[]];

export function formatScore(score: number | "+inf" | "-inf"): string {
  if (score === Infinity || score === "+inf") return "+inf";
  if (score === -Infinity || score === "-inf") return "-inf";
  if (Number.isNaN(score)) throw new Error("redis: a sorted-set score must not be NaN");
  return String(score);
}

/** Scores come back as numbers over RESP3 and as strings over RESP2. */
export function parseScore(raw: unknown): number | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === "number") return raw;
  const text = String(raw);
  if (text === "inf" || text === "+inf") return Infinity;
  if (text === "-inf") return -Infinity;
  return Number(text);
}

/** HGETALL is a map over RESP3 and a flat [field, value, …] array over RESP2. */
export function parseHash(raw: unknown): Record<string, string> {
  if (raw === null || raw === undefined) return {};
  if (Array.isArray(raw)) {
    const hash: Record<string, string> = {};
    for (let i = 0; i + 1 < raw.length; i += 2) hash[String(raw[i])] = String(raw[i + 1]);
    return hash;
  }
  return { ...(raw as Record<string, string>) };
}

/** Escapes glob characters so a prefix matches only itself in SCAN MATCH. */
export function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}

export class NativeRedis implements Redis {
  readonly kind = "native" as const;
  private readonly client: RedisClient;
  private readonly prefix: string;
  /** Subscribing puts a connection in a mode where it runs nothing else, so it gets its own. */
  private subscriber: Promise<RedisClient> | null = null;

  constructor(url: string, prefix = "") {
    this.client = new RedisClient(url);
    this.prefix = prefix;
  }

  private key(key: string): string {
    return this.prefix + key;
  }

  private send(name: string, args: (string | number)[]): Promise<any> {
    return this.client.send(name, args.map(String));
  }

  /** Redis arguments for a port command; null for a command that would be a no-op. */
  private argv(command: RedisCommand): Argv | null {
    const k = (key: string) => this.key(key);
    switch (command[0]) {
      case "get":
        return ["GET", [k(command[1])]];
      case "set": {
        const [, key, value, options] = command;
        const args = [k(key), value];
        if (options?.ex !== undefined) args.push("EX", String(options.ex));
        if (options?.nx) args.push("NX");
        return ["SET", args];
      }
      case "del": {
        const keys = command.slice(1) as string[];
        return keys.length ? ["DEL", keys.map(k)] : null;
      }
      case "incr":
        return ["INCR", [k(command[1])]];
      case "incrby":
        return ["INCRBY", [k(command[1]), String(command[2])]];
      case "expire":
        return ["EXPIRE", [k(command[1]), String(command[2])]];
      case "lpush":
      case "rpush":
      case "zrem":
      case "hdel":
      case "sadd":
      case "srem": {
        const rest = command.slice(2) as string[];
        return rest.length ? [command[0].toUpperCase(), [k(command[1]), ...rest]] : null;
      }
      case "ltrim":
        return ["LTRIM", [k(command[1]), String(command[2]), String(command[3])]];
      case "lrem":
        return ["LREM", [k(command[1]), String(command[2]), command[3]]];
      case "zadd":
        return ["ZADD", [k(command[1]), formatScore(command[2]), command[3]]];
      case "hset": {
        const pairs = Object.entries(command[2]).flat();
        return pairs.length ? ["HSET", [k(command[1]), ...pairs]] : null;
      }
      case "publish":
        return ["PUBLISH", [k(command[1]), command[2]]];
    }
  }

  private run(command: RedisCommand): Promise<any> {
    const argv = this.argv(command);
    return argv ? this.client.send(argv[0], argv[1]) : Promise.resolve(null);
  }

  async get(key: string): Promise<string | null> {
    return this.run(["get", key]);
  }

  async mget(keys: string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return [];
    const values: unknown[] = await this.send("MGET", keys.map((key) => this.key(key)));
    return values.map((value) => (value === null || value === undefined ? null : String(value)));
  }

  async set(key: string, value: string, options?: { ex?: number; nx?: boolean }): Promise<boolean> {
    return (await this.run(["set", key, value, options])) !== null;
  }

  async del(...keys: string[]): Promise<number> {
    return (await this.run(["del", ...keys])) ?? 0;
  }

  async exists(key: string): Promise<boolean> {
    return (await this.send("EXISTS", [this.key(key)])) === 1;
  }

  async incr(key: string): Promise<number> {
    return this.run(["incr", key]);
  }

  async incrby(key: string, by: number): Promise<number> {
    return this.run(["incrby", key, by]);
  }

  async expire(key: string, seconds: number): Promise<boolean> {
    return (await this.run(["expire", key, seconds])) === 1;
  }

  async ttl(key: string): Promise<number> {
    return this.send("TTL", [this.key(key)]);
  }

  async lpush(key: string, ...values: string[]): Promise<number> {
    return values.length ? this.run(["lpush", key, ...values]) : this.llen(key);
  }

  async rpush(key: string, ...values: string[]): Promise<number> {
    return values.length ? this.run(["rpush", key, ...values]) : this.llen(key);
  }

  async lrange(key: string, start: number, stop: number): Promise<string[]> {
    return this.send("LRANGE", [this.key(key), start, stop]);
  }

  async ltrim(key: string, start: number, stop: number): Promise<void> {
    await this.run(["ltrim", key, start, stop]);
  }

  async lrem(key: string, count: number, value: string): Promise<number> {
    return this.run(["lrem", key, count, value]);
  }

  async llen(key: string): Promise<number> {
    return this.send("LLEN", [this.key(key)]);
  }

  async zadd(key: string, score: number, member: string): Promise<number> {
    return this.run(["zadd", key, score, member]);
  }

  async zrem(key: string, ...members: string[]): Promise<number> {
    return (await this.run(["zrem", key, ...members])) ?? 0;
  }

  async zrevrangebyscore(
    key: string,
    max: number | "+inf",
    min: number | "-inf",
    options?: { offset: number; count: number },
  ): Promise<string[]> {
    const args = [this.key(key), formatScore(max), formatScore(min)];
    if (options) args.push("LIMIT", String(options.offset), String(options.count));
    return this.send("ZREVRANGEBYSCORE", args);
  }

  async zcard(key: string): Promise<number> {
    return this.send("ZCARD", [this.key(key)]);
  }

  async zscore(key: string, member: string): Promise<number | null> {
    return parseScore(await this.send("ZSCORE", [this.key(key), member]));
  }

  async hset(key: string, fields: Record<string, string>): Promise<number> {
    return (await this.run(["hset", key, fields])) ?? 0;
  }

  async hget(key: string, field: string): Promise<string | null> {
    return this.send("HGET", [this.key(key), field]);
  }

  async hgetall(key: string): Promise<Record<string, string>> {
    return parseHash(await this.send("HGETALL", [this.key(key)]));
  }

  async hdel(key: string, ...fields: string[]): Promise<number> {
    return (await this.run(["hdel", key, ...fields])) ?? 0;
  }

  async hincrby(key: string, field: string, by: number): Promise<number> {
    return this.send("HINCRBY", [this.key(key), field, by]);
  }

  async sadd(key: string, ...members: string[]): Promise<number> {
    return (await this.run(["sadd", key, ...members])) ?? 0;
  }

  async srem(key: string, ...members: string[]): Promise<number> {
    return (await this.run(["srem", key, ...members])) ?? 0;
  }

  async smembers(key: string): Promise<string[]> {
    return this.send("SMEMBERS", [this.key(key)]);
  }

  async sismember(key: string, member: string): Promise<boolean> {
    return (await this.send("SISMEMBER", [this.key(key), member])) === 1;
  }

  async pipeline(commands: RedisCommand[]): Promise<void> {
    // Bun writes commands issued without an await in between as one batch on
    // the same connection, in order; awaiting them together keeps it so.
    // Arguments are all built first so a bad one fails the call before anything is sent.
    const argvs = commands.map((command) => this.argv(command)).filter((argv) => argv !== null);
    await Promise.all(argvs.map(([name, args]) => this.client.send(name, args)));
  }

  async publish(channel: string, message: string): Promise<number> {
    return this.run(["publish", channel, message]);
  }

  async subscribe(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>> {
    const subscriber = await this.subscriberConnection();
    const full = this.key(channel);
    // A fresh function per call: Bun unsubscribes by listener identity.
    const listener = (message: string) => onMessage(message);
    await subscriber.subscribe(full, listener);
    return async () => {
      await subscriber.unsubscribe(full, listener);
    };
  }

  private subscriberConnection(): Promise<RedisClient> {
    if (!this.subscriber) {
      const connecting = this.client.duplicate();
      this.subscriber = connecting;
      // Forget a failed attempt so the next subscribe tries again.
      connecting.catch(() => {
        if (this.subscriber === connecting) this.subscriber = null;
      });
    }
    return this.subscriber;
  }

  async flushPrefix(): Promise<void> {
    const match = globEscape(this.prefix) + "*";
    let cursor = "0";
    do {
      const [next, keys] = (await this.send("SCAN", [cursor, "MATCH", match, "COUNT", 1000])) as [string, string[]];
      if (keys.length) await this.send("DEL", keys);
      cursor = String(next);
    } while (cursor !== "0");
  }

  async close(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = null;
    if (subscriber) (await subscriber.catch(() => null))?.close();
    this.client.close();
  }
}
