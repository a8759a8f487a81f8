/**
 * One streaming connection (a WebSocket, or an SSE response): its viewer,
 * its subscriptions, and the translation of channel messages into what
 * this viewer may receive.
 *
 * Messages are handled one at a time, in arrival order, per session (an
 * update rendered slowly is never overtaken by its own delete). A session
 * whose queue grows past MAX_PENDING is a client that can't keep up: it is
 * closed, and reconnects and catches up through the REST API like any
 * client coming back.
 */
import type { AppContext } from "../../src/context.ts";
import { logger } from "../../src/log.ts";
import type { ChannelMessage } from "./channels.ts";
import type { Hub } from "./hub.ts";
import {
  hiddenFromPublic,
  loadStatusFacts,
  publicCrutches,
  renderConversationFor,
  renderNotificationFor,
  renderStatusFor,
  type FilterContext,
  type StreamEvent,
} from "./serializer.ts";
import { StreamError, type ChannelKind, type StreamAuth, type StreamSpec } from "./streams.ts";

const log = logger("streaming");

const MAX_PENDING = 1_000;
/** Each distinct hashtag is a Redis subscription of its own: a client asking for thousands is refused past this. */
export const MAX_SUBSCRIPTIONS = 100;

/** Where a session's output goes: a WebSocket or an SSE response. */
export interface Sink {
  /** False when the client can't take more: the session then closes. */
  send(stream: string[], event: StreamEvent, payload: string | undefined): boolean;
  heartbeat(): void;
  close(): void;
}

interface Subscription {
  spec: StreamSpec;
  active: boolean;
  stops: (() => void)[];
}

export class Session {
  private readonly subscriptions = new Map<string, Subscription>();
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;
  private closed = false;

  constructor(
    private readonly ctx: AppContext,
    private readonly hub: Hub,
    readonly auth: StreamAuth,
    private readonly sink: Sink,
  ) {
    hub.add(this);
  }

  get accountId(): string {
    return this.auth.accountId;
  }

  get tokenId(): string {
    return this.auth.tokenId;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  hasUserStream(): boolean {
    return this.subscriptions.has("user");
  }

  listIds(): string[] {
    return [...this.subscriptions.values()].flatMap((s) => (s.spec.listId ? [s.spec.listId] : []));
  }

  /** Subscribes (once: asking again for a stream already subscribed does nothing); resolves once messages flow. */
  async subscribe(spec: StreamSpec): Promise<void> {
    if (this.closed || this.subscriptions.has(spec.key)) return;
    if (this.subscriptions.size >= MAX_SUBSCRIPTIONS) throw new StreamError(429, "Too many subscriptions on this connection");
    const subscription: Subscription = { spec, active: true, stops: [] };
    this.subscriptions.set(spec.key, subscription);
    try {
      for (const { channel, kind } of spec.channels) {
        const stop = await this.hub.listen(channel, (message, raw) => this.enqueue(subscription, kind, message, raw));
        subscription.stops.push(stop);
        if (!subscription.active) break; // unsubscribed or closed meanwhile
      }
    } catch (error) {
      this.drop(subscription);
      throw error;
    }
    if (!subscription.active) this.drop(subscription);
  }

  unsubscribe(key: string): void {
    const subscription = this.subscriptions.get(key);
    if (subscription) this.drop(subscription);
  }

  heartbeat(): void {
    if (!this.closed) this.sink.heartbeat();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const subscription of [...this.subscriptions.values()]) this.drop(subscription);
    this.hub.remove(this);
    this.sink.close();
  }

  private drop(subscription: Subscription): void {
    subscription.active = false;
    for (const stop of subscription.stops.splice(0)) stop();
    if (this.subscriptions.get(subscription.spec.key) === subscription) this.subscriptions.delete(subscription.spec.key);
  }

  private enqueue(subscription: Subscription, kind: ChannelKind, message: ChannelMessage, raw: string): void {
    if (!subscription.active || this.closed) return;
    if (this.pending >= MAX_PENDING) {
      log.info("Closing a streaming connection of {accountId} that fell {count} messages behind", {
        accountId: this.accountId,
        count: this.pending,
      });
      this.close();
      return;
    }
    this.pending++;
    this.queue = this.queue.then(async () => {
      try {
        if (subscription.active && !this.closed) await this.deliver(subscription, kind, message, raw);
      } catch (error) {
        log.warning("Dropped a {event} for a stream of {accountId}: {error}", {
          event: message.event,
          accountId: this.accountId,
          error,
        });
      } finally {
        this.pending--;
      }
    });
  }

  private send(subscription: Subscription, event: StreamEvent, payload: string | undefined): void {
    if (!subscription.active || this.closed) return;
    if (!this.sink.send(subscription.spec.name, event, payload)) this.close();
  }

  /** A status rendered for this viewer, shared with the viewer's other connections and subscriptions. */
  private renderStatus(statusId: string, context: FilterContext, raw: string): Promise<string | null> {
    return this.hub.memo(`status:${context}:${this.accountId}:${raw}`, () =>
      this.hub.limit(() => renderStatusFor(this.ctx, statusId, this.accountId, context)),
    );
  }

  private async sendStatus(subscription: Subscription, event: StreamEvent, statusId: string, context: FilterContext, raw: string) {
    const payload = await this.renderStatus(statusId, context, raw);
    if (payload !== null) this.send(subscription, event, payload);
  }

  private async deliver(subscription: Subscription, kind: ChannelKind, message: ChannelMessage, raw: string): Promise<void> {
    switch (kind) {
      case "home":
      case "list":
        // Fanout applied the home rules already; rendering applies visibility and filters.
        if (message.event === "update" || message.event === "status.update") {
          return this.sendStatus(subscription, message.event, message.status_id, "home", raw);
        }
        if (message.event === "delete") return this.send(subscription, "delete", message.payload);
        if (message.event === "filters_changed" && kind === "home") return this.send(subscription, "filters_changed", undefined);
        return;

      case "broadcast": {
        if (message.event !== "update" && message.event !== "status.update" && message.event !== "delete") return;
        const audience = await this.hub.broadcastAudience(message, raw);
        const reached = subscription.spec.listId ? audience.lists.has(subscription.spec.listId) : audience.viewers.has(this.accountId);
        if (!reached) return;
        if (message.event === "delete") return this.send(subscription, "delete", message.payload);
        return this.sendStatus(subscription, message.event, message.status_id, "home", raw);
      }

      case "public": {
        if (message.event === "delete") return this.send(subscription, "delete", message.payload);
        if (message.event !== "update" && message.event !== "status.update") return;
        const statusId = message.status_id;
        const facts = await this.hub.memo(`facts:${raw}`, () => this.hub.limit(() => loadStatusFacts(this.ctx, statusId)));
        if (!facts) return;
        const crutches = await this.hub.memo(`crutches:${this.accountId}:${raw}`, () =>
          this.hub.limit(() => publicCrutches(this.ctx, facts, this.accountId)),
        );
        if (hiddenFromPublic(facts, this.accountId, crutches)) return;
        return this.sendStatus(subscription, message.event, statusId, "public", raw);
      }

      case "notifications": {
        if (message.event !== "notification") return;
        const id = message.notification_id;
        const payload = await this.hub.memo(`notification:${this.accountId}:${id}`, () =>
          this.hub.limit(() => renderNotificationFor(this.ctx, id, this.accountId)),
        );
        if (payload !== null) this.send(subscription, "notification", payload);
        return;
      }

      case "direct": {
        if (message.event !== "conversation") return;
        const statusId = message.status_id;
        const payload = await this.hub.memo(`conversation:${this.accountId}:${statusId}`, () =>
          this.hub.limit(() => renderConversationFor(this.ctx, statusId, this.accountId)),
        );
        if (payload !== null) this.send(subscription, "conversation", payload);
        return;
      }
    }
  }
}
