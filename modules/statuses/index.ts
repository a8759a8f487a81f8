/**
 * Status routes (Mastodon's Api::V1::StatusesController and friends):
 * posting, reading, editing and deleting statuses, the per-status actions
 * (favourite, reblog, bookmark, pin, mute), polls, and the lists built from
 * statuses (favourites, bookmarks, an account's statuses). Handlers only
 * read the request, call one use case and render through the serializer.
 */
import { Elysia } from "elysia";
import type { AppContext } from "../../src/context.ts";
import { authenticate, hasScope, requireUser } from "../../src/http/auth.ts";
import { forbidden, notFound, unprocessable } from "../../src/http/errors.ts";
import { id, list, type Params } from "../../src/http/params.ts";
import { linkHeader, readPage } from "../../src/http/pagination.ts";
import { requestParams } from "../../src/http/request.ts";
import { loadAccounts } from "../accounts/serializer.ts";
import {
  renderHistory,
  renderStatus,
  renderStatuses,
  serializePoll,
  serializeSource,
  type Status,
  type Viewer,
} from "./serializer.ts";
import { ownVotes, selectMarkedStatuses, selectPollByStatus, selectStatusActors, type CursorRow } from "./storage.ts";
import { visibleToViewer } from "./visibility.ts";
import { accountStatuses } from "./services/account-statuses.ts";
import { bookmark, unbookmark } from "./services/bookmark.ts";
import { deleteStatus } from "./services/delete-status.ts";
import { editStatus } from "./services/edit-status.ts";
import { favourite, unfavourite } from "./services/favourite.ts";
import { muteConversation, unmuteConversation } from "./services/mute-conversation.ts";
import { pin, unpin } from "./services/pin.ts";
import { postStatus, type Poster } from "./services/post-status.ts";
import { reblog, unreblog } from "./services/reblog.ts";
import { statusContext } from "./services/status-context.ts";
import { visibleTarget } from "./services/target.ts";
import { visiblePoll, votePoll } from "./services/vote-poll.ts";

export { renderStatuses, renderStatus } from "./serializer.ts";
export { visibleStatusIds, loadStatusRow } from "./visibility.ts";
export { startPollCloser, closeEndedPolls } from "./services/close-polls.ts";

/** Mastodon: 20 statuses per page by default, 40 at most; accounts 40/80. */
const STATUS_PAGE = { limit: 20, max: 40 };
const ACCOUNT_PAGE = { limit: 40, max: 80 };
/** GET /api/v1/statuses?id[]= answers at most this many, as Mastodon's DEFAULT_STATUSES_LIMIT. */
const MAX_BATCH = 20;

export const statusesModule = (ctx: AppContext) => {
  /** Mastodon's authorize_if_got_token: anonymous is fine, but a token must carry the scope. */
  const optionalViewer = async (request: Request, ...scopes: string[]): Promise<Viewer | null> => {
    const auth = await authenticate(ctx, request);
    if (!auth) return null;
    if (!scopes.some((scope) => hasScope(auth.scopes, scope))) throw forbidden();
    return auth.user ? { accountId: auth.user.accountId } : null;
  };
  const user = async (request: Request, scope: string): Promise<Poster & Viewer> => {
    const auth = await requireUser(ctx, request, scope);
    return { userId: auth.user.id, accountId: auth.user.accountId, applicationId: auth.applicationId };
  };
  /** Renders a status the viewer just acted on; 404 when it is (no longer) visible. */
  const show = async (statusId: string, viewer: Viewer | null): Promise<Status> => {
    const status = await renderStatus(ctx, statusId, viewer);
    if (!status) throw notFound();
    return status;
  };
  /** The Link header of a page, from the rows' pagination ids (so no item is skipped or repeated). */
  const paged = (
    set: { headers: Record<string, string | number> },
    path: string,
    params: Params,
    rows: CursorRow[],
  ) => {
    const link = linkHeader(ctx.config, path, params, rows, (r) => r.cursor);
    if (link) set.headers.link = link;
  };
  const accountList = async (
    kind: "favourited_by" | "reblogged_by",
    request: Request,
    set: { headers: Record<string, string | number> },
    rawId: string,
  ) => {
    const viewer = await optionalViewer(request, "read:accounts");
    const status = await visibleTarget(ctx, viewer?.accountId ?? null, rawId, { unwrap: false });
    const params = requestParams(request, undefined);
    const rows = await selectStatusActors(ctx.sql, kind, status.id, readPage(params, ACCOUNT_PAGE));
    const accounts = await loadAccounts(ctx.sql, ctx.config, rows.map((r) => r.id));
    paged(set, `/api/v1/statuses/${status.id}/${kind}`, params, rows);
    return rows.map((r) => accounts.get(r.id)).filter((a) => a !== undefined);
  };
  const markedList = async (
    table: "favourites" | "bookmarks",
    request: Request,
    set: { headers: Record<string, string | number> },
  ) => {
    const viewer = await user(request, `read:${table}`);
    const params = requestParams(request, undefined);
    const rows = await selectMarkedStatuses(
      ctx.sql,
      table,
      viewer.accountId,
      readPage(params, STATUS_PAGE),
      visibleToViewer(ctx.sql, viewer.accountId, "s"),
    );
    paged(set, `/api/v1/${table}`, params, rows);
    return renderStatuses(ctx, rows.map((r) => r.id), viewer);
  };

  return (
    new Elysia({ name: "statuses" })
      // Posting and reading
      .post("/api/v1/statuses", async ({ request, body }) => {
        const poster = await user(request, "write:statuses");
        const statusId = await postStatus(ctx, poster, requestParams(request, body), request.headers.get("idempotency-key"));
        return show(statusId, poster);
      })
      .get("/api/v1/statuses", async ({ request }) => {
        const viewer = await optionalViewer(request, "read:statuses");
        const raw = list(requestParams(request, undefined).id);
        if (raw.length > MAX_BATCH) throw unprocessable(`Too many ids (at most ${MAX_BATCH})`);
        const ids = [...new Set(raw.map((v) => id(v)).filter((v): v is string => v !== undefined))];
        return renderStatuses(ctx, ids, viewer);
      })
      .get("/api/v1/statuses/:id", async ({ request, params }) => {
        const viewer = await optionalViewer(request, "read:statuses");
        const statusId = id(params.id);
        if (!statusId) throw notFound();
        return show(statusId, viewer);
      })
      .put("/api/v1/statuses/:id", async ({ request, body, params }) => {
        const editor = await user(request, "write:statuses");
        const statusId = id(params.id);
        if (!statusId) throw notFound();
        await editStatus(ctx, editor.accountId, statusId, requestParams(request, body));
        return show(statusId, editor);
      })
      .delete("/api/v1/statuses/:id", async ({ request, params }) => {
        const author = await user(request, "write:statuses");
        const statusId = id(params.id);
        if (!statusId) throw notFound();
        return deleteStatus(ctx, author.accountId, statusId);
      })
      .get("/api/v1/statuses/:id/history", async ({ request, params }) => {
        const viewer = await optionalViewer(request, "read:statuses");
        const status = await visibleTarget(ctx, viewer?.accountId ?? null, params.id, { unwrap: false });
        return renderHistory(ctx, status, await selectPollByStatus(ctx.sql, status.id));
      })
      .get("/api/v1/statuses/:id/source", async ({ request, params }) => {
        const viewer = await user(request, "read:statuses");
        return serializeSource(await visibleTarget(ctx, viewer.accountId, params.id, { unwrap: false }));
      })
      .get("/api/v1/statuses/:id/context", async ({ request, params }) => {
        const viewer = await optionalViewer(request, "read:statuses");
        return statusContext(ctx, viewer, params.id);
      })
      // Actions on a status
      .post("/api/v1/statuses/:id/favourite", async ({ request, params }) => {
        const viewer = await user(request, "write:favourites");
        return show(await favourite(ctx, viewer.accountId, params.id), viewer);
      })
      .post("/api/v1/statuses/:id/unfavourite", async ({ request, params }) => {
        const viewer = await user(request, "write:favourites");
        return show(await unfavourite(ctx, viewer.accountId, params.id), viewer);
      })
      .post("/api/v1/statuses/:id/reblog", async ({ request, body, params }) => {
        const viewer = await user(request, "write:statuses");
        return show(await reblog(ctx, viewer, params.id, requestParams(request, body)), viewer);
      })
      .post("/api/v1/statuses/:id/unreblog", async ({ request, params }) => {
        const viewer = await user(request, "write:statuses");
        return show(await unreblog(ctx, viewer.accountId, params.id), viewer);
      })
      .post("/api/v1/statuses/:id/bookmark", async ({ request, params }) => {
        const viewer = await user(request, "write:bookmarks");
        return show(await bookmark(ctx, viewer.accountId, params.id), viewer);
      })
      .post("/api/v1/statuses/:id/unbookmark", async ({ request, params }) => {
        const viewer = await user(request, "write:bookmarks");
        return show(await unbookmark(ctx, viewer.accountId, params.id), viewer);
      })
      .post("/api/v1/statuses/:id/pin", async ({ request, params }) => {
        const viewer = await user(request, "write:accounts");
        return show(await pin(ctx, viewer.accountId, params.id), viewer);
      })
      .post("/api/v1/statuses/:id/unpin", async ({ request, params }) => {
        const viewer = await user(request, "write:accounts");
        return show(await unpin(ctx, viewer.accountId, params.id), viewer);
      })
      .post("/api/v1/statuses/:id/mute", async ({ request, params }) => {
        const viewer = await user(request, "write:mutes");
        return show(await muteConversation(ctx, viewer.accountId, params.id), viewer);
      })
      .post("/api/v1/statuses/:id/unmute", async ({ request, params }) => {
        const viewer = await user(request, "write:mutes");
        return show(await unmuteConversation(ctx, viewer.accountId, params.id), viewer);
      })
      .get("/api/v1/statuses/:id/favourited_by", ({ request, set, params }) =>
        accountList("favourited_by", request, set, params.id),
      )
      .get("/api/v1/statuses/:id/reblogged_by", ({ request, set, params }) =>
        accountList("reblogged_by", request, set, params.id),
      )
      // Polls
      .get("/api/v1/polls/:id", async ({ request, params }) => {
        const viewer = await optionalViewer(request, "read:statuses");
        const poll = await visiblePoll(ctx, viewer?.accountId ?? null, params.id);
        return serializePoll(poll, viewer, viewer ? await ownVotes(ctx.sql, poll.id, viewer.accountId) : []);
      })
      .post("/api/v1/polls/:id/votes", async ({ request, body, params }) => {
        const viewer = await user(request, "write:statuses");
        const pollId = await votePoll(ctx, viewer.accountId, params.id, requestParams(request, body).choices);
        const poll = await visiblePoll(ctx, viewer.accountId, pollId);
        return serializePoll(poll, viewer, await ownVotes(ctx.sql, poll.id, viewer.accountId));
      })
      // Lists of statuses
      .get("/api/v1/favourites", ({ request, set }) => markedList("favourites", request, set))
      .get("/api/v1/bookmarks", ({ request, set }) => markedList("bookmarks", request, set))
      .get("/api/v1/accounts/:id/statuses", async ({ request, set, params }) => {
        const viewer = await optionalViewer(request, "read:statuses");
        const query = requestParams(request, undefined);
        const result = await accountStatuses(ctx, viewer, params.id, query, readPage(query, STATUS_PAGE));
        paged(set, `/api/v1/accounts/${params.id}/statuses`, query, result.rows);
        return result.statuses;
      })
  );
};
