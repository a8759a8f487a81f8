/**
 * Reblog / Unreblog (Mastodon's ReblogService and the unreblog action). A
 * reblog is a status of its own (reblog_of_id) and emits `status.created`
 * like any post, so fanout and notifications need no special path. The
 * partial unique index (one live reblog per account and status) keeps
 * concurrent requests to a single reblog and an exact reblogs_count.
 */
import type { AppContext } from "../../../src/context.ts";
import { ApiError, notFound } from "../../../src/http/errors.ts";
import type { Params } from "../../../src/http/params.ts";
import { emitEvent } from "../../../src/events/index.ts";
import { nudgeEventWorker } from "../../../src/events/worker.ts";
import { serializePreferences } from "../../accounts/serializer.ts";
import { selectUserSettings } from "../../accounts/storage.ts";
import { canSeeStatus } from "../visibility.ts";
import {
  bumpStatusCounter,
  bumpStatusesCount,
  findLiveReblog,
  insertReblog,
  nextStatusId,
  type StatusRow,
} from "../storage.ts";
import { removeStatusInTx } from "./delete-status.ts";
import { readVisibility, type Poster } from "./post-status.ts";
import { visibleTarget } from "./target.ts";

/** Boosting is for what the public or followers could already see: not direct messages, not others' private posts. */
function assertReblogAllowed(status: StatusRow, accountId: string): void {
  if (status.visibility === "direct" || (status.visibility === "private" && status.account_id !== accountId)) {
    throw new ApiError(403, "This action is not allowed");
  }
}

/** Returns the id of the reblog (the existing one when already reblogged). */
export async function reblog(ctx: AppContext, poster: Poster, rawId: unknown, params: Params): Promise<string> {
  const original = await visibleTarget(ctx, poster.accountId, rawId);
  assertReblogAllowed(original, poster.accountId);
  const preferences = serializePreferences(await selectUserSettings(ctx.sql, poster.userId));
  // A self-boost of a followers-only post stays followers-only.
  const visibility =
    original.visibility === "private"
      ? "private"
      : readVisibility(params.visibility, preferences["posting:default:visibility"]);
  if (visibility === "direct") throw new ApiError(422, "Validation failed: Visibility is not included in the list");

  let created = false;
  const reblogId = await ctx.sql.begin(async (tx) => {
    const existing = await findLiveReblog(tx, poster.accountId, original.id);
    if (existing) return existing.id;
    const id = await nextStatusId(tx);
    const row = await insertReblog(tx, {
      id,
      accountId: poster.accountId,
      text: "",
      content: "",
      spoilerText: "",
      sensitive: false,
      language: null,
      visibility,
      inReplyToId: null,
      inReplyToAccountId: null,
      reblogOfId: original.id,
      conversationId: original.conversation_id ?? original.id,
      applicationId: poster.applicationId,
    });
    if (!row) {
      // A concurrent request won the unique index; answer with its reblog.
      const winner = await findLiveReblog(tx, poster.accountId, original.id);
      if (!winner) throw notFound();
      return winner.id;
    }
    await bumpStatusCounter(tx, original.id, "reblogs_count", 1);
    await bumpStatusesCount(tx, poster.accountId, 1);
    await emitEvent(tx, "status.created", poster.accountId, { statusId: row.id });
    created = true;
    return row.id;
  });
  if (created) nudgeEventWorker();
  return reblogId;
}

/** Removes the account's reblog of the status if any; returns the original's id for the answer. */
export async function unreblog(ctx: AppContext, accountId: string, rawId: unknown): Promise<string> {
  const original = await visibleTarget(ctx, accountId, rawId, { allowInvisible: true });
  const removed = await ctx.sql.begin(async (tx) => {
    const existing = await findLiveReblog(tx, accountId, original.id);
    return existing ? (await removeStatusInTx(tx, existing.id)) !== null : false;
  });
  if (removed) nudgeEventWorker();
  else if (!(await canSeeStatus(ctx.sql, accountId, original.id))) throw notFound();
  return original.id;
}
