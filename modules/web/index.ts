/**
 * The public web pages people land on from links in their clients: the
 * landing page, profiles (`/@alice`), statuses (`/@alice/123`), hashtags
 * (`/tags/name`), plus robots.txt and the favicon. Actor and status ids
 * (`/users/alice…`) asked for as HTML redirect to those pages; asked for as
 * ActivityPub they never get here (Fedify answers them first, see
 * federation/index.ts).
 *
 * Pages never fail with a 500: anything unexpected is logged and answered
 * with a plain "try again" page.
 */
import { Elysia } from "elysia";
import type { AppContext } from "../../src/context.ts";
import { ApiError, jsonError } from "../../src/http/errors.ts";
import type { Params } from "../../src/http/params.ts";
import { requestParams } from "../../src/http/request.ts";
import { logger } from "../../src/log.ts";
import { favicon } from "./favicon.ts";
import { errorPage } from "./layout.ts";
import { webPages } from "./pages.ts";

const log = logger("web");

function accepts(request: Request, pattern: RegExp): boolean {
  return pattern.test(request.headers.get("accept") ?? "");
}

/** A JSON client (an ActivityPub fetch of an unknown actor, say) gets Mastodon's JSON 404, not a page. */
function wantsJsonOnly(request: Request): boolean {
  return !accepts(request, /text\/html/i) && accepts(request, /json/i);
}

/** Paths that are never pages: their 404 stays JSON whatever the Accept header says. */
const API_PATH = /^\/(?:api|oauth|\.well-known|nodeinfo|users\/[^/]+\/(?:inbox|outbox|followers|following|collections)|inbox|actor)(?:\/|$)/;

/**
 * The HTML 404 for a browser asking for a path no route matched (src/app.ts
 * calls this from its not-found handler); null when a JSON answer fits.
 */
export function webNotFound(ctx: AppContext, request: Request): Response | null {
  if (request.method !== "GET" && request.method !== "HEAD") return null;
  if (API_PATH.test(new URL(request.url).pathname) || !accepts(request, /text\/html/i)) return null;
  return errorPage(ctx, 404);
}

const ROBOTS = `User-agent: *
Disallow: /api/
Disallow: /oauth/
Disallow: /auth/
Disallow: /media_proxy/
Disallow: /interact/
`;

export const webModule = (ctx: AppContext) => {
  const pages = webPages(ctx);

  const respond = async (request: Request, render: () => Promise<Response>): Promise<Response> => {
    let response: Response;
    try {
      response = await render();
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        response = errorPage(ctx, 404);
      } else {
        log.error("Rendering {url} failed: {error}", { url: request.url, error });
        response = errorPage(ctx, 503);
      }
    }
    if (response.status === 404 && wantsJsonOnly(request)) return jsonError(404, "Record not found");
    return response;
  };
  const query = (request: Request): Params => requestParams(request, undefined);

  return new Elysia({ name: "web" })
    .get("/", ({ request }) => respond(request, () => pages.landing()))
    // Elysia's types don't see a parameter inside a segment (`@:username`); the router does.
    .get("/@:username", ({ request, params }) =>
      respond(request, () => pages.profile((params as { username: string }).username, query(request))),
    )
    .get("/@:username/:id", ({ request, params }) =>
      respond(request, () => pages.statusPage((params as unknown as { username: string }).username, params.id)),
    )
    // Fedify answered every ActivityPub request for these it could: one reaching here is for nothing it knows.
    .get("/users/:username", ({ request, params }) =>
      wantsJsonOnly(request) ? jsonError(404, "Record not found") : respond(request, () => pages.actorRedirect(params.username)),
    )
    .get("/users/:username/statuses/:id", ({ request, params }) =>
      wantsJsonOnly(request)
        ? jsonError(404, "Record not found")
        : respond(request, () => pages.statusRedirect(params.username, params.id)),
    )
    .get("/tags/:name", ({ request, params }) => respond(request, () => pages.tag(params.name, query(request))))
    .get(
      "/robots.txt",
      () => new Response(ROBOTS, { headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "public, max-age=86400" } }),
    )
    .get(
      "/favicon.ico",
      () => new Response(favicon(), { headers: { "content-type": "image/x-icon", "cache-control": "public, max-age=86400" } }),
    );
};
