/**
 * POST /api/v1/statuses/:id/translate. No translation backend is
 * configured (the instance says `translation.enabled: false`), so this
 * answers as Mastodon does then: 404 — after the same checks, so a status
 * the caller may not see is a 404 too and nothing is revealed either way.
 */
import { Elysia } from "elysia";
import type { AppContext } from "../../src/context.ts";
import { requireToken } from "../../src/http/auth.ts";
import { ApiError, notFound } from "../../src/http/errors.ts";
import { id } from "../../src/http/params.ts";
import { canSeeStatus } from "../statuses/visibility.ts";

export const translationModule = (ctx: AppContext) =>
  new Elysia({ name: "translation" }).post("/api/v1/statuses/:id/translate", async ({ request, params }) => {
    const auth = await requireToken(ctx, request, "read:statuses");
    const statusId = id(params.id);
    if (!statusId || !(await canSeeStatus(ctx.sql, auth.user?.accountId ?? null, statusId))) throw notFound();
    throw new ApiError(404, "Translation is not available on this server");
  });
