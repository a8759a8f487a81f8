/**
 * The profile directory (GET /api/v1/directory): accounts that opted in to
 * discovery, most recently active first (`order=active`, the default) or
 * newest first (`order=new`), paged by offset. Open to anonymous readers;
 * a signed-in viewer doesn't see accounts they block or mute, or that block
 * them, nor accounts of domains they blocked.
 */
import { Elysia } from "elysia";
import type { AppContext } from "../../src/context.ts";
import { authenticate, hasScope } from "../../src/http/auth.ts";
import { forbidden } from "../../src/http/errors.ts";
import { bool, int, str } from "../../src/http/params.ts";
import { requestParams } from "../../src/http/request.ts";
import { loadAccounts } from "../accounts/serializer.ts";
import { blockedDomains, hiddenAccountIds } from "../relationships/service.ts";
import { selectDirectoryIds } from "./storage.ts";

/** Mastodon's DEFAULT_ACCOUNTS_LIMIT and its cap (twice that). */
const DEFAULT_LIMIT = 40;
const MAX_LIMIT = 80;

export const directoryModule = (ctx: AppContext) =>
  new Elysia({ name: "directory" }).get("/api/v1/directory", async ({ request }) => {
    const auth = await authenticate(ctx, request);
    if (auth && !hasScope(auth.scopes, "read:accounts")) throw forbidden();
    const viewerId = auth?.user?.accountId ?? null;
    const params = requestParams(request, undefined);
    const localOnly = bool(params.local, false);
    const [hidden, domains] = viewerId
      ? await Promise.all([hiddenAccountIds(ctx.sql, viewerId), localOnly ? new Set<string>() : blockedDomains(ctx.sql, viewerId)])
      : [new Set<string>(), new Set<string>()];
    const ids = await selectDirectoryIds(ctx.sql, {
      order: str(params.order) === "new" ? "new" : "active",
      localOnly,
      offset: int(params.offset, "offset", { min: 0, max: 1_000_000 }) ?? 0,
      limit: int(params.limit, "limit", { min: 1, max: MAX_LIMIT }) ?? DEFAULT_LIMIT,
      excludeAccountIds: [...hidden],
      excludeDomains: [...domains].map((d) => d.toLowerCase()),
    });
    const accounts = await loadAccounts(ctx.sql, ctx.config, ids);
    return ids.map((accountId) => accounts.get(accountId)).filter((a) => a !== undefined);
  });
