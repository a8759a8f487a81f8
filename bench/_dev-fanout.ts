// scratch: fanout handler throughput (not committed)
import { loadConfig } from "../src/config.ts";
import { openContext } from "../src/bootstrap.ts";
import { createApp } from "../src/app.ts";
import { handlersFor } from "../src/events/index.ts";
import * as T from "../modules/timelines/fanout.ts";
const env = JSON.parse(await Bun.file("/tmp/dev/env.json").text());
Object.assign(process.env, { DATABASE_URL: env.databaseUrl + (process.env.PCM ? "?plan_cache_mode=" + process.env.PCM : ""), REDIS_URL: env.redisUrl, REDIS_KEY_PREFIX: "fan:", DATA_DIR: "/tmp/dev/prof", IN_PROCESS_WORKERS: "false", LOG_LEVEL: "warning", FANOUT_MERGE_THRESHOLD: "1000000" });
const ctx = await openContext(loadConfig(), { migrate: false });
createApp(ctx);
const sql = ctx.sql;
const N = Number(process.argv[2] ?? 1000);
const which = process.argv[3] ?? "timelines";
const rows = await sql`
  INSERT INTO statuses (account_id, text, content, visibility, local)
  SELECT b.id, 'x', '<p>x</p>', 'public', true FROM (SELECT 2 + floor(random() * 19998)::int AS i FROM generate_series(1, ${N})) x JOIN bench_ids b ON b.i = x.i RETURNING id, account_id`;
await sql`UPDATE statuses SET conversation_id = id WHERE conversation_id IS NULL`;
await sql`INSERT INTO status_stats (status_id) SELECT id FROM statuses ON CONFLICT DO NOTHING`;
const fol = await sql`SELECT sum(s.followers_count)::int + ${rows.length} AS n FROM account_stats s JOIN unnest(${rows.map((r) => r.account_id)}::bigint[]) a(id) ON a.id = s.account_id`;
const all = handlersFor("status.created"); const hs = which === "all" ? all : which === "timelines" ? [T.onStatusCreated] : which.split(",").map((i) => all[Number(i)]!);
const job = { followUp() {}, async handOff() {} } as any;
let next = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await Promise.all(Array.from({ length: 12 }, async () => {
  while (next < rows.length) {
    const r = rows[next++]!;
    const event = { id: "0", type: "status.created", accountId: r.account_id, payload: { statusId: r.id }, attempts: 1, shard: 0 };
    for (const h of hs) await h(ctx, event as any, job);
  }
}));
const s = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
console.log(`${which}: ${rows.length} posts, ${fol[0]!.n} deliveries in ${s.toFixed(2)} s: ${(rows.length / s).toFixed(0)} posts/s, ${(fol[0]!.n / s).toFixed(0)} deliveries/s; bun cpu ${((cpu.user + cpu.system) / 1000 / rows.length).toFixed(2)} ms/post`);
await sql`UPDATE statuses SET deleted_at = now() WHERE id = ANY(${rows.map((r) => r.id)}::bigint[])`;
process.exit(0);
