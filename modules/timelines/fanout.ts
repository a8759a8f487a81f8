/**
 * Fanout on write (Mastodon's FanOutOnWriteService and the feed parts of
 * Unfollow/Block/MuteService): event handlers that keep home and list feeds
 * in Redis up to date. They run in the event worker, never in the request,
 * and are idempotent (events are delivered at least once).
 *
 * The unit of work is a page of FANOUT_BATCH followers: one rules query and
 * one Redis pipeline per page. This is the seam the scale work shards (pages
 * become jobs on the author's shard) and narrows (`homeRecipients` is where
 * "active users only" will be decided).
 */
import type { AppContext } from "../../src/context.ts";
import type { Db } from "../../src/db/index.ts";
import type { DomainEvent } from "../../src/events/index.ts";
import type { EventPayloads } from "../../src/events/types.ts";
import { followerPage } from "../relationships/service.ts";
import {
  homeHeads,
  invalidateLists,
  listHeads,
  mergeIntoHome,
  pushToHome,
  pushToLists,
  cachedHomeIds,
  removeFromHomes,
  removeFromLists,
  unmergeFromHome,
} from "./feed-manager.ts";
import { filterFromHome, filterFromList, loadCrutches, REBLOG_FALLOFF, reblogAlreadyInView } from "./feed-rules.ts";
import {
  isLocalAccount,
  removeMemberFromOwnerLists,
  selectFollowedAmong,
  selectListsContaining,
  selectListsWithMember,
  selectMentionedLocalAccounts,
  selectMentionedLocalFollowers,
  selectOtherReblogIds,
  selectRecentStatusesFor,
  selectStatusesByAuthor,
  selectStatusFacts,
  type ListTarget,
  type StatusFacts,
} from "./storage.ts";

/** Followers (or lists) handled per step: one rules query and one Redis pipeline each. */
export const FANOUT_BATCH = 1000;
/** How many of a newly followed account's statuses join the follower's home (Mastodon: MAX_ITEMS / 4). */
const MERGE_LIMIT = 200;

type Event<T extends keyof EventPayloads> = DomainEvent<EventPayloads[T]>;

// ---------------------------------------------------------------------------
// Who gets a status

/**
 * The seam deciding which candidate receivers get a status in their home:
 * Mastodon's per-receiver rules today; "active users only" later.
 */
export async function homeRecipients(db: Db, status: StatusFacts, candidateIds: string[]): Promise<string[]> {
  if (candidateIds.length === 0) return [];
  const crutches = await loadCrutches(db, candidateIds, [status]);
  return candidateIds.filter((id) => !filterFromHome(status, id, crutches.for(id)));
}

export async function listRecipients(db: Db, status: StatusFacts, lists: ListTarget[]): Promise<ListTarget[]> {
  if (lists.length === 0) return [];
  const crutches = await loadCrutches(db, [...new Set(lists.map((l) => l.ownerId))], [status]);
  return lists.filter((list) => !filterFromList(status, list, crutches.for(list.ownerId)));
}

/** Each page of the author's local followers, in follow order. */
async function forEachLocalFollowerPage(db: Db, authorId: string, run: (accountIds: string[]) => Promise<void>): Promise<void> {
  let after: string | null = null;
  for (;;) {
    const page = await followerPage(db, authorId, after, FANOUT_BATCH, { localOnly: true });
    if (page.length > 0) await run(page.map((f) => f.accountId));
    if (page.length < FANOUT_BATCH) return;
    after = page[page.length - 1]!.followId;
  }
}

async function forEachListPage(db: Db, status: StatusFacts, run: (lists: ListTarget[]) => Promise<void>): Promise<void> {
  let after: string | null = null;
  for (;;) {
    const page = await selectListsWithMember(db, status.accountId, status.inReplyToAccountId, after, FANOUT_BATCH);
    if (page.length > 0) await run(page);
    if (page.length < FANOUT_BATCH) return;
    after = page[page.length - 1]!.id;
  }
}

// ---------------------------------------------------------------------------
// status.created

/** Ids whose presence at the top of a feed makes a reblog redundant there. */
async function reblogSeenSet(db: Db, status: StatusFacts): Promise<Set<string> | null> {
  if (!status.reblogOfId) return null;
  return new Set([status.reblogOfId, ...(await selectOtherReblogIds(db, status.reblogOfId, status.id, 1000))]);
}

export async function fanOutStatus(ctx: AppContext, statusId: string): Promise<void> {
  const [status] = await selectStatusFacts(ctx.sql, [statusId]);
  if (!status || status.deleted) return;
  const seen = await reblogSeenSet(ctx.sql, status);

  const deliverHome = async (candidates: string[]) => {
    let receivers = await homeRecipients(ctx.sql, status, candidates);
    if (seen) {
      const heads = await homeHeads(ctx, receivers, REBLOG_FALLOFF);
      receivers = receivers.filter((id) => !reblogAlreadyInView(heads.get(id) ?? [], seen));
    }
    await pushToHome(ctx, receivers, status.id);
  };

  if (status.accountLocal) await deliverHome([status.accountId]);
  if (status.visibility === "direct") {
    // Direct messages reach the homes of mentioned local accounts who follow the author; the rest get a notification.
    await deliverHome(await selectMentionedLocalFollowers(ctx.sql, status.id, status.accountId));
    return;
  }
  await forEachLocalFollowerPage(ctx.sql, status.accountId, deliverHome);

  await forEachListPage(ctx.sql, status, async (lists) => {
    let targets = await listRecipients(ctx.sql, status, lists);
    if (seen) {
      const heads = await listHeads(ctx, targets.map((l) => l.id), REBLOG_FALLOFF);
      targets = targets.filter((l) => !reblogAlreadyInView(heads.get(l.id) ?? [], seen));
    }
    await pushToLists(ctx, targets.map((l) => l.id), status.id);
  });
}

// ---------------------------------------------------------------------------
// status.deleted

/** Takes a deleted status out of every feed fanout could have put it in. */
export async function unfanStatus(ctx: AppContext, statusId: string): Promise<void> {
  const [status] = await selectStatusFacts(ctx.sql, [statusId]);
  if (!status) return; // Gone for good: reads drop ids that no longer resolve.
  const ids = [status.id];
  if (status.accountLocal) await removeFromHomes(ctx, [status.accountId], ids);
  await removeFromHomes(ctx, await selectMentionedLocalAccounts(ctx.sql, status.id), ids);
  await forEachLocalFollowerPage(ctx.sql, status.accountId, (followers) => removeFromHomes(ctx, followers, ids));
  await forEachListPage(ctx.sql, status, (lists) => removeFromLists(ctx, lists.map((l) => l.id), ids));
}

// ---------------------------------------------------------------------------
// Relationship changes

/** A new follow brings the followed account's recent statuses into the follower's home. */
export async function mergeAccountIntoHome(ctx: AppContext, accountId: string, targetId: string): Promise<void> {
  if (!(await isLocalAccount(ctx.sql, accountId))) return;
  if (!(await selectFollowedAmong(ctx.sql, accountId, [targetId])).has(targetId)) return;
  const candidates = await selectStatusFacts(ctx.sql, await selectRecentStatusesFor(ctx.sql, targetId, accountId, MERGE_LIMIT));
  const live = candidates.filter((s) => !s.deleted);
  const crutches = (await loadCrutches(ctx.sql, [accountId], live)).for(accountId);
  await mergeIntoHome(ctx, accountId, live.filter((s) => !filterFromHome(s, accountId, crutches)).map((s) => s.id));
}

/** Takes an account's statuses (and, for blocks and mutes, reblogs of them) out of a home feed. */
export async function unmergeAccountFromHome(
  ctx: AppContext,
  accountId: string,
  targetId: string,
  options: { reblogsOf: boolean },
): Promise<void> {
  if (!(await isLocalAccount(ctx.sql, accountId))) return;
  const cached = await cachedHomeIds(ctx, accountId);
  await unmergeFromHome(ctx, accountId, await selectStatusesByAuthor(ctx.sql, cached, targetId, options));
}

/** Lists may only hold followed accounts: an ended follow takes the account out of the follower's lists. */
async function dropFromLists(ctx: AppContext, ownerId: string, memberId: string): Promise<void> {
  await invalidateLists(ctx, await removeMemberFromOwnerLists(ctx.sql, ownerId, memberId));
}

export async function onStatusCreated(ctx: AppContext, event: Event<"status.created">): Promise<void> {
  await fanOutStatus(ctx, event.payload.statusId);
}

export async function onStatusDeleted(ctx: AppContext, event: Event<"status.deleted">): Promise<void> {
  await unfanStatus(ctx, event.payload.statusId);
}

export async function onFollowCreated(ctx: AppContext, event: Event<"follow.created">): Promise<void> {
  await mergeAccountIntoHome(ctx, event.accountId, event.payload.targetAccountId);
}

export async function onFollowRemoved(ctx: AppContext, event: Event<"follow.removed">): Promise<void> {
  const target = event.payload.targetAccountId;
  // Replays after a re-follow must not undo it.
  if ((await selectFollowedAmong(ctx.sql, event.accountId, [target])).has(target)) return;
  await unmergeAccountFromHome(ctx, event.accountId, target, { reblogsOf: false });
  await dropFromLists(ctx, event.accountId, target);
}

export async function onBlockCreated(ctx: AppContext, event: Event<"block.created">): Promise<void> {
  const blocker = event.accountId;
  const blocked = event.payload.targetAccountId;
  // A block ends follows both ways, so each side loses the other from home and lists.
  await unmergeAccountFromHome(ctx, blocker, blocked, { reblogsOf: true });
  await unmergeAccountFromHome(ctx, blocked, blocker, { reblogsOf: true });
  await dropFromLists(ctx, blocker, blocked);
  await dropFromLists(ctx, blocked, blocker);
}

export async function onMuteCreated(ctx: AppContext, event: Event<"mute.created">): Promise<void> {
  const target = event.payload.targetAccountId;
  await unmergeAccountFromHome(ctx, event.accountId, target, { reblogsOf: true });
  // Lists keep the member; their feeds are rebuilt without the muted account's statuses.
  await invalidateLists(ctx, (await selectListsContaining(ctx.sql, event.accountId, target)).map((l) => l.id));
}

export async function onMuteRemoved(ctx: AppContext, event: Event<"mute.removed">): Promise<void> {
  const target = event.payload.targetAccountId;
  await mergeAccountIntoHome(ctx, event.accountId, target);
  await invalidateLists(ctx, (await selectListsContaining(ctx.sql, event.accountId, target)).map((l) => l.id));
}
