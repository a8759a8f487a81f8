/**
 * The control socket: how `bun run admin` reaches a running server that owns
 * state no other process may open. PGlite does not lock its directory (two
 * processes would corrupt it), chDB refuses a second process, and the
 * in-memory Redis lives only in the server's heap; so while the server runs
 * on any of them, the CLI sends its argv here and the server runs the very
 * same command implementation with its own AppContext.
 *
 * Protocol: `POST /run` with `{"argv": [...]}` over the unix socket; the
 * response streams newline-delimited JSON events (line, error, progress,
 * ping) and ends with `{"type":"exit","code":N}`. The socket file is 0600,
 * so only the server's user (and root) can connect: it grants full admin.
 */
import { chmodSync, existsSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Config } from "../config.ts";
import type { AppContext } from "../context.ts";
import { logger } from "../log.ts";
import { CommandError } from "./commands/command.ts";
import { commands, execute } from "./commands/index.ts";
import type { Output } from "./output.ts";

const log = logger("control");

export type ControlEvent =
  | { type: "line"; text: string }
  | { type: "error"; text: string }
  | { type: "progress"; done: number; total: number; label?: string }
  | { type: "ping" }
  | { type: "exit"; code: number };

/** Keeps a quiet command (a long query) under Bun's 10 s idle timeout, which unix servers can't change. */
const HEARTBEAT_MS = 5_000;
/** The terminal redraws at most this often anyway; don't flood the socket. */
const PROGRESS_INTERVAL_MS = 100;
/** How long stopping waits for commands in flight before the context closes under them. */
const DRAIN_MS = 10_000;
/** sun_path is 108 bytes on Linux, 104 on macOS. */
const MAX_SOCKET_PATH = 100;

export function controlSocketPath(dataDir: string): string {
  return join(dataDir, "control.sock");
}

function serverInfoPath(dataDir: string): string {
  return join(dataDir, "server.json");
}

/**
 * True when a server on this configuration keeps state only its own process
 * can use, so admin commands must run inside it while it is up.
 */
export function hasEmbeddedState(config: Config): boolean {
  return config.databaseUrl === null || config.clickhouseUrl === null || config.redis.kind === "memory";
}

/** DATA_DIR/server.json: which process holds DATA_DIR, for the CLI and for operators. */
interface ServerInfo {
  pid: number;
  socket: string | null;
  startedAt: string;
  publicUrl: string;
  database: string;
  clickhouse: string;
  redis: string;
}

export interface ControlServer {
  /** The socket path, or null when this process serves no control socket. */
  readonly path: string | null;
  stop(): Promise<void>;
}

export async function startControlServer(ctx: AppContext): Promise<ControlServer> {
  const { dataDir } = ctx.config;
  if (!hasEmbeddedState(ctx.config)) return { path: null, stop: async () => {} };
  const path = controlSocketPath(dataDir);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    // server.json still tells the CLI a server holds DATA_DIR, so it refuses rather than opening it too.
    log.warn("DATA_DIR is too long a path for the control socket ({path}); stop the server to run admin commands", { path });
    writeServerInfo(ctx, null);
    return { path: null, stop: async () => removeServerInfo(dataDir, process.pid) };
  }
  if (existsSync(path)) {
    if (await isLive(path)) {
      // Another server on this DATA_DIR: two processes on one PGlite directory corrupt it.
      throw new Error(`another server is already running on DATA_DIR ${dataDir} (its control socket ${path} answers)`);
    }
    unlinkSync(path);
  }

  const running = new Set<Promise<unknown>>();
  // The socket must never be reachable by other users, not even between
  // bind and chmod: bind under a umask that leaves only the owner's bits.
  const previousUmask = process.umask(0o177);
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({
      unix: path,
      fetch: (request) => handle(ctx, request, running),
    });
  } finally {
    process.umask(previousUmask);
  }
  chmodSync(path, 0o600);
  writeServerInfo(ctx, path);
  log.debug("Control socket listening on {path}", { path });

  return {
    path,
    async stop() {
      await Promise.race([Promise.allSettled([...running]), Bun.sleep(DRAIN_MS)]);
      await server.stop(true);
      removeServerInfo(dataDir, process.pid);
      if (existsSync(path)) unlinkSync(path);
    },
  };
}

async function handle(ctx: AppContext, request: Request, running: Set<Promise<unknown>>): Promise<Response> {
  if (new URL(request.url).pathname !== "/run") return new Response("not found\n", { status: 404 });
  if (request.method !== "POST") return new Response("method not allowed\n", { status: 405 });
  let argv: unknown;
  try {
    argv = ((await request.json()) as { argv?: unknown }).argv;
  } catch {
    argv = undefined;
  }
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === "string")) {
    return new Response('expected {"argv": [string, ...]}\n', { status: 400 });
  }
  // Only a known command's name: arguments (and typos) may hold a password.
  const name = commands.find((c) => c.name === argv.slice(0, 2).join(" "))?.name ?? "(not a command)";
  log.info("Admin command {command} from the control socket", { command: name });

  const encoder = new TextEncoder();
  let open = true;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (event: ControlEvent) => {
        if (!open) return;
        try {
          controller.enqueue(encoder.encode(`${JSON.stringify(event)}\n`));
        } catch {
          open = false;
        }
      };
      let lastProgress = 0;
      let lastLabel: string | undefined;
      const out: Output = {
        line: (text) => send({ type: "line", text }),
        error: (text) => send({ type: "error", text }),
        progress(done, total, label) {
          const now = Date.now();
          if (label === lastLabel && done < total && now - lastProgress < PROGRESS_INTERVAL_MS) return;
          lastProgress = now;
          lastLabel = label;
          send({ type: "progress", done, total, label });
        },
      };
      const heartbeat = setInterval(() => send({ type: "ping" }), HEARTBEAT_MS);
      // The command finishes even if the CLI goes away: stopping half-way would be worse.
      const run = execute(ctx, argv as string[], out)
        .then((code) => send({ type: "exit", code }))
        // execute turns command failures into exit codes; this guards the server against anything else.
        .catch((error) => {
          log.error("Control socket command {command} crashed: {error}", { command: name, error });
          send({ type: "exit", code: 1 });
        })
        .finally(() => {
          clearInterval(heartbeat);
          running.delete(run);
          if (open) {
            open = false;
            controller.close();
          }
        });
      running.add(run);
    },
    cancel() {
      open = false;
    },
  });
  return new Response(body, { headers: { "content-type": "application/x-ndjson" } });
}

function writeServerInfo(ctx: AppContext, socket: string | null): void {
  const info: ServerInfo = {
    pid: process.pid,
    socket,
    startedAt: new Date().toISOString(),
    publicUrl: ctx.config.publicUrl.origin,
    database: ctx.database.kind,
    clickhouse: ctx.clickhouse.kind,
    redis: ctx.redis.kind,
  };
  writeFileSync(serverInfoPath(ctx.config.dataDir), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
}

function readServerInfo(dataDir: string): ServerInfo | null {
  try {
    return JSON.parse(readFileSync(serverInfoPath(dataDir), "utf8")) as ServerInfo;
  } catch {
    return null;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it just isn't ours.
    return (error as { code?: string }).code === "EPERM";
  }
}

async function isLive(path: string): Promise<boolean> {
  try {
    const response = await fetch("http://localhost/", { unix: path });
    await response.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

function removeServerInfo(dataDir: string, pid?: number): void {
  try {
    if (pid !== undefined && readServerInfo(dataDir)?.pid !== pid) return;
    unlinkSync(serverInfoPath(dataDir));
  } catch {
    // Missing or unreadable: nothing of ours to remove.
  }
}

/**
 * Runs argv on the server that owns dataDir. Returns its exit code, or null
 * when no server is running there (no socket, or a stale one left by a
 * crash, which is removed) so the caller runs the command itself.
 */
export async function runOnServer(dataDir: string, argv: string[], out: Output): Promise<number | null> {
  const path = controlSocketPath(dataDir);
  if (!existsSync(path)) {
    const info = readServerInfo(dataDir);
    if (info && info.pid !== process.pid && isRunning(info.pid)) {
      throw new CommandError(
        `a server (pid ${info.pid}) holds ${dataDir} but offers no control socket; stop it to run admin commands ` +
          `(if that process is not the server, delete ${serverInfoPath(dataDir)})`,
      );
    }
    return null;
  }
  assertTrustedOwner(path);
  let response: Response;
  try {
    response = await fetch("http://localhost/run", {
      unix: path,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ argv }),
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ECONNREFUSED" || code === "ENOENT") {
      // Nobody listens: the server died without cleaning up.
      try {
        unlinkSync(path);
      } catch {
        // Raced with another CLI or a starting server: fine either way.
      }
      removeServerInfo(dataDir);
      return null;
    }
    const reason = code === "EACCES" ? "permission denied (run this as the server's user)" : (error as Error).message;
    throw new CommandError(`cannot reach the running server through ${path}: ${reason}`);
  }
  if (!response.ok) {
    throw new CommandError(`the server refused the command (${response.status}): ${(await response.text()).trim()}`);
  }

  const decoder = new TextDecoder();
  let buffered = "";
  try {
    for await (const chunk of response.body as ReadableStream<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const text = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (!text) continue;
        const event = JSON.parse(text) as ControlEvent;
        switch (event.type) {
          case "line":
            out.line(event.text);
            break;
          case "error":
            out.error(event.text);
            break;
          case "progress":
            out.progress(event.done, event.total, event.label);
            break;
          case "exit":
            return event.code;
        }
      }
    }
  } catch (error) {
    out.error(`error: reading from the server failed: ${(error as Error).message}`);
  }
  out.error("error: the server closed the connection before the command finished; it may or may not have completed");
  return 1;
}

/**
 * The CLI hands over passwords and acts on what the socket answers, so the
 * socket must belong to us or to whoever owns DATA_DIR (root administering a
 * server that runs as its own user).
 */
function assertTrustedOwner(path: string): void {
  const owner = statSync(path).uid;
  const me = process.getuid?.();
  if (me === undefined || owner === me || owner === statSync(dirname(path)).uid) return;
  throw new CommandError(`refusing to use ${path}: it belongs to uid ${owner}, neither you nor the owner of DATA_DIR`);
}
