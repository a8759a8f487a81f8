/**
 * Outgoing federation: domain events of local accounts become activities,
 * handed to Fedify's sendActivity, which signs them with the actor's keys
 * (HTTP Signatures — RFC 9421 first, draft-cavage on a second knock —
 * plus a Linked Data signature with the RSA key and an FEP-8b32 proof with
 * the Ed25519 one) and queues one delivery per inbox on our Postgres queue,
 * with Fedify's retries and backoff.
 *
 * | event                                  | activity            | to                                   |
 * | -------------------------------------- | ------------------- | ------------------------------------ |
 * | status.created                         | Create(Note)        | audience (below)                     |
 * | status.created, a reblog               | Announce            | followers + the original's author    |
 * | status.updated                         | Update(Note)        | audience                             |
 * | status.deleted                         | Delete(Tombstone)   | audience + remote boosters           |
 * | status.deleted, a reblog               | Undo(Announce)      | followers + the original's author    |
 * | favourite.created (remote status)      | Like                | the status's author                  |
 * | favourite.removed (remote status)      | Undo(Like)          | the status's author                  |
 * | follow.requested (remote target)       | Follow              | the target                           |
 * | follow.created (remote follower)       | Accept(Follow)      | the follower                         |
 * | follow.removed, by the local follower  | Undo(Follow)        | the target                           |
 * | follow.removed, by the local target    | Reject(Follow)      | the follower                         |
 * | follow_request.rejected                | Reject(Follow)      | the requester                        |
 * | block.created / block.removed          | Block / Undo(Block) | the target                           |
 * | account.updated                        | Update(Person)      | followers                            |
 * | poll.voted (remote poll)               | Create(Note) each   | the poll's author                    |
 *
 * A status's audience: its remote followers unless direct, the remote
 * accounts it mentions, and for public and unlisted replies the parent's
 * remote author. Status activities go to shared inboxes where peers have
 * them (each actor's inbox otherwise, as GoToSocial needs); one-to-one
 * activities go to the actor's own inbox, as Mastodon sends them.
 *
 * Only local actors speak: events of remote accounts (written by inbox
 * processing) are never sent back out. Handlers run at least once; a replay
 * sends an activity with the same id, which receivers deduplicate.
 */
import { federationFor, federationContext } from "./index.ts";
import {
  Accept,
  Block,
  Create,
  Delete,
  Follow,
  Like,
  Note,
  PUBLIC_COLLECTION,
  Reject,
  Undo,
  Update,
  type Activity,
} from "@fedify/fedify/vocab";
import type { AppContext } from "../src/context.ts";
import { onEvent, type DomainEvent } from "../src/events/index.ts";
import type { EventPayloads, EventType } from "../src/events/types.ts";
import { logger } from "../src/log.ts";
import { recipientOf, remoteFollowers } from "./collections.ts";
import { hostOf, isSuspendedDomain } from "./domain-blocks.ts";
import {
  addressing,
  announceActivity,
  createActivity,
  loadActorRefs,
  loadStatusData,
  statusObject,
  tombstone,
  type ActorRef,
  type StatusData,
} from "./objects.ts";

const log = logger("federation", "outbox");

type Event<T extends EventType> = DomainEvent<EventPayloads[T]>;

// ---------------------------------------------------------------------------
// Delivery

interface DeliveryOptions {
  /** Status activities: shared inboxes where peers have them. */
  shared: boolean;
  /** Keeps Create/Update/Delete of one object in order, per receiving server. */
  orderingKey?: string;
}

/** Remote, deliverable, each once. */
function deliverable(recipients: (ActorRef | undefined)[], shared: boolean): ActorRef[] {
  const seen = new Set<string>();
  return recipients.filter((r): r is ActorRef => {
    if (!r || r.domain === null || r.suspended || seen.has(r.id)) return false;
    if (!r.inbox && !(shared && r.sharedInbox)) return false;
    seen.add(r.id);
    return true;
  });
}

async function deliver(
  ctx: AppContext,
  sender: ActorRef,
  recipients: (ActorRef | undefined)[],
  activity: Activity,
  options: DeliveryOptions,
): Promise<void> {
  const targets: ActorRef[] = [];
  // Suspended domains (instance domain blocks) get nothing, whatever inbox they name.
  for (const target of deliverable(recipients, options.shared)) {
    const suspended =
      (await isSuspendedDomain(ctx.sql, target.domain)) ||
      (await isSuspendedDomain(ctx.sql, hostOf(target.inbox))) ||
      (options.shared && (await isSuspendedDomain(ctx.sql, hostOf(target.sharedInbox))));
    if (!suspended) targets.push(target);
  }
  if (targets.length === 0) return;
  log.debug("Sending {type} {id} to {count} actors", {
    type: activity.constructor.name,
    id: activity.id?.href,
    count: targets.length,
  });
  await federationContext(ctx).sendActivity({ identifier: sender.username }, targets.map(recipientOf), activity, {
    preferSharedInbox: options.shared,
    orderingKey: options.orderingKey,
    // Never post to ourselves, whatever a stored account claims.
    excludeBaseUris: [new URL(ctx.config.publicUrl.origin)],
  });
}

/** The acting account, when it is local and may speak. */
async function localActor(ctx: AppContext, accountId: string): Promise<ActorRef | null> {
  const actor = (await loadActorRefs(ctx, ctx.sql, [accountId])).get(accountId);
  return actor && actor.domain === null && !actor.suspended ? actor : null;
}

async function remoteAccount(ctx: AppContext, accountId: string | null): Promise<ActorRef | null> {
  if (!accountId) return null;
  const account = (await loadActorRefs(ctx, ctx.sql, [accountId])).get(accountId);
  return account && account.domain !== null ? account : null;
}

/** A local account's own status (reblogs included), deleted or not. */
async function localStatus(ctx: AppContext, statusId: string): Promise<StatusData | null> {
  const data = (await loadStatusData(ctx, ctx.sql, [statusId])).get(statusId);
  if (!data || !data.row.local || data.author.domain !== null || data.author.suspended) return null;
  return data;
}

/** Who receives a status's Create, Update and Delete (see the header). */
async function statusAudience(ctx: AppContext, data: StatusData): Promise<ActorRef[]> {
  const audience = [...data.mentions];
  if (data.row.visibility !== "direct") audience.push(...(await remoteFollowers(ctx, ctx.sql, data.author.id)));
  if (data.row.visibility === "public" || data.row.visibility === "unlisted") {
    const parentAuthor = await remoteAccount(ctx, data.row.in_reply_to_account_id);
    if (parentAuthor) audience.push(parentAuthor);
  }
  return audience;
}

async function reblogAudience(ctx: AppContext, data: StatusData): Promise<ActorRef[]> {
  const audience = await remoteFollowers(ctx, ctx.sql, data.author.id);
  if (data.reblogOf) audience.push(data.reblogOf.author);
  return audience;
}

/** Remote accounts that boosted the status: their servers hold copies a Delete must reach. */
async function remoteBoosters(ctx: AppContext, statusId: string): Promise<ActorRef[]> {
  const rows = await ctx.sql`
    SELECT DISTINCT account_id FROM statuses WHERE reblog_of_id = ${statusId} AND NOT local`;
  return [...(await loadActorRefs(ctx, ctx.sql, rows.map((r) => r.account_id as string))).values()];
}

const uri = (value: string) => new URL(value);

// ---------------------------------------------------------------------------
// Statuses

async function onStatusCreated(ctx: AppContext, event: Event<"status.created">): Promise<void> {
  const data = await localStatus(ctx, event.payload.statusId);
  // Deleted before it went out: its Delete follows and says enough.
  if (!data || data.row.deleted_at) return;
  if (data.row.reblog_of_id) {
    const announce = announceActivity(data);
    if (!announce) return;
    await deliver(ctx, data.author, await reblogAudience(ctx, data), announce, { shared: true, orderingKey: data.uri });
    return;
  }
  await deliver(ctx, data.author, await statusAudience(ctx, data), createActivity(ctx, data), {
    shared: true,
    orderingKey: data.uri,
  });
}

async function onStatusUpdated(ctx: AppContext, event: Event<"status.updated">): Promise<void> {
  const data = await localStatus(ctx, event.payload.statusId);
  if (!data || data.row.deleted_at || data.row.reblog_of_id) return;
  const object = statusObject(ctx, data);
  const version = new Date(data.row.edited_at ?? data.row.created_at).getTime();
  const update = new Update({
    id: uri(`${data.uri}#updates/${version}`),
    actor: uri(data.author.uri),
    object,
    published: object.updated ?? object.published,
    tos: object.toIds,
    ccs: object.ccIds,
  });
  await deliver(ctx, data.author, await statusAudience(ctx, data), update, { shared: true, orderingKey: data.uri });
}

async function onStatusDeleted(ctx: AppContext, event: Event<"status.deleted">): Promise<void> {
  const data = await localStatus(ctx, event.payload.statusId);
  if (!data) return;
  if (data.row.reblog_of_id) {
    const announce = announceActivity(data);
    if (!announce) return;
    const undo = new Undo({
      id: uri(`${data.author.uri}#announces/${data.row.id}/undo`),
      actor: uri(data.author.uri),
      object: announce,
      tos: announce.toIds,
      ccs: announce.ccIds,
    });
    await deliver(ctx, data.author, await reblogAudience(ctx, data), undo, { shared: true, orderingKey: data.uri });
    return;
  }
  const audience = addressing(data);
  const del = new Delete({
    id: uri(`${data.uri}#delete`),
    actor: uri(data.author.uri),
    object: tombstone(data),
    tos: audience.to,
    ccs: audience.cc,
  });
  const recipients = [...(await statusAudience(ctx, data)), ...(await remoteBoosters(ctx, data.row.id))];
  await deliver(ctx, data.author, recipients, del, { shared: true, orderingKey: data.uri });
}

// ---------------------------------------------------------------------------
// Favourites and poll votes: to the remote author of the status

async function remoteStatusTarget(ctx: AppContext, statusId: string): Promise<StatusData | null> {
  const data = (await loadStatusData(ctx, ctx.sql, [statusId])).get(statusId);
  if (!data || data.row.local || data.author.domain === null || !data.row.uri) return null;
  return data;
}

function likeOf(actor: ActorRef, status: StatusData, favouriteId: string | undefined, eventId: string): Like {
  return new Like({
    id: uri(`${actor.uri}#likes/${favouriteId ?? `event-${eventId}`}`),
    actor: uri(actor.uri),
    object: uri(status.uri),
    to: uri(status.author.uri),
  });
}

async function onFavouriteCreated(ctx: AppContext, event: Event<"favourite.created">): Promise<void> {
  const actor = await localActor(ctx, event.accountId);
  const status = actor && (await remoteStatusTarget(ctx, event.payload.statusId));
  if (!actor || !status) return;
  const like = likeOf(actor, status, event.payload.favouriteId, event.id);
  await deliver(ctx, actor, [status.author], like, { shared: false });
}

async function onFavouriteRemoved(ctx: AppContext, event: Event<"favourite.removed">): Promise<void> {
  const actor = await localActor(ctx, event.accountId);
  const status = actor && (await remoteStatusTarget(ctx, event.payload.statusId));
  if (!actor || !status) return;
  const like = likeOf(actor, status, event.payload.favouriteId, event.id);
  const undo = new Undo({
    id: uri(`${like.id!.href}/undo`),
    actor: uri(actor.uri),
    object: like,
    to: uri(status.author.uri),
  });
  await deliver(ctx, actor, [status.author], undo, { shared: false });
}

/** A vote in a remote poll is a Note per choice, named after the option, replying to the poll (Mastodon's shape). */
async function onPollVoted(ctx: AppContext, event: Event<"poll.voted">): Promise<void> {
  const actor = await localActor(ctx, event.accountId);
  const status = actor && (await remoteStatusTarget(ctx, event.payload.statusId));
  if (!actor || !status?.poll) return;
  const rows = await ctx.sql`
    SELECT choice FROM poll_votes WHERE poll_id = ${event.payload.pollId} AND account_id = ${actor.id} ORDER BY choice`;
  for (const { choice } of rows) {
    const name = status.poll.options[choice as number];
    if (name === undefined) continue;
    const noteId = `${actor.uri}#votes/${event.payload.pollId}/${choice}`;
    const create = new Create({
      id: uri(`${noteId}/activity`),
      actor: uri(actor.uri),
      object: new Note({
        id: uri(noteId),
        attribution: uri(actor.uri),
        name,
        replyTarget: uri(status.uri),
        to: uri(status.author.uri),
      }),
      to: uri(status.author.uri),
    });
    await deliver(ctx, actor, [status.author], create, { shared: false });
  }
}

// ---------------------------------------------------------------------------
// Follows

/** The Follow an activity answers or undoes; its id when we know it (Mastodon matches on actor and object anyway). */
function followOf(followUri: string | null | undefined, follower: ActorRef, target: ActorRef): Follow {
  return new Follow({
    id: followUri ? uri(followUri) : null,
    actor: uri(follower.uri),
    object: uri(target.uri),
  });
}

async function onFollowRequested(ctx: AppContext, event: Event<"follow.requested">): Promise<void> {
  const follower = await localActor(ctx, event.accountId);
  const target = follower && (await remoteAccount(ctx, event.payload.targetAccountId));
  if (!follower || !target) return;
  // The Follow's id, minted once and kept on the request: the Accept names it,
  // and it carries over to the follow for the Undo.
  const [request] = await ctx.sql`
    UPDATE follow_requests SET uri = coalesce(uri, ${`${follower.uri}#follows/${event.payload.followRequestId}`})
    WHERE id = ${event.payload.followRequestId} AND account_id = ${follower.id}
    RETURNING uri`;
  // Withdrawn meanwhile: its follow.removed comes next and has nothing to undo.
  if (!request) return;
  const follow = new Follow({ id: uri(request.uri as string), actor: uri(follower.uri), object: uri(target.uri), to: uri(target.uri) });
  await deliver(ctx, follower, [target], follow, { shared: false });
}

async function onFollowCreated(ctx: AppContext, event: Event<"follow.created">): Promise<void> {
  // A remote account's follow of a local one, accepted (at once, or authorized later).
  await sendFollowAccept(ctx, event.payload.targetAccountId, event.accountId);
}

/**
 * Accept(Follow) from a local account to a remote follower, naming the
 * Follow stored on the follow. The inbox calls it too when a remote account
 * that already follows sends its Follow again (Mastodon answers that with
 * another Accept), passing `again` (e.g. the new Follow's id) so the Accept
 * gets an id of its own. Nothing is sent unless the follow exists.
 */
export async function sendFollowAccept(
  ctx: AppContext,
  targetLocalId: string,
  followerRemoteId: string,
  again?: string,
): Promise<void> {
  const target = await localActor(ctx, targetLocalId);
  const follower = target && (await remoteAccount(ctx, followerRemoteId));
  if (!target || !follower) return;
  const [row] = await ctx.sql`
    SELECT id, uri FROM follows WHERE account_id = ${follower.id} AND target_account_id = ${target.id}`;
  // Gone already: the removal's Reject says what matters.
  if (!row) return;
  const accept = new Accept({
    id: uri(`${target.uri}#accepts/follows/${row.id}${again ? `/${encodeURIComponent(again)}` : ""}`),
    actor: uri(target.uri),
    object: followOf(row.uri as string | null, follower, target),
    to: uri(follower.uri),
  });
  await deliver(ctx, target, [follower], accept, { shared: false });
}

async function onFollowRemoved(ctx: AppContext, event: Event<"follow.removed">): Promise<void> {
  const { targetAccountId, followUri, removedBy = event.accountId } = event.payload;
  const refs = await loadActorRefs(ctx, ctx.sql, [event.accountId, targetAccountId]);
  const follower = refs.get(event.accountId);
  const target = refs.get(targetAccountId);
  if (!follower || !target) return;
  if (removedBy === follower.id && follower.domain === null && !follower.suspended && target.domain !== null) {
    const undo = new Undo({
      id: uri(followUri ? `${followUri}/undo` : `${follower.uri}#follows/undo/${event.id}`),
      actor: uri(follower.uri),
      object: followOf(followUri, follower, target),
      to: uri(target.uri),
    });
    await deliver(ctx, follower, [target], undo, { shared: false });
  } else if (removedBy === target.id && target.domain === null && !target.suspended && follower.domain !== null) {
    await sendReject(ctx, target, follower, followUri, event.id);
  }
}

async function sendReject(ctx: AppContext, target: ActorRef, follower: ActorRef, followUri: string | null | undefined, eventId: string) {
  const reject = new Reject({
    id: uri(`${target.uri}#rejects/follows/${eventId}`),
    actor: uri(target.uri),
    object: followOf(followUri, follower, target),
    to: uri(follower.uri),
  });
  await deliver(ctx, target, [follower], reject, { shared: false });
}

async function onFollowRequestRejected(ctx: AppContext, event: Event<"follow_request.rejected">): Promise<void> {
  const target = await localActor(ctx, event.accountId);
  const requester = target && (await remoteAccount(ctx, event.payload.requesterAccountId));
  if (!target || !requester) return;
  await sendReject(ctx, target, requester, event.payload.followUri, event.id);
}

// ---------------------------------------------------------------------------
// Blocks

async function onBlockCreated(ctx: AppContext, event: Event<"block.created">): Promise<void> {
  const actor = await localActor(ctx, event.accountId);
  const target = actor && (await remoteAccount(ctx, event.payload.targetAccountId));
  if (!actor || !target) return;
  const [block] = await ctx.sql`
    UPDATE blocks SET uri = coalesce(uri, ${actor.uri} || '#blocks/' || id::text)
    WHERE account_id = ${actor.id} AND target_account_id = ${target.id}
    RETURNING uri`;
  // Lifted meanwhile: nothing to say.
  if (!block) return;
  const activity = new Block({ id: uri(block.uri as string), actor: uri(actor.uri), object: uri(target.uri), to: uri(target.uri) });
  await deliver(ctx, actor, [target], activity, { shared: false });
}

async function onBlockRemoved(ctx: AppContext, event: Event<"block.removed">): Promise<void> {
  const actor = await localActor(ctx, event.accountId);
  const target = actor && (await remoteAccount(ctx, event.payload.targetAccountId));
  if (!actor || !target) return;
  const blockUri = event.payload.blockUri ?? null;
  const undo = new Undo({
    id: uri(blockUri ? `${blockUri}/undo` : `${actor.uri}#blocks/undo/${event.id}`),
    actor: uri(actor.uri),
    object: new Block({ id: blockUri ? uri(blockUri) : null, actor: uri(actor.uri), object: uri(target.uri) }),
    to: uri(target.uri),
  });
  await deliver(ctx, actor, [target], undo, { shared: false });
}

// ---------------------------------------------------------------------------
// Profile

async function onAccountUpdated(ctx: AppContext, event: Event<"account.updated">): Promise<void> {
  const actor = await localActor(ctx, event.accountId);
  if (!actor) return;
  // The actor document as served (the dispatcher needs a request context).
  const { federation } = federationFor(ctx);
  const requestContext = federation.createContext(new Request(actor.uri), ctx);
  const person = await requestContext.getActor(actor.username);
  if (!person) return;
  const update = new Update({
    id: uri(`${actor.uri}#updates/${event.id}`),
    actor: uri(actor.uri),
    object: person,
    to: PUBLIC_COLLECTION,
    cc: uri(actor.followers!),
  });
  await deliver(ctx, actor, await remoteFollowers(ctx, ctx.sql, actor.id), update, { shared: true, orderingKey: actor.uri });
}

// ---------------------------------------------------------------------------

let registered = false;

/** Registers the outgoing reactions once per process. */
export function registerOutboxHandlers(): void {
  if (registered) return;
  registered = true;
  onEvent("status.created", onStatusCreated);
  onEvent("status.updated", onStatusUpdated);
  onEvent("status.deleted", onStatusDeleted);
  onEvent("favourite.created", onFavouriteCreated);
  onEvent("favourite.removed", onFavouriteRemoved);
  onEvent("poll.voted", onPollVoted);
  onEvent("follow.requested", onFollowRequested);
  onEvent("follow.created", onFollowCreated);
  onEvent("follow.removed", onFollowRemoved);
  onEvent("follow_request.rejected", onFollowRequestRejected);
  onEvent("block.created", onBlockCreated);
  onEvent("block.removed", onBlockRemoved);
  onEvent("account.updated", onAccountUpdated);
}
