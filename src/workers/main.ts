/**
 * `bun run worker`: a worker process without an HTTP server. It opens the
 * same AppContext as the API, registers every module's event handlers (by
 * building the app, which it never serves), and runs the event worker for
 * the shards it wins leases on (WORKER_ID/WORKER_COUNT say which it
 * prefers) and the federation delivery queue.
 *
 * It needs the shared services: the embedded PGlite and in-process Redis
 * belong to the server process, so a worker refuses to start without
 * DATABASE_URL and REDIS_URL (or Upstash). With the embedded defaults,
 * `bun run start` runs the workers itself (IN_PROCESS_WORKERS=true).
 */
import { ConfigError, loadConfig, type Config } from "../config.ts";
import { configureLogging, logger } from "../log.ts";
import { closeContext, openContext } from "../bootstrap.ts";
import { createApp } from "../app.ts";
import { startFederationWorker } from "../../federation/index.ts";
import { enableRemoteNudges, startEventWorker } from "../events/worker.ts";
import "./backfill.ts";

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`Configuration error: ${error.message}`);
    process.exit(2);
  }
  throw error;
}
const missing = [
  config.databaseUrl === null ? "DATABASE_URL" : null,
  config.redis.kind === "memory" ? "REDIS_URL" : null,
].filter((name) => name !== null);
if (missing.length > 0) {
  console.error(
    `Cannot start a worker process without ${missing.join(" and ")}: the embedded database and Redis belong to ` +
      "the server process. Either run `bun run start` (it runs the workers in-process), or point the server and " +
      "the workers at a PostgreSQL server and a Redis server.",
  );
  process.exit(2);
}
await configureLogging(config.logLevel);
const log = logger("worker");
if (config.clickhouseUrl === null) {
  // chDB locks its directory: a worker beside an embedded-ClickHouse server needs a DATA_DIR of its own.
  log.warning("No CLICKHOUSE_URL: this worker writes the interaction stream to its own chDB in {dir}", { dir: config.dataDir });
}

const ctx = await openContext(config);
// Builds the routes only for their side effect: every module registers its event handlers on load.
createApp(ctx);
enableRemoteNudges(ctx);
const events = startEventWorker(ctx, { concurrency: config.workerConcurrency });
const stopFederation = startFederationWorker(ctx);
await events.ready;
// Supervisors and tests read this line.
console.log(`worker ${events.owner} running (WORKER_ID=${config.workerId}, WORKER_COUNT=${config.workerCount})`);
log.info("Worker ready with {count} shards", { count: events.shards().length });

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info("Stopping on {signal}", { signal });
  await stopFederation();
  await events.stop();
  await closeContext(ctx);
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
