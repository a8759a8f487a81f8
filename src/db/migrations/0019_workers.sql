-- Sharded workers: shard leases, event lanes, deduplicated scheduled events.
--
-- Workers own virtual shards through leases (one row per shard, renewed by a
-- heartbeat); a worker claims events only from shards it holds. See
-- src/workers/leases.ts for the protocol and docs/architecture.md.
CREATE TABLE shard_leases (
  shard integer PRIMARY KEY,
  owner text NOT NULL,
  expires_at timestamptz NOT NULL,
  acquired_at timestamptz NOT NULL DEFAULT now()
);

-- Live worker processes (their heartbeat), so a worker holding a shard that
-- another worker prefers can hand it back, and `admin shards` can name owners.
CREATE TABLE workers (
  owner text PRIMARY KEY,
  worker_id integer NOT NULL,
  worker_count integer NOT NULL,
  host text NOT NULL,
  pid integer NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now()
);

-- lane 0: interactive work (a post's first fanout chunk, notifications…);
-- lane 1: bulk work (further fanout chunks of large accounts, backfill), which
-- workers run with their own small concurrency budget so it never queues in
-- front of lane 0.
ALTER TABLE events ADD COLUMN lane smallint NOT NULL DEFAULT 0;
-- Who holds the claim, so a worker taking over a dead owner's shard can
-- release its claims at once instead of waiting for locked_until.
ALTER TABLE events ADD COLUMN locked_by text;
-- At most one pending event per key (a status's backfill, a fanout chunk).
ALTER TABLE events ADD COLUMN dedupe_key text;
CREATE UNIQUE INDEX events_dedupe ON events (dedupe_key) WHERE dedupe_key IS NOT NULL;

-- Claims walk each owned shard's lane in run_at order and stop at now(), so
-- events scheduled for later (backfill, retries) cost nothing until due.
DROP INDEX IF EXISTS events_ready;
CREATE INDEX events_claim ON events (shard, lane, run_at, id);

-- postgres.js prepares every statement, and after five executions Postgres
-- may switch a statement to a generic plan. For the batch queries fanout
-- runs with 1,000-element arrays (`= ANY($1)`) the generic plan is several
-- times slower (the rules query of a 1,000-follower chunk: 25 ms custom,
-- 72 ms generic — docs/performance.md). Planning each execution costs far
-- less. Needs the database's owner; without that privilege it is skipped
-- (set it by hand: ALTER DATABASE … SET plan_cache_mode = force_custom_plan).
DO $$
BEGIN
  EXECUTE format('ALTER DATABASE %I SET plan_cache_mode = force_custom_plan', current_database());
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'plan_cache_mode not set: not the database owner';
END
$$;
