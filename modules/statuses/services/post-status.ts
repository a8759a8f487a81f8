/**
 * PostStatus: what happens when a local user posts (Mastodon's
 * PostStatusService). Validation first, so bad input changes nothing; then
 * one transaction writes the status, its mentions, tags, poll and media,
 * the counters, and a `status.created` event (fanout, notifications and
 * federation react to it — nothing of theirs runs here).
 */
import type { AppContext } from "../../../src/context.ts";
import { ApiError, notFound, unprocessable } from "../../../src/http/errors.ts";
import { id, str, type Params } from "../../../src/http/params.ts";
import { emitEvent } from "../../../src/events/index.ts";
import { nudgeEventWorker } from "../../../src/events/worker.ts";
import { serializePreferences } from "../../accounts/serializer.ts";
import { selectUserSettings } from "../../accounts/storage.ts";
import { canSeeStatus, loadStatusRow } from "../visibility.ts";
import {
  bumpStatusCounter,
  bumpStatusesCount,
  claimIdempotencyKey,
  idempotentStatusId,
  insertMentions,
  insertPoll,
  insertStatus,
  nextStatusId,
  recordIdempotencyKey,
  replaceStatusTags,
  setStatusMedia,
  VISIBILITIES,
  type StatusRow,
  type Visibility,
} from "../storage.ts";
import { attachableMedia, readComposedContent, renderText, resolveRemoteMentions } from "./compose.ts";

export interface Poster {
  userId: string;
  accountId: string;
  applicationId: string | null;
}

const RANK: Record<Visibility, number> = { public: 0, unlisted: 1, private: 2, direct: 3 };

/** Replies to followers-only or direct posts can't widen their audience. */
function cappedVisibility(requested: Visibility, parent: StatusRow | null): Visibility {
  if (!parent || (parent.visibility !== "private" && parent.visibility !== "direct")) return requested;
  return RANK[requested] >= RANK[parent.visibility] ? requested : parent.visibility;
}

export function readVisibility(value: unknown, fallback: Visibility): Visibility {
  const text = str(value);
  if (text === undefined || text === "") return fallback;
  if (!VISIBILITIES.includes(text as Visibility)) throw unprocessable("Visibility is not included in the list");
  return text as Visibility;
}

/** The parent of a reply: it must exist and be visible to the poster (Mastodon answers 404 otherwise). */
async function replyParent(ctx: AppContext, poster: Poster, raw: unknown): Promise<StatusRow | null> {
  if (raw === undefined || raw === null || raw === "") return null;
  const parentId = id(raw);
  const missing = () => new ApiError(404, "The post you are trying to reply to does not appear to exist.");
  if (!parentId) throw missing();
  let parent = await loadStatusRow(ctx.sql, parentId);
  // A reply to a boost is a reply to what was boosted.
  if (parent?.reblog_of_id) parent = await loadStatusRow(ctx.sql, parent.reblog_of_id);
  if (!parent || !(await canSeeStatus(ctx.sql, poster.accountId, parent.id))) throw missing();
  return parent;
}

/** Posts a status; returns its id (an earlier status's id when the Idempotency-Key was seen within the hour). */
export async function postStatus(
  ctx: AppContext,
  poster: Poster,
  params: Params,
  idempotencyKey: string | null,
): Promise<string> {
  if (params.scheduled_at !== undefined && params.scheduled_at !== null && params.scheduled_at !== "") {
    throw new ApiError(422, "Scheduled posts are not supported yet");
  }
  const composed = readComposedContent(params);
  const preferences = serializePreferences(await selectUserSettings(ctx.sql, poster.userId));
  const parent = await replyParent(ctx, poster, params.in_reply_to_id);
  const visibility = cappedVisibility(
    readVisibility(params.visibility, preferences["posting:default:visibility"]),
    parent,
  );
  const sensitive = (composed.sensitive ?? preferences["posting:default:sensitive"]) || composed.spoilerText !== "";
  const language = composed.language ?? preferences["posting:default:language"];
  const key = idempotencyKey?.trim() ? idempotencyKey.trim().slice(0, 255) : null;

  await resolveRemoteMentions(ctx, composed.text);

  let posted: string | null = null;
  const statusId = await ctx.sql.begin(async (tx) => {
    if (key && !(await claimIdempotencyKey(tx, poster.accountId, key))) {
      const earlier = await idempotentStatusId(tx, poster.accountId, key);
      if (!earlier) throw notFound();
      return earlier;
    }
    const media = await attachableMedia(tx, poster.accountId, composed.mediaIds, null);
    const rendered = await renderText(ctx, tx, composed.text);
    const newId = await nextStatusId(tx);
    await insertStatus(tx, {
      id: newId,
      accountId: poster.accountId,
      text: composed.text,
      content: rendered.content,
      spoilerText: composed.spoilerText,
      sensitive,
      language,
      visibility,
      inReplyToId: parent?.id ?? null,
      inReplyToAccountId: parent?.account_id ?? null,
      reblogOfId: null,
      // The thread's root id names the conversation (mutes, direct-message threads).
      conversationId: parent ? (parent.conversation_id ?? parent.id) : newId,
      applicationId: poster.applicationId,
    });
    await insertMentions(tx, newId, rendered.mentions.map((m) => m.id).filter((m) => m !== poster.accountId), false);
    await replaceStatusTags(tx, newId, rendered.tags);
    if (composed.poll) {
      await insertPoll(tx, {
        statusId: newId,
        accountId: poster.accountId,
        options: composed.poll.options,
        multiple: composed.poll.multiple,
        hideTotals: composed.poll.hideTotals,
        expiresAt: new Date(Date.now() + composed.poll.expiresIn * 1000),
      });
    }
    if (media.length > 0) await setStatusMedia(tx, newId, media.map((m) => m.id));
    // Mastodon's counter caches: direct messages don't count, and only
    // public/unlisted replies count as replies.
    if (visibility !== "direct") await bumpStatusesCount(tx, poster.accountId, 1);
    if (parent && (visibility === "public" || visibility === "unlisted")) {
      await bumpStatusCounter(tx, parent.id, "replies_count", 1);
    }
    await emitEvent(tx, "status.created", poster.accountId, { statusId: newId });
    if (key) await recordIdempotencyKey(tx, poster.accountId, key, newId);
    posted = newId;
    return newId;
  });
  if (posted) nudgeEventWorker();
  return statusId;
}
