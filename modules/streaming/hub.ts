/**
 * One hub per process: the bridge between Redis pub/sub and the process's
 * streaming connections (sessions).
 *
 * - Multiplexing: ONE Redis subscription per channel per process, however
 *   many sessions listen; it is opened by the first listener and closed
 *   with the last. A message is parsed once and handed to every listener.
 * - Sharing: work that does not depend on the session — a status rendered
 *   for a viewer with several connections, a broadcast's audience among
 *   all connections — is memoised for a moment, so it runs once.
 * - Bounding: renders (database work) run at most RENDER_CONCURRENCY at a
 *   time per process, so a burst of messages queues instead of taking
 *   every database connection from the API.
 * - Liveness: heartbeats (WebSocket pings, SSE `:thump`) every
 *   HEARTBEAT_MS, and tokens rechecked every TOKEN_CHECK_MS (a revoked
 *   token, disabled user or suspended account loses its connections).
 * - Healing: a dropped pub/sub connection is not resubscribed by the Redis
 *   clients (Bun's reconnects without its subscriptions; Upstash's streams
 *   end), which would silence every stream of the process. So the hub
 *   publishes a probe on a channel of its own every PROBE_MS; a probe not
 *   back by the next one means the subscriptions are gone, and every
 *   channel is subscribed again (messages meanwhile are lost, as with any
 *   reconnect; clients catch up through the REST API).
 * The timer runs only while sessions exist.
 */
import type { AppContext } from "../../src/context.ts";
import { logger } from "../../src/log.ts";
import { parseChannelMessage, type ChannelMessage } from "./channels.ts";
import { loadStatusFacts, passHomeRules } from "./serializer.ts";
import type { Session } from "./session.ts";
import { selectHomeAudience, selectListsWithMember, selectLiveTokenIds } from "./storage.ts";

const log = logger("streaming");

const PROBE_MS = 5_000;
/** A probe slower than this counts as lost (checked at the next tick; timers drift, so under PROBE_MS). */
const PROBE_TIMEOUT_MS = 2_500;
const HEARTBEAT_MS = 15_000;
const TOKEN_CHECK_MS = 60_000;
const RENDER_CONCURRENCY = 16;
/** How long a shared result stays reusable once computed. */
const MEMO_MS = 2_000;

export type Listener = (message: ChannelMessage, raw: string) => void;

interface Channel {
  listeners: Set<Listener>;
  /** Resolves once Redis confirmed the subscription, to its unsubscribe function. */
  ready: Promise<() => Promise<void>>;
  /** Bumped by each resubscription: only the newest subscription's messages count. */
  generation: number;
}

export interface BroadcastAudience {
  /** Accounts whose user stream gets the message. */
  viewers: Set<string>;
  /** Lists whose stream gets it. */
  lists: Set<string>;
}

const NOBODY: BroadcastAudience = { viewers: new Set(), lists: new Set() };

export class Hub {
  private readonly channels = new Map<string, Channel>();
  private readonly sessions = new Set<Session>();
  private readonly memos = new Map<string, { expires: number; value: Promise<unknown> }>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastHeartbeat = 0;
  private lastTokenCheck = 0;
  private readonly probeChannel = `streaming:probe:${crypto.randomUUID()}`;
  private probe: Channel | null = null;
  /** When the unanswered probe was sent; null when none is outstanding. */
  private probeSentAt: number | null = null;
  private checking = false;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly ctx: AppContext) {}

  /** Listens on a channel; resolves once messages will arrive, to the function that stops listening. */
  async listen(name: string, listener: Listener): Promise<() => void> {
    let channel = this.channels.get(name);
    if (!channel) {
      // The probe must share the fate of the subscriptions it watches: it starts with the first of them.
      this.startProbing();
      const created: Channel = { listeners: new Set(), ready: null as never, generation: 0 };
      this.subscribeEntry(name, created);
      created.ready.catch(() => {
        if (this.channels.get(name) === created) this.channels.delete(name);
      });
      this.channels.set(name, (channel = created));
    }
    channel.listeners.add(listener);
    const entry = channel;
    try {
      await entry.ready;
    } catch (error) {
      entry.listeners.delete(listener);
      throw error;
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      entry.listeners.delete(listener);
      if (entry.listeners.size > 0) return;
      if (this.channels.get(name) === entry) this.channels.delete(name);
      entry.ready
        .then((unsubscribe) => unsubscribe())
        .catch((error) => log.warning("Unsubscribing from {channel} failed: {error}", { channel: name, error }));
    };
  }

  /**
   * (Re)subscribes an entry. Messages are bound to the entry and its
   * generation: a late message for an entry already replaced, or from the
   * subscription a resubscription superseded, reaches nobody twice.
   */
  private subscribeEntry(name: string, entry: Channel): void {
    const generation = ++entry.generation;
    entry.ready = this.ctx.redis.subscribe(name, (raw) => {
      if (entry.generation === generation) this.dispatch(entry, raw);
    });
  }

  private dispatch(channel: Channel, raw: string): void {
    if (channel.listeners.size === 0) return;
    const message = parseChannelMessage(raw);
    if (!message) return;
    for (const listener of channel.listeners) {
      try {
        listener(message, raw);
      } catch (error) {
        log.error("A streaming listener threw: {error}", { error });
      }
    }
  }

  add(session: Session): void {
    this.sessions.add(session);
    this.timer ??= setInterval(() => void this.tick(), PROBE_MS);
  }

  remove(session: Session): void {
    this.sessions.delete(session);
    if (this.sessions.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
      this.memos.clear();
      this.stopProbing();
    }
  }

  /** `compute`'s result, shared with any caller asking for the same key within MEMO_MS. */
  memo<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = this.memos.get(key);
    if (hit && hit.expires > now) return hit.value as Promise<T>;
    const value = compute();
    this.memos.set(key, { expires: now + MEMO_MS, value });
    // A failure is not remembered: the next asker tries again.
    value.catch(() => this.memos.delete(key));
    if (this.memos.size > 10_000) this.sweep(now);
    return value;
  }

  /** Runs database-heavy work within the process's render budget. */
  async limit<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= RENDER_CONCURRENCY) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  /**
   * Who among this process's connections a HOME_BROADCAST message reaches
   * (channels.ts): computed once per message for all of them.
   */
  broadcastAudience(message: ChannelMessage, raw: string): Promise<BroadcastAudience> {
    return this.memo(`audience:${raw}`, () => this.limit(() => this.computeAudience(message)));
  }

  private async computeAudience(message: ChannelMessage): Promise<BroadcastAudience> {
    if (message.event !== "update" && message.event !== "status.update" && message.event !== "delete") return NOBODY;
    const authorId = message.account_id;
    if (!authorId) return NOBODY;
    const statusId = message.event === "delete" ? message.payload : message.status_id;
    const viewers = new Set<string>();
    const listOwners = new Map<string, string>();
    for (const session of this.sessions) {
      if (session.hasUserStream()) viewers.add(session.accountId);
      for (const listId of session.listIds()) listOwners.set(listId, session.accountId);
    }
    const edit = message.event === "status.update";
    let audience = await selectHomeAudience(this.ctx.sql, [...viewers], authorId, statusId, edit);
    // Lists receive edits only: their new statuses and deletions come through fanout, merged authors included.
    let lists = edit ? await selectListsWithMember(this.ctx.sql, [...listOwners.keys()], authorId) : new Set<string>();
    if (message.event !== "delete") {
      const facts = await loadStatusFacts(this.ctx, statusId);
      if (!facts) return NOBODY;
      audience = await passHomeRules(this.ctx, facts, [...audience], "home");
      const owners = await passHomeRules(this.ctx, facts, [...lists].map((id) => listOwners.get(id)!), "list");
      lists = new Set([...lists].filter((id) => owners.has(listOwners.get(id)!)));
    }
    return { viewers: audience, lists };
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.memos) if (entry.expires <= now) this.memos.delete(key);
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    this.sweep(now);
    if (now - this.lastHeartbeat >= HEARTBEAT_MS) {
      this.lastHeartbeat = now;
      for (const session of this.sessions) session.heartbeat();
    }
    // Not awaited: a hanging Redis must not hold up heartbeats (one check runs at a time).
    void this.checkSubscriptions(now);
    if (now - this.lastTokenCheck < TOKEN_CHECK_MS) return;
    this.lastTokenCheck = now;
    try {
      const sessions = [...this.sessions];
      const live = await selectLiveTokenIds(this.ctx.sql, [...new Set(sessions.map((s) => s.tokenId))]);
      for (const session of sessions) if (!live.has(session.tokenId)) session.close();
    } catch (error) {
      log.warning("Could not recheck streaming tokens: {error}", { error });
    }
  }

  /** Heals lost subscriptions (see the top of this file), then sends the next probe. */
  private async checkSubscriptions(now: number): Promise<void> {
    if (this.checking) return;
    if (this.channels.size === 0) {
      this.stopProbing();
      return;
    }
    this.checking = true;
    try {
      if (this.probeSentAt !== null && now - this.probeSentAt >= PROBE_TIMEOUT_MS) {
        log.warning("Streaming pub/sub went quiet; subscribing to {count} channels again", { count: this.channels.size });
        await this.resubscribeAll();
      }
      const probe = this.startProbing();
      await probe.ready;
      this.probeSentAt ??= Date.now();
      await this.ctx.redis.publish(this.probeChannel, "probe");
    } catch (error) {
      log.warning("Streaming pub/sub check failed: {error}", { error });
    } finally {
      this.checking = false;
    }
  }

  private startProbing(): Channel {
    if (!this.probe) {
      const probe: Channel = { listeners: new Set(), ready: null as never, generation: 0 };
      this.probe = probe;
      this.subscribeProbe(probe);
    }
    return this.probe;
  }

  private subscribeProbe(probe: Channel): void {
    const generation = ++probe.generation;
    probe.ready = this.ctx.redis.subscribe(this.probeChannel, () => {
      if (probe.generation === generation) this.probeSentAt = null;
    });
    // A failed probe subscription is retried at the next check.
    probe.ready.catch(() => {
      if (this.probe === probe) this.probe = null;
    });
  }

  private async resubscribeAll(): Promise<void> {
    const superseded: Promise<() => Promise<void>>[] = [];
    for (const [name, entry] of this.channels) {
      superseded.push(entry.ready);
      this.subscribeEntry(name, entry);
    }
    if (this.probe) {
      superseded.push(this.probe.ready);
      this.subscribeProbe(this.probe);
    }
    this.probeSentAt = null;
    const results = await Promise.allSettled([...this.channels.values()].map((entry) => entry.ready));
    // Any that failed: heal again at the next check.
    if (results.some((r) => r.status === "rejected")) this.probeSentAt = 0;
    // The old subscriptions are dead or duplicates now (their messages are ignored); release them.
    await Promise.allSettled(superseded.map((ready) => ready.then((unsubscribe) => unsubscribe())));
  }

  private stopProbing(): void {
    const probe = this.probe;
    this.probe = null;
    this.probeSentAt = null;
    probe?.ready.then((unsubscribe) => unsubscribe()).catch(() => {});
  }

  /** Closes every session (shutdown). */
  closeAll(): void {
    for (const session of [...this.sessions]) session.close();
  }
}

const hubs = new WeakMap<AppContext, Hub>();

export function hubFor(ctx: AppContext): Hub {
  let hub = hubs.get(ctx);
  if (!hub) hubs.set(ctx, (hub = new Hub(ctx)));
  return hub;
}
