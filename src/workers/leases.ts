/**
 * Shard ownership through leases in Postgres (`shard_leases`: one row per
 * virtual shard, owner + expires_at), renewed by a heartbeat.
 *
 * Why leases rather than advisory locks: session advisory locks tie
 * ownership to one pooled connection (lost on any reconnect, unusable
 * behind a transaction-mode pooler) and cannot be listed with their owner's
 * name; a lease row is visible to `admin shards`, survives reconnects and
 * doubles as a fence in the claim query (events are claimed only from
 * shards whose lease this worker holds, unexpired — see worker.ts).
 *
 * The protocol, run every heartbeat (leaseSeconds / 5):
 *  1. Record this worker in `workers` (owner, WORKER_ID/COUNT, host, pid).
 *  2. Renew every lease it holds. The renewal's start time plus the lease
 *     length, less a margin, is the local deadline after which the worker
 *     starts no new work if the next renewal has not succeeded (a worker cut
 *     off from Postgres stops before anyone else may take over).
 *  3. Acquire its preferred shards (shard % WORKER_COUNT == WORKER_ID) that
 *     are free or whose lease expired.
 *  4. Once up for two heartbeats, take over shards no live worker prefers
 *     whose lease expired (a dead worker's, or a WORKER_ID nobody runs).
 *  5. Hand back shards it holds but a live worker prefers: stop claiming
 *     there, wait for the running tasks, delete the lease; the preferred
 *     worker acquires it at its next heartbeat.
 *
 * A crashed worker's shards are thus taken over after its leases expire
 * (WORKER_LEASE_SECONDS, 30 s by default). A worker restarted on the same
 * host does not wait: owners on this host whose pid is gone are dead for
 * certain, so their leases and event claims are released at once.
 */
import { appendFileSync, readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";
import type { AppContext } from "../context.ts";
import { VIRTUAL_SHARDS } from "../events/index.ts";
import { logger } from "../log.ts";

const log = logger("workers", "leases");

export function preferredShards(workerId: number, workerCount: number): number[] {
  const shards: number[] = [];
  for (let shard = 0; shard < VIRTUAL_SHARDS; shard++) if (shard % workerCount === workerId) shards.push(shard);
  return shards;
}

/**
 * Where pids mean the same thing: the host name plus (on Linux) the boot and
 * the pid namespace, so containers sharing a host name never judge each
 * other's processes.
 */
function pidScope(): string {
  const parts = [hostname()];
  try {
    parts.push(readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim().slice(0, 8));
    parts.push(readlinkSync("/proc/self/ns/pid").replace(/\D/g, ""));
  } catch {
    // Not Linux: the host name alone.
  }
  return parts.join("/");
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface LeaseOptions {
  workerId: number;
  workerCount: number;
  leaseSeconds: number;
  /**
   * Release at once the leases of workers on this host whose process is
   * gone (default true). Off only where several lease holders share one
   * process (tests), since a same-pid owner then looks like a predecessor.
   */
  reapDeadOnHost?: boolean;
}

export class ShardLeases {
  readonly owner: string;
  private readonly host = pidScope();
  private readonly preferred: Set<number>;
  private readonly heartbeatMs: number;
  private held = new Set<number>();
  /** Shards being handed back: no new work starts there. */
  private releasing = new Set<number>();
  /** Running tasks per shard (both lanes), so a hand-back waits for them. */
  private busy = new Map<number, number>();
  /** performance.now() after which no new work starts unless a renewal succeeded. */
  private validUntil = 0;
  private startedAt = performance.now();
  private timer: ReturnType<typeof setInterval> | null = null;
  private beating: Promise<void> | null = null;
  private listeners = new Set<() => void>();
  private stopped = false;

  constructor(
    private readonly ctx: AppContext,
    private readonly options: LeaseOptions,
  ) {
    this.owner = `w${options.workerId}/${options.workerCount}@${hostname()}:${process.pid}:${crypto.randomUUID().slice(0, 8)}`;
    this.preferred = new Set(preferredShards(options.workerId, options.workerCount));
    this.heartbeatMs = Math.max(250, (options.leaseSeconds * 1000) / 5);
  }

  /** Takes the first leases, then keeps them with a heartbeat. */
  async start(): Promise<void> {
    await this.heartbeat();
    this.timer = setInterval(() => void this.heartbeat(), this.heartbeatMs);
  }

  /** Called when the held set changes (new shards may have work). */
  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  /** Shards where new work may start now. */
  workable(): number[] {
    if (this.stopped || performance.now() > this.validUntil) return [];
    return [...this.held].filter((s) => !this.releasing.has(s));
  }

  heldShards(): number[] {
    return [...this.held].sort((a, b) => a - b);
  }

  enter(shard: number): void {
    this.busy.set(shard, (this.busy.get(shard) ?? 0) + 1);
  }

  leave(shard: number): void {
    const left = (this.busy.get(shard) ?? 1) - 1;
    if (left > 0) this.busy.set(shard, left);
    else this.busy.delete(shard);
  }

  heartbeat(): Promise<void> {
    // One at a time: a slow database must not stack heartbeats.
    this.beating ??= this.beat()
      .catch((error) => log.warning("Lease heartbeat failed: {error}", { error }))
      .finally(() => {
        this.beating = null;
      });
    return this.beating;
  }

  private async beat(): Promise<void> {
    if (this.stopped) return;
    const { sql } = this.ctx;
    const ttl = this.options.leaseSeconds;
    const started = performance.now();
    const before = new Set(this.held);

    await sql`
      INSERT INTO workers (owner, worker_id, worker_count, host, pid)
      VALUES (${this.owner}, ${this.options.workerId}, ${this.options.workerCount}, ${this.host}, ${process.pid})
      ON CONFLICT (owner) DO UPDATE SET heartbeat_at = now()`;

    const renewed = await sql`
      UPDATE shard_leases SET expires_at = now() + make_interval(secs => ${ttl})
      WHERE owner = ${this.owner} RETURNING shard`;
    this.held = new Set(renewed.map((r) => r.shard as number));
    // A quarter of the lease is kept as margin for clock rate and in-flight work.
    this.validUntil = started + ttl * 750;

    if (this.options.reapDeadOnHost ?? true) await this.releaseDeadOnThisHost();

    // Long-silent workers are gone: forget them (their leases expired long ago).
    await sql`DELETE FROM workers WHERE heartbeat_at < now() - make_interval(secs => ${ttl * 10})`;
    const live = await sql`
      SELECT owner, worker_id, worker_count FROM workers
      WHERE heartbeat_at > now() - make_interval(secs => ${ttl})`;
    const preferredByLive = new Set<number>();
    for (const w of live) {
      if (w.owner === this.owner) continue;
      for (let s = w.worker_id as number; s < VIRTUAL_SHARDS; s += w.worker_count as number) preferredByLive.add(s);
    }

    // Preferred shards first; foreign ones only after two heartbeats, so
    // workers starting together each get theirs before anyone grabs extra.
    const wanted = [...this.preferred].filter((s) => !this.held.has(s));
    if (performance.now() - this.startedAt > 2 * this.heartbeatMs) {
      for (let s = 0; s < VIRTUAL_SHARDS; s++) {
        if (!this.preferred.has(s) && !this.held.has(s) && !preferredByLive.has(s)) wanted.push(s);
      }
    }
    if (wanted.length > 0) await this.acquire(wanted);

    for (const shard of this.held) {
      if (this.preferred.has(shard) || !preferredByLive.has(shard)) this.releasing.delete(shard);
      else this.releasing.add(shard);
    }
    await this.handBack();

    const changed = this.held.size !== before.size || [...this.held].some((s) => !before.has(s));
    if (changed) {
      log.info("Worker {owner} holds {count} shards", { owner: this.owner, count: this.held.size });
      for (const listener of this.listeners) listener();
    }
  }

  private async acquire(shards: number[]): Promise<void> {
    const { sql } = this.ctx;
    const ttl = this.options.leaseSeconds;
    const rows = await sql`
      INSERT INTO shard_leases (shard, owner, expires_at)
      SELECT s, ${this.owner}, now() + make_interval(secs => ${ttl}) FROM unnest(${shards}::int[]) AS s
      ON CONFLICT (shard) DO UPDATE
        SET owner = excluded.owner, expires_at = excluded.expires_at, acquired_at = now()
        WHERE shard_leases.expires_at < now()
      RETURNING shard`;
    if (rows.length === 0) return;
    const got = rows.map((r) => r.shard as number);
    for (const shard of got) this.held.add(shard);
    // Claims left by whoever held these shards before: its lease has expired,
    // so it starts nothing new there; its claimed events become ours.
    await sql`
      UPDATE events SET locked_until = NULL, locked_by = NULL
      WHERE shard = ANY(${got}::int[]) AND locked_by IS NOT NULL AND locked_by <> ${this.owner}`;
  }

  /** Owners on this host whose process is gone: nobody can be running their work. */
  private async releaseDeadOnThisHost(): Promise<void> {
    const { sql } = this.ctx;
    const rows = await sql`SELECT owner, pid FROM workers WHERE host = ${this.host} AND owner <> ${this.owner}`;
    const dead = rows
      .filter((r) => r.pid === process.pid || !pidAlive(r.pid as number))
      .map((r) => r.owner as string);
    if (dead.length === 0) return;
    await sql.begin(async (tx) => {
      await tx`UPDATE shard_leases SET expires_at = now() - interval '1 second' WHERE owner = ANY(${dead})`;
      await tx`UPDATE events SET locked_until = NULL, locked_by = NULL WHERE locked_by = ANY(${dead})`;
      await tx`DELETE FROM workers WHERE owner = ANY(${dead})`;
    });
    log.info("Released the shards of dead workers {dead}", { dead });
  }

  private async handBack(): Promise<void> {
    const idle = [...this.releasing].filter((s) => !this.busy.has(s));
    if (idle.length === 0) return;
    await this.ctx.sql`DELETE FROM shard_leases WHERE owner = ${this.owner} AND shard = ANY(${idle}::int[])`;
    for (const shard of idle) {
      this.held.delete(shard);
      this.releasing.delete(shard);
    }
    log.info("Handed back shards {shards}", { shards: idle });
  }

  /** Stops renewing without giving anything up, as a crash would (tests). */
  async abandon(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.beating;
  }

  /** Stops renewing and gives every lease up, so a successor needn't wait for expiry. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.beating;
    const { sql } = this.ctx;
    await sql.begin(async (tx) => {
      await tx`DELETE FROM shard_leases WHERE owner = ${this.owner}`;
      await tx`UPDATE events SET locked_until = NULL, locked_by = NULL WHERE locked_by = ${this.owner}`;
      await tx`DELETE FROM workers WHERE owner = ${this.owner}`;
    });
    this.held.clear();
  }
}

/**
 * An append-only log of shard tasks (WORKER_TRACE_FILE), one JSON line per
 * task with its start and end: how the reliability tests check that two
 * workers never process one shard at the same time. Off unless set.
 */
export class ShardTrace {
  private readonly file = process.env.WORKER_TRACE_FILE || null;

  constructor(private readonly owner: string) {}

  get enabled(): boolean {
    return this.file !== null;
  }

  /** A task starts (a line with end null: a worker killed mid-task leaves only this one). */
  begin(shard: number, lane: number, start: number): void {
    if (!this.file) return;
    appendFileSync(this.file, JSON.stringify({ owner: this.owner, shard, lane, start, end: null }) + "\n");
  }

  record(shard: number, lane: number, start: number, end: number, events: number): void {
    if (!this.file) return;
    appendFileSync(this.file, JSON.stringify({ owner: this.owner, shard, lane, start, end, events }) + "\n");
  }
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes on one host. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}
