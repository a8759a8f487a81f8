/**
 * Versioned SQL migrations: every file in ./migrations, applied in name order,
 * each in its own transaction, recorded in `schema_migrations`. An advisory
 * lock lets many nodes start at once without racing.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Sql } from "./index.ts";

const MIGRATIONS_DIR = join(import.meta.dir, "migrations");
const LOCK_KEY = 727_001;

export function listMigrations(): { version: string; sql: string }[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .map((f) => ({ version: f.replace(/\.sql$/, ""), sql: readFileSync(join(MIGRATIONS_DIR, f), "utf8") }));
}

/** Applies pending migrations; returns the versions applied now. */
export async function runMigrations(
  sql: Sql,
  onProgress: (message: string) => void = () => {},
): Promise<string[]> {
  const applied: string[] = [];
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${LOCK_KEY})`;
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`;
    const done = new Set((await tx`SELECT version FROM schema_migrations`).map((r) => r.version as string));
    for (const migration of listMigrations()) {
      if (done.has(migration.version)) continue;
      onProgress(`applying ${migration.version}`);
      await tx.unsafe(migration.sql);
      await tx`INSERT INTO schema_migrations (version) VALUES (${migration.version})`;
      applied.push(migration.version);
    }
  });
  return applied;
}
