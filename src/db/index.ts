/**
 * The database adapter: postgres.js over either a real PostgreSQL server
 * (`DATABASE_URL`) or the embedded PGlite, which this process then owns and
 * exposes on a loopback socket so postgres.js uses one code path for both.
 */
import postgres from "postgres";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config.ts";
import { runMigrations } from "./migrate.ts";
import { lockDataDir } from "./data-dir-lock.ts";

export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;
/** Either the pool or a transaction: services take this so callers choose. */
export type Db = Sql | Tx;

export interface Database {
  sql: Sql;
  /** "postgres" for a real server, "pglite" for the embedded database. */
  kind: "postgres" | "pglite";
  close(): Promise<void>;
}

// postgres.js returns int8 as strings: snowflake IDs exceed 2^53 and the
// Mastodon API wants them as strings anyway, so they stay strings end to end.
const commonOptions = {
  onnotice: () => {},
  transform: { undefined: null },
} as const;

export async function openDatabase(
  config: Config,
  options: { migrate?: boolean; poolSize?: number } = {},
): Promise<Database> {
  const database = config.databaseUrl
    ? openServerDatabase(config.databaseUrl, options.poolSize ?? 10)
    : await openEmbeddedDatabase(config.dataDir);
  if (options.migrate ?? true) await runMigrations(database.sql);
  return database;
}

function openServerDatabase(url: string, poolSize: number): Database {
  const sql = postgres(url, { ...commonOptions, max: poolSize });
  return { sql, kind: "postgres", close: () => sql.end({ timeout: 5 }) };
}

async function openEmbeddedDatabase(dataDir: string): Promise<Database> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  const path = join(dataDir, "pglite");
  mkdirSync(path, { recursive: true });
  const release = lockDataDir(path);
  const pglite = await PGlite.create(path);
  // One connection only: PGlite is a single backend session, and the socket
  // server interleaves protocol messages of concurrent connections outside
  // transactions, which would mix up their unnamed portals.
  const server = new PGLiteSocketServer({ db: pglite, host: "127.0.0.1", port: 0, maxConnections: 1 });
  await server.start();
  const [host, port] = server.getServerConn().split(":");
  const sql = postgres({
    ...commonOptions,
    host,
    port: Number(port),
    database: "postgres",
    username: "postgres",
    max: 1,
  });
  return {
    sql,
    kind: "pglite",
    async close() {
      await sql.end({ timeout: 5 });
      await server.stop();
      await pglite.close();
      release();
    },
  };
}
