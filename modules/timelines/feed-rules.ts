/**
 * Who may see a status in their home or list feed — Mastodon's
 * FeedManager#filter_from_home / #filter_from_list, as pure predicates over
 * facts loaded in batches ("crutches"). Fanout (one status, many receivers)
 * and the Postgres rebuild (one receiver, many statuses) both decide with
 * this code, so a rebuilt feed equals the one fanout built.
 */
import type { Db } from "../../src/db/index.ts";
import { selectCrutches, type CrutchRow, type ListTarget, type StatusFacts } from "./storage.ts";

export interface ReceiverCrutches {
  following: Set<string>;
  hidingReblogs: Set<string>;
  languages: Map<string, string[]>;
  blocking: Set<string>;
  muting: Set<string>;
  blockedBy: Set<string>;
  domainBlocking: Set<string>;
  exclusive: Set<string>;
  hidingThread: Set<string>;
}

const emptyCrutches = (): ReceiverCrutches => ({
  following: new Set(),
  hidingReblogs: new Set(),
  languages: new Map(),
  blocking: new Set(),
  muting: new Set(),
  blockedBy: new Set(),
  domainBlocking: new Set(),
  exclusive: new Set(),
  hidingThread: new Set(),
});

export class Crutches {
  constructor(private readonly byReceiver: Map<string, ReceiverCrutches>) {}

  for(receiverId: string): ReceiverCrutches {
    return this.byReceiver.get(receiverId) ?? emptyCrutches();
  }
}

export const isReply = (s: StatusFacts) => s.inReplyToId !== null || s.inReplyToAccountId !== null;

/** Loads the crutches for receivers × statuses in one query. */
export async function loadCrutches(db: Db, receivers: string[], statuses: StatusFacts[]): Promise<Crutches> {
  const replyTargets = new Set<string>();
  const authors = new Set<string>();
  const involved = new Set<string>();
  const domains = new Set<string>();
  const conversations = new Set<string>();
  for (const s of statuses) {
    authors.add(s.accountId);
    involved.add(s.accountId);
    if (s.inReplyToAccountId) replyTargets.add(s.inReplyToAccountId);
    if (s.reblogAccountId) involved.add(s.reblogAccountId);
    for (const id of s.mentionedAccountIds) involved.add(id);
    for (const id of s.reblogMentionedAccountIds) involved.add(id);
    if (s.accountDomain) domains.add(s.accountDomain.toLowerCase());
    if (s.reblogAccountDomain) domains.add(s.reblogAccountDomain.toLowerCase());
    if (s.conversationId) conversations.add(s.conversationId);
  }
  const rows = await selectCrutches(db, receivers, {
    replyTargets: [...replyTargets],
    authors: [...authors],
    involved: [...involved],
    domains: [...domains],
    conversations: [...conversations],
  });
  const byReceiver = new Map<string, ReceiverCrutches>();
  for (const row of rows as CrutchRow[]) {
    let c = byReceiver.get(row.receiver);
    if (!c) byReceiver.set(row.receiver, (c = emptyCrutches()));
    switch (row.kind) {
      case "following": c.following.add(row.key); break;
      case "hiding_reblogs": c.hidingReblogs.add(row.key); break;
      case "languages": c.languages.set(row.key, row.languages ?? []); break;
      case "blocking": c.blocking.add(row.key); break;
      case "muting": c.muting.add(row.key); break;
      case "blocked_by": c.blockedBy.add(row.key); break;
      case "domain_blocking": c.domainBlocking.add(row.key); break;
      case "exclusive": c.exclusive.add(row.key); break;
      case "hiding_thread": c.hidingThread.add(row.key); break;
    }
  }
  return new Crutches(byReceiver);
}

/**
 * True when the status must stay out of the receiver's home (or, with
 * `timeline: "list"`, a list the receiver owns). Visibility is decided
 * before (who is a candidate); this is the per-receiver taste on top.
 */
export function filterFromHome(
  status: StatusFacts,
  receiverId: string,
  c: ReceiverCrutches,
  timeline: "home" | "list" = "home",
): boolean {
  if (status.conversationId && c.hidingThread.has(status.conversationId)) return true;
  if (receiverId === status.accountId) return false;
  // A reply whose parent is gone (or never resolved) has no context worth showing.
  if (isReply(status) && (status.inReplyToId === null || status.inReplyToAccountId === null)) return true;
  if (timeline !== "list" && c.exclusive.has(status.accountId)) return true;
  const languages = c.languages.get(status.accountId);
  if (languages && languages.length > 0 && status.language && !languages.includes(status.language)) return true;

  const involved = [status.accountId, ...status.mentionedAccountIds];
  if (status.reblogAccountId) involved.push(status.reblogAccountId, ...status.reblogMentionedAccountIds);
  if (involved.some((id) => id !== receiverId && (c.blocking.has(id) || c.muting.has(id)))) return true;
  if (c.blockedBy.has(status.accountId)) return true;
  if (status.accountDomain && c.domainBlocking.has(status.accountDomain.toLowerCase())) return true;

  if (status.inReplyToAccountId !== null) {
    // Replies show when you follow the person replied to, they reply to you, or it's a thread.
    return (
      !c.following.has(status.inReplyToAccountId) &&
      receiverId !== status.inReplyToAccountId &&
      status.accountId !== status.inReplyToAccountId
    );
  }
  if (status.reblogOfId) {
    return (
      c.hidingReblogs.has(status.accountId) ||
      (status.reblogAccountId !== null && c.blockedBy.has(status.reblogAccountId)) ||
      (status.reblogAccountDomain !== null && c.domainBlocking.has(status.reblogAccountDomain.toLowerCase()))
    );
  }
  return false;
}

/** Mastodon's filter_from_list?: replies_policy on top of the home rules for the list's owner. */
export function filterFromList(status: StatusFacts, list: ListTarget, c: ReceiverCrutches): boolean {
  if (status.visibility === "direct") return true;
  if (status.visibility === "private" && !list.ownerFollowsAuthor) return true;
  if (status.inReplyToAccountId !== null && status.inReplyToAccountId !== status.accountId) {
    const toOwner = status.inReplyToAccountId === list.ownerId;
    const allowed =
      toOwner || list.repliesPolicy === "followed" || (list.repliesPolicy === "list" && list.replyTargetInList);
    if (!allowed) return true;
  }
  return filterFromHome(status, list.ownerId, c, "list");
}

/**
 * Reblog aggregation (Mastodon's REBLOG_FALLOFF): a reblog is not added
 * when the original, or another reblog of it, is among the newest
 * `REBLOG_FALLOFF` items of the feed already.
 */
export const REBLOG_FALLOFF = 40;

export function reblogAlreadyInView(feedHead: readonly string[], alreadySeen: ReadonlySet<string>): boolean {
  return feedHead.slice(0, REBLOG_FALLOFF).some((id) => alreadySeen.has(id));
}
