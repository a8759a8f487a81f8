/**
 * `bun run start`: the API server. On the embedded defaults this process
 * also owns PGlite and chDB, so it serves admin commands for the CLI on a
 * local socket (see src/cli/control.ts).
 */
import { ConfigError, loadConfig, type Config } from "./config.ts";
import { configureLogging, logger } from "./log.ts";
import { closeContext, openContext } from "./bootstrap.ts";
import { createApp } from "./app.ts";
import { startControlServer } from "./cli/control.ts";
import { startFederationWorker } from "../federation/index.ts";
import { enableRemoteNudges, startEventWorker } from "./events/worker.ts";
import { DataDirLockedError } from "./db/data-dir-lock.ts";
import { startPollCloser } from "../modules/statuses/index.ts";
import { flushStatusStream } from "../modules/trends/index.ts";
import { stopStreaming } from "../modules/streaming/index.ts";
import { websocket } from "elysia/ws";

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
await configureLogging(config.logLevel);
const log = logger("main");

const ctx = await openContext(config).catch((error) => {
  if (error instanceof DataDirLockedError) {
    console.error(`Cannot start: ${error.message}`);
    process.exit(1);
  }
  throw error;
});
const app = createApp(ctx);
// Elysia's WebSocket handler (its copy of Bun's types differs in details only); its .ws()
// routes (the streaming API) upgrade through the app's server.
const server = Bun.serve({ port: config.port, fetch: app.fetch, websocket: websocket as Bun.WebSocketHandler<any>, idleTimeout: 60 });
app.server = server;
const control = await startControlServer(ctx);
const stopFederationWorker = config.inProcessWorkers ? startFederationWorker(ctx) : async () => {};
// Embedded mode runs the workers here; at scale, `bun run worker` processes run them.
const eventWorker = config.inProcessWorkers ? startEventWorker(ctx) : null;
// Fresh events wake worker processes through Redis when it is shared.
enableRemoteNudges(ctx);
const pollCloser = config.inProcessWorkers ? startPollCloser(ctx) : null;

// Tests and supervisors read this line to learn the bound port (PORT=0 picks a free one).
console.log(`listening on http://localhost:${server.port} as ${config.publicUrl.origin}`);
log.info("Server ready: {url}", { url: config.publicUrl.href });

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info("Stopping on {signal}", { signal });
  // Streaming connections never finish on their own; stop() would wait for them.
  stopStreaming(ctx);
  await server.stop();
  await stopFederationWorker();
  await control.stop();
  await eventWorker?.stop();
  await pollCloser?.stop();
  // Rows buffered for ClickHouse would otherwise wait for the next start's replay.
  await flushStatusStream(ctx).catch(() => {});
  await closeContext(ctx);
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
