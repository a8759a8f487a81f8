/**
 * Real PostgreSQL and Redis for the benchmark and the multi-process
 * reliability tests: the servers named by DATABASE_URL and REDIS_URL when
 * both are set, else private ones started here the way .ci/run does (initdb
 * in a temporary directory as the postgres user, durability off, and
 * redis-server on a spare port), stopped again by `stop()`.
 *
 * The embedded PGlite is one single-connection backend in the server's
 * process: far too slow, and not shareable between processes, for either.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import postgres from "postgres";

export interface Services {
  /** A role allowed to CREATE DATABASE, on a database it owns. */
  databaseUrl: string;
  redisUrl: string;
  /** Whether they were started here (and `stop` stops them). */
  started: boolean;
  stop(): Promise<void>;
}

/** Why real services can't be had on this machine, or null when they can. */
export function servicesUnavailable(): string | null {
  if (process.env.DATABASE_URL && process.env.REDIS_URL) return null;
  if (!postgresBin()) return "PostgreSQL binaries not found under /usr/lib/postgresql (apt-get install postgresql)";
  if (!Bun.which("redis-server")) return "redis-server not found (apt-get install redis-server)";
  return null;
}

function postgresBin(): string | null {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(a) - Number(b));
  return versions.length ? join(root, versions.at(-1)!, "bin") : null;
}

export async function freePort(): Promise<number> {
  const probe = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

async function run(argv: string[], what: string): Promise<void> {
  const proc = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`${what} failed (${code}):\n${out}\n${err}`);
}

const isRoot = () => process.getuid?.() === 0;
/** initdb and postgres refuse to run as root: run them as the postgres user then. */
const asPostgres = (command: string[]) =>
  isRoot() ? ["su", "postgres", "-s", "/bin/sh", "-c", command.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ")] : command;

export async function startServices(options: { quiet?: boolean } = {}): Promise<Services> {
  if (process.env.DATABASE_URL && process.env.REDIS_URL) {
    return { databaseUrl: process.env.DATABASE_URL, redisUrl: process.env.REDIS_URL, started: false, stop: async () => {} };
  }
  const reason = servicesUnavailable();
  if (reason) throw new Error(reason);
  const bin = postgresBin()!;
  const work = mkdtempSync(join(tmpdir(), "fedisky-services-"));
  chmodSync(work, 0o711);
  const pgDir = join(work, "postgres");
  mkdirSync(pgDir);
  if (isRoot()) chownSync(pgDir, Number(await uid("postgres")), Number(await gid("postgres")));
  chmodSync(pgDir, 0o700);
  const password = crypto.randomUUID();
  const pgPort = await freePort();
  const say = (m: string) => options.quiet || console.error(`services: ${m}`);

  say(`initdb in ${pgDir}`);
  await run(
    asPostgres([`${bin}/initdb`, "-D", `${pgDir}/data`, "-U", "postgres", "-E", "UTF8", "--no-sync", "--auth-local=trust", "--auth-host=scram-sha-256"]),
    "initdb",
  );
  // Durability is worthless for a throwaway cluster; speed is not.
  const settings = [
    `-p ${pgPort}`,
    `-k ${pgDir}`,
    "-c listen_addresses=127.0.0.1",
    "-c max_connections=300",
    "-c fsync=off",
    "-c synchronous_commit=off",
    "-c full_page_writes=off",
    "-c shared_buffers=512MB",
    "-c maintenance_work_mem=256MB",
    "-c max_parallel_maintenance_workers=2",
  ].join(" ");
  await run(asPostgres([`${bin}/pg_ctl`, "-D", `${pgDir}/data`, "-l", `${pgDir}/server.log`, "-w", "-t", "60", "-o", settings, "start"]), "pg_ctl start");
  const setup = join(pgDir, "setup.sql");
  writeFileSync(setup, `CREATE ROLE fedisky LOGIN CREATEDB PASSWORD '${password}';\nCREATE DATABASE fedisky OWNER fedisky;\n`);
  if (isRoot()) chownSync(setup, Number(await uid("postgres")), Number(await gid("postgres")));
  await run(asPostgres([`${bin}/psql`, "-h", pgDir, "-p", String(pgPort), "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-f", setup]), "psql setup");

  const redisPort = await freePort();
  const redisPassword = crypto.randomUUID().replaceAll("-", "");
  say(`redis-server on ${redisPort}`);
  const redis = Bun.spawn(
    ["redis-server", "--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--requirepass", redisPassword, "--dir", work],
    { stdout: "ignore", stderr: "inherit" },
  );
  const redisUrl = `redis://:${redisPassword}@127.0.0.1:${redisPort}`;
  for (let i = 0; ; i++) {
    try {
      const { RedisClient } = await import("bun");
      const client = new RedisClient(redisUrl);
      await client.send("PING", []);
      client.close();
      break;
    } catch (error) {
      if (i > 50) throw new Error(`redis-server did not start: ${error}`);
      await Bun.sleep(100);
    }
  }

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    redis.kill("SIGTERM");
    await run(asPostgres([`${bin}/pg_ctl`, "-D", `${pgDir}/data`, "-m", "immediate", "-w", "stop"]), "pg_ctl stop").catch(() => {});
    await redis.exited;
    rmSync(work, { recursive: true, force: true });
  };
  process.once("exit", () => {
    if (stopped) return;
    redis.kill("SIGKILL");
    Bun.spawnSync(asPostgres([`${bin}/pg_ctl`, "-D", `${pgDir}/data`, "-m", "immediate", "stop"]));
    rmSync(work, { recursive: true, force: true });
  });
  return {
    databaseUrl: `postgres://fedisky:${password}@127.0.0.1:${pgPort}/fedisky`,
    redisUrl,
    started: true,
    stop,
  };
}

async function uid(user: string): Promise<string> {
  if (userInfo().username === user) return String(process.getuid?.());
  return (await new Response(Bun.spawn(["id", "-u", user]).stdout).text()).trim();
}

async function gid(user: string): Promise<string> {
  return (await new Response(Bun.spawn(["id", "-g", user]).stdout).text()).trim();
}

/** A fresh database on the server (the role may CREATE DATABASE), as tests/helpers/server.ts does. */
export async function freshDatabase(adminUrl: string, prefix = "bench"): Promise<string> {
  const name = `${prefix}_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
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
