/**
 * The HTTP application: one Elysia plugin per module, with Fedify in front
 * for the federation routes and Mastodon's conventions (CORS, error bodies,
 * body parsing) applied around all of them.
 */
import { Elysia } from "elysia";
import type { AppContext } from "./context.ts";
import { ApiError, jsonError } from "./http/errors.ts";
import { corsApplies, corsHeaders, preflightResponse } from "./http/cors.ts";
import { parseBody } from "./http/request.ts";
import { createFederationHandler } from "../federation/index.ts";
import { nodeinfoRoutes } from "../federation/nodeinfo.ts";
import { oauthModule } from "../modules/oauth/index.ts";
import { accountsModule } from "../modules/accounts/index.ts";
import { instanceModule } from "../modules/instance/index.ts";
import { statusesModule } from "../modules/statuses/index.ts";
import { relationshipsModule } from "../modules/relationships/index.ts";
import { timelinesModule } from "../modules/timelines/index.ts";
import { notificationsModule } from "../modules/notifications/index.ts";
import { mediaModule } from "../modules/media/index.ts";
import { trendsModule } from "../modules/trends/index.ts";
import { searchModule } from "../modules/search/index.ts";
// After notifications: its event handlers must run first (see modules/streaming/publisher.ts).
import { streamingModule } from "../modules/streaming/index.ts";
import { announcementsModule } from "../modules/announcements/index.ts";
import { reportsModule } from "../modules/reports/index.ts";
import { directoryModule } from "../modules/directory/index.ts";
import { scheduledStatusesModule } from "../modules/scheduled-statuses/index.ts";
import { translationModule } from "../modules/translation/index.ts";
import { pushModule } from "../modules/push/index.ts";
import { webModule, webNotFound } from "../modules/web/index.ts";
import { logger } from "./log.ts";

const log = logger("http");

export function createApp(ctx: AppContext) {
  const handleFederation = createFederationHandler(ctx);
  return new Elysia()
    .onRequest(async ({ request }) => {
      const { pathname } = new URL(request.url);
      if (request.method === "OPTIONS" && corsApplies(pathname)) return preflightResponse(request);
      return handleFederation(request);
    })
    .onParse(({ request, contentType }) => parseBody(request, contentType))
    .onAfterHandle({ as: "global" }, ({ request, set }) => {
      if (corsApplies(new URL(request.url).pathname)) Object.assign(set.headers, corsHeaders);
    })
    .onError({ as: "global" }, ({ code, error, request }) => {
      const cors = corsApplies(new URL(request.url).pathname) ? corsHeaders : {};
      if (error instanceof ApiError) {
        return new Response(JSON.stringify(error.toJSON()), {
          status: error.status,
          headers: { "content-type": "application/json; charset=utf-8", ...cors },
        });
      }
      switch (code) {
        case "NOT_FOUND":
          return webNotFound(ctx, request) ?? jsonError(404, "Record not found", cors);
        case "PARSE":
          return jsonError(400, "Malformed request body", cors);
        case "VALIDATION":
          return jsonError(422, "Validation failed", cors);
        case "INVALID_COOKIE_SIGNATURE":
          return jsonError(400, "Invalid cookie", cors);
      }
      log.error("Unhandled error on {method} {url}: {error}", { method: request.method, url: request.url, error });
      return jsonError(500, "Internal server error", cors);
    })
    .use(oauthModule(ctx))
    .use(accountsModule(ctx))
    .use(instanceModule(ctx))
    .use(nodeinfoRoutes(ctx))
    .use(statusesModule(ctx))
    .use(relationshipsModule(ctx))
    .use(timelinesModule(ctx))
    .use(notificationsModule(ctx))
    .use(mediaModule(ctx))
    .use(trendsModule(ctx))
    .use(searchModule(ctx))
    .use(streamingModule(ctx))
    .use(announcementsModule(ctx))
    .use(reportsModule(ctx))
    .use(directoryModule(ctx))
    .use(scheduledStatusesModule(ctx))
    .use(translationModule(ctx))
    .use(pushModule(ctx))
    .use(webModule(ctx));
}

export type App = ReturnType<typeof createApp>;
