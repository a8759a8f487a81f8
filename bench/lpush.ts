/**
 * The machine's limit for the benchmark's ratio: pipelined LPUSH per second
 * against the same Redis, from the same kind of process as a worker (Bun,
 * the same NativeRedis adapter and its `pipeline`), in pipelines of 1,000
 * keys as fanout sends them. Several pipelines are kept in flight, as a
 * worker's concurrent chunks do. Prints one JSON line.
 *
 *   REDIS_URL=… REDIS_KEY_PREFIX=… bun run bench/lpush.ts SECONDS IN_FLIGHT
 */
import { NativeRedis } from "../src/services/redis/native.ts";
import type { RedisCommand } from "../src/services/redis/port.ts";

const seconds = Number(process.argv[2] ?? 3);
const inFlight = Number(process.argv[3] ?? 4);
const redis = new NativeRedis(process.env.REDIS_URL!, process.env.REDIS_KEY_PREFIX ?? "");
const KEYS = 100_000;
const BATCH = 1000;

let pushed = 0;
let running = true;
const deadline = performance.now() + seconds * 1000;
let next = 0;

async function loop(): Promise<void> {
  while (running) {
    const commands: RedisCommand[] = [];
    for (let i = 0; i < BATCH; i++) commands.push(["lpush", `lpush-bench:${next++ % KEYS}`, "117657993449506643"]);
    await redis.pipeline(commands);
    pushed += BATCH;
    if (performance.now() > deadline) running = false;
  }
}

// A short warm-up so the connection and JIT are ready.
await redis.pipeline([["lpush", "lpush-bench:warm", "1"]]);
const started = performance.now();
await Promise.all(Array.from({ length: inFlight }, loop));
const elapsed = (performance.now() - started) / 1000;
// Clean up the keys (scan by prefix is not needed: they are known).
for (let i = 0; i < KEYS; i += 1000) {
  await redis.del(...Array.from({ length: Math.min(1000, KEYS - i) }, (_, j) => `lpush-bench:${i + j}`));
}
await redis.del("lpush-bench:warm");
console.log(JSON.stringify({ lpush_per_s: Math.round(pushed / elapsed), pushed, seconds: elapsed, in_flight: inFlight }));
redis.close();
process.exit(0);
