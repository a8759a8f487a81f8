/**
 * Filing a report through the API (Mastodon's ReportService): the target
 * must exist, cited statuses must be the target's and visible to the
 * reporter, rules must exist (we have none yet, so citing any fails). The
 * `report.created` event lets federation send the Flag when the reporter
 * asked to forward a report about a remote account, and notifications tell
 * moderators — neither consumer exists yet.
 */
import type { AppContext } from "../../src/context.ts";
import { emitEvent } from "../../src/events/index.ts";
import { notFound, unprocessable } from "../../src/http/errors.ts";
import { bool, id, list, str, type Params } from "../../src/http/params.ts";
import { graphemeLength } from "../../src/text/index.ts";
import { loadAccount } from "../accounts/serializer.ts";
import { visibleStatusIds } from "../statuses/visibility.ts";
import { serializeReport, type Report } from "./serializer.ts";
import { REPORT_CATEGORIES, createReport, selectTargetStatusIds, type ReportCategory } from "./storage.ts";

/** Mastodon's Report::COMMENT_SIZE_LIMIT for local reports. */
const COMMENT_LIMIT = 1000;
const MAX_STATUSES = 100;

export interface Reporter {
  accountId: string;
  applicationId: string | null;
}

export async function fileReport(ctx: AppContext, reporter: Reporter, params: Params): Promise<Report> {
  const targetId = id(params.account_id);
  const target = targetId ? await loadAccount(ctx.sql, ctx.config, targetId) : null;
  if (!target) throw notFound();

  const comment = str(params.comment) ?? "";
  if (graphemeLength(comment) > COMMENT_LIMIT) {
    throw unprocessable(`Comment is too long (maximum is ${COMMENT_LIMIT} characters)`);
  }
  const ruleIds = list(params.rule_ids).filter((r) => r.trim() !== "");
  // No instance rules exist yet (GET /api/v1/instance/rules is empty): nothing can be cited.
  if (ruleIds.length > 0) throw unprocessable("Rule ids does not reference valid rules");
  const requested = str(params.category)?.trim() || "other";
  if (!(REPORT_CATEGORIES as readonly string[]).includes(requested)) {
    throw unprocessable(`'${requested}' is not a valid category`);
  }
  const category = requested as ReportCategory;

  const wanted = [...new Set(list(params.status_ids).map((s) => id(s)))];
  if (wanted.includes(undefined)) throw notFound();
  const statusIds = wanted as string[];
  if (statusIds.length > MAX_STATUSES) throw unprocessable(`Status ids can't hold more than ${MAX_STATUSES} statuses`);
  if (statusIds.length > 0) {
    // As Mastodon's find: every cited status must be one the reporter can see on the target's profile.
    const [owned, visible] = await Promise.all([
      selectTargetStatusIds(ctx.sql, target.id, statusIds),
      visibleStatusIds(ctx.sql, reporter.accountId, statusIds),
    ]);
    const ownedSet = new Set(owned);
    if (!statusIds.every((s) => ownedSet.has(s) && visible.has(s))) throw notFound();
  }

  const remote = target.acct.includes("@");
  const forward = remote && bool(params.forward, false);
  const row = await ctx.sql.begin(async (tx) => {
    const report = await createReport(tx, {
      accountId: reporter.accountId,
      targetAccountId: target.id,
      statusIds,
      comment,
      category,
      forwarded: forward,
      applicationId: reporter.applicationId,
    });
    await emitEvent(tx, "report.created", reporter.accountId, { reportId: report!.id, targetAccountId: target.id, forward });
    return report!;
  });
  return serializeReport(row, target);
}
