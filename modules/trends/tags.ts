/**
 * Hashtag routes: a tag and following it (Api::V1::TagsController), the
 * followed tags list, and featured tags (own, another account's, and
 * suggestions). Handlers read the request, call one use case from
 * hashtags.ts, and answer its entity.
 */
import { Elysia } from "elysia";
import type { AppContext } from "../../src/context.ts";
import { authenticate, hasScope, requireUser } from "../../src/http/auth.ts";
import { forbidden, notFound } from "../../src/http/errors.ts";
import { linkHeader, readPage } from "../../src/http/pagination.ts";
import { id } from "../../src/http/params.ts";
import { requestParams } from "../../src/http/request.ts";
import {
  accountFeaturedTags,
  featuredTagSuggestions,
  featureTag,
  featureTagByName,
  followedTags,
  followTag,
  ownFeaturedTags,
  showTag,
  unfeatureTagById,
  unfeatureTagByName,
  unfollowTag,
} from "./hashtags.ts";

/** Mastodon's FollowedTagsController TAGS_LIMIT, and a cap. */
const FOLLOWED_TAGS_PAGE = { limit: 100, max: 200 };

/** Path segments may arrive still percent-encoded; a stray '%' is taken literally rather than failing. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Anonymous is fine; a token, if sent, must carry one of the scopes (Mastodon's authorize_if_got_token). */
export async function optionalViewer(ctx: AppContext, request: Request, ...scopes: string[]): Promise<string | null> {
  const auth = await authenticate(ctx, request);
  if (!auth) return null;
  if (scopes.length > 0 && !scopes.some((scope) => hasScope(auth.scopes, scope))) throw forbidden();
  return auth.user?.accountId ?? null;
}

export const tagsRoutes = (ctx: AppContext) =>
  new Elysia({ name: "trends-tags" })
    .get("/api/v1/tags/:name", async ({ request, params }) => {
      // Mastodon's show needs no scope: any valid token (or none) may look.
      const viewer = await optionalViewer(ctx, request);
      return showTag(ctx, decodeSegment(params.name), viewer);
    })
    .post("/api/v1/tags/:name/follow", async ({ request, params }) => {
      const auth = await requireUser(ctx, request, "write:follows");
      return followTag(ctx, auth.user.accountId, decodeSegment(params.name));
    })
    .post("/api/v1/tags/:name/unfollow", async ({ request, params }) => {
      const auth = await requireUser(ctx, request, "write:follows");
      return unfollowTag(ctx, auth.user.accountId, decodeSegment(params.name));
    })
    .post("/api/v1/tags/:name/feature", async ({ request, params }) => {
      const auth = await requireUser(ctx, request, "write:accounts");
      return featureTagByName(ctx, auth.user.accountId, decodeSegment(params.name));
    })
    .post("/api/v1/tags/:name/unfeature", async ({ request, params }) => {
      const auth = await requireUser(ctx, request, "write:accounts");
      return unfeatureTagByName(ctx, auth.user.accountId, decodeSegment(params.name));
    })
    .get("/api/v1/followed_tags", async ({ request, set }) => {
      const auth = await requireUser(ctx, request, "read:follows");
      const params = requestParams(request, undefined);
      const { rows, tags } = await followedTags(ctx, auth.user.accountId, readPage(params, FOLLOWED_TAGS_PAGE));
      const link = linkHeader(ctx.config, "/api/v1/followed_tags", params, rows, (r) => r.cursor);
      if (link) set.headers.link = link;
      return tags;
    })
    .get("/api/v1/featured_tags", async ({ request }) => {
      const auth = await requireUser(ctx, request, "read:accounts");
      return ownFeaturedTags(ctx, auth.user.accountId);
    })
    .post("/api/v1/featured_tags", async ({ request, body }) => {
      const auth = await requireUser(ctx, request, "write:accounts");
      return featureTag(ctx, auth.user.accountId, requestParams(request, body).name);
    })
    .get("/api/v1/featured_tags/suggestions", async ({ request }) => {
      const auth = await requireUser(ctx, request, "read:accounts");
      return featuredTagSuggestions(ctx, auth.user.accountId);
    })
    .delete("/api/v1/featured_tags/:id", async ({ request, params }) => {
      const auth = await requireUser(ctx, request, "write:accounts");
      const featuredTagId = id(params.id);
      if (!featuredTagId) throw notFound();
      await unfeatureTagById(ctx, auth.user.accountId, featuredTagId);
      return {};
    })
    .get("/api/v1/accounts/:id/featured_tags", async ({ request, params }) => {
      await optionalViewer(ctx, request, "read:accounts");
      const accountId = id(params.id);
      if (!accountId) throw notFound();
      return accountFeaturedTags(ctx, accountId);
    });
