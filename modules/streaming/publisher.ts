/**
 * What the streaming API hears about, published on the channels of
 * channels.ts: public and hashtag streams, direct conversations,
 * notifications, edits, merged authors' posts and filter changes. Home and
 * list deliveries are published by fanout itself (feed-manager.ts).
 *
 * Publishing is best effort: a failure is logged, never thrown, because an
 * event handler that throws is replayed whole, and its other handlers'
 * messages (fanout's) would reach clients twice. Clients catch up through
 * the REST API whenever they reconnect anyway.
 */
import type { AppContext } from "../../src/context.ts";
import { onEvent, type DomainEvent } from "../../src/events/index.ts";
import type { EventPayloads } from "../../src/events/types.ts";
import type { RedisCommand } from "../../src/services/redis/port.ts";
import { logger } from "../../src/log.ts";
import { normalizeTagName } from "../timelines/timelines.ts";
import {
  directChannel,
  hashtagChannel,
  homeChannel,
  HOME_BROADCAST,
  notificationsChannel,
  publicChannel,
  type ChannelMessage,
} from "./channels.ts";
import { selectBroadcastFacts, type BroadcastFacts } from "./storage.ts";

const log = logger("streaming");

async function publishAll(ctx: AppContext, messages: [channel: string, message: ChannelMessage][]): Promise<void> {
  if (messages.length === 0) return;
  const commands = messages.map(([channel, message]): RedisCommand => ["publish", channel, JSON.stringify(message)]);
  try {
    await ctx.redis.pipeline(commands);
  } catch (error) {
    log.warning("Could not publish {count} streaming messages: {error}", { count: commands.length, error });
  }
}

/**
 * The public and hashtag channels a status goes to (Mastodon's
 * FanOutOnWriteService#broadcastable?): public, not a reblog, not from a
 * silenced account; replies to others stay off the public streams but do
 * reach their hashtags.
 */
function publicChannels(facts: BroadcastFacts): string[] {
  if (facts.visibility !== "public" || facts.reblog || facts.silenced) return [];
  const channels: string[] = [];
  for (const tag of new Set(facts.tags.map(normalizeTagName))) {
    if (tag === "") continue;
    channels.push(hashtagChannel(tag, false));
    if (facts.local) channels.push(hashtagChannel(tag, true));
  }
  if (!facts.replyToOther) {
    const side = facts.local ? { local: true } : { remote: true };
    channels.push(publicChannel({}), publicChannel(side));
    if (facts.withMedia) channels.push(publicChannel({ media: true }), publicChannel({ ...side, media: true }));
  }
  return channels;
}

async function facts(ctx: AppContext, statusId: string): Promise<BroadcastFacts | null> {
  return selectBroadcastFacts(ctx.sql, statusId, ctx.config.fanoutMergeThreshold);
}

export async function publishStatusCreated(ctx: AppContext, statusId: string): Promise<void> {
  const status = await facts(ctx, statusId);
  if (!status || status.deleted) return;
  const update: ChannelMessage = { event: "update", status_id: status.id };
  const messages: [string, ChannelMessage][] = publicChannels(status).map((channel) => [channel, update]);
  if (status.visibility === "direct" && !status.reblog) {
    // Every local participant's conversation now ends with it (the notifications handler, registered before this one, wrote them).
    const participants = new Set([...(status.local ? [status.accountId] : []), ...status.localMentionIds]);
    for (const accountId of participants) messages.push([directChannel(accountId), { event: "conversation", status_id: status.id }]);
  }
  if (status.merged && status.visibility !== "direct") {
    messages.push([HOME_BROADCAST, { event: "update", status_id: status.id, account_id: status.accountId }]);
  }
  await publishAll(ctx, messages);
}

export async function publishStatusUpdated(ctx: AppContext, statusId: string): Promise<void> {
  const status = await facts(ctx, statusId);
  if (!status || status.deleted) return;
  // edited_at tells two edits apart (the hub shares renders of identical messages for a moment).
  const update: ChannelMessage = {
    event: "status.update",
    status_id: status.id,
    edited_at: status.editedAt ? new Date(status.editedAt).toISOString() : null,
  };
  const messages: [string, ChannelMessage][] = publicChannels(status).map((channel) => [channel, update]);
  messages.push([HOME_BROADCAST, { ...update, account_id: status.accountId }]);
  await publishAll(ctx, messages);
}

export async function publishStatusDeleted(ctx: AppContext, statusId: string): Promise<void> {
  const status = await facts(ctx, statusId);
  if (!status) return;
  const gone: ChannelMessage = { event: "delete", payload: status.id };
  const messages: [string, ChannelMessage][] = publicChannels(status).map((channel) => [channel, gone]);
  if (status.merged) messages.push([HOME_BROADCAST, { ...gone, account_id: status.accountId }]);
  await publishAll(ctx, messages);
}

/** A notification the recipient will see (the hub skips filtered ones when it renders). */
export async function publishNotification(ctx: AppContext, recipientId: string, notificationId: string): Promise<void> {
  await publishAll(ctx, [[notificationsChannel(recipientId), { event: "notification", notification_id: notificationId }]]);
}

/** Clients refetch their filters on this (Mastodon sends it on the user stream). */
export async function publishFiltersChanged(ctx: AppContext, accountId: string): Promise<void> {
  await publishAll(ctx, [[homeChannel(accountId), { event: "filters_changed" }]]);
}

type Event<T extends keyof EventPayloads> = DomainEvent<EventPayloads[T]>;

async function bestEffort(work: Promise<void>, event: DomainEvent<unknown>): Promise<void> {
  try {
    await work;
  } catch (error) {
    log.warning("Streaming skipped {type} {id}: {error}", { type: event.type, id: event.id, error });
  }
}

let registered = false;

/**
 * Registered by index.ts, after the notifications module's handlers (app.ts
 * order), so a direct status's conversations exist when it is announced.
 */
export function registerStreamingHandlers(): void {
  if (registered) return;
  registered = true;
  onEvent("status.created", (ctx, event: Event<"status.created">) =>
    bestEffort(publishStatusCreated(ctx, event.payload.statusId), event),
  );
  onEvent("status.updated", (ctx, event: Event<"status.updated">) =>
    bestEffort(publishStatusUpdated(ctx, event.payload.statusId), event),
  );
  onEvent("status.deleted", (ctx, event: Event<"status.deleted">) =>
    bestEffort(publishStatusDeleted(ctx, event.payload.statusId), event),
  );
}
