/** Routes for filters: API v2 (/api/v2/filters…) and the deprecated v1 view (/api/v1/filters). */
import { Elysia } from "elysia";
import type { AppContext } from "../../src/context.ts";
import { requireUser } from "../../src/http/auth.ts";
import { requestParams } from "../../src/http/request.ts";
import {
  addFilterStatus,
  addKeyword,
  changeFilter,
  changeKeyword,
  changeV1Filter,
  createFilter,
  createV1Filter,
  destroyFilter,
  destroyFilterStatus,
  destroyKeyword,
  destroyV1Filter,
  listFilters,
  listFilterStatuses,
  listKeywords,
  listV1Filters,
  showFilter,
  showFilterStatus,
  showKeyword,
  showV1Filter,
} from "./filters-service.ts";
import { publishFiltersChanged } from "../streaming/publisher.ts";

export const filtersRoutes = (ctx: AppContext) => {
  const reader = async (request: Request) => (await requireUser(ctx, request, "read:filters")).user.accountId;
  // Writers, remembered per request so the streaming API can say their filters changed once it is answered.
  const writers = new WeakMap<Request, string>();
  const writer = async (request: Request) => {
    const accountId = (await requireUser(ctx, request, "write:filters")).user.accountId;
    writers.set(request, accountId);
    return accountId;
  };

  return (
    new Elysia({ name: "timelines-filters" })
      .onAfterResponse(({ request }) => {
        const accountId = writers.get(request);
        if (accountId) void publishFiltersChanged(ctx, accountId);
      })
      // Keywords and statuses by their own id (static segments first, before /:id).
      .get("/api/v2/filters/keywords/:id", async ({ request, params }) =>
        showKeyword(ctx, await reader(request), params.id),
      )
      .put("/api/v2/filters/keywords/:id", async ({ request, params, body }) =>
        changeKeyword(ctx, await writer(request), params.id, requestParams(request, body)),
      )
      .delete("/api/v2/filters/keywords/:id", async ({ request, params }) => {
        await destroyKeyword(ctx, await writer(request), params.id);
        return {};
      })
      .get("/api/v2/filters/statuses/:id", async ({ request, params }) =>
        showFilterStatus(ctx, await reader(request), params.id),
      )
      .delete("/api/v2/filters/statuses/:id", async ({ request, params }) => {
        await destroyFilterStatus(ctx, await writer(request), params.id);
        return {};
      })
      // Filters
      .get("/api/v2/filters", async ({ request }) => listFilters(ctx, await reader(request)))
      .post("/api/v2/filters", async ({ request, body }) =>
        createFilter(ctx, await writer(request), requestParams(request, body)),
      )
      .get("/api/v2/filters/:id", async ({ request, params }) => showFilter(ctx, await reader(request), params.id))
      .put("/api/v2/filters/:id", async ({ request, params, body }) =>
        changeFilter(ctx, await writer(request), params.id, requestParams(request, body)),
      )
      .delete("/api/v2/filters/:id", async ({ request, params }) => {
        await destroyFilter(ctx, await writer(request), params.id);
        return {};
      })
      .get("/api/v2/filters/:id/keywords", async ({ request, params }) =>
        listKeywords(ctx, await reader(request), params.id),
      )
      .post("/api/v2/filters/:id/keywords", async ({ request, params, body }) =>
        addKeyword(ctx, await writer(request), params.id, requestParams(request, body)),
      )
      .get("/api/v2/filters/:id/statuses", async ({ request, params }) =>
        listFilterStatuses(ctx, await reader(request), params.id),
      )
      .post("/api/v2/filters/:id/statuses", async ({ request, params, body }) =>
        addFilterStatus(ctx, await writer(request), params.id, requestParams(request, body)),
      )
      // API v1: each keyword seen as a filter of its own.
      .get("/api/v1/filters", async ({ request }) => listV1Filters(ctx, await reader(request)))
      .post("/api/v1/filters", async ({ request, body }) =>
        createV1Filter(ctx, await writer(request), requestParams(request, body)),
      )
      .get("/api/v1/filters/:id", async ({ request, params }) => showV1Filter(ctx, await reader(request), params.id))
      .put("/api/v1/filters/:id", async ({ request, params, body }) =>
        changeV1Filter(ctx, await writer(request), params.id, requestParams(request, body)),
      )
      .delete("/api/v1/filters/:id", async ({ request, params }) => {
        await destroyV1Filter(ctx, await writer(request), params.id);
        return {};
      })
  );
};
