/**
 * Pin / Unpin on the author's profile, with Mastodon's StatusPinValidator
 * rules: own statuses only, no boosts, no direct messages (followers-only
 * posts may be pinned: only followers see them there), at most
 * `maxPinnedStatuses`. A per-account advisory lock makes the limit hold
 * under concurrent requests.
 */
import type { AppContext } from "../../../src/context.ts";
import { unprocessable } from "../../../src/http/errors.ts";
import { INSTANCE_LIMITS } from "../../instance/limits.ts";
import { countPins, deletePins, insertPin, isPinned } from "../storage.ts";
import { visibleTarget } from "./target.ts";

const MAX_PINS = INSTANCE_LIMITS.accounts.maxPinnedStatuses;

export async function pin(ctx: AppContext, accountId: string, rawId: unknown): Promise<string> {
  const status = await visibleTarget(ctx, accountId, rawId, { unwrap: false });
  if (status.reblog_of_id) throw unprocessable("A boost cannot be pinned");
  if (status.account_id !== accountId) throw unprocessable("Someone else's post cannot be pinned");
  if (status.visibility === "direct") throw unprocessable("Posts that are only visible to mentioned users cannot be pinned");
  await ctx.sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(hashtext('status_pins'), hashtext(${accountId}))`;
    if (await isPinned(tx, accountId, status.id)) return;
    if ((await countPins(tx, accountId)) >= MAX_PINS) {
      throw unprocessable("You have already pinned the maximum number of posts");
    }
    await insertPin(tx, accountId, status.id);
  });
  return status.id;
}

export async function unpin(ctx: AppContext, accountId: string, rawId: unknown): Promise<string> {
  const status = await visibleTarget(ctx, accountId, rawId, { unwrap: false });
  await deletePins(ctx.sql, status.id, accountId);
  return status.id;
}
