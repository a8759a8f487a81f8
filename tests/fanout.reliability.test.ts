/**
 * Reliability of the sharded workers, with real processes: an API server
 * (IN_PROCESS_WORKERS=false) and `bun run worker` processes on PostgreSQL
 * and Redis servers — DATABASE_URL/REDIS_URL when set, else private ones
 * started here (bench/services.ts); separate processes cannot share the
 * embedded ones. Skipped only when no PostgreSQL or Redis binaries exist.
 *
 * - A worker SIGKILLed in the middle of a large fanout, then restarted:
 *   every follower ends up with the status, shown exactly once.
 * - Redis flushed: home timelines come back from Postgres, complete.
 * - Two workers (WORKER_ID 0 and 1, one of them killed and restarted, the
 *   other taking over and handing back): their task logs never show one
 *   shard processed by both at the same time.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { runMigrations } from "../src/db/migrate.ts";
import { NativeRedis } from "../src/services/redis/native.ts";
import { generateGraph, type Graph } from "../bench/graph.ts";
import { freePort, freshDatabase, servicesUnavailable, startServices, type Services } from "../bench/services.ts";

setDefaultTimeout(120_000);
const unavailable = servicesUnavailable();
const root = join(import.meta.dir, "..");

interface Proc {
  proc: ReturnType<typeof Bun.spawn>;
  output: () => string;
}

function spawn(script: string, env: Record<string, string>, readyText: string): Promise<Proc> {
  const proc = Bun.spawn(["bun", "run", join(root, script)], { env, stdout: "pipe", stderr: "pipe" });
  let output = "";
  return new Promise((resolve, reject) => {
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) {
        output += decoder.decode(chunk);
        if (output.includes(readyText)) resolve({ proc, output: () => output });
      }
    };
    void collect(proc.stdout as ReadableStream<Uint8Array>);
    void collect(proc.stderr as ReadableStream<Uint8Array>);
    void proc.exited.then((code) => reject(new Error(`${script} exited with ${code}:\n${output}`)));
    setTimeout(() => reject(new Error(`${script} not ready after 45 s:\n${output}`)), 45_000);
  });
}

async function until<T>(check: () => Promise<T | null | false | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

describe.skipIf(unavailable !== null)(`reliability with worker processes${unavailable ? ` (skipped: ${unavailable})` : ""}`, () => {
  let services: Services;
  let sql: postgres.Sql;
  let redis: NativeRedis;
  let graph: Graph;
  let env: Record<string, string>;
  let base: string;
  let server: Proc;
  const workers: Proc[] = [];
  const work = mkdtempSync(join(tmpdir(), "fedisky-reliability-"));
  let databaseName = "";

  const worker = (id: number, count: number, trace: string) =>
    spawn(
      "src/workers/main.ts",
      {
        ...env,
        DATA_DIR: mkdtempSync(join(work, `w${id}-`)),
        WORKER_ID: String(id),
        WORKER_COUNT: String(count),
        WORKER_CONCURRENCY: "2",
        WORKER_TRACE_FILE: trace,
      },
      "running (WORKER_ID",
    ).then((w) => {
      workers.push(w);
      return w;
    });

  async function stop(w: Proc, signal: "SIGTERM" | "SIGKILL") {
    w.proc.kill(signal);
    await w.proc.exited;
  }

  const post = async (index: number, text: string): Promise<string> => {
    const response = await fetch(`${base}/api/v1/statuses`, {
      method: "POST",
      headers: { authorization: `Bearer ${graph.tokenOf(index)}`, "content-type": "application/json" },
      body: JSON.stringify({ status: text }),
    });
    const body = (await response.json()) as { id: string };
    if (response.status !== 200) throw new Error(`posting: ${response.status} ${JSON.stringify(body)}`);
    return body.id;
  };

  const home = async (index: number): Promise<string[]> => {
    const response = await fetch(`${base}/api/v1/timelines/home?limit=40`, { headers: { authorization: `Bearer ${graph.tokenOf(index)}` } });
    if (response.status !== 200) throw new Error(`home: ${response.status}`);
    return ((await response.json()) as { id: string }[]).map((s) => s.id);
  };

  const pendingFor = async (statusId: string) =>
    (await sql`SELECT count(*)::int AS n FROM events WHERE payload->>'statusId' = ${statusId}`)[0]!.n as number;

  /** Followers of the large account: users 2..N follow it. */
  const largeFollowers = () => graph.ids.slice(2);

  async function feedsHolding(accountIds: string[], statusId: string): Promise<number[]> {
    const counts: number[] = [];
    for (let i = 0; i < accountIds.length; i += 500) {
      const lists = await Promise.all(accountIds.slice(i, i + 500).map((id) => redis.lrange(`feed:home:${id}`, 0, -1)));
      for (const list of lists) counts.push(list.filter((x) => x === statusId).length);
    }
    return counts;
  }

  beforeAll(async () => {
    services = await startServices({ quiet: true });
    const url = await freshDatabase(services.databaseUrl, "reliability");
    databaseName = new URL(url).pathname.slice(1);
    sql = postgres(url, { max: 4, onnotice: () => {} });
    await runMigrations(sql);
    graph = await generateGraph(sql, { users: 16_000, avgFanout: 3, largest: 15_999, skew: 2, seedStatuses: 1 }, () => {});
    const prefix = `reliability:${Date.now()}:`;
    redis = new NativeRedis(services.redisUrl, prefix);
    const port = await freePort();
    base = `http://localhost:${port}`;
    env = {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      DATABASE_URL: url,
      REDIS_URL: services.redisUrl,
      REDIS_KEY_PREFIX: prefix,
      LOG_LEVEL: "error",
      PORT: String(port),
      PUBLIC_URL: base,
      WORKER_LEASE_SECONDS: "4",
    };
    server = await spawn("src/main.ts", { ...env, DATA_DIR: mkdtempSync(join(work, "api-")), IN_PROCESS_WORKERS: "false" }, "listening on ");
  }, 120_000);

  afterAll(async () => {
    for (const w of workers) w.proc.kill("SIGKILL");
    server?.proc.kill("SIGKILL");
    await Promise.all([...workers.map((w) => w.proc.exited), server?.proc.exited]);
    await redis?.flushPrefix().catch(() => {});
    await redis?.close();
    await sql?.end({ timeout: 2 });
    if (databaseName && services) {
      const admin = postgres(services.databaseUrl, { max: 1, onnotice: () => {} });
      await admin.unsafe(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`).catch(() => {});
      await admin.end();
    }
    await services?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  let largeStatus = "";

  test("a worker killed mid-fanout and restarted delivers to every follower, exactly once", async () => {
    const trace = join(work, "kill.ndjson");
    let first = await worker(0, 1, trace);
    const followers = largeFollowers();
    // A sample polled while the fanout runs, to kill the worker with some but not all delivered.
    const sample = Array.from({ length: 200 }, (_, i) => followers[Math.floor((i * followers.length) / 200)]!);
    let killedMidway = false;
    for (let attempt = 0; attempt < 3 && !killedMidway; attempt++) {
      const statusId = await post(1, `to every follower, attempt ${attempt}`);
      largeStatus = statusId;
      const seen = await until(async () => {
        const counts = await feedsHolding(sample, statusId);
        const delivered = counts.filter((n) => n > 0).length;
        if (delivered > 0 || (await pendingFor(statusId)) === 0) return { delivered };
        return null;
      }, "the fanout to start");
      const pending = await pendingFor(statusId);
      await stop(first, "SIGKILL");
      killedMidway = seen.delivered < sample.length && pending > 0;
      // Restarted on this host: the dead process's leases and claims are released at once.
      first = await worker(0, 1, trace);
      await until(async () => (await pendingFor(statusId)) === 0, "the fanout to finish after the restart", 90_000);
      const counts = await feedsHolding(followers, statusId);
      const missing = counts.filter((n) => n === 0).length;
      expect(missing).toBe(0);
    }
    expect(killedMidway).toBe(true);
    // Replayed chunks may repeat an id in Redis; what anyone sees holds it once.
    for (const index of [2, 500, 4000, 9000, 15_000]) {
      const ids = await home(index);
      expect(ids.filter((id) => id === largeStatus)).toHaveLength(1);
    }
    await stop(first, "SIGTERM");
  });

  test("after a Redis flush, home timelines come back complete from Postgres", async () => {
    const w = await worker(0, 1, join(work, "flush.ndjson"));
    const readers = [3, 77, 1200, 8000, 15_500];
    for (const index of readers) await post(index, `a post by ${index}`);
    await until(async () => (await sql`SELECT count(*)::int AS n FROM events WHERE type IN ('status.created', 'fanout.chunk')`)[0]!.n === 0, "the worker to drain");
    const before = new Map<number, string[]>();
    for (const index of readers) before.set(index, await home(index));
    expect(before.get(77)).toContain(largeStatus);
    await redis.flushPrefix();
    for (const index of readers) expect(await home(index)).toEqual(before.get(index)!);
    await stop(w, "SIGTERM");
  });

  test("two workers with different WORKER_IDs never process the same shard at once", async () => {
    const trace = join(work, "two.ndjson");
    const kills = new Map<string, number>();
    const ownerOf = (w: Proc) => /worker (\S+) running/.exec(w.output())![1]!;
    const drain = () =>
      until(async () => (await sql`SELECT count(*)::int AS n FROM events WHERE run_at <= now() AND lane = 0`)[0]!.n === 0, "the workers to drain", 90_000);
    const burst = async (n: number, tag: string) => {
      const posters = Array.from({ length: n }, (_, i) => 2 + Math.floor(Math.random() * (graph.ids.length - 3)));
      await Promise.all(posters.map((index, i) => post(index, `${tag} ${i}`)));
    };

    // Worker 0 alone first: once it has been up a while it takes the shards worker 1 would own.
    const w0 = await worker(0, 2, trace);
    await until(async () => (await sql`SELECT count(*)::int AS n FROM shard_leases WHERE owner = ${ownerOf(w0)} AND expires_at > now()`)[0]!.n === 256, "worker 0 to hold every shard", 30_000);
    await burst(60, "alone");
    await post(1, "large, while worker 0 holds everything");
    // Worker 1 arrives: worker 0 hands its shards back while work is in flight.
    let w1 = await worker(1, 2, trace);
    await burst(60, "joined");
    await until(async () => (await sql`SELECT count(*)::int AS n FROM shard_leases WHERE owner = ${ownerOf(w1)} AND expires_at > now()`)[0]!.n === 128, "worker 1 to get its shards", 30_000);
    const large = await post(1, "large, split between the workers");
    await Bun.sleep(150);
    kills.set(ownerOf(w1), performance.timeOrigin + performance.now());
    await stop(w1, "SIGKILL");
    await burst(40, "one down");
    w1 = await worker(1, 2, trace);
    await burst(40, "back");
    await until(async () => (await pendingFor(large)) === 0, "the large fanout to finish");
    await drain();
    await stop(w0, "SIGTERM");
    await stop(w1, "SIGTERM");

    interface Task {
      owner: string;
      shard: number;
      start: number;
      end: number | null;
    }
    const lines = readFileSync(trace, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Task);
    // A task is its start line, closed by its end line; a killed worker's open task ends at the kill.
    const tasks: { owner: string; shard: number; start: number; end: number }[] = [];
    const open = new Map<string, Task[]>();
    for (const line of lines) {
      const key = `${line.owner}/${line.shard}`;
      if (line.end === null) {
        open.set(key, [...(open.get(key) ?? []), line]);
        continue;
      }
      const list = open.get(key) ?? [];
      const index = list.findIndex((t) => t.start === line.start);
      if (index >= 0) list.splice(index, 1);
      tasks.push({ owner: line.owner, shard: line.shard, start: line.start, end: line.end });
    }
    for (const [key, list] of open) {
      const owner = key.slice(0, key.lastIndexOf("/"));
      for (const t of list) tasks.push({ owner, shard: t.shard, start: t.start, end: kills.get(owner) ?? Infinity });
    }
    const owners = new Set(tasks.map((t) => t.owner));
    expect(owners.size).toBeGreaterThanOrEqual(3); // worker 0, worker 1, worker 1 restarted
    let handovers = 0;
    const byShard = new Map<number, typeof tasks>();
    for (const t of tasks) byShard.set(t.shard, [...(byShard.get(t.shard) ?? []), t]);
    for (const [shard, list] of byShard) {
      list.sort((a, b) => a.start - b.start);
      for (let i = 0; i < list.length; i++) {
        for (let j = i + 1; j < list.length && list[j]!.start < list[i]!.end; j++) {
          // Overlap is allowed only within one worker (its two lanes); never across workers.
          if (list[j]!.owner !== list[i]!.owner) {
            throw new Error(`shard ${shard}: ${list[i]!.owner} and ${list[j]!.owner} overlapped`);
          }
        }
        if (i > 0 && list[i]!.owner !== list[i - 1]!.owner) handovers++;
      }
    }
    // The shards really changed hands while work ran (worker 0 → 1, and 1 → its restart).
    expect(handovers).toBeGreaterThan(0);
  });
});
