/**
 * Sharded workers and chunked fanout, in-process on this run's backend
 * (embedded or PostgreSQL + Redis): shard leases and their take-over and
 * hand-back, fanout of a large account in bounded chunks to active
 * followers only, idempotent replays, streaming messages, the read-time
 * merge of very large accounts, reply-backfill scheduling, `admin shards`,
 * and activity refreshed by API use. Followers are bulk-inserted with SQL
 * (thousands of sign-ups over HTTP would take minutes).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { backendEnv, freePort } from "./helpers/server.ts";
import { api } from "./helpers/client.ts";
import { eventually } from "./helpers/timelines.ts";
import { newUser } from "./helpers/social.ts";
import { createApp } from "../src/app.ts";
import { closeContext, openContext } from "../src/bootstrap.ts";
import { loadConfig } from "../src/config.ts";
import type { AppContext } from "../src/context.ts";
import { emitEvent, onEvent, VIRTUAL_SHARDS, type DomainEvent, type EventJob } from "../src/events/index.ts";
import type { EventPayloads } from "../src/events/types.ts";
import { startEventWorker, type EventWorker } from "../src/events/worker.ts";
import { preferredShards, ShardLeases } from "../src/workers/leases.ts";
import { setReplyFetcher } from "../src/workers/backfill.ts";
import { compactShards } from "../src/cli/commands/shards.ts";
import { execute } from "../src/cli/commands/index.ts";
import { fanOutStatus, onFanoutChunk } from "../modules/timelines/fanout.ts";
import { readHomeFeed } from "../modules/timelines/feed-manager.ts";

setDefaultTimeout(60_000);

let ctx: AppContext;
let http: ReturnType<typeof Bun.serve>;
let worker: EventWorker;
let dataDir: string;
let base: { url: string };

/** Every fanout chunk the worker runs, as seen by an extra handler. */
const chunks: DomainEvent<EventPayloads["fanout.chunk"]>[] = [];
onEvent("fanout.chunk", async (_ctx, event) => {
  chunks.push(structuredClone(event));
});

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "fedisky-workers-test-"));
  const port = await freePort();
  ctx = await openContext(
    loadConfig({ ...(await backendEnv()), PORT: String(port), PUBLIC_URL: `http://localhost:${port}`, DATA_DIR: dataDir, LOG_LEVEL: "error" }),
  );
  http = Bun.serve({ port, fetch: createApp(ctx).fetch });
  worker = startEventWorker(ctx);
  await worker.ready;
  base = { url: `http://localhost:${port}` };
});

afterAll(async () => {
  await worker?.stop();
  http?.stop(true);
  if (ctx) await closeContext(ctx);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const localUser = (prefix: string) => newUser(base, prefix);

/**
 * `count` local followers of `targetId`, created in bulk; `inactiveDays`
 * backdates their last activity. Each gets a token `<tag>-<n>`.
 */
async function bulkFollowers(targetId: string, count: number, tag: string, inactiveDays = 0): Promise<string[]> {
  const rows = await ctx.sql`
    WITH made AS (
      INSERT INTO accounts (username, display_name) SELECT ${tag} || '_' || g, '' FROM generate_series(1, ${count}) g
      RETURNING id, username
    ), stats AS (
      INSERT INTO account_stats (account_id) SELECT id FROM made
    ), users_made AS (
      INSERT INTO users (account_id, email, password_hash, confirmed_at, approved, last_sign_in_at)
      SELECT id, username || '@bulk.invalid', 'x', now(), true, now() - make_interval(days => ${inactiveDays}) FROM made
      RETURNING id, account_id
    ), tokens AS (
      INSERT INTO oauth_access_tokens (token_hash, user_id, scopes)
      SELECT encode(sha256(convert_to(${tag} || '-' || substr(m.username, length(${tag}) + 2), 'UTF8')), 'hex'), u.id, '{read,write}'
      FROM users_made u JOIN made m ON m.id = u.account_id
    )
    INSERT INTO follows (account_id, target_account_id) SELECT id, ${targetId} FROM made RETURNING account_id`;
  await ctx.sql`UPDATE account_stats SET followers_count = followers_count + ${count} WHERE account_id = ${targetId}`;
  return rows.map((r) => r.account_id as string);
}

async function drained(): Promise<void> {
  await eventually(async () => {
    const [row] = await ctx.sql`SELECT count(*)::int AS n FROM events WHERE type IN ('status.created', 'fanout.chunk', 'status.deleted') AND run_at <= now()`;
    return row!.n === 0;
  }, "the event worker to drain", 30_000);
}

const rawFeed = (accountId: string) => ctx.redis.lrange(`feed:home:${accountId}`, 0, -1);

describe("shard leases", () => {
  test("preferred shards and their compact form", () => {
    expect(preferredShards(0, 1)).toHaveLength(VIRTUAL_SHARDS);
    const evens = preferredShards(0, 2);
    expect(evens.every((s) => s % 2 === 0)).toBe(true);
    expect(compactShards(evens)).toBe("0-254 step 2");
    expect(compactShards([0, 1, 2, 3, 7, 9])).toBe("0-3, 7, 9");
  });

  test("two workers split the shards; a dead one's are taken over after expiry and handed back when it returns", async () => {
    // The in-process worker holds every shard (WORKER_COUNT=1): these run on a scratch copy of the tables' rows.
    await worker.stop();
    const options = { workerCount: 2, leaseSeconds: 2, reapDeadOnHost: false };
    const a = new ShardLeases(ctx, { ...options, workerId: 0 });
    const b = new ShardLeases(ctx, { ...options, workerId: 1 });
    try {
      await a.start();
      await b.start();
      expect(a.heldShards()).toEqual(preferredShards(0, 2));
      expect(b.heldShards()).toEqual(preferredShards(1, 2));

      await b.abandon(); // a crash: its leases stay until they expire
      await eventually(async () => a.heldShards().length === VIRTUAL_SHARDS, "worker 0 to take over worker 1's shards", 15_000);
      const [row] = await ctx.sql`SELECT count(DISTINCT owner)::int AS owners FROM shard_leases WHERE expires_at > now()`;
      expect(row!.owners).toBe(1);

      const back = new ShardLeases(ctx, { ...options, workerId: 1 });
      try {
        await back.start();
        await eventually(
          async () => back.heldShards().length === VIRTUAL_SHARDS / 2 && a.heldShards().length === VIRTUAL_SHARDS / 2,
          "worker 0 to hand the odd shards back",
          15_000,
        );
        expect(back.heldShards()).toEqual(preferredShards(1, 2));
        // Never two owners for one shard.
        const [dupes] = await ctx.sql`SELECT count(*)::int AS n FROM (SELECT shard FROM shard_leases GROUP BY shard HAVING count(*) > 1) d`;
        expect(dupes!.n).toBe(0);
      } finally {
        await back.stop();
      }
    } finally {
      await a.stop();
      await b.stop();
      worker = startEventWorker(ctx);
      await worker.ready;
    }
  });
});

describe("chunked fanout", () => {
  let author: Awaited<ReturnType<typeof localUser>>;
  let active: string[];
  let inactive: string[];
  let statusId: string;

  beforeAll(async () => {
    author = await localUser("celebrity");
    active = await bulkFollowers(author.id, 2600, "fan");
    inactive = await bulkFollowers(author.id, 40, "gone", 30);
  });

  test("a large account's post reaches every active follower once, in chunks of at most 1,000", async () => {
    chunks.length = 0;
    const response = await author.client.post("/api/v1/statuses", { status: "to my many followers" });
    expect(response.status).toBe(200);
    statusId = response.body.id;
    await drained();
    const homeChunks = chunks.filter((c) => c.payload.statusId === statusId && c.payload.phase === "home");
    // 2,600 followers: the first 1,000 inline in status.created, then two bulk chunks.
    expect(homeChunks.length).toBe(2);
    expect(new Set(homeChunks.map((c) => c.payload.after)).size).toBe(2);
    expect(new Set(homeChunks.map((c) => c.shard)).size).toBe(2); // spread over shards

    const feeds = await Promise.all(active.map(rawFeed));
    const missing = active.filter((_, i) => !feeds[i]!.includes(statusId));
    expect(missing).toEqual([]);
    expect(feeds.every((f) => f.filter((id) => id === statusId).length === 1)).toBe(true);
    // Inactive followers receive nothing: their feeds are rebuilt when they come back.
    for (const id of inactive) expect(await rawFeed(id)).not.toContain(statusId);
  });

  test("an inactive follower coming back sees it (home rebuilt from Postgres) and is active again", async () => {
    const token = `gone-1`;
    const [before] = await ctx.sql`SELECT last_sign_in_at FROM users WHERE account_id = ${inactive[0]!}`;
    const home = await api(base, token).get("/api/v1/timelines/home");
    expect(home.status).toBe(200);
    expect(home.body.map((s: any) => s.id)).toContain(statusId);
    const [after] = await ctx.sql`SELECT last_sign_in_at FROM users WHERE account_id = ${inactive[0]!}`;
    expect(new Date(after!.last_sign_in_at).getTime()).toBeGreaterThan(new Date(before!.last_sign_in_at).getTime());
    expect(Date.now() - new Date(after!.last_sign_in_at).getTime()).toBeLessThan(60_000);
  });

  test("replaying a chunk or a whole fanout shows nothing twice and emits no new chunks", async () => {
    const chunk = chunks.find((c) => c.payload.statusId === statusId && c.payload.phase === "home")!;
    const job: EventJob = {
      followUp: () => {
        throw new Error("a replay must not emit");
      },
      handOff: async () => {
        throw new Error("a replay must not hand off");
      },
    };
    // A crash after its hand-off: the stored payload carries upTo.
    const [upTo] = await ctx.sql`
      SELECT id FROM follows WHERE target_account_id = ${author.id} AND id > ${chunk.payload.after} ORDER BY id OFFSET 999 LIMIT 1`;
    await onFanoutChunk(ctx, { ...chunk, payload: { ...chunk.payload, upTo: upTo!.id } }, job);
    await fanOutStatus(ctx, statusId); // the whole status.created again
    await drained();
    const follower = active[1500]!;
    await api(base, `fan-1501`).get("/api/v1/timelines/home"); // builds the feed
    const feed = await readHomeFeed(ctx, follower);
    expect(feed!.ids.filter((id) => id === statusId)).toHaveLength(1);
    const home = await api(base, `fan-1501`).get("/api/v1/timelines/home?limit=40");
    expect(home.body.filter((s: any) => s.id === statusId)).toHaveLength(1);
  });

  test("each delivery is published on the follower's streaming channel", async () => {
    const messages: string[] = [];
    const unsubscribe = await ctx.redis.subscribe(`timeline:${active[7]!}`, (m) => messages.push(m));
    try {
      const posted = await author.client.post("/api/v1/statuses", { status: "streamed" });
      await eventually(async () => messages.some((m) => JSON.parse(m).status_id === posted.body.id), "the update message");
      expect(JSON.parse(messages.find((m) => JSON.parse(m).status_id === posted.body.id)!)).toEqual({
        event: "update",
        status_id: posted.body.id,
      });
      await author.client.delete(`/api/v1/statuses/${posted.body.id}`);
      await eventually(async () => messages.some((m) => JSON.parse(m).event === "delete"), "the delete message");
      expect(JSON.parse(messages.find((m) => JSON.parse(m).event === "delete")!)).toEqual({ event: "delete", payload: posted.body.id });
    } finally {
      await unsubscribe();
    }
  });

  test("above the merge threshold posts are merged into homes at read time instead of pushed", async () => {
    const saved = ctx.config.fanoutMergeThreshold;
    ctx.config.fanoutMergeThreshold = 1000;
    try {
      const reader = api(base, "fan-20");
      await reader.get("/api/v1/timelines/home"); // built before the post: only fanout or the merge can add it
      const outsider = await localUser("outsider");
      await outsider.client.get("/api/v1/timelines/home");
      chunks.length = 0;
      const posted = await author.client.post("/api/v1/statuses", { status: "merged at read time" });
      await drained();
      expect(chunks.filter((c) => c.payload.statusId === posted.body.id && c.payload.phase === "home")).toHaveLength(0);
      expect(await rawFeed(active[19]!)).not.toContain(posted.body.id);
      // Readers trust their copy of the merged-authors set for a few seconds.
      await eventually(
        async () => ((await reader.get("/api/v1/timelines/home")).body as any[]).some((s) => s.id === posted.body.id),
        "the merged status in a follower's home",
        10_000,
      );
      expect((await author.client.get("/api/v1/timelines/home")).body.map((s: any) => s.id)).toContain(posted.body.id);
      expect((await outsider.client.get("/api/v1/timelines/home")).body.map((s: any) => s.id)).not.toContain(posted.body.id);
      // Deleting takes it out of the merge.
      await author.client.delete(`/api/v1/statuses/${posted.body.id}`);
      await drained();
      expect((await reader.get("/api/v1/timelines/home")).body.map((s: any) => s.id)).not.toContain(posted.body.id);
    } finally {
      ctx.config.fanoutMergeThreshold = saved;
    }
  });
});

describe("reply backfill scheduling", () => {
  test("a remote status landing in local homes schedules one backfill, which calls the fetcher and reschedules", async () => {
    const reader = await localUser("reader");
    const [remote] = await ctx.sql`
      INSERT INTO accounts (username, domain, uri, inbox_url) VALUES ('far', 'remote.example', 'https://remote.example/users/far', 'https://remote.example/inbox')
      RETURNING id`;
    await ctx.sql`INSERT INTO account_stats (account_id, followers_count) VALUES (${remote!.id}, 1)`;
    await ctx.sql`INSERT INTO follows (account_id, target_account_id) VALUES (${reader.id}, ${remote!.id})`;
    const [status] = await ctx.sql`
      INSERT INTO statuses (account_id, uri, text, content, visibility, local)
      VALUES (${remote!.id}, 'https://remote.example/notes/1', '', '<p>from afar</p>', 'public', false) RETURNING id`;
    await ctx.sql`UPDATE statuses SET conversation_id = id WHERE id = ${status!.id}`;
    await emitEvent(ctx.sql, "status.created", remote!.id, { statusId: status!.id });
    await drained();
    expect(await rawFeed(reader.id)).toContain(status!.id);

    const scheduled = () => ctx.sql`SELECT id, lane, payload, run_at FROM events WHERE type = 'backfill.replies' AND payload->>'statusId' = ${status!.id}`;
    const [first, ...more] = await scheduled();
    expect(more).toHaveLength(0);
    expect(first!.lane).toBe(1);
    expect(new Date(first!.run_at).getTime()).toBeGreaterThan(Date.now() + 5 * 60_000);
    await fanOutStatus(ctx, status!.id); // delivered again: still one pending backfill
    await Bun.sleep(100);
    expect(await scheduled()).toHaveLength(1);

    const fetched: string[] = [];
    setReplyFetcher(async (_ctx, id) => {
      fetched.push(id);
      return 0;
    });
    try {
      await ctx.sql`UPDATE events SET run_at = now() WHERE id = ${first!.id}`;
      await eventually(async () => fetched.includes(status!.id), "the fetcher to be called", 10_000);
      const [next] = await eventually(async () => {
        const rows = await scheduled();
        return rows.length === 1 && rows[0]!.payload.round === 1 && rows;
      }, "the next round");
      expect(new Date(next!.run_at).getTime()).toBeGreaterThan(Date.now() + 30 * 60_000);
    } finally {
      setReplyFetcher(async () => 0);
    }
  });
});

describe("operations", () => {
  test("admin shards names each shard's owner and the backlog", async () => {
    const lines: string[] = [];
    const code = await execute(ctx, ["shards", "--all"], { line: (t) => lines.push(t), error: (t) => lines.push(t), progress: () => {} });
    expect(code).toBe(0);
    const text = lines.join("\n");
    expect(text).toContain("Workers (1):");
    expect(text).toContain(`${worker.owner}  WORKER_ID 0/1`);
    expect(text).toContain("256 shards: 0-255");
    expect(text).toContain("Unowned shards: none");
    expect(text).toMatch(/Backlog: \d+ pending events/);
    expect(lines.filter((l) => /^\s+\d+\s/.test(l))).toHaveLength(VIRTUAL_SHARDS);
  });

  test("API use refreshes a stale last activity, at most hourly", async () => {
    const user = await localUser("sleeper");
    await ctx.sql`UPDATE users SET last_sign_in_at = now() - interval '30 days' WHERE account_id = ${user.id}`;
    expect((await user.client.get("/api/v1/accounts/verify_credentials")).status).toBe(200);
    const [row] = await ctx.sql`SELECT last_sign_in_at > now() - interval '1 minute' AS fresh FROM users WHERE account_id = ${user.id}`;
    expect(row!.fresh).toBe(true);
    await ctx.sql`UPDATE users SET last_sign_in_at = now() - interval '10 minutes' WHERE account_id = ${user.id}`;
    await user.client.get("/api/v1/accounts/verify_credentials");
    const [again] = await ctx.sql`SELECT last_sign_in_at < now() - interval '9 minutes' AS kept FROM users WHERE account_id = ${user.id}`;
    expect(again!.kept).toBe(true);
  });
});
