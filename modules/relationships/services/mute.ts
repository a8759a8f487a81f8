/**
 * Mute (POST /api/v1/accounts/:id/mute), Mastodon's MuteService:
 * `notifications` (default true) also hides their notifications; `duration`
 * in seconds makes the mute expire (0: indefinite). Muting again replaces
 * both. An expired mute is ignored by every read, so nothing has to run at
 * expiry; mute.created fires only when the mute is (effectively) new.
 */
import type { AppContext } from "../../../src/context.ts";
import { emitEvent } from "../../../src/events/index.ts";
import { nudgeEventWorker } from "../../../src/events/worker.ts";
import { lockPair, selectMuteForUpdate, upsertMute } from "../storage.ts";

export async function mute(
  ctx: AppContext,
  accountId: string,
  targetId: string,
  options: { notifications: boolean; durationSeconds: number },
): Promise<void> {
  if (accountId === targetId) return;
  const created = await ctx.sql.begin(async (tx) => {
    await lockPair(tx, accountId, targetId);
    const existing = await selectMuteForUpdate(tx, accountId, targetId);
    await upsertMute(tx, accountId, targetId, options.notifications, options.durationSeconds);
    const isNew = !existing || !existing.active;
    if (isNew) await emitEvent(tx, "mute.created", accountId, { targetAccountId: targetId });
    return isNew;
  });
  if (created) nudgeEventWorker();
}
