/**
 * Notification use cases. `createNotification` is the one way a
 * notification comes to exist (event handlers in handlers.ts call it); it
 * decides, as Mastodon's NotifyService does, whether the notification is
 * dropped (blocks, mutes, self, the recipient's policy says `drop`), held as
 * a request (policy `filter`) or shown, and is idempotent per dedupe key.
 */
import type { Db } from "../../src/db/index.ts";
import { visibleStatusIds } from "../statuses/visibility.ts";
import {
  deleteAllNotifications,
  deleteGroup,
  deleteNotification,
  insertNotification,
  latestGroupBucket,
  selectGateFacts,
  selectStatusFacts,
  selectStatusGate,
  type GateFacts,
  type StatusFacts,
} from "./storage.ts";

export const NOTIFICATION_TYPES = [
  "mention",
  "status",
  "reblog",
  "follow",
  "follow_request",
  "favourite",
  "poll",
  "update",
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

/** Types v2 folds into groups (Mastodon's GROUPABLE_NOTIFICATION_TYPES, minus admin types). */
export const GROUPABLE_TYPES: readonly string[] = ["favourite", "follow", "reblog"];

/** Types that carry a status in the API. */
export const STATUS_TYPES: ReadonlySet<string> = new Set(["mention", "status", "reblog", "favourite", "poll", "update"]);

/** Types the notification policy may filter or drop (Mastodon's `filterable`). */
const FILTERABLE_TYPES: ReadonlySet<string> = new Set(["mention", "reblog", "follow", "follow_request", "favourite"]);

/** A group spans at most this many hours before a new one starts (Mastodon's MAXIMUM_GROUP_SPAN_HOURS). */
const MAXIMUM_GROUP_SPAN_HOURS = 12;

export interface CreateNotificationInput {
  /** The recipient. */
  accountId: string;
  fromAccountId: string;
  type: NotificationType;
  statusId?: string | null;
  /** Unique per recipient: e.g. `mention:<statusId>`, `favourite:<favouriteId>`. */
  dedupeKey: string;
}

type Verdict = "drop" | "filter" | "accept";

/** Blocks, mutes and the like: never a notification, whatever the policy. */
function blocked(facts: GateFacts, input: CreateNotificationInput): boolean {
  if (!facts.recipient_local || facts.recipient_suspended || facts.sender_suspended) return true;
  // Your own poll ending is the one notification you get from yourself.
  if (input.accountId === input.fromAccountId && input.type !== "poll") return true;
  if (facts.blocked || facts.domain_blocked || facts.muted_notifications) return true;
  // A `status` notification follows the home feed, which a mute empties of the author.
  return input.type === "status" && facts.muted;
}

/** The recipient's policy (Mastodon 4.3's NotificationPolicy): any `drop` wins over any `filter`. */
function policyVerdict(facts: GateFacts, input: CreateNotificationInput, status: StatusFacts | null): Verdict {
  if (!FILTERABLE_TYPES.has(input.type) || facts.permitted) return "accept";
  const notFollowing = !facts.following;
  const privateMention =
    input.type === "mention" &&
    status?.visibility === "direct" &&
    // Replies to a conversation the recipient took part in always get through.
    status.in_reply_to_account_id !== input.accountId;
  const applicable: string[] = [];
  if (facts.sender_limited && notFollowing) applicable.push(facts.for_limited_accounts);
  if (notFollowing) applicable.push(facts.for_not_following);
  if (!facts.established_follower) applicable.push(facts.for_not_followers);
  if (facts.sender_new && notFollowing) applicable.push(facts.for_new_accounts);
  if (privateMention && notFollowing) applicable.push(facts.for_private_mentions);
  if (applicable.includes("drop")) return "drop";
  if (applicable.includes("filter")) return "filter";
  return "accept";
}

/** Mastodon's group key: `<type>[-<statusId>]-<hour bucket>`, reusing the open bucket for 12 hours. */
async function groupKeyFor(db: Db, input: CreateNotificationInput): Promise<string | null> {
  if (!GROUPABLE_TYPES.includes(input.type)) return null;
  const prefix = input.type === "follow" ? "follow" : `${input.type}-${input.statusId}`;
  const hour = Math.floor(Date.now() / 3_600_000);
  const candidates = Array.from({ length: MAXIMUM_GROUP_SPAN_HOURS }, (_, i) => `${prefix}-${hour - i}`);
  return (await latestGroupBucket(db, input.accountId, candidates)) ?? `${prefix}-${hour}`;
}

/**
 * Creates the notification unless something suppresses it; returns its id,
 * or null when it was dropped or already existed (a replayed event).
 */
export async function createNotification(db: Db, input: CreateNotificationInput): Promise<string | null> {
  const facts = await selectGateFacts(db, input.accountId, input.fromAccountId);
  if (!facts || blocked(facts, input)) return null;

  let status: StatusFacts | null = null;
  if (input.statusId) {
    status = await selectStatusFacts(db, input.statusId);
    if (!status || status.deleted_at) return null;
    // A notification never reveals a status its recipient can't see.
    const visible = await visibleStatusIds(db, input.accountId, [input.statusId]);
    if (!visible.has(input.statusId)) return null;
    const gate = await selectStatusGate(db, input.accountId, status);
    if (gate.conversation_muted) return null;
    if (input.type === "mention" && gate.involves_hidden) return null;
  }

  const verdict = policyVerdict(facts, input, status);
  if (verdict === "drop") return null;
  const filtered = verdict === "filter";
  return insertNotification(db, {
    accountId: input.accountId,
    fromAccountId: input.fromAccountId,
    type: input.type,
    statusId: input.statusId ?? null,
    // Filtered notifications stay ungrouped, as in Mastodon.
    groupKey: filtered ? null : await groupKeyFor(db, input),
    dedupeKey: input.dedupeKey,
    filtered,
  });
}

/** POST /api/v1/notifications/:id/dismiss; false when there is no such notification. */
export async function dismissNotification(db: Db, accountId: string, notificationId: string): Promise<boolean> {
  return deleteNotification(db, accountId, notificationId);
}

/** POST /api/v1/notifications/clear */
export async function clearNotifications(db: Db, accountId: string): Promise<void> {
  await deleteAllNotifications(db, accountId);
}

/** POST /api/v2/notifications/:group_key/dismiss */
export async function dismissNotificationGroup(db: Db, accountId: string, groupKey: string): Promise<void> {
  await deleteGroup(db, accountId, groupKey);
}
