/**
 * Fanout on write (Mastodon's FanOutOnWriteService and the feed parts of
 * Unfollow/Block/MuteService): event handlers that keep home and list feeds
 * in Redis up to date. They run in the event worker, never in the request,
 * and are idempotent (events are delivered at least once).
 *
 * The unit of work is a chunk of FANOUT_BATCH followers: one follower page,
 * one rules query and one Redis pipeline. Only followers active within
 * ACTIVE_DAYS are pages' members (the others' feeds have expired and are
 * rebuilt on their next visit). A post's first chunk runs inside its
 * `status.created` handler, so an account with up to FANOUT_BATCH active
 * local followers is delivered in one step of the interactive lane. A larger
 * account continues in `fanout.chunk` jobs in the bulk lane: each chunk
 * reads its page, hands its successor off at once (spread over shards, so
 * any worker can take it while this one delivers), then delivers. Chunks
 * are bounded, so a post to a million followers is a thousand small jobs
 * interleaved with everything else, never one long one.
 *
 * Accounts above FANOUT_MERGE_THRESHOLD followers are not pushed at all:
 * their statuses go to an author list merged into followers' homes when
 * read (feed-manager.ts). docs/performance.md has the measurement behind
 * the default.
 */
import type { AppContext } from "../../src/context.ts";
import type { Db } from "../../src/db/index.ts";
import { BULK, emitEvent, onEvent, shardOf, VIRTUAL_SHARDS, type DomainEvent, type EventJob, type PendingEvent } from "../../src/events/index.ts";
import type { EventPayloads } from "../../src/events/types.ts";
import { scheduleBackfill } from "../../src/workers/backfill.ts";
import { followerPage } from "../relationships/service.ts";
import {
  homeHeads,
  invalidateLists,
  listHeads,
  mergeIntoHome,
  pushToAuthorFeed,
  pushToHome,
  pushToLists,
  cachedHomeIds,
  removeFromAuthorFeed,
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

/** Users active since then receive fanout (users.last_sign_in_at, refreshed by API use). */
export function activeSince(ctx: AppContext): Date {
  return new Date(Date.now() - ctx.config.activeDays * 86_400_000);
}

/** Whether an account's posts are merged into homes at read time instead of pushed. */
async function mergedAtRead(ctx: AppContext, accountId: string): Promise<boolean> {
  // account_stats is the accounts module's counter cache; one indexed read per post.
  const [row] = await ctx.sql`SELECT followers_count FROM account_stats WHERE account_id = ${accountId}`;
  return row !== undefined && Number(row.followers_count) > ctx.config.fanoutMergeThreshold;
}

type Chunk = EventPayloads["fanout.chunk"];

/** Chunks are spread over shards from the author's, so every worker shares a large fanout. */
function chunkEvent(status: StatusFacts, chunk: Chunk): PendingEvent<"fanout.chunk"> {
  return {
    type: "fanout.chunk",
    accountId: status.accountId,
    payload: chunk,
    options: {
      lane: BULK,
      shard: (shardOf(status.accountId) + chunk.index) % VIRTUAL_SHARDS,
      dedupeKey: `fanout:${chunk.statusId}:${chunk.op}:${chunk.phase}:${chunk.after ?? ""}`,
    },
  };
}

/** One page of a phase: the recipients and the cursor to continue from (null: the phase is done). */
async function chunkPage(
  ctx: AppContext,
  status: StatusFacts,
  phase: Chunk["phase"],
  after: string | null,
): Promise<{ home: string[]; lists: ListTarget[]; cursors: string[]; next: string | null }> {
  if (phase === "home") {
    const page = await followerPage(ctx.sql, status.accountId, after, FANOUT_BATCH, { activeSince: activeSince(ctx) });
    const cursors = page.map((f) => f.followId);
    return { home: page.map((f) => f.accountId), lists: [], cursors, next: page.length === FANOUT_BATCH ? cursors.at(-1)! : null };
  }
  const page = await selectListsWithMember(ctx.sql, status.accountId, status.inReplyToAccountId, after, FANOUT_BATCH);
  const cursors = page.map((l) => l.id);
  return { home: [], lists: page, cursors, next: page.length === FANOUT_BATCH ? cursors.at(-1)! : null };
}

/** What follows a finished page: the next page of the phase, the lists phase, or nothing. */
function successor(chunk: Chunk, next: string | null): Chunk | null {
  if (next !== null) return { ...chunk, after: next, upTo: undefined, index: chunk.index + 1 };
  if (chunk.phase === "home") return { ...chunk, phase: "lists", after: null, upTo: undefined, index: chunk.index + 1 };
  return null;
}

// ---------------------------------------------------------------------------
// status.created

/** Ids whose presence at the top of a feed makes a reblog redundant there. */
async function reblogSeenSet(db: Db, status: StatusFacts): Promise<Set<string> | null> {
  if (!status.reblogOfId) return null;
  return new Set([status.reblogOfId, ...(await selectOtherReblogIds(db, status.reblogOfId, status.id, 1000))]);
}

/** Delivers one status to a set of candidate homes, with the per-receiver rules and reblog aggregation. */
async function deliverToHomes(ctx: AppContext, status: StatusFacts, seen: Set<string> | null, candidates: string[]): Promise<number> {
  let receivers = await homeRecipients(ctx.sql, status, candidates);
  if (seen) {
    const heads = await homeHeads(ctx, receivers, REBLOG_FALLOFF);
    receivers = receivers.filter((id) => !reblogAlreadyInView(heads.get(id) ?? [], seen));
  }
  await pushToHome(ctx, receivers, status.id);
  return receivers.length;
}

async function deliverToLists(ctx: AppContext, status: StatusFacts, seen: Set<string> | null, lists: ListTarget[]): Promise<void> {
  let targets = await listRecipients(ctx.sql, status, lists);
  if (seen) {
    const heads = await listHeads(ctx, targets.map((l) => l.id), REBLOG_FALLOFF);
    targets = targets.filter((l) => !reblogAlreadyInView(heads.get(l.id) ?? [], seen));
  }
  await pushToLists(ctx, targets.map((l) => l.id), status.id);
}

/** Runs one page of a push or remove chunk; returns how many homes received it. */
async function runPage(
  ctx: AppContext,
  status: StatusFacts,
  op: Chunk["op"],
  seen: Set<string> | null,
  page: { home: string[]; lists: ListTarget[] },
): Promise<number> {
  if (op === "remove") {
    await removeFromHomes(ctx, page.home, [status.id]);
    await removeFromLists(ctx, page.lists.map((l) => l.id), [status.id]);
    return 0;
  }
  const delivered = page.home.length > 0 ? await deliverToHomes(ctx, status, seen, page.home) : 0;
  if (page.lists.length > 0) await deliverToLists(ctx, status, seen, page.lists);
  return delivered;
}

/**
 * Without a worker job (direct calls), the chain runs inline; with one,
 * the first page runs here and the rest becomes bulk chunks.
 */
const inlineJob = (ctx: AppContext): EventJob => ({
  followUp(type, accountId, payload, options) {
    void emitEvent(ctx.sql, type, accountId, payload, options);
  },
  async handOff(next) {
    await emitEvent(ctx.sql, next.type, next.accountId, next.payload, next.options);
  },
});

/**
 * The inline part of a status's fanout — its first home page and first
 * lists page — and a bulk chunk job for whatever remains.
 */
async function startFanout(ctx: AppContext, status: StatusFacts, op: Chunk["op"], job: EventJob): Promise<number> {
  const seen = op === "push" ? await reblogSeenSet(ctx.sql, status) : null;
  const merged = await mergedAtRead(ctx, status.accountId);
  if (merged) {
    if (op === "push") await pushToAuthorFeed(ctx, status.accountId, status.id);
    else await removeFromAuthorFeed(ctx, status.accountId, [status.id]);
  }
  let chunk: Chunk = { statusId: status.id, op, phase: merged ? "lists" : "home", after: null, index: 0 };
  let delivered = 0;
  for (;;) {
    const page = await chunkPage(ctx, status, chunk.phase, chunk.after);
    delivered += await runPage(ctx, status, op, seen, page);
    const next = successor(chunk, page.next);
    if (!next) return delivered;
    if (next.phase !== chunk.phase) {
      chunk = next;
      continue;
    }
    const pending = chunkEvent(status, next);
    job.followUp(pending.type, pending.accountId, pending.payload, pending.options);
    return delivered;
  }
}

export async function fanOutStatus(ctx: AppContext, statusId: string, job: EventJob = inlineJob(ctx)): Promise<void> {
  const [status] = await selectStatusFacts(ctx.sql, [statusId]);
  if (!status || status.deleted) return;
  const seen = await reblogSeenSet(ctx.sql, status);
  let delivered = 0;
  if (status.accountLocal) delivered += await deliverToHomes(ctx, status, seen, [status.accountId]);
  if (status.visibility === "direct") {
    // Direct messages reach the homes of mentioned local accounts who follow the author; the rest get a notification.
    await deliverToHomes(ctx, status, seen, await selectMentionedLocalFollowers(ctx.sql, status.id, status.accountId));
    return;
  }
  delivered += await startFanout(ctx, status, "push", job);
  // A remote status now in local homes: its thread may lack replies other servers never sent us.
  if (!status.accountLocal && delivered > 0) scheduleBackfill(job, status);
}

/** Takes a deleted status out of every feed fanout could have put it in. */
export async function unfanStatus(ctx: AppContext, statusId: string, job: EventJob = inlineJob(ctx)): Promise<void> {
  const [status] = await selectStatusFacts(ctx.sql, [statusId]);
  if (!status) return; // Gone for good: reads drop ids that no longer resolve.
  const ids = [status.id];
  if (status.accountLocal) await removeFromHomes(ctx, [status.accountId], ids);
  await removeFromHomes(ctx, await selectMentionedLocalAccounts(ctx.sql, status.id), ids);
  await startFanout(ctx, status, "remove", job);
}

/**
 * A bulk chunk: its page, its successor handed off before delivering (so
 * the next chunk runs meanwhile, on whichever worker holds its shard), then
 * the delivery. A replay (crash before the chunk was deleted) finds `upTo`
 * set: the successor exists, so it only redelivers its own range.
 */
export async function onFanoutChunk(ctx: AppContext, event: DomainEvent<Chunk>, job: EventJob): Promise<void> {
  const chunk = event.payload;
  const [status] = await selectStatusFacts(ctx.sql, [chunk.statusId]);
  if (!status || (chunk.op === "push" && status.deleted)) return;
  const page = await chunkPage(ctx, status, chunk.phase, chunk.after);
  if (chunk.upTo === undefined) {
    const next = successor(chunk, page.next);
    if (next) await job.handOff(chunkEvent(status, next), { upTo: page.cursors.at(-1) ?? "0" });
  } else {
    // Only this chunk's range: what lies beyond belongs to the successor.
    const limit = BigInt(chunk.upTo);
    const within = page.cursors.filter((c) => BigInt(c) <= limit).length;
    page.home = page.home.slice(0, within);
    page.lists = page.lists.slice(0, within);
  }
  const seen = chunk.op === "push" ? await reblogSeenSet(ctx.sql, status) : null;
  await runPage(ctx, status, chunk.op, seen, page);
}

onEvent("fanout.chunk", onFanoutChunk);

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

export async function onStatusCreated(ctx: AppContext, event: Event<"status.created">, job: EventJob): Promise<void> {
  await fanOutStatus(ctx, event.payload.statusId, job);
}

export async function onStatusDeleted(ctx: AppContext, event: Event<"status.deleted">, job: EventJob): Promise<void> {
  await unfanStatus(ctx, event.payload.statusId, job);
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
