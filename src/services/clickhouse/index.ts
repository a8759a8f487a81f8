/**
 * ClickHouse: the append-only stream of statuses and interactions, and the
 * trends computed from it. A real server when CLICKHOUSE_URL is set, else
 * chDB under DATA_DIR through the same @clickhouse/client code path.
 */
import { createClient, type ClickHouseClient } from "@clickhouse/client";
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import type { Config } from "../../config.ts";

export interface ClickHouse {
  readonly kind: "server" | "chdb";
  readonly client: ClickHouseClient;
  close(): Promise<void>;
}

// chDB returns UInt64 as JSON numbers where a server returns strings; pin the
// server's behaviour so both adapters yield the same shapes.
const settings = { output_format_json_quote_64bit_integers: 1 } as const;

export async function openClickHouse(config: Config): Promise<ClickHouse> {
  if (config.clickhouseUrl) {
    const client = createClient({ url: config.clickhouseUrl, clickhouse_settings: settings });
    return { kind: "server", client, close: () => client.close() };
  }
  const { createChdbConnection } = await import("chdb/connection");
  const path = join(config.dataDir, "chdb");
  mkdirSync(path, { recursive: true });
  const client = createClient({
    // chDB's connection implements @clickhouse/client's Connection interface.
    connection: createChdbConnection({ path }) as never,
    clickhouse_settings: settings,
  });
  return { kind: "chdb", client, close: () => client.close() };
}
