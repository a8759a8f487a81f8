import { loadConfig } from "../src/config.ts";
import { openContext } from "../src/bootstrap.ts";
import { readHomeFeed } from "../modules/timelines/feed-manager.ts";
import { visibleStatusIds } from "../modules/statuses/visibility.ts";
import { selectStatusesWithStats } from "../modules/statuses/storage.ts";
import { loadAccounts } from "../modules/accounts/serializer.ts";
import { activeFilters } from "../modules/timelines/filters.ts";
const env = JSON.parse(await Bun.file("/tmp/dev/env.json").text());
Object.assign(process.env, { DATABASE_URL: env.databaseUrl + (process.env.PCM ? "?plan_cache_mode=" + process.env.PCM : ""), REDIS_URL: env.redisUrl, REDIS_KEY_PREFIX: "prof:", DATA_DIR: "/tmp/dev/prof", IN_PROCESS_WORKERS: "false", LOG_LEVEL: "warning" });
const ctx = await openContext(loadConfig(), { migrate: false });
const db = ctx.sql;
const ids: string[] = env.ids;
const viewers = Array.from({ length: 100 }, (_, i) => ids[2 + i * 97]!);
const pages = new Map<string, string[]>();
for (const v of viewers) pages.set(v, (await readHomeFeed(ctx, v))!.ids.slice(0, 20));
const N = 3;
async function time(name: string, f: (v: string, all: string[]) => Promise<unknown>) {
  for (const v of viewers) await f(v, pages.get(v)!);
  const t0 = performance.now();
  for (let k = 0; k < N; k++) for (const v of viewers) await f(v, pages.get(v)!);
  console.log(`${name.padEnd(28)} ${((performance.now() - t0) / (N * viewers.length)).toFixed(2)} ms`);
}
await time("SELECT 1", () => db`SELECT 1`);
await time("visibleStatusIds", (v, all) => visibleStatusIds(db, v, all));
await time("selectStatusesWithStats", (v, all) => selectStatusesWithStats(db, all));
await time("mentions", (v, all) => db`SELECT status_id, account_id FROM mentions WHERE status_id = ANY(${all}::bigint[]) ORDER BY account_id`);
await time("tags", (v, all) => db`SELECT st.status_id, t.name FROM statuses_tags st JOIN tags t ON t.id = st.tag_id WHERE st.status_id = ANY(${all}::bigint[]) ORDER BY t.name`);
await time("media", (v, all) => db`SELECT * FROM media_attachments WHERE status_id = ANY(${all}::bigint[]) ORDER BY id`);
await time("polls", (v, all) => db`SELECT * FROM polls WHERE status_id = ANY(${all}::bigint[])`);
await time("favs", (v, all) => db`SELECT status_id FROM favourites WHERE account_id = ${v} AND status_id = ANY(${all}::bigint[])`);
await time("reblogged", (v, all) => db`SELECT reblog_of_id AS status_id FROM statuses WHERE account_id = ${v} AND reblog_of_id = ANY(${all}::bigint[]) AND deleted_at IS NULL`);
await time("all 11 parallel", (v, all) => Promise.all([
  db`SELECT status_id, account_id FROM mentions WHERE status_id = ANY(${all}::bigint[]) ORDER BY account_id`,
  db`SELECT st.status_id, t.name FROM statuses_tags st JOIN tags t ON t.id = st.tag_id WHERE st.status_id = ANY(${all}::bigint[]) ORDER BY t.name`,
  db`SELECT * FROM media_attachments WHERE status_id = ANY(${all}::bigint[]) ORDER BY id`,
  db`SELECT * FROM polls WHERE status_id = ANY(${all}::bigint[])`,
  db`SELECT status_id FROM favourites WHERE account_id = ${v} AND status_id = ANY(${all}::bigint[])`,
  db`SELECT reblog_of_id AS status_id FROM statuses WHERE account_id = ${v} AND reblog_of_id = ANY(${all}::bigint[]) AND deleted_at IS NULL`,
  db`SELECT status_id FROM bookmarks WHERE account_id = ${v} AND status_id = ANY(${all}::bigint[])`,
  db`SELECT status_id FROM status_pins WHERE account_id = ${v} AND status_id = ANY(${all}::bigint[])`,
  db`SELECT conversation_id FROM conversation_mutes WHERE account_id = ${v} AND conversation_id = ANY(${all}::bigint[])`,
]));
const accts = new Map<string, string[]>();
for (const v of viewers) accts.set(v, (await selectStatusesWithStats(db, pages.get(v)!)).map((r) => r.account_id));
await time("loadAccounts", (v) => loadAccounts(db, ctx.config, accts.get(v)!));
await time("activeFilters", (v) => activeFilters(db, v, "home"));
process.exit(0);
