/**
 * What a streaming client receives: Mastodon's frames, and the entities in
 * them rendered for the viewer through the modules' own serializers (so a
 * streamed status is exactly what the REST timeline would show that viewer:
 * visibility, per-viewer flags, `filtered`, hide filters applied).
 *
 *   WebSocket: {"stream":["hashtag","foo"],"event":"update","payload":"{…Status JSON…}"}
 *   SSE:       event: update\ndata: {…Status JSON…}\n\n
 *
 * `payload` is a string: JSON text for entities, the bare id for `delete`.
 */
import type { AppContext } from "../../src/context.ts";
import { renderConversations, renderNotifications } from "../notifications/serializer.ts";
import { selectNotification } from "../notifications/storage.ts";
import { renderStatuses, type RenderOptions } from "../statuses/serializer.ts";
import { filterFromHome, loadCrutches, type ReceiverCrutches } from "../timelines/feed-rules.ts";
import { selectStatusFacts, type StatusFacts } from "../timelines/storage.ts";
import { selectConversationEndingWith } from "./storage.ts";

export type StreamEvent = "update" | "status.update" | "delete" | "notification" | "conversation" | "filters_changed";

export type FilterContext = NonNullable<RenderOptions["filterContext"]>;

export function websocketFrame(stream: string[], event: StreamEvent, payload: string | undefined): string {
  // An absent payload (filters_changed) is left out, as JSON.stringify leaves out undefined in Mastodon.
  return JSON.stringify({ stream, event, payload });
}

export function sseFrame(event: StreamEvent, payload: string | undefined): string {
  // Mastodon writes the payload as is, "undefined" included: EventSource drops an event without a data line.
  return `event: ${event}\ndata: ${payload ?? "undefined"}\n\n`;
}

/** A status as the viewer would see it in `context`; null when they may not see it or a hide filter drops it. */
export async function renderStatusFor(
  ctx: AppContext,
  statusId: string,
  viewerId: string,
  context: FilterContext,
): Promise<string | null> {
  const [status] = await renderStatuses(ctx, [statusId], { accountId: viewerId }, { filterContext: context });
  return status ? JSON.stringify(status) : null;
}

export async function loadStatusFacts(ctx: AppContext, statusId: string): Promise<StatusFacts | null> {
  const [facts] = await selectStatusFacts(ctx.sql, [statusId]);
  return facts && !facts.deleted ? facts : null;
}

/**
 * Whether a public or hashtag stream keeps the status from the viewer, as
 * Mastodon's streaming server checks before sending: the viewer blocks or
 * mutes its author or someone it mentions, the author blocks the viewer, or
 * the viewer blocks the author's domain. (renderStatuses covers blocks and
 * domain blocks too; mutes are only here.)
 */
export function hiddenFromPublic(facts: StatusFacts, viewerId: string, c: ReceiverCrutches): boolean {
  if (facts.accountId === viewerId) return false;
  const involved = [facts.accountId, ...facts.mentionedAccountIds];
  if (involved.some((id) => id !== viewerId && (c.blocking.has(id) || c.muting.has(id)))) return true;
  if (c.blockedBy.has(facts.accountId)) return true;
  return facts.accountDomain !== null && c.domainBlocking.has(facts.accountDomain.toLowerCase());
}

export async function publicCrutches(ctx: AppContext, facts: StatusFacts, viewerId: string): Promise<ReceiverCrutches> {
  return (await loadCrutches(ctx.sql, [viewerId], [facts])).for(viewerId);
}

/** Of the receivers (home owners, or list owners with `timeline: "list"`), those fanout's home rules let the status reach. */
export async function passHomeRules(
  ctx: AppContext,
  facts: StatusFacts,
  receiverIds: string[],
  timeline: "home" | "list",
): Promise<Set<string>> {
  if (receiverIds.length === 0) return new Set();
  const crutches = await loadCrutches(ctx.sql, receiverIds, [facts]);
  return new Set(receiverIds.filter((id) => !filterFromHome(facts, id, crutches.for(id), timeline)));
}

/** A notification for its recipient; null when it is gone, filtered (held as a request) or its status hidden. */
export async function renderNotificationFor(ctx: AppContext, notificationId: string, viewerId: string): Promise<string | null> {
  const row = await selectNotification(ctx.sql, viewerId, notificationId);
  if (!row || row.filtered) return null;
  const [notification] = await renderNotifications(ctx, [row], viewerId);
  return notification ? JSON.stringify(notification) : null;
}

/** The recipient's conversation that `statusId` now ends; null when there is none (blocked, or a newer one exists). */
export async function renderConversationFor(ctx: AppContext, statusId: string, viewerId: string): Promise<string | null> {
  const row = await selectConversationEndingWith(ctx.sql, viewerId, statusId);
  if (!row) return null;
  const [conversation] = await renderConversations(ctx, [row], viewerId);
  return conversation ? JSON.stringify(conversation) : null;
}
