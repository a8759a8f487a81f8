// scratch: in-process timing of the home read parts (not committed)
import { loadConfig } from "../src/config.ts";
import { openContext } from "../src/bootstrap.ts";
import { homeTimeline } from "../modules/timelines/timelines.ts";
import { readHomeFeed, rebuildHome } from "../modules/timelines/feed-manager.ts";
import { hiddenAccountIds } from "../modules/relationships/service.ts";
import { selectHiddenStatusIds } from "../modules/timelines/storage.ts";
import { renderStatuses } from "../modules/statuses/serializer.ts";
const env = JSON.parse(await Bun.file("/tmp/dev/env.json").text());
Object.assign(process.env, { DATABASE_URL: env.databaseUrl + (process.env.PCM ? "?plan_cache_mode=" + process.env.PCM : ""), REDIS_URL: env.redisUrl, REDIS_KEY_PREFIX: "prof:", DATA_DIR: "/tmp/dev/prof", IN_PROCESS_WORKERS: "false", LOG_LEVEL: "warning" });
const ctx = await openContext(loadConfig(), { migrate: false });
const ids: string[] = env.ids;
const viewers = Array.from({ length: 100 }, (_, i) => ids[2 + i * 97]!);
for (const v of viewers) (await readHomeFeed(ctx, v)) ?? (await rebuildHome(ctx, v));
const N = 3;
async function time(name: string, f: (v: string) => Promise<unknown>) {
  for (const v of viewers) await f(v);
  const t0 = performance.now();
  for (let k = 0; k < N; k++) for (const v of viewers) await f(v);
  console.log(`${name.padEnd(28)} ${((performance.now() - t0) / (N * viewers.length)).toFixed(2)} ms`);
}
const pages = new Map<string, string[]>();
for (const v of viewers) pages.set(v, (await readHomeFeed(ctx, v))!.ids.slice(0, 20));
await time("homeTimeline", (v) => homeTimeline(ctx, v, { limit: 20 } as any));
await time("readHomeFeed", (v) => readHomeFeed(ctx, v));
await time("hiddenAccountIds", (v) => hiddenAccountIds(ctx.sql, v));
await time("selectHiddenStatusIds", (v) => selectHiddenStatusIds(ctx.sql, v, [], pages.get(v)!));
await time("renderStatuses", (v) => renderStatuses(ctx, pages.get(v)!, { accountId: v }, { filterContext: "home" }));
await time("SELECT 1", () => ctx.sql`SELECT 1`);
await time("auth-like", (v) => ctx.sql`SELECT t.id FROM oauth_access_tokens t LEFT JOIN users u ON u.id = t.user_id WHERE t.token_hash = ${"x"}`);
process.exit(0);
