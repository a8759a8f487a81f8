/** `db …`: the schema. */
import { listMigrations, runMigrations } from "../../db/migrate.ts";
import type { Command } from "./command.ts";

const migrate: Command = {
  name: "db migrate",
  summary: "Apply pending database migrations",
  details: "The server also applies them when it starts; this is for deploying ahead of the API nodes.",
  positionals: [],
  options: {},
  migrates: true,
  async run(ctx, _args, out) {
    const known = listMigrations().map((m) => m.version);
    const [table] = await ctx.sql`SELECT to_regclass('schema_migrations') IS NOT NULL AS exists`;
    const done = new Set(
      table?.exists ? (await ctx.sql`SELECT version FROM schema_migrations`).map((r) => r.version as string) : [],
    );
    // Only a forecast for the progress total: runMigrations decides under its lock.
    const total = known.filter((v) => !done.has(v)).length;
    let started = 0;
    const applied = await runMigrations(ctx.sql, (message) => {
      out.progress(started, Math.max(total, started + 1), message);
      started++;
    });
    if (applied.length === 0) {
      out.line(`Database is up to date: no pending migrations (${known.length} applied).`);
      return;
    }
    out.progress(applied.length, applied.length, "done");
    out.line(`Applied ${applied.length} migration${applied.length === 1 ? "" : "s"}: ${applied.join(", ")}`);
  },
};

export const dbCommands: Command[] = [migrate];
