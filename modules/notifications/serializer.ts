/**
 * The JSON shapes of this module (Mastodon 4.3): Notification,
 * GroupedNotificationsResults / NotificationGroup, NotificationPolicy (v1
 * and v2), NotificationRequest, Conversation and Marker. Accounts and
 * statuses come from their modules' batch loaders, so a page costs a fixed
 * number of queries; anything whose status the viewer may not (or no
 * longer) see is left out rather than shown without it.
 */
import type { AppContext } from "../../src/context.ts";
import { loadAccounts, type Account } from "../accounts/serializer.ts";
import { renderStatuses } from "../statuses/serializer.ts";
import type { ConversationRow } from "./conversations.ts";
import type { MarkerRow } from "./markers.ts";
import { STATUS_TYPES } from "./service.ts";
import type { GroupData, NotificationRow, PolicyRow, RequestRow } from "./storage.ts";

type Status = Awaited<ReturnType<typeof renderStatuses>>[number];

export interface Notification {
  id: string;
  type: string;
  created_at: string;
  group_key: string;
  account: Account;
  status?: Status;
  filtered?: true;
}

export interface NotificationGroup {
  group_key: string;
  notifications_count: number;
  type: string;
  /** A number, as Mastodon sends it (notification ids come from a sequence, so it is exact). */
  most_recent_notification_id: number;
  page_min_id?: string;
  page_max_id?: string;
  latest_page_notification_at?: string;
  sample_account_ids: string[];
  status_id?: string;
}

export interface PartialAccountWithAvatar {
  id: string;
  acct: string;
  locked: boolean;
  bot: boolean;
  url: string;
  avatar: string;
  avatar_static: string;
}

export interface GroupedNotificationsResults {
  accounts: Account[];
  partial_accounts?: PartialAccountWithAvatar[];
  statuses: Status[];
  notification_groups: NotificationGroup[];
}

async function statusesById(ctx: AppContext, ids: (string | null)[], viewerId: string): Promise<Map<string, Status>> {
  const unique = [...new Set(ids.filter((id): id is string => id !== null))];
  if (unique.length === 0) return new Map();
  const statuses = await renderStatuses(ctx, unique, { accountId: viewerId }, { filterContext: "notifications" });
  return new Map(statuses.map((s) => [s.id, s]));
}

function statusIdOf(row: NotificationRow): string | null {
  return STATUS_TYPES.has(row.type) ? row.status_id : null;
}

/** v1 Notification entities in the rows' order, leaving out those with a vanished status or sender. */
export async function renderNotifications(
  ctx: AppContext,
  rows: NotificationRow[],
  viewerId: string,
): Promise<Notification[]> {
  const [accounts, statuses] = await Promise.all([
    loadAccounts(ctx.sql, ctx.config, rows.map((r) => r.from_account_id)),
    statusesById(ctx, rows.map(statusIdOf), viewerId),
  ]);
  const result: Notification[] = [];
  for (const row of rows) {
    const account = accounts.get(row.from_account_id);
    if (!account) continue;
    const notification: Notification = {
      id: row.id,
      type: row.type,
      created_at: new Date(row.created_at).toISOString(),
      group_key: row.group_key,
      account,
    };
    const statusId = statusIdOf(row);
    if (STATUS_TYPES.has(row.type)) {
      const status = statusId ? statuses.get(statusId) : undefined;
      if (!status) continue;
      notification.status = status;
    }
    if (row.filtered) notification.filtered = true;
    result.push(notification);
  }
  return result;
}

/** One group as the grouped API shows it: its newest notification plus the group's data. */
export interface GroupInput {
  head: NotificationRow;
  /** Absent for a notification shown on its own (ungrouped). */
  data?: GroupData;
  /** Whether this comes from a paginated list (adds page_min_id, page_max_id, latest_page_notification_at). */
  paginated: boolean;
}

function partialAccount(account: Account): PartialAccountWithAvatar {
  return {
    id: account.id,
    acct: account.acct,
    locked: account.locked,
    bot: account.bot,
    url: account.url,
    avatar: account.avatar,
    avatar_static: account.avatar_static,
  };
}

/**
 * GroupedNotificationsResults: groups plus every account and status they
 * refer to, each once. With `partial_avatars`, only each group's newest
 * sender is a full Account; the other samples are partial accounts.
 */
export async function renderGroupedNotifications(
  ctx: AppContext,
  inputs: GroupInput[],
  viewerId: string,
  expandAccounts: "full" | "partial_avatars" = "full",
): Promise<GroupedNotificationsResults> {
  const sampleIdsOf = (input: GroupInput) => (input.data ? input.data.sample_account_ids : [input.head.from_account_id]);
  const [accounts, statuses] = await Promise.all([
    loadAccounts(ctx.sql, ctx.config, inputs.flatMap(sampleIdsOf)),
    statusesById(ctx, inputs.map((i) => statusIdOf(i.head)), viewerId),
  ]);

  const groups: NotificationGroup[] = [];
  const fullAccounts = new Map<string, Account>();
  const partialAccounts = new Map<string, Account>();
  const usedStatuses = new Map<string, Status>();
  for (const input of inputs) {
    const { head, data } = input;
    const sampleIds = [...new Set(sampleIdsOf(input))].filter((id) => accounts.has(id));
    if (sampleIds.length === 0) continue;
    const statusId = statusIdOf(head);
    if (STATUS_TYPES.has(head.type) && !(statusId && statuses.has(statusId))) continue;

    const mostRecentId = data?.most_recent_id ?? head.id;
    const group: NotificationGroup = {
      group_key: head.group_key,
      notifications_count: data?.notifications_count ?? 1,
      type: head.type,
      most_recent_notification_id: Number(mostRecentId),
      sample_account_ids: sampleIds,
    };
    if (input.paginated) {
      group.page_min_id = data?.min_id ?? head.id;
      group.page_max_id = mostRecentId;
      group.latest_page_notification_at = new Date(data?.latest_at ?? head.created_at).toISOString();
    }
    if (statusId) {
      group.status_id = statusId;
      usedStatuses.set(statusId, statuses.get(statusId)!);
    }
    groups.push(group);

    sampleIds.forEach((id, index) => {
      const account = accounts.get(id)!;
      if (expandAccounts === "full" || index === 0) fullAccounts.set(id, account);
      else partialAccounts.set(id, account);
    });
  }

  const result: GroupedNotificationsResults = {
    accounts: [...fullAccounts.values()],
    statuses: [...usedStatuses.values()],
    notification_groups: groups,
  };
  if (expandAccounts === "partial_avatars") {
    result.partial_accounts = [...partialAccounts.values()].filter((a) => !fullAccounts.has(a.id)).map(partialAccount);
  }
  return result;
}

// Policy ------------------------------------------------------------------------------

export interface PolicySummary {
  pending_requests_count: number;
  pending_notifications_count: number;
}

export function serializePolicy(policy: PolicyRow, summary: PolicySummary) {
  return {
    for_not_following: policy.for_not_following,
    for_not_followers: policy.for_not_followers,
    for_new_accounts: policy.for_new_accounts,
    for_private_mentions: policy.for_private_mentions,
    for_limited_accounts: policy.for_limited_accounts,
    summary,
  };
}

/** The v1 policy speaks booleans: anything but `accept` counts as filtering. */
export function serializeV1Policy(policy: PolicyRow, summary: PolicySummary) {
  return {
    filter_not_following: policy.for_not_following !== "accept",
    filter_not_followers: policy.for_not_followers !== "accept",
    filter_new_accounts: policy.for_new_accounts !== "accept",
    filter_private_mentions: policy.for_private_mentions !== "accept",
    summary,
  };
}

// Notification requests ---------------------------------------------------------------------

export interface NotificationRequest {
  id: string;
  created_at: string;
  updated_at: string;
  notifications_count: string;
  account: Account;
  last_status: Status | null;
}

export async function renderRequests(
  ctx: AppContext,
  rows: RequestRow[],
  viewerId: string,
): Promise<NotificationRequest[]> {
  const [accounts, statuses] = await Promise.all([
    loadAccounts(ctx.sql, ctx.config, rows.map((r) => r.from_account_id)),
    statusesById(ctx, rows.map((r) => r.last_status_id), viewerId),
  ]);
  return rows.flatMap((row) => {
    const account = accounts.get(row.from_account_id);
    if (!account) return [];
    return [
      {
        id: row.id,
        created_at: new Date(row.created_at).toISOString(),
        updated_at: new Date(row.updated_at).toISOString(),
        // A string, as Mastodon sends it.
        notifications_count: String(row.notifications_count),
        account,
        last_status: (row.last_status_id && statuses.get(row.last_status_id)) || null,
      },
    ];
  });
}

// Conversations ------------------------------------------------------------------------------

export interface Conversation {
  id: string;
  unread: boolean;
  accounts: Account[];
  last_status: Status | null;
}

/**
 * Conversation entities; one whose last status the viewer can't see (now
 * blocked, say) is left out rather than shown empty.
 */
export async function renderConversations(
  ctx: AppContext,
  rows: ConversationRow[],
  viewerId: string,
): Promise<Conversation[]> {
  const [accounts, statuses] = await Promise.all([
    loadAccounts(ctx.sql, ctx.config, [viewerId, ...rows.flatMap((r) => r.participant_account_ids)]),
    statusesById(ctx, rows.map((r) => r.last_status_id), viewerId),
  ]);
  return rows.flatMap((row) => {
    const status = statuses.get(row.last_status_id);
    if (!status) return [];
    const participants = row.participant_account_ids
      .map((id) => accounts.get(id))
      .filter((a): a is Account => a !== undefined);
    // A note to self lists its only participant, as Mastodon does.
    const self = accounts.get(viewerId);
    return [
      {
        id: row.id,
        unread: row.unread,
        accounts: participants.length > 0 || !self ? participants : [self],
        last_status: status,
      },
    ];
  });
}

// Markers ------------------------------------------------------------------------------------

export interface Marker {
  last_read_id: string;
  version: number;
  updated_at: string;
}

export function serializeMarkers(rows: MarkerRow[]): Record<string, Marker> {
  const markers: Record<string, Marker> = {};
  for (const row of rows) {
    markers[row.timeline] = {
      last_read_id: String(row.last_read_id),
      version: row.version,
      updated_at: new Date(row.updated_at).toISOString(),
    };
  }
  return markers;
}
