/** The WebPushSubscription entity (Mastodon 4.x). */
import type { SubscriptionRow } from "./storage.ts";

/** The alert types a subscription can ask for: Mastodon's Notification::TYPES. */
export const ALERT_TYPES = [
  "mention", "status", "reblog", "follow", "follow_request", "favourite", "poll", "update",
  "admin.sign_up", "admin.report",
] as const;

export const POLICIES = ["all", "followed", "follower", "none"] as const;

export interface WebPushSubscription {
  id: string;
  endpoint: string;
  standard: boolean;
  alerts: Record<string, boolean>;
  policy: string;
  server_key: string;
}

export function serializeSubscription(row: SubscriptionRow, serverKey: string): WebPushSubscription {
  const stored = row.data.alerts ?? {};
  // Every type is listed (false when not asked for), so clients can render their switches from the answer.
  const alerts = Object.fromEntries(ALERT_TYPES.map((type) => [type, stored[type] === true]));
  return {
    id: row.id,
    endpoint: row.endpoint,
    standard: row.standard,
    alerts,
    policy: row.data.policy ?? "all",
    server_key: serverKey,
  };
}
