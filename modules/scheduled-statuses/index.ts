/**
 * Scheduled statuses: not supported yet — POST /api/v1/statuses refuses
 * `scheduled_at` with 422 — so the list is always empty and no scheduled
 * status can be found. The endpoints exist so clients that open their
 * "scheduled posts" screen get Mastodon's answers rather than a 404 route.
 */
import { Elysia } from "elysia";
import type { AppContext } from "../../src/context.ts";
import { requireUser } from "../../src/http/auth.ts";
import { notFound } from "../../src/http/errors.ts";

const READ = ["read:statuses"];
const WRITE = ["write:statuses"];

export const scheduledStatusesModule = (ctx: AppContext) =>
  new Elysia({ name: "scheduled-statuses" })
    .get("/api/v1/scheduled_statuses", async ({ request }) => {
      await requireUser(ctx, request, ...READ);
      return [];
    })
    .get("/api/v1/scheduled_statuses/:id", async ({ request }) => {
      await requireUser(ctx, request, ...READ);
      throw notFound();
    })
    .put("/api/v1/scheduled_statuses/:id", async ({ request }) => {
      await requireUser(ctx, request, ...WRITE);
      throw notFound();
    })
    .delete("/api/v1/scheduled_statuses/:id", async ({ request }) => {
      await requireUser(ctx, request, ...WRITE);
      throw notFound();
    });
