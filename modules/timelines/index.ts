/**
 * Timelines: home, public, hashtag and list timelines, with lists and
 * filters (their routes are in lists-routes.ts and filters-routes.ts).
 * Feeds are kept by fanout handlers on domain events, registered here at
 * module load.
 */
import { Elysia } from "elysia";
import type { AppContext } from "../../src/context.ts";
import { onEvent } from "../../src/events/index.ts";
import { authenticate, hasScope, requireUser } from "../../src/http/auth.ts";
import { forbidden } from "../../src/http/errors.ts";
import { readPage } from "../../src/http/pagination.ts";
import { bool, list, type Params } from "../../src/http/params.ts";
import { requestParams } from "../../src/http/request.ts";
import {
  onBlockCreated,
  onFollowCreated,
  onFollowRemoved,
  onMuteCreated,
  onMuteRemoved,
  onStatusCreated,
  onStatusDeleted,
} from "./fanout.ts";
import { filtersRoutes } from "./filters-routes.ts";
import { requireOwnList } from "./lists.ts";
import { listsRoutes } from "./lists-routes.ts";
import { pageLink } from "./pages.ts";
import { homeTimeline, listTimeline, publicTimeline, tagTimeline, type PublicOptions } from "./timelines.ts";

onEvent("status.created", onStatusCreated);
onEvent("status.deleted", onStatusDeleted);
onEvent("follow.created", onFollowCreated);
onEvent("follow.removed", onFollowRemoved);
onEvent("block.created", onBlockCreated);
onEvent("mute.created", onMuteCreated);
onEvent("mute.removed", onMuteRemoved);

/** Mastodon: 20 statuses by default, 40 at most. */
const STATUS_PAGE = { limit: 20, max: 40 };

function publicOptions(params: Params): PublicOptions {
  return {
    local: bool(params.local, false),
    remote: bool(params.remote, false),
    onlyMedia: bool(params.only_media, false),
  };
}

/** Path segments may arrive still percent-encoded; a stray '%' is taken literally rather than failing. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Public timelines are open to anonymous readers (Mastodon's default); a token, if sent, must allow reading. */
async function optionalViewer(ctx: AppContext, request: Request): Promise<string | null> {
  const auth = await authenticate(ctx, request);
  if (!auth) return null;
  if (!hasScope(auth.scopes, "read:statuses")) throw forbidden();
  return auth.user?.accountId ?? null;
}

export const timelinesModule = (ctx: AppContext) =>
  new Elysia({ name: "timelines" })
    .get("/api/v1/timelines/home", async ({ request, set }) => {
      const auth = await requireUser(ctx, request, "read:statuses");
      const params = requestParams(request, undefined);
      const filled = await homeTimeline(ctx, auth.user.accountId, readPage(params, STATUS_PAGE));
      const link = pageLink(ctx.config, "/api/v1/timelines/home", params, filled);
      if (link) set.headers.link = link;
      return filled.items;
    })
    .get("/api/v1/timelines/public", async ({ request, set }) => {
      const viewerId = await optionalViewer(ctx, request);
      const params = requestParams(request, undefined);
      const filled = await publicTimeline(ctx, viewerId, publicOptions(params), readPage(params, STATUS_PAGE));
      const link = pageLink(ctx.config, "/api/v1/timelines/public", params, filled);
      if (link) set.headers.link = link;
      return filled.items;
    })
    .get("/api/v1/timelines/tag/:hashtag", async ({ request, params: { hashtag }, set }) => {
      const viewerId = await optionalViewer(ctx, request);
      const params = requestParams(request, undefined);
      const query = { tag: decodeSegment(hashtag), any: list(params.any), all: list(params.all), none: list(params.none) };
      const filled = await tagTimeline(ctx, viewerId, query, publicOptions(params), readPage(params, STATUS_PAGE));
      const link = pageLink(ctx.config, `/api/v1/timelines/tag/${encodeURIComponent(query.tag)}`, params, filled);
      if (link) set.headers.link = link;
      return filled.items;
    })
    .get("/api/v1/timelines/list/:id", async ({ request, params: { id }, set }) => {
      const auth = await requireUser(ctx, request, "read:lists");
      const list = await requireOwnList(ctx, auth.user.accountId, id);
      const params = requestParams(request, undefined);
      const filled = await listTimeline(ctx, list, readPage(params, STATUS_PAGE));
      const link = pageLink(ctx.config, `/api/v1/timelines/list/${list.id}`, params, filled);
      if (link) set.headers.link = link;
      return filled.items;
    })
    .use(listsRoutes(ctx))
    .use(filtersRoutes(ctx));
