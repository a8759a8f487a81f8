/**
 * The inboxes: /users/{identifier}/inbox and the shared /inbox.
 *
 * Fedify verifies each POST before anything is queued — HTTP Signatures
 * (draft-cavage and RFC 9421), Linked Data signatures and Object Integrity
 * proofs — and refuses (401) what is unsigned, tampered with, or signed by
 * a key its actor does not own. What passes is queued, then handled here,
 * in the queue worker: one listener for every activity type, which
 *
 * 1. stores the sending actor (resolveRemoteAccount: the stored copy while
 *    fresh), ignoring our own actors and suspended accounts;
 * 2. classifies the activity (translate/activity.ts: origin and authorship
 *    rules, with the actor's followers collection for visibility);
 * 3. hands the command to its handler in federation/inbox/, which calls the
 *    same use cases the API calls.
 *
 * | command                       | handler                | use case                                        |
 * | ----------------------------- | ---------------------- | ----------------------------------------------- |
 * | follow                        | inbox/follow.ts        | relationships follow (request when locked)      |
 * | accept-follow / reject-follow | inbox/accept.ts, reject.ts | acceptOutgoingFollow / rejectOutgoingFollow |
 * | undo-*                        | inbox/undo.ts          | unfollow, unfavourite, unblock, remote unreblog |
 * | create-status, poll-vote      | inbox/create.ts        | storeRemoteStatus, votePoll                     |
 * | update-status, update-actor   | inbox/update.ts        | updateRemoteStatus, storeActor                  |
 * | delete-status, delete-actor   | inbox/delete.ts        | deleteRemoteStatus; suspend + end follows       |
 * | favourite                     | inbox/like.ts          | favourite                                       |
 * | reblog                        | inbox/announce.ts      | storeRemoteReblog                               |
 * | block                         | inbox/block.ts         | relationships block                             |
 * | move                          | inbox/move.ts          | follow the target, unfollow the origin          |
 * | report                        | inbox/flag.ts          | a reports row                                   |
 *
 * Everything is idempotent: Fedify drops an activity id seen before, and
 * each use case changes nothing the second time. A refusal by a use case
 * (ApiError: not visible, not allowed) is final and logged; anything else
 * is thrown so Fedify's queue retries it with backoff.
 */
import { Activity } from "@fedify/fedify/vocab";
import type { Federation } from "@fedify/fedify";
import type { AppContext } from "../src/context.ts";
import { ApiError } from "../src/http/errors.ts";
import { logger } from "../src/log.ts";
import { INSTANCE_ACTOR } from "./actors.ts";
import { onAcceptFollow } from "./inbox/accept.ts";
import { onAnnounce } from "./inbox/announce.ts";
import { onBlock } from "./inbox/block.ts";
import type { InboxWork } from "./inbox/context.ts";
import { onCreate, onPollVote } from "./inbox/create.ts";
import { onDeleteActor, onDeleteStatus } from "./inbox/delete.ts";
import { onFlag } from "./inbox/flag.ts";
import { onFollow } from "./inbox/follow.ts";
import { onLike } from "./inbox/like.ts";
import { onMove } from "./inbox/move.ts";
import { onRejectFollow } from "./inbox/reject.ts";
import { onUndo } from "./inbox/undo.ts";
import { onUpdateActor, onUpdateStatus } from "./inbox/update.ts";
import { hostOf, isSuspendedDomain } from "./domain-blocks.ts";
import { RemoteAccountError, resolveRemoteAccount } from "./remote-accounts.ts";
import { followersUrlOf, isLocalUri } from "./remote-statuses.ts";
import { httpUrl } from "./translate/common.ts";
import { classifyActivity, type ActivityCommand } from "./translate/index.ts";

const log = logger("federation", "inbox");

async function dispatch(work: InboxWork, command: ActivityCommand): Promise<void> {
  switch (command.kind) {
    case "follow":
      return onFollow(work, command);
    case "accept-follow":
      return onAcceptFollow(work, command);
    case "reject-follow":
      return onRejectFollow(work, command);
    case "undo-follow":
    case "undo-favourite":
    case "undo-reblog":
    case "undo-block":
    case "undo-reference":
      return onUndo(work, command);
    case "create-status":
      return onCreate(work, command);
    case "poll-vote":
      return onPollVote(work, command);
    case "update-status":
      return onUpdateStatus(work, command);
    case "update-actor":
      return onUpdateActor(work, command);
    case "delete-status":
      return onDeleteStatus(work, command);
    case "delete-actor":
      return onDeleteActor(work, command);
    case "favourite":
      return onLike(work, command);
    case "reblog":
      return onAnnounce(work, command);
    case "block":
      return onBlock(work, command);
    case "move":
      return onMove(work, command);
    case "report":
      return onFlag(work, command);
    case "unsupported":
      log.debug("Ignoring {type} {id}: {reason}", { type: command.activityType, id: command.id, reason: command.reason });
      return;
  }
}

/** Handles one verified activity (exported for tests and for activities found in fetched outboxes). */
export async function handleActivity(ctx: AppContext, activity: Activity, recipient: string | null = null): Promise<void> {
  const actorUri = httpUrl(activity.actorId);
  if (!actorUri || isLocalUri(ctx, actorUri)) return;
  // Queued before the domain was suspended, or found in a fetched outbox.
  if (await isSuspendedDomain(ctx.sql, hostOf(actorUri))) return;
  let actor;
  try {
    actor = await resolveRemoteAccount(ctx, actorUri);
  } catch (error) {
    if (error instanceof RemoteAccountError) {
      log.info("Dropping {id}: its actor {actor} cannot be resolved ({reason})", { id: activity.id?.href, actor: actorUri, reason: error.message });
      return;
    }
    throw error;
  }
  if (actor.domain === null || actor.suspended_at) return;
  const command = await classifyActivity(activity, { followersUrl: await followersUrlOf(ctx, actorUri) });
  try {
    await dispatch({ ctx, actor, activity, recipient }, command);
  } catch (error) {
    if (error instanceof ApiError) {
      log.info("{kind} {id} from {actor} refused: {error}", { kind: command.kind, id: command.id, actor: actorUri, error: error.message });
      return;
    }
    throw error;
  }
}

export function registerInbox(federation: Federation<AppContext>): void {
  federation
    .setInboxListeners("/users/{identifier}/inbox", "/inbox")
    // Key lookups for the shared inbox are signed as the instance actor, so
    // senders on servers requiring authorized fetch can still be verified.
    .setSharedKeyDispatcher(() => ({ identifier: INSTANCE_ACTOR }))
    .on(Activity, (inboxContext, activity) => handleActivity(inboxContext.data, activity, inboxContext.recipient))
    .onError((_ctx, error) => {
      log.error("Processing an inbox activity failed: {error}", { error });
    });
}
