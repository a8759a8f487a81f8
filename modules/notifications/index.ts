/**
 * Notification routes (v1 list, v2 grouped, policy, requests),
 * direct-message conversations and read markers. Notifications themselves
 * are created by the event handlers registered here (handlers.ts), never by
 * the modules whose actions cause them.
 */
import { Elysia } from "elysia";
import type { AppContext } from "../../src/context.ts";
import { requireUser } from "../../src/http/auth.ts";
import { notFound, unprocessable } from "../../src/http/errors.ts";
import { linkHeader, readPage } from "../../src/http/pagination.ts";
import { id, int, list, str, bool, type Params } from "../../src/http/params.ts";
import { requestParams } from "../../src/http/request.ts";
import { markConversationRead, removeConversation, selectConversationPage } from "./conversations.ts";
import { describeGroup, effectiveGroupedTypes, pageNotificationGroups, unreadGroupCount } from "./grouped.ts";
import { registerNotificationHandlers } from "./handlers.ts";
import { isMarkerTimeline, notificationsMarker, saveMarkers, selectMarkers, type MarkerTimeline } from "./markers.ts";
import { acceptRequests, dismissRequests, loadPolicy, updatePolicy, updateV1Policy } from "./requests.ts";
import {
  renderConversations,
  renderGroupedNotifications,
  renderNotifications,
  renderRequests,
  serializeMarkers,
  serializePolicy,
  serializeV1Policy,
} from "./serializer.ts";
import { clearNotifications, dismissNotification, dismissNotificationGroup } from "./service.ts";
import {
  countUnread,
  selectGroupHead,
  selectGroupSenders,
  selectNotification,
  selectNotificationPage,
  selectRequestPage,
  selectRequests,
  type NotificationFilter,
} from "./storage.ts";
import { loadAccounts } from "../accounts/serializer.ts";

registerNotificationHandlers();

/** Mastodon: 40 notifications by default, 80 at most; unread counts stop at 100 by default, 1000 at most. */
const NOTIFICATIONS_PAGE = { limit: 40, max: 80 };
const ACCOUNTS_PAGE = { limit: 40, max: 80 };
const CONVERSATIONS_PAGE = { limit: 20, max: 40 };
const UNREAD_LIMIT = { default: 100, max: 1000 };

function notificationFilter(params: Params): NotificationFilter {
  return {
    types: list(params.types),
    excludeTypes: list(params.exclude_types),
    fromAccountId: params.account_id === undefined ? undefined : (id(params.account_id) ?? "0"),
    includeFiltered: bool(params.include_filtered, false),
  };
}

function groupedTypesParam(params: Params): string[] | null {
  return params.grouped_types === undefined ? null : effectiveGroupedTypes(list(params.grouped_types));
}

function unreadLimit(params: Params): number {
  return int(params.limit, "limit", { min: 1, max: UNREAD_LIMIT.max }) ?? UNREAD_LIMIT.default;
}

function expandAccountsParam(params: Params): "full" | "partial_avatars" {
  const value = str(params.expand_accounts);
  if (value === undefined || value === "full") return "full";
  if (value === "partial_avatars") return "partial_avatars";
  throw unprocessable(`Invalid value for 'expand_accounts': '${value}', allowed values are 'full' and 'partial_avatars'`);
}

/** A group key as clients send it back; anything else can't name a group. */
function groupKeyParam(value: string): string {
  if (!/^[a-z_.]+(-\d{1,19})+$/.test(value)) throw notFound();
  return value;
}

export const notificationsModule = (ctx: AppContext) =>
  new Elysia({ name: "notifications" })
    // v1 -------------------------------------------------------------------------------
    .get("/api/v1/notifications", async ({ request, set }) => {
      const auth = await requireUser(ctx, request, "read:notifications");
      const params = requestParams(request, undefined);
      const page = readPage(params, NOTIFICATIONS_PAGE);
      const rows = await selectNotificationPage(ctx.sql, auth.user.accountId, notificationFilter(params), page);
      // Cursors come from the rows, so a page thinned by hidden statuses never skips anything.
      const link = linkHeader(ctx.config, "/api/v1/notifications", params, rows, (r) => r.id);
      if (link) set.headers.link = link;
      return renderNotifications(ctx, rows, auth.user.accountId);
    })
    .get("/api/v1/notifications/unread_count", async ({ request }) => {
      const auth = await requireUser(ctx, request, "read:notifications");
      const params = requestParams(request, undefined);
      const marker = await notificationsMarker(ctx.sql, auth.user.accountId);
      const filter = { ...notificationFilter(params), includeFiltered: false };
      return { count: await countUnread(ctx.sql, auth.user.accountId, filter, marker, unreadLimit(params)) };
    })
    .post("/api/v1/notifications/clear", async ({ request }) => {
      const auth = await requireUser(ctx, request, "write:notifications");
      await clearNotifications(ctx.sql, auth.user.accountId);
      return {};
    })
    // The pre-3.1 form, still sent by some clients: POST /api/v1/notifications/dismiss with `id`.
    .post("/api/v1/notifications/dismiss", async ({ request, body }) => {
      const auth = await requireUser(ctx, request, "write:notifications");
      const notificationId = id(requestParams(request, body).id);
      if (!notificationId || !(await dismissNotification(ctx.sql, auth.user.accountId, notificationId))) throw notFound();
      return {};
    })
    .get("/api/v1/notifications/policy", async ({ request }) => {
      const auth = await requireUser(ctx, request, "read:notifications");
      const { policy, summary } = await loadPolicy(ctx.sql, auth.user.accountId);
      return serializeV1Policy(policy, summary);
    })
    .put("/api/v1/notifications/policy", async ({ request, body }) => {
      const auth = await requireUser(ctx, request, "write:notifications");
      await updateV1Policy(ctx.sql, auth.user.accountId, requestParams(request, body));
      const { policy, summary } = await loadPolicy(ctx.sql, auth.user.accountId);
      return serializeV1Policy(policy, summary);
    })
    .patch("/api/v1/notifications/policy", async ({ request, body }) => {
      const auth = await requireUser(ctx, request, "write:notifications");
      await updateV1Policy(ctx.sql, auth.user.accountId, requestParams(request, body));
      const { policy, summary } = await loadPolicy(ctx.sql, auth.user.accountId);
      return serializeV1Policy(policy, summary);
    })
    // Notification requests (filtered notifications, per sender) ---------------------------
    .get("/api/v1/notifications/requests", async ({ request, set }) => {
      const auth = await requireUser(ctx, request, "read:notifications");
      const params = requestParams(request, undefined);
      const rows = await selectRequestPage(ctx.sql, auth.user.accountId, readPage(params, NOTIFICATIONS_PAGE));
      const link = linkHeader(ctx.config, "/api/v1/notifications/requests", params, rows, (r) => r.id);
      if (link) set.headers.link = link;
      return renderRequests(ctx, rows, auth.user.accountId);
    })
    .get("/api/v1/notifications/requests/merged", async ({ request }) => {
      await requireUser(ctx, request, "read:notifications");
      // Filtered notifications are never held elsewhere, so there is nothing to merge.
      return { merged: true };
    })
    .post("/api/v1/notifications/requests/accept", async ({ request, body }) => {
      const auth = await requireUser(ctx, request, "write:notifications");
      const ids = list(requestParams(request, body).id).map(id).filter((x): x is string => x !== undefined);
      await acceptRequests(ctx.sql, auth.user.accountId, ids);
      return {};
    })
    .post("/api/v1/notifications/requests/dismiss", async ({ request, body }) => {
      const auth = await requireUser(ctx, request, "write:notifications");
      const ids = list(requestParams(request, body).id).map(id).filter((x): x is string => x !== undefined);
      await dismissRequests(ctx.sql, auth.user.accountId, ids);
      return {};
    })
    .get("/api/v1/notifications/requests/:id", async ({ request, params }) => {
      const auth = await requireUser(ctx, request, "read:notifications");
      const requestId = id(params.id);
      const rows = requestId ? await selectRequests(ctx.sql, auth.user.accountId, [requestId]) : [];
      const [rendered] = await renderRequests(ctx, rows, auth.user.accountId);
      if (!rendered) throw notFound();
      return rendered;
    })
    .post("/api/v1/notifications/requests/:id/accept", async ({ request, params }) => {
      const auth = await requireUser(ctx, request, "write:notifications");
      const requestId = id(params.id);
      if (!requestId || (await acceptRequests(ctx.sql, auth.user.accountId, [requestId])) === 0) throw notFound();
      return {};
    })
    .post("/api/v1/notifications/requests/:id/dismiss", async ({ request, params }) => {
      const auth = await requireUser(ctx, request, "write:notifications");
      const requestId = id(params.id);
      if (!requestId || (await dismissRequests(ctx.sql, auth.user.accountId, [requestId])) === 0) throw notFound();
      return {};
    })
    .get("/api/v1/notifications/:id", async ({ request, params }) => {
      const auth = await requireUser(ctx, request, "read:notifications");
      const notificationId = id(params.id);
      const row = notificationId ? await selectNotification(ctx.sql, auth.user.accountId, notificationId) : null;
      const [rendered] = row ? await renderNotifications(ctx, [row], auth.user.accountId) : [];
      if (!rendered) throw notFound();
      return rendered;
    })
    .post("/api/v1/notifications/:id/dismiss", async ({ request, params }) => {
      const auth = await requireUser(ctx, request, "write:notifications");
      const notificationId = id(params.id);
      if (!notificationId || !(await dismissNotification(ctx.sql, auth.user.accountId, notificationId))) throw notFound();
      return {};
    })
    // v2 (grouped) -----------------------------------------------------------------------------
    .get("/api/v2/notifications", async ({ request, set }) => {
      const auth = await requireUser(ctx, request, "read:notifications");
      const params = requestParams(request, undefined);
      const expand = expandAccountsParam(params);
      const page = readPage(params, NOTIFICATIONS_PAGE);
      const groupedTypes = groupedTypesParam(params) ?? effectiveGroupedTypes(null);
      const inputs = await pageNotificationGroups(
        ctx.sql,
        auth.user.accountId,
        notificationFilter(params),
        groupedTypes,
        page,
      );
      const link = linkHeader(ctx.config, "/api/v2/notifications", params, inputs, (i) => i.head.id);
      if (link) set.headers.link = link;
      return renderGroupedNotifications(ctx, inputs, auth.user.accountId, expand);
    })
    .get("/api/v2/notifications/unread_count", async ({ request }) => {
      const auth = await requireUser(ctx, request, "read:notifications");
      const params = requestParams(request, undefined);
      const marker = await notificationsMarker(ctx.sql, auth.user.accountId);
      const filter = { ...notificationFilter(params), includeFiltered: false };
      const groupedTypes = groupedTypesParam(params) ?? effectiveGroupedTypes(null);
      return {
        count: await unreadGroupCount(ctx.sql, auth.user.accountId, filter, groupedTypes, marker, unreadLimit(params)),
      };
    })
    .get("/api/v2/notifications/policy", async ({ request }) => {
      const auth = await requireUser(ctx, request, "read:notifications");
      const { policy, summary } = await loadPolicy(ctx.sql, auth.user.accountId);
      return serializePolicy(policy, summary);
    })
    .patch("/api/v2/notifications/policy", async ({ request, body }) => {
      const auth = await requireUser(ctx, request, "write:notifications");
      await updatePolicy(ctx.sql, auth.user.accountId, requestParams(request, body));
      const { policy, summary } = await loadPolicy(ctx.sql, auth.user.accountId);
      return serializePolicy(policy, summary);
    })
    .get("/api/v2/notifications/:group_key", async ({ request, params }) => {
      const auth = await requireUser(ctx, request, "read:notifications");
      const head = await selectGroupHead(ctx.sql, auth.user.accountId, groupKeyParam(params.group_key));
      if (!head) throw notFound();
      const input = await describeGroup(ctx.sql, auth.user.accountId, head);
      const result = await renderGroupedNotifications(ctx, [input], auth.user.accountId);
      if (result.notification_groups.length === 0) throw notFound();
      return result;
    })
    .get("/api/v2/notifications/:group_key/accounts", async ({ request, params, set }) => {
      const auth = await requireUser(ctx, request, "read:notifications");
      const query = requestParams(request, undefined);
      const groupKey = groupKeyParam(params.group_key);
      const senders = await selectGroupSenders(ctx.sql, auth.user.accountId, groupKey, readPage(query, ACCOUNTS_PAGE));
      const path = `/api/v2/notifications/${encodeURIComponent(groupKey)}/accounts`;
      const link = linkHeader(ctx.config, path, query, senders, (s) => s.id);
      if (link) set.headers.link = link;
      const accounts = await loadAccounts(ctx.sql, ctx.config, senders.map((s) => s.from_account_id));
      return senders.map((s) => accounts.get(s.from_account_id)).filter((a) => a !== undefined);
    })
    .post("/api/v2/notifications/:group_key/dismiss", async ({ request, params }) => {
      const auth = await requireUser(ctx, request, "write:notifications");
      await dismissNotificationGroup(ctx.sql, auth.user.accountId, groupKeyParam(params.group_key));
      return {};
    })
    // Conversations (direct messages) -------------------------------------------------------------
    .get("/api/v1/conversations", async ({ request, set }) => {
      const auth = await requireUser(ctx, request, "read:statuses");
      const params = requestParams(request, undefined);
      const rows = await selectConversationPage(ctx.sql, auth.user.accountId, readPage(params, CONVERSATIONS_PAGE));
      const link = linkHeader(ctx.config, "/api/v1/conversations", params, rows, (r) => r.last_status_id);
      if (link) set.headers.link = link;
      return renderConversations(ctx, rows, auth.user.accountId);
    })
    .post("/api/v1/conversations/:id/read", async ({ request, params }) => {
      const auth = await requireUser(ctx, request, "write:conversations");
      const conversationId = id(params.id);
      const row = conversationId ? await markConversationRead(ctx.sql, auth.user.accountId, conversationId) : null;
      const [rendered] = row ? await renderConversations(ctx, [row], auth.user.accountId) : [];
      if (!rendered) throw notFound();
      return rendered;
    })
    .delete("/api/v1/conversations/:id", async ({ request, params }) => {
      const auth = await requireUser(ctx, request, "write:conversations");
      const conversationId = id(params.id);
      if (!conversationId || !(await removeConversation(ctx.sql, auth.user.accountId, conversationId))) throw notFound();
      return {};
    })
    // Markers -------------------------------------------------------------------------------------
    .get("/api/v1/markers", async ({ request }) => {
      const auth = await requireUser(ctx, request, "read:statuses");
      const timelines = list(requestParams(request, undefined).timeline).filter(isMarkerTimeline);
      return serializeMarkers(await selectMarkers(ctx.sql, auth.user.accountId, timelines));
    })
    .post("/api/v1/markers", async ({ request, body }) => {
      const auth = await requireUser(ctx, request, "write:statuses");
      const params = requestParams(request, body);
      const positions: Partial<Record<MarkerTimeline, string>> = {};
      for (const timeline of ["home", "notifications"] as const) {
        const given = params[timeline];
        if (given === undefined) continue;
        const raw = given && typeof given === "object" ? (given as Params).last_read_id : undefined;
        const lastReadId = id(raw);
        if (!lastReadId) throw unprocessable(`${timeline}[last_read_id] must be an ID`);
        positions[timeline] = lastReadId;
      }
      return serializeMarkers(await saveMarkers(ctx.sql, auth.user.accountId, positions));
    });
