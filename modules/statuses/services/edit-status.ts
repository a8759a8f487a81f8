/**
 * EditStatus (Mastodon's UpdateStatusService): the author replaces the
 * text, content warning, sensitivity, language, media and poll of a local
 * status. History lives in status_edits: the first edit also stores the
 * original (dated when it was posted), so /history always starts with what
 * readers first saw. Visibility and the reply target never change.
 *
 * Like Mastodon, fields absent from the request reset (no content warning,
 * no media, no poll) — clients send the whole post — except the text and
 * language, which stay as they were.
 */
import type { AppContext } from "../../../src/context.ts";
import { notFound } from "../../../src/http/errors.ts";
import type { Params } from "../../../src/http/params.ts";
import { emitEvent } from "../../../src/events/index.ts";
import { nudgeEventWorker } from "../../../src/events/worker.ts";
import {
  countEdits,
  deletePoll,
  insertEdit,
  insertMentions,
  insertPoll,
  lockOwnStatus,
  replaceStatusTags,
  resetPoll,
  selectPollByStatus,
  setPollHideTotals,
  setStatusMedia,
  statusMediaIds,
  updateStatusContent,
} from "../storage.ts";
import { attachableMedia, readComposedContent, renderText, resolveRemoteMentions } from "./compose.ts";

const sameOptions = (a: string[], b: string[]) => a.length === b.length && a.every((o, i) => o === b[i]);

export async function editStatus(ctx: AppContext, accountId: string, statusId: string, params: Params): Promise<void> {
  // Outside the transaction: it may ask other servers (WebFinger).
  if (typeof params.status === "string") await resolveRemoteMentions(ctx, params.status);
  await ctx.sql.begin(async (tx) => {
    const status = await lockOwnStatus(tx, statusId, accountId);
    if (!status || status.reblog_of_id || !status.local) throw notFound();
    const composed = readComposedContent(params, status.text);
    const media = await attachableMedia(tx, accountId, composed.mediaIds, status.id);
    const previousPoll = await selectPollByStatus(tx, status.id);
    const previousMedia = await statusMediaIds(tx, status.id);

    if ((await countEdits(tx, status.id)) === 0) {
      await insertEdit(tx, {
        statusId: status.id,
        text: status.text,
        content: status.content,
        spoilerText: status.spoiler_text,
        sensitive: status.sensitive,
        pollOptions: previousPoll?.options ?? null,
        mediaIds: previousMedia,
        createdAt: status.created_at,
      });
    }

    const rendered = await renderText(ctx, tx, composed.text);
    const sensitive = (composed.sensitive ?? false) || composed.spoilerText !== "";
    const editedAt = await updateStatusContent(tx, status.id, {
      text: composed.text,
      content: rendered.content,
      spoilerText: composed.spoilerText,
      sensitive,
      language: composed.language === undefined ? status.language : composed.language,
    });
    // Newly mentioned accounts gain access but aren't notified (silent), and
    // nobody loses access an earlier version gave them.
    await insertMentions(tx, status.id, rendered.mentions.map((m) => m.id).filter((m) => m !== accountId), true);
    await replaceStatusTags(tx, status.id, rendered.tags);
    await setStatusMedia(tx, status.id, media.map((m) => m.id));

    const poll = composed.poll;
    if (!poll) {
      if (previousPoll) await deletePoll(tx, status.id);
    } else if (!previousPoll) {
      await insertPoll(tx, {
        statusId: status.id,
        accountId,
        options: poll.options,
        multiple: poll.multiple,
        hideTotals: poll.hideTotals,
        expiresAt: new Date(Date.now() + poll.expiresIn * 1000),
      });
    } else if (!sameOptions(previousPoll.options, poll.options) || previousPoll.multiple !== poll.multiple) {
      // Votes cast for other options mean nothing now: the poll starts over.
      await resetPoll(tx, previousPoll.id, {
        options: poll.options,
        multiple: poll.multiple,
        hideTotals: poll.hideTotals,
        expiresAt: new Date(Date.now() + poll.expiresIn * 1000),
      });
    } else if (previousPoll.hide_totals !== poll.hideTotals) {
      await setPollHideTotals(tx, previousPoll.id, poll.hideTotals);
    }

    await insertEdit(tx, {
      statusId: status.id,
      text: composed.text,
      content: rendered.content,
      spoilerText: composed.spoilerText,
      sensitive,
      pollOptions: poll?.options ?? null,
      mediaIds: media.map((m) => m.id),
      createdAt: editedAt,
    });
    await emitEvent(tx, "status.updated", accountId, { statusId: status.id });
  });
  nudgeEventWorker();
}
