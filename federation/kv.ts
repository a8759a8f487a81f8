/**
 * Fedify's key–value store on Postgres (table fedify_kv): remote document and
 * key caches, inbox idempotence records, circuit-breaker state. Living in the
 * database (not Redis) keeps it shared by every node and durable, and works
 * the same on the embedded PGlite.
 *
 * Keys are JSON-encoded arrays (`["_fedify","remoteDocument","https://…"]`),
 * so a prefix listing is a string prefix match on the encoding minus its
 * closing bracket. Expired rows read as absent and are removed lazily, plus
 * in bulk by `sweepExpired` (the federation worker calls it periodically).
 */
import type { KvKey, KvStore, KvStoreListEntry, KvStoreSetOptions } from "@fedify/fedify";
import type { Sql } from "../src/db/index.ts";

function encodeKey(key: KvKey): string {
  return JSON.stringify(key);
}

/** Milliseconds of a TTL, or null for none. Days count as 24 hours, as in Fedify's MemoryKvStore. */
function ttlMillis(options?: KvStoreSetOptions): number | null {
  if (options?.ttl == null) return null;
  return options.ttl.round({ largestUnit: "hour" }).total({ unit: "millisecond" });
}

export class PostgresKvStore implements KvStore {
  constructor(private readonly sql: Sql) {}

  async get<T = unknown>(key: KvKey): Promise<T | undefined> {
    const encoded = encodeKey(key);
    const [row] = await this.sql`
      SELECT value, expires_at IS NOT NULL AND expires_at <= now() AS expired
      FROM fedify_kv WHERE key = ${encoded}`;
    if (!row) return undefined;
    if (row.expired) {
      await this.sql`DELETE FROM fedify_kv WHERE key = ${encoded} AND expires_at <= now()`;
      return undefined;
    }
    return row.value as T;
  }

  async set(key: KvKey, value: unknown, options?: KvStoreSetOptions): Promise<void> {
    const ttl = ttlMillis(options);
    await this.sql`
      INSERT INTO fedify_kv (key, value, expires_at)
      VALUES (${encodeKey(key)}, ${this.sql.json(value as never)}, ${this.expiresAt(ttl)})
      ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at`;
  }

  async delete(key: KvKey): Promise<void> {
    await this.sql`DELETE FROM fedify_kv WHERE key = ${encodeKey(key)}`;
  }

  /**
   * Atomic in one statement each way, so it holds across nodes without a
   * transaction. An expired row counts as absent. Values compare as jsonb
   * (structural equality, key order irrelevant).
   */
  async cas(key: KvKey, expectedValue: unknown, newValue: unknown, options?: KvStoreSetOptions): Promise<boolean> {
    const encoded = encodeKey(key);
    const ttl = ttlMillis(options);
    if (expectedValue === undefined) {
      // Absent (or expired) → insert; a live row makes the upsert's WHERE fail and return nothing.
      const rows = await this.sql`
        INSERT INTO fedify_kv (key, value, expires_at)
        VALUES (${encoded}, ${this.sql.json(newValue as never)}, ${this.expiresAt(ttl)})
        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at
          WHERE fedify_kv.expires_at IS NOT NULL AND fedify_kv.expires_at <= now()
        RETURNING 1`;
      return rows.length > 0;
    }
    const rows = await this.sql`
      UPDATE fedify_kv SET value = ${this.sql.json(newValue as never)}, expires_at = ${this.expiresAt(ttl)}
      WHERE key = ${encoded}
        AND value = ${this.sql.json(expectedValue as never)}::jsonb
        AND (expires_at IS NULL OR expires_at > now())
      RETURNING 1`;
    return rows.length > 0;
  }

  async *list(prefix?: KvKey): AsyncIterable<KvStoreListEntry> {
    // Pages by key so a large listing neither loads everything at once nor
    // holds a cursor (and, on PGlite, the only connection) between yields.
    const exact = prefix ? encodeKey(prefix) : null;
    const start = exact ? `${exact.slice(0, -1)},` : null;
    let after = "";
    for (;;) {
      const rows = await this.sql`
        SELECT key, value FROM fedify_kv
        WHERE key > ${after}
          AND (expires_at IS NULL OR expires_at > now())
          ${exact ? this.sql`AND (key = ${exact} OR starts_with(key, ${start}))` : this.sql``}
        ORDER BY key LIMIT 500`;
      for (const row of rows) yield { key: JSON.parse(row.key as string) as KvKey, value: row.value };
      if (rows.length < 500) return;
      after = rows[rows.length - 1]!.key as string;
    }
  }

  /** In the database's clock, the one every expiry check uses (NULL stays NULL: no expiry). */
  private expiresAt(ttlMs: number | null) {
    return this.sql`now() + ${ttlMs}::float8 * interval '1 millisecond'`;
  }

  /** Deletes expired entries; returns how many. */
  async sweepExpired(): Promise<number> {
    const rows = await this.sql`DELETE FROM fedify_kv WHERE expires_at <= now() RETURNING 1`;
    return rows.length;
  }
}

