/**
 * Reports (POST /api/v1/reports). `createReport` is what the federation
 * inbox files Flags through.
 */
import { Elysia } from "elysia";
import type { AppContext } from "../../src/context.ts";
import { requireUser } from "../../src/http/auth.ts";
import { requestParams } from "../../src/http/request.ts";
import { fileReport } from "./service.ts";

export { createReport, type NewReport, type ReportRow } from "./storage.ts";

export const reportsModule = (ctx: AppContext) =>
  new Elysia({ name: "reports" }).post("/api/v1/reports", async ({ request, body }) => {
    const auth = await requireUser(ctx, request, "write:reports");
    return fileReport(ctx, { accountId: auth.user.accountId, applicationId: auth.applicationId }, requestParams(request, body));
  });
