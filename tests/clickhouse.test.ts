import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/config.ts";
import { openClickHouse, type ClickHouse } from "../src/services/clickhouse/index.ts";

// 2^64 - 1: far past 2^53, so a JSON number would silently lose digits.
const BIG = "18446744073709551615";

/** The cases both adapters must pass; `open` is called once per describe. */
function contract(open: () => Promise<ClickHouse>, expectedKind: ClickHouse["kind"]) {
  let ch: ClickHouse;
  // A shared server may hold other runs' tables; a unique name keeps them apart.
  const table = `test_events_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;

  beforeAll(async () => {
    ch = await open();
  });
  afterAll(async () => {
    if (!ch) return;
    await ch.client.command({ query: `DROP TABLE IF EXISTS ${table}` });
    await ch.close();
  });

  test("opens the expected adapter", () => {
    expect(ch.kind).toBe(expectedKind);
  });

  test("creates a MergeTree table", async () => {
    await ch.client.command({
      query: `CREATE TABLE ${table} (id UInt64, kind String, at DateTime64(3, 'UTC'))
              ENGINE = MergeTree ORDER BY (kind, id)`,
    });
    const rs = await ch.client.query({
      query: `SELECT engine FROM system.tables WHERE database = currentDatabase() AND name = {name:String}`,
      query_params: { name: table },
      format: "JSONEachRow",
    });
    expect(await rs.json<{ engine: string }>()).toEqual([{ engine: "MergeTree" }]);
  });

  test("inserts JSONEachRow and reads UInt64 back as exact strings", async () => {
    await ch.client.insert({
      table,
      format: "JSONEachRow",
      values: [
        // Strings on the way in too: JSON.stringify cannot carry BIG as a number.
        { id: BIG, kind: "status", at: "2024-01-01 00:00:00.000" },
        { id: "1", kind: "status", at: "2024-01-01 00:00:01.000" },
        { id: "2", kind: "favourite", at: "2024-01-01 00:00:02.000" },
      ],
    });
    const rs = await ch.client.query({
      query: `SELECT id, kind FROM ${table} ORDER BY id`,
      format: "JSONEachRow",
    });
    const rows = await rs.json<{ id: unknown; kind: string }>();
    expect(rows).toEqual([
      { id: "1", kind: "status" },
      { id: "2", kind: "favourite" },
      { id: BIG, kind: "status" },
    ]);
    // Aggregates over a UInt64 column are UInt64 and must be quoted as well.
    const sum = await ch.client.query({ query: `SELECT max(id) AS m FROM ${table}`, format: "JSONEachRow" });
    expect(await sum.json<{ m: unknown }>()).toEqual([{ m: BIG }]);
  });

  test("counts rows, with and without a filter", async () => {
    // count() is UInt64, so it also comes back as a string.
    const rs = await ch.client.query({
      query: `SELECT count() AS total, countIf(kind = {kind:String}) AS statuses FROM ${table}`,
      query_params: { kind: "status" },
      format: "JSONEachRow",
    });
    expect(await rs.json<{ total: unknown; statuses: unknown }>()).toEqual([{ total: "3", statuses: "2" }]);
  });
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "fedisky-clickhouse-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

// chDB binds one data path per process, so this file opens exactly one chDB
// (this describe) and no other describe may open it with a different DATA_DIR.
describe("ClickHouse via chDB", () => {
  contract(() => openClickHouse(loadConfig({ DATA_DIR: tmp })), "chdb");
});

// Skipped unless CLICKHOUSE_URL points at a real server: there is none in a
// plain checkout, and the chDB describe above covers the same code path.
describe.skipIf(!process.env.CLICKHOUSE_URL)("ClickHouse server (CLICKHOUSE_URL)", () => {
  contract(
    () => openClickHouse(loadConfig({ DATA_DIR: tmp, CLICKHOUSE_URL: process.env.CLICKHOUSE_URL })),
    "server",
  );
});
