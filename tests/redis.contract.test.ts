/**
 * One contract for the Redis port, run against every adapter: in-process,
 * Bun's native client on a real redis-server, and Upstash REST through a
 * local bridge to that same server.
 *
 * The server is $REDIS_URL when set (CI); otherwise this file starts its own
 * redis-server on a free port and stops it afterwards. Every key lives under
 * a prefix unique to this run, so runs sharing a server never collide.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RedisClient, type Subprocess } from "bun";
import { MemoryRedis, MemoryStore } from "../src/services/redis/memory.ts";
import { NativeRedis } from "../src/services/redis/native.ts";
import { UpstashRedis } from "../src/services/redis/upstash.ts";
import { openRedis } from "../src/services/redis/index.ts";
import type { Redis } from "../src/services/redis/port.ts";
import { loadConfig } from "../src/config.ts";
import { startUpstashBridge, type UpstashBridge } from "./helpers/upstash-bridge.ts";

const runId = crypto.randomUUID().slice(0, 8);

// ---------------------------------------------------------------------------
// The real server, started at most once and only if a describe needs it.

let spawned: Subprocess | null = null;
let serverUrl: Promise<string> | null = null;

async function freePort(): Promise<number> {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

async function waitForPing(url: string, child: Subprocess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    const client = new RedisClient(url, { autoReconnect: false, connectionTimeout: 500 });
    try {
      if ((await client.send("PING", [])) === "PONG") return;
    } catch {
      await Bun.sleep(50);
    } finally {
      client.close();
    }
  }
  child.kill();
  const output = child.stdout instanceof ReadableStream ? await new Response(child.stdout).text() : "";
  throw new Error(`redis-server did not answer on ${url} (exit code ${child.exitCode}):\n${output}`);
}

async function startServer(): Promise<string> {
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv) return fromEnv;
  const binary = Bun.which("redis-server");
  if (!binary) {
    throw new Error(
      "redis-server is not on PATH and REDIS_URL is not set: install Redis (apt-get install redis-server) " +
        "or point REDIS_URL at a server to run the native and Upstash contract tests",
    );
  }
  const port = await freePort();
  spawned = Bun.spawn(
    [binary, "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"],
    { stdout: "pipe", stderr: "inherit" },
  );
  const url = `redis://127.0.0.1:${port}`;
  await waitForPing(url, spawned);
  return url;
}

function redisUrl(): Promise<string> {
  return (serverUrl ??= startServer());
}

afterAll(async () => {
  if (spawned) {
    spawned.kill();
    await spawned.exited;
  }
});

// ---------------------------------------------------------------------------
// Helpers

/** Collects pub/sub messages and waits for them without fixed sleeps. */
function inbox() {
  const messages: string[] = [];
  return {
    messages,
    onMessage: (message: string) => void messages.push(message),
    async waitFor(count: number, timeoutMs = 3000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} message(s), got ${JSON.stringify(messages)}`);
        await Bun.sleep(5);
      }
    },
  };
}

interface Harness {
  /** An adapter on the shared server (or store) under the given prefix. */
  open(prefix: string): Promise<Redis>;
  stop?(): Promise<void>;
}

// ---------------------------------------------------------------------------
// The contract

function contract(name: string, start: () => Promise<Harness>): void {
  describe(`Redis contract: ${name}`, () => {
    const prefix = `contract:${runId}:${name}:`;
    let harness: Harness;
    let redis: Redis;
    let keyCounter = 0;
    /** A key no other test touches. */
    const fresh = (label: string) => `${label}:${++keyCounter}`;

    beforeAll(async () => {
      harness = await start();
      redis = await harness.open(prefix);
    });

    afterAll(async () => {
      await redis?.flushPrefix();
      await redis?.close();
      await harness?.stop?.();
    });

    test("reports its kind", () => {
      expect(redis.kind).toBe(name as Redis["kind"]);
    });

    test("get and set round-trip strings verbatim", async () => {
      const key = fresh("str");
      expect(await redis.get(key)).toBeNull();
      expect(await redis.set(key, "one")).toBe(true);
      expect(await redis.get(key)).toBe("one");
      expect(await redis.set(key, "two")).toBe(true);
      expect(await redis.get(key)).toBe("two");

      // Values a JSON-happy client or a base64 layer could mangle.
      for (const value of ["123", '{"a":1}', "", "OK", "héllo, wörld ✓ 🐘", "line\nbreak", "null"]) {
        const k = fresh("verbatim");
        await redis.set(k, value);
        expect(await redis.get(k)).toBe(value);
      }
    });

    test("mget reads many strings in order, null for missing keys and other types", async () => {
      const [a, b, missing, list] = [fresh("mget-a"), fresh("mget-b"), fresh("mget-missing"), fresh("mget-list")];
      await redis.set(a, "123");
      await redis.set(b, '{"a":1}');
      await redis.lpush(list, "x");
      expect(await redis.mget([a, missing, b, list, a])).toEqual(["123", null, '{"a":1}', null, "123"]);
      expect(await redis.mget([])).toEqual([]);
    });

    test("set with nx only writes a missing key", async () => {
      const key = fresh("nx");
      expect(await redis.set(key, "first", { nx: true })).toBe(true);
      expect(await redis.set(key, "second", { nx: true })).toBe(false);
      expect(await redis.get(key)).toBe("first");
    });

    test("set with ex sets a TTL, and a plain set clears it", async () => {
      const key = fresh("ex");
      expect(await redis.set(key, "v", { ex: 100 })).toBe(true);
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(95);
      expect(ttl).toBeLessThanOrEqual(100);
      await redis.set(key, "w");
      expect(await redis.ttl(key)).toBe(-1);

      const both = fresh("ex-nx");
      expect(await redis.set(both, "v", { ex: 50, nx: true })).toBe(true);
      expect(await redis.set(both, "w", { ex: 50, nx: true })).toBe(false);
      expect(await redis.ttl(both)).toBeGreaterThan(45);
    });

    test("del and exists", async () => {
      const [a, b, missing] = [fresh("del"), fresh("del"), fresh("del")];
      await redis.set(a, "1");
      await redis.set(b, "2");
      expect(await redis.exists(a)).toBe(true);
      expect(await redis.exists(missing)).toBe(false);
      expect(await redis.del(a, b, missing)).toBe(2);
      expect(await redis.exists(a)).toBe(false);
      expect(await redis.get(b)).toBeNull();
      expect(await redis.del(a)).toBe(0);
      expect(await redis.del()).toBe(0);
    });

    test("incr and incrby count, and refuse non-integers", async () => {
      const key = fresh("counter");
      expect(await redis.incr(key)).toBe(1);
      expect(await redis.incr(key)).toBe(2);
      expect(await redis.incrby(key, 10)).toBe(12);
      expect(await redis.incrby(key, -5)).toBe(7);
      expect(await redis.get(key)).toBe("7");

      const text = fresh("counter-text");
      await redis.set(text, "abc");
      await expect(redis.incr(text)).rejects.toThrow();
      expect(await redis.get(text)).toBe("abc");
    });

    test("incr keeps an existing TTL", async () => {
      const key = fresh("counter-ttl");
      await redis.set(key, "1", { ex: 100 });
      expect(await redis.incr(key)).toBe(2);
      expect(await redis.ttl(key)).toBeGreaterThan(95);
    });

    test("expire and ttl", async () => {
      const key = fresh("ttl");
      expect(await redis.ttl(key)).toBe(-2);
      expect(await redis.expire(key, 10)).toBe(false);
      await redis.set(key, "v");
      expect(await redis.ttl(key)).toBe(-1);
      expect(await redis.expire(key, 100)).toBe(true);
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(95);
      expect(ttl).toBeLessThanOrEqual(100);
    });

    test("keys expire", async () => {
      const [viaSet, viaExpire, list] = [fresh("expiring"), fresh("expiring"), fresh("expiring-list")];
      await redis.set(viaSet, "v", { ex: 1 });
      await redis.set(viaExpire, "v");
      await redis.expire(viaExpire, 1);
      await redis.rpush(list, "a");
      await redis.expire(list, 1);
      await Bun.sleep(1150);
      expect(await redis.get(viaSet)).toBeNull();
      expect(await redis.exists(viaExpire)).toBe(false);
      expect(await redis.ttl(viaExpire)).toBe(-2);
      expect(await redis.lrange(list, 0, -1)).toEqual([]);
    });

    test("lists: push order, lrange indexes, llen", async () => {
      const key = fresh("list");
      expect(await redis.rpush(key, "a", "b", "c")).toBe(3);
      expect(await redis.lpush(key, "x", "y")).toBe(5);
      expect(await redis.lrange(key, 0, -1)).toEqual(["y", "x", "a", "b", "c"]);
      expect(await redis.lrange(key, 1, 2)).toEqual(["x", "a"]);
      expect(await redis.lrange(key, -2, -1)).toEqual(["b", "c"]);
      expect(await redis.lrange(key, 3, 100)).toEqual(["b", "c"]);
      expect(await redis.lrange(key, 10, 20)).toEqual([]);
      expect(await redis.lrange(key, 3, 1)).toEqual([]);
      expect(await redis.llen(key)).toBe(5);
      expect(await redis.llen(fresh("list-missing"))).toBe(0);
      expect(await redis.lrange(fresh("list-missing"), 0, -1)).toEqual([]);
    });

    test("lists: lpush + ltrim keeps a capped, newest-first list", async () => {
      const key = fresh("capped");
      for (let i = 1; i <= 10; i++) {
        await redis.lpush(key, `item${i}`);
        await redis.ltrim(key, 0, 3);
      }
      expect(await redis.llen(key)).toBe(4);
      expect(await redis.lrange(key, 0, -1)).toEqual(["item10", "item9", "item8", "item7"]);

      await redis.ltrim(key, 1, -2);
      expect(await redis.lrange(key, 0, -1)).toEqual(["item9", "item8"]);

      // Trimming to nothing removes the key, as Redis does.
      await redis.ltrim(key, 5, 10);
      expect(await redis.exists(key)).toBe(false);
    });

    test("lists: lrem from head, tail and everywhere", async () => {
      const key = fresh("lrem");
      const reset = async () => {
        await redis.del(key);
        await redis.rpush(key, "a", "b", "a", "c", "a");
      };
      await reset();
      expect(await redis.lrem(key, 2, "a")).toBe(2);
      expect(await redis.lrange(key, 0, -1)).toEqual(["b", "c", "a"]);
      await reset();
      expect(await redis.lrem(key, -1, "a")).toBe(1);
      expect(await redis.lrange(key, 0, -1)).toEqual(["a", "b", "a", "c"]);
      await reset();
      expect(await redis.lrem(key, 0, "a")).toBe(3);
      expect(await redis.lrange(key, 0, -1)).toEqual(["b", "c"]);
      expect(await redis.lrem(key, 0, "zzz")).toBe(0);
      expect(await redis.lrem(fresh("lrem-missing"), 0, "a")).toBe(0);
    });

    test("sorted sets: zadd, zscore, zcard, zrem", async () => {
      const key = fresh("zset");
      expect(await redis.zadd(key, 1, "one")).toBe(1);
      expect(await redis.zadd(key, 2.5, "two")).toBe(1);
      expect(await redis.zadd(key, 3, "one")).toBe(0); // an update, not an addition
      expect(await redis.zscore(key, "one")).toBe(3);
      expect(await redis.zscore(key, "two")).toBe(2.5);
      expect(await redis.zscore(key, "none")).toBeNull();
      expect(await redis.zcard(key)).toBe(2);
      expect(await redis.zrem(key, "one", "none")).toBe(1);
      expect(await redis.zcard(key)).toBe(1);
      expect(await redis.zcard(fresh("zset-missing"))).toBe(0);
      // Large integer scores (snowflake-like ids) survive exactly up to 2^53.
      expect(await redis.zadd(key, 2 ** 52 + 1, "big")).toBe(1);
      expect(await redis.zscore(key, "big")).toBe(2 ** 52 + 1);
    });

    test("sorted sets: zrevrangebyscore orders, bounds and pages", async () => {
      const key = fresh("timeline");
      for (const [score, member] of [[10, "a"], [30, "c"], [20, "b"], [40, "d"], [50, "e"]] as const) {
        await redis.zadd(key, score, member);
      }
      expect(await redis.zrevrangebyscore(key, "+inf", "-inf")).toEqual(["e", "d", "c", "b", "a"]);
      expect(await redis.zrevrangebyscore(key, 40, 20)).toEqual(["d", "c", "b"]); // inclusive
      expect(await redis.zrevrangebyscore(key, 39, "-inf")).toEqual(["c", "b", "a"]);
      expect(await redis.zrevrangebyscore(key, "+inf", "-inf", { offset: 0, count: 2 })).toEqual(["e", "d"]);
      expect(await redis.zrevrangebyscore(key, "+inf", "-inf", { offset: 2, count: 2 })).toEqual(["c", "b"]);
      expect(await redis.zrevrangebyscore(key, "+inf", "-inf", { offset: 4, count: 2 })).toEqual(["a"]);
      expect(await redis.zrevrangebyscore(key, "+inf", "-inf", { offset: 9, count: 2 })).toEqual([]);
      expect(await redis.zrevrangebyscore(key, 35, 15, { offset: 1, count: 5 })).toEqual(["b"]);
      expect(await redis.zrevrangebyscore(key, 5, 1)).toEqual([]);
      expect(await redis.zrevrangebyscore(fresh("zset-missing"), "+inf", "-inf")).toEqual([]);

      // Equal scores come in reverse member order.
      const ties = fresh("ties");
      for (const member of ["m2", "m1", "m3"]) await redis.zadd(ties, 7, member);
      expect(await redis.zrevrangebyscore(ties, "+inf", "-inf")).toEqual(["m3", "m2", "m1"]);
    });

    test("hashes", async () => {
      const key = fresh("hash");
      expect(await redis.hset(key, { a: "1", b: "two" })).toBe(2);
      expect(await redis.hset(key, { b: "2", c: "3" })).toBe(1);
      expect(await redis.hget(key, "b")).toBe("2");
      expect(await redis.hget(key, "zzz")).toBeNull();
      expect(await redis.hgetall(key)).toEqual({ a: "1", b: "2", c: "3" });
      expect(await redis.hdel(key, "a", "zzz")).toBe(1);
      expect(await redis.hincrby(key, "b", 5)).toBe(7);
      expect(await redis.hincrby(key, "new", -3)).toBe(-3);
      expect(await redis.hgetall(key)).toEqual({ b: "7", c: "3", new: "-3" });
      expect(await redis.hgetall(fresh("hash-missing"))).toEqual({});
      expect(await redis.hset(key, {})).toBe(0);
    });

    test("sets", async () => {
      const key = fresh("set");
      expect(await redis.sadd(key, "a", "b", "a")).toBe(2);
      expect(await redis.sadd(key, "b", "c")).toBe(1);
      expect((await redis.smembers(key)).sort()).toEqual(["a", "b", "c"]);
      expect(await redis.sismember(key, "a")).toBe(true);
      expect(await redis.sismember(key, "z")).toBe(false);
      expect(await redis.srem(key, "a", "z")).toBe(1);
      expect((await redis.smembers(key)).sort()).toEqual(["b", "c"]);
      expect(await redis.smembers(fresh("set-missing"))).toEqual([]);
      expect(await redis.sismember(fresh("set-missing"), "a")).toBe(false);
    });

    test("a key of another type is refused (WRONGTYPE)", async () => {
      const key = fresh("typed");
      await redis.set(key, "string");
      await expect(redis.lpush(key, "x")).rejects.toThrow(/WRONGTYPE/);
      await expect(redis.hget(key, "f")).rejects.toThrow(/WRONGTYPE/);
      expect(await redis.get(key)).toBe("string");
    });

    test("pipeline applies every command, in order", async () => {
      const [counter, list, zset, hash, set, temp, gone, order] = [
        fresh("p-counter"), fresh("p-list"), fresh("p-zset"), fresh("p-hash"),
        fresh("p-set"), fresh("p-temp"), fresh("p-gone"), fresh("p-order"),
      ];
      await redis.set(gone, "x");
      await redis.pipeline([
        ["set", counter, "5"],
        ["incr", counter],
        ["incrby", counter, 10],
        ["rpush", list, "a", "b"],
        ["lpush", list, "c"],
        ["lpush", list, "d"],
        ["ltrim", list, 0, 2],
        ["lrem", list, 0, "a"],
        ["zadd", zset, 1, "one"],
        ["zadd", zset, 2, "two"],
        ["zrem", zset, "one"],
        ["hset", hash, { f: "1", g: "2" }],
        ["hdel", hash, "g"],
        ["sadd", set, "x", "y"],
        ["srem", set, "y"],
        ["set", temp, "t", { ex: 100 }],
        ["set", temp, "ignored", { nx: true }],
        ["expire", counter, 200],
        ["del", gone],
        // Order matters: the last write wins only if commands ran in sequence.
        ["set", order, "first"],
        ["del", order],
        ["set", order, "second"],
        ["del"],
      ]);
      expect(await redis.get(counter)).toBe("16");
      expect(await redis.ttl(counter)).toBeGreaterThan(195);
      expect(await redis.lrange(list, 0, -1)).toEqual(["d", "c"]);
      expect(await redis.zrevrangebyscore(zset, "+inf", "-inf")).toEqual(["two"]);
      expect(await redis.hgetall(hash)).toEqual({ f: "1" });
      expect(await redis.smembers(set)).toEqual(["x"]);
      expect(await redis.get(temp)).toBe("t");
      expect(await redis.ttl(temp)).toBeGreaterThan(95);
      expect(await redis.exists(gone)).toBe(false);
      expect(await redis.get(order)).toBe("second");
      await redis.pipeline([]); // nothing to send is not an error
    });

    test("pipeline applies the other commands when one fails, then rejects", async () => {
      const [text, after] = [fresh("p-fail"), fresh("p-after")];
      await redis.set(text, "not a number");
      await expect(redis.pipeline([["incr", text], ["set", after, "applied"]])).rejects.toThrow();
      expect(await redis.get(after)).toBe("applied");
      expect(await redis.get(text)).toBe("not a number");
    });

    test("pub/sub delivers messages to every subscriber until unsubscribed", async () => {
      const channel = fresh("channel");
      const first = inbox();
      const second = inbox();
      const stopFirst = await redis.subscribe(channel, first.onMessage);
      const stopSecond = await redis.subscribe(channel, second.onMessage);

      const message = JSON.stringify({ event: "update", payload: "héllo, wörld ✓" });
      expect(await redis.publish(channel, message)).toBeGreaterThanOrEqual(1);
      await redis.publish(channel, "plain, with commas");
      await first.waitFor(2);
      await second.waitFor(2);
      expect(first.messages).toEqual([message, "plain, with commas"]);
      expect(second.messages).toEqual([message, "plain, with commas"]);

      await stopFirst();
      await redis.publish(channel, "after first left");
      await second.waitFor(3);
      expect(second.messages[2]).toBe("after first left");

      await stopSecond();
      await redis.publish(channel, "nobody listens");
      await Bun.sleep(150);
      expect(first.messages).toHaveLength(2);
      expect(second.messages).toHaveLength(3);
    });

    test("pub/sub: publish without subscribers reaches nobody, and pipeline can publish", async () => {
      const channel = fresh("quiet");
      expect(await redis.publish(channel, "hello?")).toBe(0);
      const box = inbox();
      const stop = await redis.subscribe(channel, box.onMessage);
      await redis.pipeline([["publish", channel, "from pipeline"]]);
      await box.waitFor(1);
      expect(box.messages).toEqual(["from pipeline"]);
      await stop();
    });

    test("prefixes isolate keys and channels; flushPrefix deletes only its own", async () => {
      // "*" in one prefix must not glob-match the other one.
      const a = await harness.open(`${prefix}iso*:`);
      const b = await harness.open(`${prefix}iso-b:`);
      try {
        await a.set("shared", "A");
        expect(await b.get("shared")).toBeNull();
        await b.set("shared", "B");
        expect(await a.get("shared")).toBe("A");
        await a.zadd("z", 1, "m");
        expect(await b.zcard("z")).toBe(0);

        const box = inbox();
        const stop = await b.subscribe("events", box.onMessage);
        expect(await a.publish("events", "for a only")).toBe(0);
        await b.publish("events", "for b");
        await box.waitFor(1);
        await Bun.sleep(50);
        expect(box.messages).toEqual(["for b"]);
        await stop();

        // Enough keys that SCAN needs several rounds.
        await a.pipeline(Array.from({ length: 1500 }, (_, i) => ["set", `bulk:${i}`, "x"] as ["set", string, string]));
        await a.flushPrefix();
        expect(await a.get("shared")).toBeNull();
        expect(await a.get("bulk:0")).toBeNull();
        expect(await a.get("bulk:1499")).toBeNull();
        expect(await a.zcard("z")).toBe(0);
        expect(await b.get("shared")).toBe("B");
        expect(await redis.exists(fresh("nothing"))).toBe(false);
      } finally {
        await b.flushPrefix();
        await a.close();
        await b.close();
      }
    });
  });
}

// ---------------------------------------------------------------------------
// The adapters

contract("memory", async () => {
  const store = new MemoryStore(); // one "server" for every adapter of this describe
  return { open: async (prefix) => new MemoryRedis({ prefix, store }) };
});

contract("native", async () => {
  const url = await redisUrl();
  return { open: async (prefix) => new NativeRedis(url, prefix) };
});

contract("upstash", async () => {
  const token = crypto.randomUUID();
  const bridge = await startUpstashBridge({ redisUrl: await redisUrl(), token });
  return {
    open: async (prefix) => new UpstashRedis({ url: bridge.url, token, prefix }),
    stop: () => bridge.stop(),
  };
});

// ---------------------------------------------------------------------------
// Beyond the contract

describe("Redis adapters on one server", () => {
  let bridge: UpstashBridge;
  let url: string;
  const token = crypto.randomUUID();
  const prefix = `contract:${runId}:shared:`;

  beforeAll(async () => {
    url = await redisUrl();
    bridge = await startUpstashBridge({ redisUrl: url, token });
  });

  afterAll(async () => {
    await bridge?.stop();
  });

  test("native and upstash lay out prefixed keys identically", async () => {
    const native = new NativeRedis(url, prefix);
    const upstash = new UpstashRedis({ url: bridge.url, token, prefix });
    try {
      await upstash.hset("h", { f: "from upstash" });
      expect(await native.hget("h", "f")).toBe("from upstash");
      await native.lpush("l", "from native");
      expect(await upstash.lrange("l", 0, -1)).toEqual(["from native"]);
    } finally {
      await native.flushPrefix();
      await native.close();
      await upstash.close();
    }
  });

  test("the bridge refuses a wrong token", async () => {
    const intruder = new UpstashRedis({ url: bridge.url, token: "wrong", prefix });
    await expect(intruder.get("anything")).rejects.toThrow(/Unauthorized/);
  });

  test("openRedis picks the adapter from the configuration and applies the prefix", async () => {
    const memory = await openRedis(loadConfig({ REDIS_KEY_PREFIX: "p:" }));
    expect(memory.kind).toBe("memory");
    await memory.close();

    const viaConfig = await openRedis(loadConfig({ REDIS_URL: url, REDIS_KEY_PREFIX: prefix }));
    const direct = new NativeRedis(url, "");
    try {
      expect(viaConfig.kind).toBe("native");
      await viaConfig.set("k", "v");
      expect(await direct.get(`${prefix}k`)).toBe("v");

      const upstash = await openRedis(
        loadConfig({ UPSTASH_REDIS_REST_URL: bridge.url, UPSTASH_REDIS_REST_TOKEN: token, REDIS_KEY_PREFIX: prefix }),
      );
      expect(upstash.kind).toBe("upstash");
      expect(await upstash.get("k")).toBe("v");
      await upstash.close();
    } finally {
      await viaConfig.flushPrefix();
      await viaConfig.close();
      await direct.close();
    }
  });
});
