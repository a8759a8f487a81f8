/**
 * How domain events become notifications and conversations: one reaction
 * per event type, registered by index.ts. Handlers read the current rows
 * (an event says what happened, the database says what still stands) and
 * are idempotent — every notification has a dedupe key unique per
 * recipient, so an event that runs twice notifies once.
 */
import type { AppContext } from "../../src/context.ts";
import { onEvent, type DomainEvent } from "../../src/events/index.ts";
import type { EventPayloads } from "../../src/events/types.ts";
import { addStatusToConversations, removeStatusFromConversations } from "./conversations.ts";
import { publishNotification } from "../streaming/publisher.ts";
import { createNotification, type CreateNotificationInput } from "./service.ts";
import {
  deleteAboutStatus,
  deleteFrom,
  followExists,
  followRequestExists,
  isLocked,
  selectFavourite,
  selectLocalMentionedIds,
  selectLocalRebloggerIds,
  selectLocalVoterIds,
  selectNotifyFollowers,
  selectPoll,
  selectStatusFacts,
  type StatusFacts,
} from "./storage.ts";

/** Followers with `notify` are read this many at a time, so a large audience never loads at once. */
const NOTIFY_BATCH = 500;

type Event<T extends keyof EventPayloads> = DomainEvent<EventPayloads[T]>;

/** Creates the notification and, when it was created, tells the recipient's streaming connections. */
async function notify(ctx: AppContext, input: CreateNotificationInput): Promise<void> {
  const id = await createNotification(ctx.sql, input);
  if (id !== null) await publishNotification(ctx, input.accountId, id);
}

async function notifyMentioned(ctx: AppContext, status: StatusFacts): Promise<void> {
  for (const accountId of await selectLocalMentionedIds(ctx.sql, status.id)) {
    await notify(ctx, {
      accountId,
      fromAccountId: status.account_id,
      type: "mention",
      statusId: status.id,
      dedupeKey: `mention:${status.id}`,
    });
  }
}

/**
 * `status` notifications for followers who asked for them (follow with
 * notify=true): original posts and self-replies only, as Mastodon's
 * FeedInsertWorker decides — never reblogs, replies to others or DMs.
 */
async function notifySubscribers(ctx: AppContext, status: StatusFacts): Promise<void> {
  if (status.visibility === "direct") return;
  if (status.in_reply_to_account_id && status.in_reply_to_account_id !== status.account_id) return;
  let after: string | null = null;
  for (;;) {
    const page = await selectNotifyFollowers(ctx.sql, status.account_id, after, NOTIFY_BATCH);
    for (const follower of page) {
      await notify(ctx, {
        accountId: follower.account_id,
        fromAccountId: status.account_id,
        type: "status",
        statusId: status.id,
        dedupeKey: `status:${status.id}`,
      });
    }
    if (page.length < NOTIFY_BATCH) return;
    after = page[page.length - 1]!.follow_id;
  }
}

async function onStatusCreated(ctx: AppContext, event: Event<"status.created">): Promise<void> {
  const status = await selectStatusFacts(ctx.sql, event.payload.statusId);
  if (!status || status.deleted_at) return;
  if (status.reblog_of_id) {
    // The notification points at the boosted status; the reblog's own id keys it, so unreblogging can remove it.
    const original = await selectStatusFacts(ctx.sql, status.reblog_of_id);
    if (!original || original.deleted_at) return;
    await notify(ctx, {
      accountId: original.account_id,
      fromAccountId: status.account_id,
      type: "reblog",
      statusId: original.id,
      dedupeKey: `reblog:${status.id}`,
    });
    return;
  }
  await notifyMentioned(ctx, status);
  await notifySubscribers(ctx, status);
  await addStatusToConversations(ctx.sql, status);
}

/** An edit notifies whoever boosted the status, once per edit, and anyone newly mentioned. */
async function onStatusUpdated(ctx: AppContext, event: Event<"status.updated">): Promise<void> {
  const status = await selectStatusFacts(ctx.sql, event.payload.statusId);
  if (!status || status.deleted_at || status.reblog_of_id) return;
  await notifyMentioned(ctx, status);
  const edition = status.edited_at ? new Date(status.edited_at).getTime() : 0;
  for (const accountId of await selectLocalRebloggerIds(ctx.sql, status.id)) {
    await notify(ctx, {
      accountId,
      fromAccountId: status.account_id,
      type: "update",
      statusId: status.id,
      dedupeKey: `update:${status.id}:${edition}`,
    });
  }
}

/** A deleted status takes its notifications along (Mastodon destroys them with it). */
async function onStatusDeleted(ctx: AppContext, event: Event<"status.deleted">): Promise<void> {
  await deleteAboutStatus(ctx.sql, event.payload.statusId);
  await removeStatusFromConversations(ctx.sql, event.payload.statusId);
}

async function onFavouriteCreated(ctx: AppContext, event: Event<"favourite.created">): Promise<void> {
  // Gone already (unfavourited before we ran): nothing to say.
  const favourite = await selectFavourite(ctx.sql, event.payload.favouriteId);
  if (!favourite) return;
  const status = await selectStatusFacts(ctx.sql, favourite.status_id);
  if (!status || status.deleted_at) return;
  await notify(ctx, {
    accountId: status.account_id,
    fromAccountId: favourite.account_id,
    type: "favourite",
    statusId: status.id,
    dedupeKey: `favourite:${event.payload.favouriteId}`,
  });
}

/** Unfavouriting removes the notification; favouriting again makes a new one. */
async function onFavouriteRemoved(ctx: AppContext, event: Event<"favourite.removed">): Promise<void> {
  const status = await selectStatusFacts(ctx.sql, event.payload.statusId);
  if (!status) return;
  await deleteFrom(ctx.sql, {
    accountId: status.account_id,
    fromAccountId: event.accountId,
    types: ["favourite"],
    statusId: status.id,
  });
}

async function onFollowCreated(ctx: AppContext, event: Event<"follow.created">): Promise<void> {
  const { targetAccountId, followId } = event.payload;
  // An authorized request: the request's notification goes, and the account
  // isn't told about the follow it just approved (nor, when locked, about
  // one whose request notification it had already dismissed).
  const requestNotifications = await deleteFrom(ctx.sql, {
    accountId: targetAccountId,
    fromAccountId: event.accountId,
    types: ["follow_request"],
  });
  if (requestNotifications > 0 || (await isLocked(ctx.sql, targetAccountId))) return;
  if (!(await followExists(ctx.sql, followId))) return;
  await notify(ctx, {
    accountId: targetAccountId,
    fromAccountId: event.accountId,
    type: "follow",
    dedupeKey: `follow:${followId}`,
  });
}

async function onFollowRequested(ctx: AppContext, event: Event<"follow.requested">): Promise<void> {
  const { targetAccountId, followRequestId } = event.payload;
  if (!(await followRequestExists(ctx.sql, followRequestId))) return;
  await notify(ctx, {
    accountId: targetAccountId,
    fromAccountId: event.accountId,
    type: "follow_request",
    dedupeKey: `follow_request:${followRequestId}`,
  });
}

/** Unfollowing (or a withdrawn request) takes the follow notification away, as in Mastodon. */
async function onFollowRemoved(ctx: AppContext, event: Event<"follow.removed">): Promise<void> {
  await deleteFrom(ctx.sql, {
    accountId: event.payload.targetAccountId,
    fromAccountId: event.accountId,
    types: ["follow", "follow_request"],
  });
}

async function onFollowRequestRejected(ctx: AppContext, event: Event<"follow_request.rejected">): Promise<void> {
  await deleteFrom(ctx.sql, {
    accountId: event.accountId,
    fromAccountId: event.payload.requesterAccountId,
    types: ["follow_request"],
  });
}

/** Blocking someone clears what they notified you of (Mastodon's AfterBlockService). */
async function onBlockCreated(ctx: AppContext, event: Event<"block.created">): Promise<void> {
  await deleteFrom(ctx.sql, { accountId: event.accountId, fromAccountId: event.payload.targetAccountId });
}

/** A closed poll tells its author and every local voter. */
async function onPollEnded(ctx: AppContext, event: Event<"poll.ended">): Promise<void> {
  const poll = await selectPoll(ctx.sql, event.payload.pollId);
  if (!poll) return;
  const recipients = new Set([poll.account_id, ...(await selectLocalVoterIds(ctx.sql, event.payload.pollId))]);
  for (const accountId of recipients) {
    await notify(ctx, {
      accountId,
      fromAccountId: poll.account_id,
      type: "poll",
      statusId: poll.status_id,
      dedupeKey: `poll:${event.payload.pollId}`,
    });
  }
}

let registered = false;

/** Registers the reactions once per process, however many apps are built. */
export function registerNotificationHandlers(): void {
  if (registered) return;
  registered = true;
  onEvent("status.created", onStatusCreated);
  onEvent("status.updated", onStatusUpdated);
  onEvent("status.deleted", onStatusDeleted);
  onEvent("favourite.created", onFavouriteCreated);
  onEvent("favourite.removed", onFavouriteRemoved);
  onEvent("follow.created", onFollowCreated);
  onEvent("follow.requested", onFollowRequested);
  onEvent("follow.removed", onFollowRemoved);
  onEvent("follow_request.rejected", onFollowRequestRejected);
  onEvent("block.created", onBlockCreated);
  onEvent("poll.ended", onPollEnded);
}
