/** `shards`: who owns which virtual shard, and the backlog of each. */
import { VIRTUAL_SHARDS } from "../../events/index.ts";
import type { Command } from "./command.ts";

/** 0,1,2,3,7,9,11 → "0-3, 7, 9, 11" (strided runs are common: WORKER_COUNT > 1 gives every Nth shard). */
export function compactShards(shards: number[]): string {
  const sorted = [...shards].sort((a, b) => a - b);
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    // The longest arithmetic run from i, stride taken from the next element.
    const start = sorted[i]!;
    const stride = i + 1 < sorted.length ? sorted[i + 1]! - start : 1;
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1]! - sorted[j]! === stride) j++;
    const length = j - i + 1;
    if (length >= 3) {
      parts.push(stride === 1 ? `${start}-${sorted[j]}` : `${start}-${sorted[j]} step ${stride}`);
      i = j + 1;
    } else {
      parts.push(String(start));
      i++;
    }
  }
  return parts.join(", ");
}

const shards: Command = {
  name: "shards",
  summary: "Show which worker owns each shard and the pending events per shard",
  details: [
    `Work is split into ${VIRTUAL_SHARDS} virtual shards; workers hold them through leases renewed by a heartbeat`,
    "(WORKER_ID/WORKER_COUNT say which each prefers). Backlog counts pending events: lane 0 is interactive work,",
    "lane 1 bulk work (large fanouts, reply backfill). Shards without a backlog are left out unless --all.",
  ].join("\n"),
  positionals: [],
  options: {
    all: { type: "boolean", description: "List every shard, not only those with a backlog" },
  },
  async run(ctx, args, out) {
    const [leases, workers, backlog] = await Promise.all([
      ctx.sql`SELECT shard, owner, expires_at, expires_at > now() AS live FROM shard_leases ORDER BY shard`,
      ctx.sql`SELECT owner, worker_id, worker_count, host, pid, started_at,
                     extract(epoch FROM now() - heartbeat_at)::float AS silent_for
              FROM workers ORDER BY worker_id, owner`,
      ctx.sql`SELECT shard, lane, count(*)::int AS pending,
                     count(*) FILTER (WHERE run_at <= now())::int AS due,
                     count(*) FILTER (WHERE locked_until > now())::int AS running,
                     extract(epoch FROM now() - min(created_at))::float AS oldest
              FROM events GROUP BY shard, lane`,
    ]);

    const ownerOf = new Map<number, string>();
    const byOwner = new Map<string, number[]>();
    for (const lease of leases) {
      if (!lease.live) continue;
      ownerOf.set(lease.shard, lease.owner);
      byOwner.set(lease.owner, [...(byOwner.get(lease.owner) ?? []), lease.shard]);
    }
    out.line(`Workers (${workers.length}):`);
    if (workers.length === 0) out.line("  none has registered (no worker running yet)");
    for (const w of workers) {
      const held = byOwner.get(w.owner) ?? [];
      const silent = Number(w.silent_for);
      out.line(
        `  ${w.owner}  WORKER_ID ${w.worker_id}/${w.worker_count}  heartbeat ${silent.toFixed(1)} s ago` +
          `  ${held.length} shards${held.length ? `: ${compactShards(held)}` : ""}`,
      );
      byOwner.delete(w.owner);
    }
    for (const [owner, held] of byOwner) out.line(`  ${owner} (not registered)  ${held.length} shards: ${compactShards(held)}`);
    const unowned = [...Array(VIRTUAL_SHARDS).keys()].filter((s) => !ownerOf.has(s));
    out.line(`Unowned shards: ${unowned.length ? `${unowned.length}: ${compactShards(unowned)}` : "none"}`);

    const perShard = new Map<number, { lane0: number; lane1: number; due: number; running: number; oldest: number }>();
    let total = 0;
    for (const row of backlog) {
      const entry = perShard.get(row.shard) ?? { lane0: 0, lane1: 0, due: 0, running: 0, oldest: 0 };
      if (row.lane === 0) entry.lane0 += row.pending;
      else entry.lane1 += row.pending;
      entry.due += row.due;
      entry.running += row.running;
      entry.oldest = Math.max(entry.oldest, Number(row.oldest));
      perShard.set(row.shard, entry);
      total += row.pending;
    }
    out.line(`Backlog: ${total} pending events in ${perShard.size} shards`);
    const rows = [...Array(VIRTUAL_SHARDS).keys()].filter((s) => args.values.all || perShard.has(s));
    if (rows.length === 0) return;
    out.line("  shard  interactive   bulk    due  running  oldest  owner");
    for (const shard of rows) {
      const e = perShard.get(shard) ?? { lane0: 0, lane1: 0, due: 0, running: 0, oldest: 0 };
      out.line(
        `  ${String(shard).padStart(5)}  ${String(e.lane0).padStart(11)}  ${String(e.lane1).padStart(5)}  ` +
          `${String(e.due).padStart(5)}  ${String(e.running).padStart(7)}  ${`${e.oldest.toFixed(0)} s`.padStart(6)}  ` +
          (ownerOf.get(shard) ?? "-"),
      );
    }
  },
};

export const shardCommands: Command[] = [shards];
