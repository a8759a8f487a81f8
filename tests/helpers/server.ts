/**
 * Starts a real server process for end-to-end tests, on the backend the test
 * run was given: the embedded defaults, or the real PostgreSQL and Redis
 * named by DATABASE_URL and REDIS_URL (each server then gets a fresh
 * database and its own Redis key prefix, so test files never share state).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";

export interface TestServer {
  /** Where to send requests (the public URL). */
  url: string;
  port: number;
  dataDir: string;
  env: Record<string, string>;
  /** Raw stdout+stderr so far, for debugging failures. */
  output(): string;
  stop(): Promise<void>;
  /** Stops and starts the same instance again (same data). */
  restart(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  /** Host for PUBLIC_URL, e.g. 127.0.0.2 for a second federating instance. */
  host?: string;
}

export async function freePort(): Promise<number> {
  const probe = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

async function freshDatabaseUrl(adminUrl: string): Promise<string> {
  const name = `test_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.href;
}

/** The environment a server under test gets for the backend of this test run. */
export async function backendEnv(): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  if (process.env.DATABASE_URL) env.DATABASE_URL = await freshDatabaseUrl(process.env.DATABASE_URL);
  if (process.env.REDIS_URL) {
    env.REDIS_URL = process.env.REDIS_URL;
    env.REDIS_KEY_PREFIX = `test:${Date.now()}:${Math.random().toString(36).slice(2, 8)}:`;
  }
  return env;
}

export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const port = await freePort();
  const host = options.host ?? "localhost";
  const dataDir = mkdtempSync(join(tmpdir(), "fedisky-test-"));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    PORT: String(port),
    PUBLIC_URL: `http://${host}:${port}`,
    DATA_DIR: dataDir,
    LOG_LEVEL: "warning",
    ...(await backendEnv()),
    ...options.env,
  };
  let output = "";
  let proc: ReturnType<typeof Bun.spawn> | null = null;

  async function launch() {
    output = "";
    proc = Bun.spawn(["bun", "run", join(import.meta.dir, "../../src/main.ts")], {
      env,
      stdout: "pipe",
      stderr: "pipe",
    });
    const ready = new Promise<void>((resolve, reject) => {
      const collect = async (stream: ReadableStream<Uint8Array>) => {
        const decoder = new TextDecoder();
        for await (const chunk of stream) {
          output += decoder.decode(chunk);
          if (output.includes("listening on ")) resolve();
        }
      };
      void collect(proc!.stdout as ReadableStream<Uint8Array>);
      void collect(proc!.stderr as ReadableStream<Uint8Array>);
      void proc!.exited.then((code) => reject(new Error(`server exited with ${code} before it was ready:\n${output}`)));
      setTimeout(() => reject(new Error(`server not ready after 45 s:\n${output}`)), 45_000);
    });
    await ready;
  }

  async function halt() {
    if (!proc) return;
    proc.kill("SIGTERM");
    const exited = await Promise.race([proc.exited, Bun.sleep(10_000).then(() => null)]);
    if (exited === null) proc.kill("SIGKILL");
    await proc.exited;
    proc = null;
  }

  await launch();
  return {
    url: env.PUBLIC_URL!,
    port,
    dataDir,
    env,
    output: () => output,
    async stop() {
      await halt();
      rmSync(dataDir, { recursive: true, force: true });
    },
    async restart() {
      await halt();
      await launch();
    },
  };
}
