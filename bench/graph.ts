/**
 * The synthetic social graph, generated inside Postgres (INSERT … SELECT
 * over generate_series: nothing crosses the wire, millions of rows in
 * seconds).
 *
 * - `users` local accounts, all active (signed in now), each with a user,
 *   account_stats and an access token `bench-<i>` (hash stored, as OAuth does).
 * - Follows with a power-law in-degree: every user follows about
 *   `avgFanout` accounts, picking rank r with density ∝ r^(1/skew − 1), so a
 *   few accounts have a large share of all follows and most have few.
 * - Account #1 is the large account, followed by the first `largest` users
 *   (outside the random draw, so its size is exact).
 * - A few seed statuses per account, so home timelines have something to show.
 */
import type postgres from "postgres";

export interface GraphParams {
  users: number;
  avgFanout: number;
  largest: number;
  /** Larger is more unbalanced (1 = uniform). */
  skew: number;
  seedStatuses: number;
}

export interface Graph {
  /** Account ids by index (1-based; index 1 is the large account). */
  ids: string[];
  largeId: string;
  follows: number;
  /** Followers per account id (local, all active). */
  followers: Map<string, number>;
  tokenOf(index: number): string;
  maxFollowers: number;
}

export async function generateGraph(sql: postgres.Sql, p: GraphParams, say: (m: string) => void): Promise<Graph> {
  let t = performance.now();
  const lap = (what: string) => {
    const now = performance.now();
    say(`${what} in ${((now - t) / 1000).toFixed(1)} s`);
    t = now;
  };
  await sql`CREATE TABLE bench_ids (i int PRIMARY KEY, id bigint NOT NULL)`;
  await sql`
    WITH made AS (
      INSERT INTO accounts (username, display_name, discoverable)
      SELECT 'u' || g, 'User ' || g, true FROM generate_series(1, ${p.users}) g
      RETURNING id, username
    )
    INSERT INTO bench_ids (i, id) SELECT substr(username, 2)::int, id FROM made`;
  await sql`INSERT INTO account_stats (account_id) SELECT id FROM bench_ids`;
  await sql`
    INSERT INTO users (account_id, email, password_hash, confirmed_at, approved, last_sign_in_at)
    SELECT id, 'u' || i || '@bench.invalid', 'x', now(), true, now() FROM bench_ids`;
  const [app] = await sql`
    INSERT INTO oauth_applications (name, redirect_uris, scopes, client_id, client_secret)
    VALUES ('bench', '{urn:ietf:wg:oauth:2.0:oob}', '{read,write,follow}', 'bench', 'bench') RETURNING id`;
  await sql`
    INSERT INTO oauth_access_tokens (token_hash, application_id, user_id, scopes)
    SELECT encode(sha256(convert_to('bench-' || b.i, 'UTF8')), 'hex'), ${app!.id}, u.id, '{read,write,follow}'
    FROM bench_ids b JOIN users u ON u.account_id = b.id`;
  lap(`${p.users} accounts, users and tokens`);

  // Each user draws avgFanout ranks in 2..users (duplicates collapse: the real mean is a little lower).
  await withoutIndexes(sql, "follows", () => sql`
    INSERT INTO follows (account_id, target_account_id)
    SELECT DISTINCT f.id, t.id FROM (
      SELECT b.id, 2 + floor((${p.users} - 1) * power(random(), ${p.skew}::float8))::int AS rank
      FROM bench_ids b CROSS JOIN generate_series(1, ${p.avgFanout})
    ) f
    JOIN bench_ids t ON t.i = f.rank
    WHERE t.id <> f.id
    UNION ALL
    SELECT b.id, (SELECT id FROM bench_ids WHERE i = 1) FROM bench_ids b
    WHERE b.i BETWEEN 2 AND ${Math.min(p.largest, p.users - 1) + 1}`);
  lap("follows");
  await sql`
    UPDATE account_stats s SET followers_count = c.n FROM (
      SELECT target_account_id, count(*) AS n FROM follows GROUP BY 1
    ) c WHERE s.account_id = c.target_account_id`;
  await sql`
    UPDATE account_stats s SET following_count = c.n FROM (
      SELECT account_id, count(*) AS n FROM follows GROUP BY 1
    ) c WHERE s.account_id = c.account_id`;
  if (p.seedStatuses > 0) {
    await sql`
      INSERT INTO statuses (account_id, text, content, visibility, local, created_at)
      SELECT b.id, 'seed ' || g, '<p>seed ' || g || '</p>', 'public', true, now() - make_interval(secs => g * 60)
      FROM bench_ids b CROSS JOIN generate_series(1, ${p.seedStatuses}) g`;
    await sql`UPDATE statuses SET conversation_id = id WHERE conversation_id IS NULL`;
    await sql`INSERT INTO status_stats (status_id) SELECT id FROM statuses ON CONFLICT DO NOTHING`;
  }
  await sql`ANALYZE`;
  lap("counters, seed statuses, ANALYZE");

  const rows = await sql`SELECT b.i, b.id, s.followers_count FROM bench_ids b JOIN account_stats s ON s.account_id = b.id ORDER BY b.i`;
  const ids = [""];
  const followers = new Map<string, number>();
  let follows = 0;
  let maxFollowers = 0;
  for (const r of rows) {
    ids[r.i] = r.id;
    const n = Number(r.followers_count);
    followers.set(r.id, n);
    follows += n;
    maxFollowers = Math.max(maxFollowers, n);
  }
  return { ids, largeId: ids[1]!, follows, followers, tokenOf: (i) => `bench-${i}`, maxFollowers };
}

/**
 * Runs a bulk insert with the table's secondary indexes and foreign keys
 * out of the way (rebuilt after, keys re-added NOT VALID): per-row index
 * maintenance and FK triggers make a multi-million-row insert ten times slower.
 */
async function withoutIndexes(sql: postgres.Sql, table: string, insert: () => Promise<unknown>): Promise<void> {
  const constraints = await sql`
    SELECT conname, contype, pg_get_constraintdef(oid) AS def FROM pg_constraint
    WHERE conrelid = ${table}::regclass AND contype IN ('f', 'u')`;
  const indexes = await sql`
    SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
    WHERE i.indrelid = ${table}::regclass AND NOT i.indisprimary
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`;
  for (const c of constraints) await sql.unsafe(`ALTER TABLE ${table} DROP CONSTRAINT ${c.conname}`);
  for (const i of indexes) await sql.unsafe(`DROP INDEX ${i.name}`);
  await insert();
  for (const i of indexes) await sql.unsafe(i.def);
  for (const c of constraints) {
    await sql.unsafe(`ALTER TABLE ${table} ADD CONSTRAINT ${c.conname} ${c.def}${c.contype === "f" ? " NOT VALID" : ""}`);
  }
}
