/**
 * Trends and hashtags (the seed system's TrendsAndHashtags module):
 * /api/v1/trends/{tags,statuses,links} computed from the ClickHouse stream
 * (stream.ts writes it from domain events, service.ts ranks it), and the
 * hashtag endpoints (tags.ts). Trends are public, paged by offset as
 * Mastodon's (Link headers carry `offset`).
 */
import { Elysia } from "elysia";
import type { AppContext } from "../../src/context.ts";
import type { Config } from "../../src/config.ts";
import { int, type Params } from "../../src/http/params.ts";
import { requestParams } from "../../src/http/request.ts";
import { absoluteUrl } from "../../src/http/urls.ts";
import { renderStatuses } from "../statuses/serializer.ts";
import { renderTags } from "./serializer.ts";
import { trendingStatusIds, trendingTags } from "./service.ts";
import { selectTagsByKeys } from "./storage.ts";
import { registerStreamHandlers } from "./stream.ts";
import { optionalViewer, tagsRoutes } from "./tags.ts";

export { ensureClickHouseSchema } from "./schema.ts";
export { flushStatusStream, replayStatusEvents } from "./stream.ts";

registerStreamHandlers();

/** Mastodon's DEFAULT_TAGS_LIMIT / DEFAULT_STATUSES_LIMIT / DEFAULT_LINKS_LIMIT, and their caps. */
const TAGS_PAGE = { limit: 10, max: 20 };
const STATUSES_PAGE = { limit: 20, max: 40 };

interface OffsetPage {
  offset: number;
  limit: number;
}

function readOffsetPage(params: Params, defaults: { limit: number; max: number }): OffsetPage {
  return {
    offset: int(params.offset, "offset", { min: 0 }) ?? 0,
    limit: int(params.limit, "limit", { min: 1, max: defaults.max }) ?? defaults.limit,
  };
}

/** Mastodon's trends pagination: `next` while the ranking goes on, `prev` after the first page. */
function offsetLink(config: Config, path: string, page: OffsetPage, total: number): string | undefined {
  const url = (offset: number) => `${absoluteUrl(config, path)}?${new URLSearchParams({ offset: String(offset), limit: String(page.limit) })}`;
  const links: string[] = [];
  if (page.offset + page.limit < total) links.push(`<${url(page.offset + page.limit)}>; rel="next"`);
  if (page.offset > 0) links.push(`<${url(Math.max(0, page.offset - page.limit))}>; rel="prev"`);
  return links.length > 0 ? links.join(", ") : undefined;
}

export const trendsModule = (ctx: AppContext) => {
  const tagTrends = async ({ request, set }: { request: Request; set: { headers: Record<string, string | number> } }) => {
    const viewer = await optionalViewer(ctx, request);
    const page = readOffsetPage(requestParams(request, undefined), TAGS_PAGE);
    const ranked = await trendingTags(ctx);
    const keys = ranked.slice(page.offset, page.offset + page.limit);
    const rows = await selectTagsByKeys(ctx.sql, keys);
    const link = offsetLink(ctx.config, "/api/v1/trends/tags", page, ranked.length);
    if (link) set.headers.link = link;
    return renderTags(ctx, keys.map((k) => rows.get(k)).filter((r) => r !== undefined), viewer);
  };

  return new Elysia({ name: "trends" })
    .get("/api/v1/trends", tagTrends)
    .get("/api/v1/trends/tags", tagTrends)
    .get("/api/v1/trends/statuses", async ({ request, set }) => {
      const viewer = await optionalViewer(ctx, request);
      const page = readOffsetPage(requestParams(request, undefined), STATUSES_PAGE);
      const ranked = await trendingStatusIds(ctx);
      const link = offsetLink(ctx.config, "/api/v1/trends/statuses", page, ranked.length);
      if (link) set.headers.link = link;
      // renderStatuses drops what this viewer may not see (blocks, deletions since the ranking).
      return renderStatuses(ctx, ranked.slice(page.offset, page.offset + page.limit), viewer ? { accountId: viewer } : null, {
        filterContext: "public",
      });
    })
    // No preview cards yet, so no links to rank.
    .get("/api/v1/trends/links", async ({ request }) => {
      await optionalViewer(ctx, request);
      return [];
    })
    .use(tagsRoutes(ctx));
};
