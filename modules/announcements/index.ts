/**
 * Announcements (GET /api/v1/announcements, dismiss, reactions). They are
 * created with `bun run admin announcements create` (src/cli/commands/announcements.ts);
 * there is no admin API for them yet.
 */
import { Elysia } from "elysia";
import type { AppContext } from "../../src/context.ts";
import { requireUser } from "../../src/http/auth.ts";
import { bool } from "../../src/http/params.ts";
import { requestParams } from "../../src/http/request.ts";
import { addReaction, dismissAnnouncement, listAnnouncements, removeReaction } from "./service.ts";

export { createAnnouncement } from "./service.ts";

function decodeSegment(segment: string): string {
  try {
    return segment.includes("%") ? decodeURIComponent(segment) : segment;
  } catch {
    return segment;
  }
}

// Mastodon asks for `write:accounts` (dismissing and reacting are the user's own state).
const WRITE = "write:accounts";

export const announcementsModule = (ctx: AppContext) =>
  new Elysia({ name: "announcements" })
    .get("/api/v1/announcements", async ({ request }) => {
      const auth = await requireUser(ctx, request, "read");
      const withDismissed = bool(requestParams(request, undefined).with_dismissed, false);
      return listAnnouncements(ctx, auth.user.accountId, withDismissed);
    })
    .post("/api/v1/announcements/:id/dismiss", async ({ request, params }) => {
      const auth = await requireUser(ctx, request, WRITE);
      await dismissAnnouncement(ctx, auth.user.accountId, params.id);
      return {};
    })
    .put("/api/v1/announcements/:id/reactions/:name", async ({ request, params }) => {
      const auth = await requireUser(ctx, request, WRITE);
      await addReaction(ctx, auth.user.accountId, params.id, decodeSegment(params.name));
      return {};
    })
    .delete("/api/v1/announcements/:id/reactions/:name", async ({ request, params }) => {
      const auth = await requireUser(ctx, request, WRITE);
      await removeReaction(ctx, auth.user.accountId, params.id, decodeSegment(params.name));
      return {};
    });
