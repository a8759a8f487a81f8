/** Builds (and tears down) the AppContext from the configuration. */
import type { Config } from "./config.ts";
import type { AppContext } from "./context.ts";
import { openDatabase } from "./db/index.ts";
import { openRedis } from "./services/redis/index.ts";
import { openClickHouse } from "./services/clickhouse/index.ts";
import { openMediaStore } from "./services/media/index.ts";

/** `migrate: false` leaves pending migrations to the caller (`admin db migrate` reports them). */
export async function openContext(config: Config, options: { migrate?: boolean } = {}): Promise<AppContext> {
  const database = await openDatabase(config, { migrate: options.migrate });
  const [redis, clickhouse, media] = await Promise.all([
    openRedis(config),
    openClickHouse(config),
    openMediaStore(config),
  ]);
  return { config, database, sql: database.sql, redis, clickhouse, media };
}

export async function closeContext(ctx: AppContext): Promise<void> {
  await Promise.allSettled([ctx.redis.close(), ctx.clickhouse.close(), ctx.media.close()]);
  await ctx.database.close();
}
