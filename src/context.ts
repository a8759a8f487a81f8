/**
 * Everything a request handler, worker or CLI command needs, built once per
 * process from the configuration. Code above this line never knows which
 * adapter (server or embedded) sits behind each port.
 */
import type { Config } from "./config.ts";
import type { Database, Sql } from "./db/index.ts";
import type { Redis } from "./services/redis/port.ts";
import type { ClickHouse } from "./services/clickhouse/index.ts";
import type { MediaStore } from "./services/media/port.ts";

export interface AppContext {
  config: Config;
  database: Database;
  sql: Sql;
  redis: Redis;
  clickhouse: ClickHouse;
  media: MediaStore;
}
