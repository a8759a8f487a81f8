/**
 * `bun run bench [--quick] [--json] [options]`: the fanout benchmark.
 *
 * 1. Real PostgreSQL and Redis (DATABASE_URL/REDIS_URL, else started here:
 *    bench/services.ts), a fresh database, migrations.
 * 2. A synthetic power-law follower graph bulk-generated in Postgres
 *    (bench/graph.ts), one very large account included.
 * 3. The machine's limit: pipelined LPUSH/s from a Bun process through the
 *    same Redis adapter (bench/lpush.ts), measured before the load.
 * 4. An API server (IN_PROCESS_WORKERS=false) and N `bun run worker`
 *    processes, as deployed at scale.
 * 5. For `--duration` seconds: posters POST /api/v1/statuses over HTTP (the
 *    real write path: status + event in one transaction → workers → Redis);
 *    the large account posts once a third of the way in; 100+ readers GET
 *    /api/v1/timelines/home with think time. Delivery latency is observed
 *    on the streaming channels (`timeline:<id>`) of a sample of users,
 *    from the moment the POST was sent.
 * 6. After the load, the backlog drains; deliveries/s counts every home a
 *    post reached (its author's followers, all active, plus the author) over
 *    the time from the first post to the end of the drain.
 *
 * Prints a table, or with --json one JSON line.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { runMigrations } from "../src/db/migrate.ts";
import { NativeRedis } from "../src/services/redis/native.ts";
import { shardOf } from "../src/events/index.ts";
import { generateGraph } from "./graph.ts";
import { freePort, freshDatabase, startServices } from "./services.ts";

// ---------------------------------------------------------------------------
// Parameters

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
function option(name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(argv[i + 1]);
  if (!Number.isFinite(value)) throw new Error(`--${name} needs a number`);
  return value;
}
if (flag("help")) {
  console.log(`Usage: bun run bench [--quick] [--json] [--workers N] [--users N] [--avg-fanout N] [--largest N]
       [--skew X] [--duration S] [--posters N] [--rate POSTS_PER_S] [--readers N] [--think-ms MS] [--concurrency N]`);
  process.exit(0);
}
const quick = flag("quick");
const json = flag("json");
const params = {
  users: option("users", quick ? 20_000 : 100_000),
  avgFanout: option("avg-fanout", quick ? 60 : 200),
  largest: option("largest", quick ? 19_999 : 99_999),
  skew: option("skew", 2.5),
  duration: option("duration", quick ? 10 : 30),
  posters: option("posters", 8),
  /** Offered posts/s over HTTP during the latency phase (0: as fast as the posters go). */
  rate: option("rate", quick ? 15 : 25),
  readers: option("readers", 128),
  /** Mean pause between one reader's requests (uniform in 0.5–1.5×). */
  thinkMs: option("think-ms", 2000),
  /** Posts committed at once for the throughput phase. */
  burst: option("burst", quick ? 3000 : 20000),
  workers: option("workers", 2),
  concurrency: option("concurrency", 12),
  sample: option("sample", quick ? 200 : 300),
};
const say = (message: string) => {
  if (!json) console.error(`bench: ${message}`);
};

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

// ---------------------------------------------------------------------------
// Processes

interface Child {
  proc: ReturnType<typeof Bun.spawn>;
  output: () => string;
}

function spawn(argvs: string[], env: Record<string, string>, readyText: string): Promise<Child> {
  const proc = Bun.spawn(argvs, { env, stdout: "pipe", stderr: "pipe" });
  let output = "";
  return new Promise((resolve, reject) => {
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) {
        output += decoder.decode(chunk);
        if (output.length > 200_000) output = output.slice(-100_000);
        if (output.includes(readyText)) resolve({ proc, output: () => output });
      }
    };
    void collect(proc.stdout as ReadableStream<Uint8Array>);
    void collect(proc.stderr as ReadableStream<Uint8Array>);
    void proc.exited.then((code) => reject(new Error(`${argvs.join(" ")} exited with ${code}:\n${output}`)));
    setTimeout(() => reject(new Error(`${argvs.join(" ")} not ready after 60 s:\n${output}`)), 60_000);
  });
}

// ---------------------------------------------------------------------------

const started = performance.now();
// Other processes on the machine skew every number: recorded with the results.
const loadBefore = loadavg()[0]!;
const services = await startServices({ quiet: json });
const databaseUrl = await freshDatabase(services.databaseUrl);
const prefix = `bench:${Date.now()}:`;
const sql = postgres(databaseUrl, { max: 4, onnotice: () => {} });
const dataDir = mkdtempSync(join(tmpdir(), "fedisky-bench-"));
const children: Child[] = [];

async function cleanup() {
  for (const child of children) child.proc.kill("SIGKILL");
  await Promise.all(children.map((c) => c.proc.exited));
  await sql.end({ timeout: 2 }).catch(() => {});
  const admin = postgres(services.databaseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS ${new URL(databaseUrl).pathname.slice(1)} WITH (FORCE)`).catch(() => {});
  await admin.end();
  await services.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
process.on("SIGINT", () => void cleanup().then(() => process.exit(130)));

try {
  say(`database ${new URL(databaseUrl).pathname.slice(1)}; migrating`);
  await runMigrations(sql);
  say(`graph: ${params.users} users, ~${params.avgFanout} follows each (skew ${params.skew}), largest ${params.largest}`);
  const graphStarted = performance.now();
  const graph = await generateGraph(sql, { ...params, seedStatuses: 3 }, say);
  const graphSeconds = (performance.now() - graphStarted) / 1000;
  say(`graph: ${graph.follows} follows, largest account ${graph.maxFollowers} followers (${graphSeconds.toFixed(1)} s)`);

  // The machine's limit, before the load, from a process like a worker.
  const lpushProc = Bun.spawn(["bun", "run", join(import.meta.dir, "lpush.ts"), quick ? "3" : "5", "4"], {
    env: { ...process.env, REDIS_URL: services.redisUrl, REDIS_KEY_PREFIX: prefix },
    stdout: "pipe",
    stderr: "inherit",
  });
  const lpush = JSON.parse((await new Response(lpushProc.stdout).text()).trim());
  say(`LPUSH limit: ${lpush.lpush_per_s.toLocaleString()} /s (4 pipelines of 1,000 in flight)`);

  const port = await freePort();
  const baseEnv: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    DATABASE_URL: databaseUrl,
    REDIS_URL: services.redisUrl,
    REDIS_KEY_PREFIX: prefix,
    DATA_DIR: dataDir,
    LOG_LEVEL: "warning",
    PORT: String(port),
    PUBLIC_URL: `http://localhost:${port}`,
    // The large account is pushed (not merged at read time): this measures chunked fanout.
    FANOUT_MERGE_THRESHOLD: String(Math.max(graph.maxFollowers + 1, 1_000_000)),
    REGISTRATIONS: "closed",
  };
  const root = join(import.meta.dir, "..");
  children.push(
    await spawn(["bun", "run", join(root, "src/main.ts")], { ...baseEnv, IN_PROCESS_WORKERS: "false" }, "listening on "),
  );
  for (let id = 0; id < params.workers; id++) {
    children.push(
      await spawn(
        ["bun", "run", join(root, "src/workers/main.ts")],
        {
          ...baseEnv,
          // Without CLICKHOUSE_URL each process keeps its own chDB, which locks its directory.
          DATA_DIR: mkdtempSync(join(dataDir, `worker-${id}-`)),
          WORKER_ID: String(id),
          WORKER_COUNT: String(params.workers),
          WORKER_CONCURRENCY: String(params.concurrency),
        },
        "running (WORKER_ID",
      ),
    );
  }
  const base = `http://localhost:${port}`;
  say(`API on ${base}, ${params.workers} worker process(es)`);

  // Delivery observation: the streaming channels of a sample of users.
  const subscriber = new NativeRedis(services.redisUrl, prefix);
  const sample = new Set<number>();
  while (sample.size < Math.min(params.sample, params.users - 1)) sample.add(2 + Math.floor(Math.random() * (params.users - 1)));
  const arrivals = new Map<string, number[]>();
  for (const i of sample) {
    await subscriber.subscribe(`timeline:${graph.ids[i]}`, (message) => {
      const at = performance.now();
      const { event, status_id } = JSON.parse(message);
      if (event !== "update") return;
      const list = arrivals.get(status_id);
      if (list) list.push(at);
      else arrivals.set(status_id, [at]);
    });
  }

  const readerIndexes = [...sample];
  // Warm-up: every reader's home is built once (the synchronous rebuild from Postgres, timed).
  const rebuilds: number[] = [];
  for (let i = 0; i < readerIndexes.length; i += 16) {
    await Promise.all(
      readerIndexes.slice(i, i + 16).map(async (index) => {
        const t0 = performance.now();
        const response = await fetch(`${base}/api/v1/timelines/home`, { headers: { authorization: `Bearer ${graph.tokenOf(index)}` } });
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`home read: ${response.status}`);
        rebuilds.push(performance.now() - t0);
      }),
    );
  }
  say(`built ${rebuilds.length} homes from Postgres: p50 ${percentile(rebuilds, 50).toFixed(1)} ms, p99 ${percentile(rebuilds, 99).toFixed(1)} ms`);

  // ------------------------------------------------------------------------- throughput
  // A burst of posts committed at once, each with its status.created event,
  // as PostStatus writes them (statuses row + event in one transaction);
  // the workers' drain time gives the delivery rate they sustain.
  async function drainTime(since: number, limitMs: number): Promise<{ seconds: number; left: number }> {
    const deadline = performance.now() + limitMs;
    for (;;) {
      const [row] = await sql`SELECT count(*)::int AS n FROM events WHERE type IN ('status.created', 'fanout.chunk')`;
      if (row!.n === 0 || performance.now() > deadline) return { seconds: (performance.now() - since) / 1000, left: row!.n };
      await Bun.sleep(20);
    }
  }
  const burstRows = await sql`
    WITH picked AS (
      SELECT b.id AS account_id FROM (SELECT 2 + floor(random() * ${params.users - 1})::int AS i FROM generate_series(1, ${params.burst})) x
      JOIN bench_ids b ON b.i = x.i
    )
    INSERT INTO statuses (account_id, text, content, visibility, local)
    SELECT account_id, 'burst', '<p>burst</p>', 'public', true FROM picked
    RETURNING id, account_id`;
  let burstDeliveries = 0;
  for (const row of burstRows) burstDeliveries += (graph.followers.get(row.account_id) ?? 0) + 1;
  const burstStart = performance.now();
  await sql.begin(async (tx) => {
    await tx`UPDATE statuses SET conversation_id = id WHERE conversation_id IS NULL`;
    await tx`INSERT INTO status_stats (status_id) SELECT id FROM statuses ON CONFLICT DO NOTHING`;
    await tx`
      INSERT INTO events (shard, type, account_id, payload)
      SELECT * FROM unnest(${burstRows.map((r) => shardOf(r.account_id))}::int[], ${burstRows.map(() => "status.created")}::text[],
                           ${burstRows.map((r) => r.account_id)}::bigint[],
                           ${burstRows.map((r) => JSON.stringify({ statusId: r.id }))}::jsonb[])`;
  });
  await subscriber.publish("events:wake", "1");
  const burst = await drainTime(burstStart, 180_000);
  say(`throughput: ${burstRows.length} posts, ${burstDeliveries.toLocaleString()} deliveries in ${burst.seconds.toFixed(2)} s`);
  arrivals.clear();

  // ------------------------------------------------------------------------- load
  const posts = new Map<string, { at: number; author: number; large: boolean }>();
  let postErrors = 0;
  let running = true;
  const loadStart = performance.now();
  const loadEnd = loadStart + params.duration * 1000;
  let largePost: { id: string; at: number } | null = null;

  async function postAs(index: number, large = false): Promise<string | null> {
    const at = performance.now();
    const response = await fetch(`${base}/api/v1/statuses`, {
      method: "POST",
      headers: { authorization: `Bearer ${graph.tokenOf(index)}`, "content-type": "application/json" },
      body: JSON.stringify({ status: `bench post by ${index} at ${Date.now()}` }),
    });
    const body = (await response.json()) as { id?: string };
    if (response.status !== 200 || !body.id) {
      postErrors++;
      return null;
    }
    posts.set(body.id, { at, author: index, large });
    return body.id;
  }

  let offered = 0;
  const posters = Array.from({ length: params.posters }, async () => {
    while (running && performance.now() < loadEnd) {
      if (params.rate > 0) {
        // Open loop: the nth post is due at n / rate.
        const due = loadStart + (offered++ / params.rate) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await Bun.sleep(wait);
        if (performance.now() >= loadEnd) break;
      }
      await postAs(2 + Math.floor(Math.random() * (params.users - 1)));
    }
  });

  const reads: number[] = [];
  let readErrors = 0;
  const readers = Array.from({ length: params.readers }, async (_, n) => {
    await Bun.sleep(Math.random() * params.thinkMs);
    while (running && performance.now() < loadEnd) {
      const index = readerIndexes[n % readerIndexes.length]!;
      const t0 = performance.now();
      const response = await fetch(`${base}/api/v1/timelines/home?limit=20`, {
        headers: { authorization: `Bearer ${graph.tokenOf(index)}` },
      });
      await response.arrayBuffer();
      if (response.status === 200) reads.push(performance.now() - t0);
      else readErrors++;
      await Bun.sleep(params.thinkMs * (0.5 + Math.random()));
    }
  });

  // The large account posts a third of the way in, while everything else runs.
  const largeFanout = (async () => {
    await Bun.sleep((params.duration * 1000) / 3);
    const at = performance.now();
    const id = await postAs(1, true);
    if (!id) throw new Error("the large account's post failed");
    largePost = { id, at };
    // Done when no event for it remains (its status.created and every fanout chunk).
    for (;;) {
      const [row] = await sql`SELECT count(*)::int AS n FROM events WHERE payload->>'statusId' = ${id}`;
      if (row!.n === 0) return (performance.now() - at) / 1000;
      await Bun.sleep(25);
    }
  })();

  await Promise.all([...posters, ...readers]);
  running = false;
  const postingEnded = performance.now();
  say(`load over: ${posts.size} posts (${postErrors} errors), ${reads.length} home reads (${readErrors} errors); draining`);
  const largeSeconds = await largeFanout;
  // Drain: every status.created and fanout chunk handled.
  const drainDeadline = performance.now() + 120_000;
  let pending = 0;
  for (;;) {
    const [row] = await sql`SELECT count(*)::int AS n FROM events WHERE type IN ('status.created', 'fanout.chunk')`;
    pending = row!.n;
    if (pending === 0 || performance.now() > drainDeadline) break;
    await Bun.sleep(50);
  }
  const drained = performance.now();
  await Bun.sleep(200); // the last messages in flight
  const elapsed = (drained - loadStart) / 1000;

  // ------------------------------------------------------------------------- results
  let deliveries = 0;
  for (const post of posts.values()) deliveries += (graph.followers.get(graph.ids[post.author]!) ?? 0) + 1;
  const normal: number[] = [];
  const large: number[] = [];
  let observed = 0;
  for (const [statusId, times] of arrivals) {
    const post = posts.get(statusId);
    if (!post) continue;
    for (const t of times) {
      observed++;
      (post.large ? large : normal).push(t - post.at);
    }
  }
  // While the large fanout ran: normal posts sent between its post and its completion.
  const lp = largePost as { id: string; at: number } | null;
  const during: number[] = [];
  if (lp) {
    for (const [statusId, times] of arrivals) {
      const post = posts.get(statusId);
      if (!post || post.large || post.at < lp.at || post.at > lp.at + largeSeconds * 1000) continue;
      for (const t of times) during.push(t - post.at);
    }
  }
  const deliveriesPerS = burstDeliveries / burst.seconds;
  const result = {
    deliveries_per_s: Math.round(deliveriesPerS),
    redis_lpush_limit_per_s: lpush.lpush_per_s,
    ratio_to_lpush_limit: Number((deliveriesPerS / lpush.lpush_per_s).toFixed(3)),
    burst_posts: burstRows.length,
    burst_deliveries: burstDeliveries,
    burst_drain_s: Number(burst.seconds.toFixed(2)),
    load_deliveries_per_s: Math.round(deliveries / elapsed),
    delivery_p50_ms: Number(percentile(normal, 50).toFixed(1)),
    delivery_p99_ms: Number(percentile(normal, 99).toFixed(1)),
    delivery_p99_during_large_ms: Number(percentile(during, 99).toFixed(1)),
    large_account_followers: graph.maxFollowers,
    large_account_delivery_s: Number(largeSeconds.toFixed(2)),
    large_account_sampled_p50_ms: Number(percentile(large, 50).toFixed(1)),
    home_read_p50_ms: Number(percentile(reads, 50).toFixed(1)),
    home_read_p99_ms: Number(percentile(reads, 99).toFixed(1)),
    home_reads_per_s: Math.round(reads.length / params.duration),
    home_rebuild_p50_ms: Number(percentile(rebuilds, 50).toFixed(1)),
    home_rebuild_p99_ms: Number(percentile(rebuilds, 99).toFixed(1)),
    posts: posts.size,
    posts_per_s: Math.round(posts.size / ((postingEnded - loadStart) / 1000)),
    deliveries,
    deliveries_observed: observed,
    drain_s: Number(((drained - postingEnded) / 1000).toFixed(2)),
    undrained_events: pending,
    workers: params.workers,
    worker_concurrency: params.concurrency,
    readers: params.readers,
    users: params.users,
    follows: graph.follows,
    avg_fanout: Number((graph.follows / params.users).toFixed(1)),
    duration_s: params.duration,
    graph_s: Number(graphSeconds.toFixed(1)),
    total_s: 0,
    cores: navigator.hardwareConcurrency,
    load_average_before: Number(loadBefore.toFixed(2)),
    load_average_after: Number(loadavg()[0]!.toFixed(2)),
    errors: postErrors + readErrors,
  };
  await subscriber.close();
  await cleanup();
  result.total_s = Number(((performance.now() - started) / 1000).toFixed(1));

  if (json) console.log(JSON.stringify(result));
  else {
    const rows: [string, string][] = [
      ["graph", `${result.users.toLocaleString()} users, ${result.follows.toLocaleString()} follows (avg fanout ${result.avg_fanout}), largest ${result.large_account_followers.toLocaleString()}`],
      ["processes", `1 API + ${result.workers} worker(s) × ${result.worker_concurrency} concurrent, ${result.cores} cores, load average ${result.load_average_before} before`],
      ["posts", `${result.posts} (${result.posts_per_s}/s over ${result.duration_s} s), ${result.deliveries.toLocaleString()} home deliveries`],
      ["deliveries/s", `${result.deliveries_per_s.toLocaleString()} (burst of ${result.burst_posts} posts, ${result.burst_deliveries.toLocaleString()} deliveries drained in ${result.burst_drain_s} s)`],
      ["under HTTP load", `${result.load_deliveries_per_s.toLocaleString()} deliveries/s`],
      ["LPUSH limit/s", `${result.redis_lpush_limit_per_s.toLocaleString()} (ratio ${result.ratio_to_lpush_limit}, target ≥ 0.333)`],
      ["delivery p50 / p99", `${result.delivery_p50_ms} ms / ${result.delivery_p99_ms} ms (target p99 < 1000)`],
      ["p99 during large fanout", `${result.delivery_p99_during_large_ms} ms`],
      ["large account", `${result.large_account_followers.toLocaleString()} followers delivered in ${result.large_account_delivery_s} s`],
      ["home read p50 / p99", `${result.home_read_p50_ms} ms / ${result.home_read_p99_ms} ms at ${result.readers} readers, ${result.home_reads_per_s}/s (target p99 < 20)`],
      ["home rebuild p50 / p99", `${result.home_rebuild_p50_ms} ms / ${result.home_rebuild_p99_ms} ms`],
      ["drain after load", `${result.drain_s} s (${result.undrained_events} left)`],
      ["total", `${result.total_s} s`],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  }
  process.exit(0);
} catch (error) {
  console.error(error);
  for (const child of children) console.error(child.output().slice(-3000));
  await cleanup().catch(() => {});
  process.exit(1);
}
