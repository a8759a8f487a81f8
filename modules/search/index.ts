/**
 * Search routes (Mastodon's Api::V2::SearchController and
 * Api::V1::Accounts::SearchController) and the event handlers that keep an
 * event-maintained index current. The v1 `/api/v1/search` was removed from
 * Mastodon in 3.0 and is not served.
 */
import { Elysia } from "elysia";
import type { AppContext } from "../../src/context.ts";
import { onEvent } from "../../src/events/index.ts";
import { authenticate, hasScope, requireUser } from "../../src/http/auth.ts";
import { badRequest, forbidden, unauthorized } from "../../src/http/errors.ts";
import { bool, id, int, str } from "../../src/http/params.ts";
import { requestParams } from "../../src/http/request.ts";
import {
  onAccountUpdated,
  onFollowChanged,
  onStatusCreated,
  onStatusDeleted,
  onStatusInteraction,
  onStatusUpdated,
} from "./indexer.ts";
import { search, searchAccounts, type Viewer } from "./service.ts";

export { resolveRemote, setRemoteResolver, type RemoteResolver, type ResolvedResource } from "./resolve.ts";
export { parseSearchQuery, type ParsedSearchQuery } from "./query.ts";
export { searchIndexFor } from "./backend.ts";

onEvent("status.created", onStatusCreated);
onEvent("status.updated", onStatusUpdated);
onEvent("status.deleted", onStatusDeleted);
onEvent("favourite.created", onStatusInteraction);
onEvent("favourite.removed", onStatusInteraction);
onEvent("poll.voted", onStatusInteraction);
onEvent("account.updated", onAccountUpdated);
onEvent("follow.created", onFollowChanged);
onEvent("follow.removed", onFollowChanged);

/** Mastodon: 20 results per type by default, 40 at most; account search 40/80. */
const SEARCH_LIMIT = { limit: 20, max: 40 };
const ACCOUNT_LIMIT = { limit: 40, max: 80 };
/** Deep offsets cost the backend more than they are worth (Elasticsearch stops at 10 000 too). */
const MAX_OFFSET = 10_000;

export const searchModule = (ctx: AppContext) =>
  new Elysia({ name: "search" })
    .get("/api/v2/search", async ({ request }) => {
      // Mastodon's authorize_if_got_token!: anonymous is fine, a token must carry the scope.
      const auth = await authenticate(ctx, request);
      if (auth && !hasScope(auth.scopes, "read:search")) throw forbidden();
      const viewer: Viewer | null = auth?.user ? { accountId: auth.user.accountId } : null;
      const params = requestParams(request, undefined);
      const q = str(params.q);
      if (q === undefined || q.trim() === "") throw badRequest("param is missing or the value is empty: q");
      const resolve = bool(params.resolve, false);
      if (!viewer && params.offset !== undefined && params.offset !== "") {
        throw unauthorized("Search queries pagination is not supported without authentication");
      }
      if (!viewer && resolve) {
        throw unauthorized("Search queries that resolve remote resources are not supported without authentication");
      }
      const rawAccountId = params.account_id;
      const accountIdGiven = rawAccountId !== undefined && rawAccountId !== "";
      return search(ctx, viewer, {
        q,
        type: str(params.type) || null,
        resolve,
        following: bool(params.following, false),
        accountId: accountIdGiven ? (id(rawAccountId) ?? null) : undefined,
        excludeUnreviewed: bool(params.exclude_unreviewed, false),
        maxId: id(params.max_id) ?? null,
        minId: id(params.min_id) ?? null,
        limit: int(params.limit, "limit", { min: 0, max: SEARCH_LIMIT.max }) ?? SEARCH_LIMIT.limit,
        offset: int(params.offset, "offset", { min: 0, max: MAX_OFFSET }) ?? 0,
      });
    })
    .get("/api/v1/accounts/search", async ({ request }) => {
      const auth = await requireUser(ctx, request, "read:accounts");
      const params = requestParams(request, undefined);
      return searchAccounts(ctx, { accountId: auth.user.accountId }, {
        q: str(params.q) ?? "",
        resolve: bool(params.resolve, false),
        following: bool(params.following, false),
        limit: int(params.limit, "limit", { min: 0, max: ACCOUNT_LIMIT.max }) ?? ACCOUNT_LIMIT.limit,
        offset: int(params.offset, "offset", { min: 0, max: MAX_OFFSET }) ?? 0,
      });
    });
