// scratch: per-handler cost of status.created (not committed)
import { loadConfig } from "../src/config.ts";
import { openContext } from "../src/bootstrap.ts";
import { createApp } from "../src/app.ts";
import { handlersFor } from "../src/events/index.ts";
const env = JSON.parse(await Bun.file("/tmp/dev/env.json").text());
Object.assign(process.env, { DATABASE_URL: env.databaseUrl + (process.env.PCM ? "?plan_cache_mode=" + process.env.PCM : ""), REDIS_URL: env.redisUrl, REDIS_KEY_PREFIX: "prof:", DATA_DIR: "/tmp/dev/prof", IN_PROCESS_WORKERS: "false", LOG_LEVEL: "warning", FANOUT_MERGE_THRESHOLD: "1000000" });
const ctx = await openContext(loadConfig(), { migrate: false });
createApp(ctx);
const sql = ctx.sql;
const N = Number(process.argv[2] ?? 200);
const rows = await sql`
  INSERT INTO statuses (account_id, text, content, visibility, local)
  SELECT b.id, 'x', '<p>x</p>', 'public', true FROM bench_ids b WHERE b.i IN (SELECT 2 + floor(random() * 19998)::int FROM generate_series(1, ${N})) RETURNING id, account_id`;
await sql`UPDATE statuses SET conversation_id = id WHERE conversation_id IS NULL`;
await sql`INSERT INTO status_stats (status_id) SELECT id FROM statuses ON CONFLICT DO NOTHING`;
const hs = handlersFor("status.created");
const times = hs.map(() => 0);
const job = { followUp() {}, async handOff() {} } as any;
const t0 = performance.now();
for (const r of rows) {
  const event = { id: "0", type: "status.created", accountId: r.account_id, payload: { statusId: r.id }, attempts: 1, shard: 0 };
  for (let i = 0; i < hs.length; i++) { const t = performance.now(); await hs[i]!(ctx, event as any, job); times[i]! += performance.now() - t; }
}
console.log(`${rows.length} posts, ${((performance.now() - t0) / rows.length).toFixed(2)} ms/post total`);
import * as T from "../modules/timelines/fanout.ts"; import * as S from "../modules/search/indexer.ts";
hs.forEach((h, i) => console.log(`  handler ${i} ${h === T.onStatusCreated ? "timelines" : h === (S as any).onStatusCreated ? "search" : (h.name || h.toString().slice(0, 60)).replace(/\s+/g, " ")}: ${(times[i]! / rows.length).toFixed(2)} ms`));
process.exit(0);
