/** Routes for lists and their members (/api/v1/lists…, /api/v1/accounts/:id/lists). */
import { Elysia } from "elysia";
import type { AppContext } from "../../src/context.ts";
import { requireUser } from "../../src/http/auth.ts";
import { notFound } from "../../src/http/errors.ts";
import { linkHeader, readPage } from "../../src/http/pagination.ts";
import { id, str } from "../../src/http/params.ts";
import { requestParams } from "../../src/http/request.ts";
import { loadAccounts } from "../accounts/serializer.ts";
import { addListMembers, changeList, createList, removeList, removeListMembers, requireOwnList } from "./lists.ts";
import { serializeList } from "./serializer.ts";
import { selectExistingAccountIds, selectListMemberIds, selectLists, selectListsContaining } from "./storage.ts";

/** Mastodon: 40 accounts by default, 80 at most; `limit=0` lists every member. */
const ACCOUNT_PAGE = { limit: 40, max: 80 };

export const listsRoutes = (ctx: AppContext) =>
  new Elysia({ name: "timelines-lists" })
    .get("/api/v1/lists", async ({ request }) => {
      const auth = await requireUser(ctx, request, "read:lists");
      return (await selectLists(ctx.sql, auth.user.accountId)).map(serializeList);
    })
    .post("/api/v1/lists", async ({ request, body }) => {
      const auth = await requireUser(ctx, request, "write:lists");
      return serializeList(await createList(ctx, auth.user.accountId, requestParams(request, body)));
    })
    .get("/api/v1/lists/:id", async ({ request, params }) => {
      const auth = await requireUser(ctx, request, "read:lists");
      return serializeList(await requireOwnList(ctx, auth.user.accountId, params.id));
    })
    .put("/api/v1/lists/:id", async ({ request, params, body }) => {
      const auth = await requireUser(ctx, request, "write:lists");
      const list = await requireOwnList(ctx, auth.user.accountId, params.id);
      return serializeList(await changeList(ctx, list, requestParams(request, body)));
    })
    .delete("/api/v1/lists/:id", async ({ request, params }) => {
      const auth = await requireUser(ctx, request, "write:lists");
      await removeList(ctx, await requireOwnList(ctx, auth.user.accountId, params.id));
      return {};
    })
    .get("/api/v1/lists/:id/accounts", async ({ request, params, set }) => {
      const auth = await requireUser(ctx, request, "read:lists");
      const list = await requireOwnList(ctx, auth.user.accountId, params.id);
      const query = requestParams(request, undefined);
      const all = str(query.limit) === "0";
      const page = readPage(all ? { ...query, limit: undefined } : query, ACCOUNT_PAGE);
      const ids = await selectListMemberIds(ctx.sql, list.id, page, all ? null : page.limit);
      const accounts = await loadAccounts(ctx.sql, ctx.config, ids);
      const items = ids.map((accountId) => accounts.get(accountId)).filter((a) => a !== undefined);
      if (!all) {
        const link = linkHeader(ctx.config, `/api/v1/lists/${list.id}/accounts`, query, ids, (x) => x);
        if (link) set.headers.link = link;
      }
      return items;
    })
    .post("/api/v1/lists/:id/accounts", async ({ request, params, body }) => {
      const auth = await requireUser(ctx, request, "write:lists");
      const list = await requireOwnList(ctx, auth.user.accountId, params.id);
      await addListMembers(ctx, list, requestParams(request, body));
      return {};
    })
    .delete("/api/v1/lists/:id/accounts", async ({ request, params, body }) => {
      const auth = await requireUser(ctx, request, "write:lists");
      const list = await requireOwnList(ctx, auth.user.accountId, params.id);
      await removeListMembers(ctx, list, requestParams(request, body));
      return {};
    })
    .get("/api/v1/accounts/:id/lists", async ({ request, params }) => {
      const auth = await requireUser(ctx, request, "read:lists");
      const accountId = id(params.id);
      if (!accountId || !(await selectExistingAccountIds(ctx.sql, [accountId])).has(accountId)) throw notFound();
      return (await selectListsContaining(ctx.sql, auth.user.accountId, accountId)).map(serializeList);
    });
