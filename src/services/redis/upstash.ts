/**
 * Redis over Upstash's REST API (@upstash/redis), for hosts without TCP.
 *
 * Client settings and why:
 * - automaticDeserialization off: the port deals in strings, and the client
 *   would otherwise JSON-parse values (turning "123" into 123).
 * - enableAutoPipelining off: it batches reads and writes into separate
 *   requests, so a read issued right after an unawaited write could run
 *   before it. `pipeline()` below batches explicitly instead.
 *
 * Pub/sub: @upstash/redis (1.34+) subscribes over a server-sent-events
 * stream (POST /subscribe/<channel>). Limits of that protocol, which the
 * port's callers should keep in mind:
 * - a message is one `data:` line, so messages must not contain newlines
 *   (JSON.stringify output never does);
 * - the channel is a URL path segment, so channels must not contain "/",
 *   "?", "#" or "%", nor "," (the event's field separator);
 * - a dropped stream is not re-established by the client; the subscriber
 *   stops receiving until it subscribes again.
 */
import { Redis as UpstashClient, type Pipeline, type SetCommandOptions } from "@upstash/redis";
import type { Redis, RedisCommand } from "./port.ts";
import { formatScore, globEscape, parseHash, parseScore } from "./native.ts";

type Subscriber = ReturnType<UpstashClient["subscribe"]>;

const SUBSCRIBE_TIMEOUT_MS = 10_000;

/** The client JSON-encodes arguments, and JSON has no Infinity; Redis takes "+inf". */
function scoreMember(score: number, member: string): { score: number; member: string } {
  return { score: formatScore(score) as unknown as number, member };
}

function setOptions(options?: { ex?: number; nx?: boolean }): SetCommandOptions | undefined {
  if (!options || (options.ex === undefined && !options.nx)) return undefined;
  return { ...(options.ex !== undefined && { ex: options.ex }), ...(options.nx && { nx: true }) } as SetCommandOptions;
}

export class UpstashRedis implements Redis {
  readonly kind = "upstash" as const;
  private readonly client: UpstashClient;
  private readonly prefix: string;
  private readonly subscribers = new Set<Subscriber>();

  constructor(options: { url: string; token: string; prefix?: string }) {
    this.client = new UpstashClient({
      url: options.url,
      token: options.token,
      automaticDeserialization: false,
      enableAutoPipelining: false,
      enableTelemetry: false,
    });
    this.prefix = options.prefix ?? "";
  }

  private key(key: string): string {
    return this.prefix + key;
  }

  async get(key: string): Promise<string | null> {
    return this.client.get<string>(this.key(key));
  }

  async mget(keys: string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return [];
    return this.client.mget<(string | null)[]>(...keys.map((k) => this.key(k)));
  }

  async set(key: string, value: string, options?: { ex?: number; nx?: boolean }): Promise<boolean> {
    return (await this.client.set(this.key(key), value, setOptions(options))) !== null;
  }

  async del(...keys: string[]): Promise<number> {
    return keys.length ? this.client.del(...keys.map((k) => this.key(k))) : 0;
  }

  async exists(key: string): Promise<boolean> {
    return (await this.client.exists(this.key(key))) === 1;
  }

  async incr(key: string): Promise<number> {
    return this.client.incr(this.key(key));
  }

  async incrby(key: string, by: number): Promise<number> {
    return this.client.incrby(this.key(key), by);
  }

  async expire(key: string, seconds: number): Promise<boolean> {
    return (await this.client.expire(this.key(key), seconds)) === 1;
  }

  async ttl(key: string): Promise<number> {
    return this.client.ttl(this.key(key));
  }

  async lpush(key: string, ...values: string[]): Promise<number> {
    return values.length ? this.client.lpush(this.key(key), ...values) : this.llen(key);
  }

  async rpush(key: string, ...values: string[]): Promise<number> {
    return values.length ? this.client.rpush(this.key(key), ...values) : this.llen(key);
  }

  async lrange(key: string, start: number, stop: number): Promise<string[]> {
    return this.client.lrange<string>(this.key(key), start, stop);
  }

  async ltrim(key: string, start: number, stop: number): Promise<void> {
    await this.client.ltrim(this.key(key), start, stop);
  }

  async lrem(key: string, count: number, value: string): Promise<number> {
    return this.client.lrem(this.key(key), count, value);
  }

  async llen(key: string): Promise<number> {
    return this.client.llen(this.key(key));
  }

  async zadd(key: string, score: number, member: string): Promise<number> {
    return (await this.client.zadd(this.key(key), scoreMember(score, member))) ?? 0;
  }

  async zrem(key: string, ...members: string[]): Promise<number> {
    return members.length ? this.client.zrem(this.key(key), ...members) : 0;
  }

  async zrevrangebyscore(
    key: string,
    max: number | "+inf",
    min: number | "-inf",
    options?: { offset: number; count: number },
  ): Promise<string[]> {
    const args: [string, ...(string | number)[]] = ["zrevrangebyscore", this.key(key), formatScore(max), formatScore(min)];
    if (options) args.push("limit", options.offset, options.count);
    return this.client.exec<string[]>(args);
  }

  async zcard(key: string): Promise<number> {
    return this.client.zcard(this.key(key));
  }

  async zscore(key: string, member: string): Promise<number | null> {
    return parseScore(await this.client.zscore(this.key(key), member));
  }

  async hset(key: string, fields: Record<string, string>): Promise<number> {
    return Object.keys(fields).length ? this.client.hset(this.key(key), fields) : 0;
  }

  async hget(key: string, field: string): Promise<string | null> {
    return this.client.hget<string>(this.key(key), field);
  }

  async hgetall(key: string): Promise<Record<string, string>> {
    // Without automatic deserialization the reply stays Redis's flat array.
    return parseHash(await this.client.hgetall(this.key(key)));
  }

  async hdel(key: string, ...fields: string[]): Promise<number> {
    return fields.length ? this.client.hdel(this.key(key), ...fields) : 0;
  }

  async hincrby(key: string, field: string, by: number): Promise<number> {
    return this.client.hincrby(this.key(key), field, by);
  }

  async sadd(key: string, ...members: string[]): Promise<number> {
    const [first, ...rest] = members;
    return first === undefined ? 0 : this.client.sadd(this.key(key), first, ...rest);
  }

  async srem(key: string, ...members: string[]): Promise<number> {
    return members.length ? this.client.srem(this.key(key), ...members) : 0;
  }

  async smembers(key: string): Promise<string[]> {
    return this.client.smembers<string[]>(this.key(key));
  }

  async sismember(key: string, member: string): Promise<boolean> {
    return (await this.client.sismember(this.key(key), member)) === 1;
  }

  async pipeline(commands: RedisCommand[]): Promise<void> {
    const pipeline = this.client.pipeline();
    let queued = 0;
    for (const command of commands) if (this.queue(pipeline, command)) queued++;
    // One POST /pipeline; it throws on the first failed command after all ran, as Redis would.
    if (queued > 0) await pipeline.exec();
  }

  /** Adds a port command to an Upstash pipeline; false for a command that would be a no-op. */
  private queue(p: Pipeline, command: RedisCommand): boolean {
    const k = (key: string) => this.key(key);
    switch (command[0]) {
      case "get": p.get(k(command[1])); return true;
      case "set": p.set(k(command[1]), command[2], setOptions(command[3])); return true;
      case "incr": p.incr(k(command[1])); return true;
      case "incrby": p.incrby(k(command[1]), command[2]); return true;
      case "expire": p.expire(k(command[1]), command[2]); return true;
      case "ltrim": p.ltrim(k(command[1]), command[2], command[3]); return true;
      case "lrem": p.lrem(k(command[1]), command[2], command[3]); return true;
      case "zadd": p.zadd(k(command[1]), scoreMember(command[2], command[3])); return true;
      case "publish": p.publish(k(command[1]), command[2]); return true;
      case "hset":
        if (Object.keys(command[2]).length === 0) return false;
        p.hset(k(command[1]), command[2]);
        return true;
      case "del": {
        const keys = command.slice(1) as string[];
        if (keys.length === 0) return false;
        p.del(...keys.map(k));
        return true;
      }
      default: {
        // lpush, rpush, zrem, hdel, sadd, srem: key then one or more values.
        const [name, key, ...values] = command as [string, string, ...string[]];
        const [first, ...rest] = values;
        if (first === undefined) return false;
        switch (name) {
          case "lpush": p.lpush(k(key), first, ...rest); break;
          case "rpush": p.rpush(k(key), first, ...rest); break;
          case "zrem": p.zrem(k(key), first, ...rest); break;
          case "hdel": p.hdel(k(key), first, ...rest); break;
          case "sadd": p.sadd(k(key), first, ...rest); break;
          case "srem": p.srem(k(key), first, ...rest); break;
          default: throw new Error(`redis (upstash): unknown pipeline command ${name}`);
        }
        return true;
      }
    }
  }

  async publish(channel: string, message: string): Promise<number> {
    return this.client.publish(this.key(channel), message);
  }

  async subscribe(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>> {
    const subscriber = this.client.subscribe<string>(this.key(channel));
    subscriber.on("message", ({ message }) => onMessage(message));
    try {
      // Messages published before the server confirms would be lost, so wait for it.
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`redis (upstash): no subscription confirmation within ${SUBSCRIBE_TIMEOUT_MS} ms`)),
          SUBSCRIBE_TIMEOUT_MS,
        );
        subscriber.on("subscribe", () => {
          clearTimeout(timer);
          resolve();
        });
        subscriber.on("error", (error) => {
          clearTimeout(timer);
          reject(error);
        });
      });
    } catch (error) {
      await subscriber.unsubscribe();
      throw error;
    }
    this.subscribers.add(subscriber);
    return async () => {
      this.subscribers.delete(subscriber);
      await subscriber.unsubscribe();
    };
  }

  async flushPrefix(): Promise<void> {
    const match = globEscape(this.prefix) + "*";
    let cursor = "0";
    do {
      const [next, keys] = (await this.client.scan(cursor, { match, count: 1000 })) as unknown as [
        string | number,
        string[],
      ];
      if (keys.length) await this.client.del(...keys);
      cursor = String(next);
    } while (cursor !== "0");
  }

  async close(): Promise<void> {
    // REST needs no connection teardown; only the open event streams.
    const subscribers = [...this.subscribers];
    this.subscribers.clear();
    await Promise.all(subscribers.map((subscriber) => subscriber.unsubscribe()));
  }
}
