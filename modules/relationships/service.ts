/**
 * The relationships module's use cases (one per file in ./services) and the
 * reads other modules build on: fanout pages followers, timelines hide
 * blocked and muted accounts, notifications skip muted senders. Every read
 * here is one query however many accounts it covers, and ignores expired
 * mutes.
 */
import type { Db } from "../../src/db/index.ts";
import { loadRelationships, type Relationship } from "./serializer.ts";
import {
  blockedEitherWay,
  selectBlockedDomains,
  selectFollowerPage,
  selectHiddenAccountIds,
  selectMutedNotificationSenders,
} from "./storage.ts";

export { follow, type FollowOutcome } from "./services/follow.ts";
export { unfollow } from "./services/unfollow.ts";
export { removeFromFollowers } from "./services/remove-from-followers.ts";
export { block } from "./services/block.ts";
export { unblock } from "./services/unblock.ts";
export { mute } from "./services/mute.ts";
export { unmute } from "./services/unmute.ts";
export { authorizeFollowRequest, authorizeAllFollowRequests, acceptRequestsIfUnlocked } from "./services/authorize-follow-request.ts";
export { rejectFollowRequest } from "./services/reject-follow-request.ts";
export { acceptOutgoingFollow, rejectOutgoingFollow } from "./services/accept-remote-follow.ts";
export { blockDomain, unblockDomain, normalizeDomain } from "./services/domain-block.ts";
export { endorse, unendorse } from "./services/endorse.ts";
export { setNote } from "./services/note.ts";
export { suggestAccounts, dismissSuggestion } from "./services/suggestions.ts";
export type { FollowOptions } from "./storage.ts";

/**
 * A page of `accountId`'s followers in follow-id order, after `afterFollowId`
 * (null: from the start). Fanout walks it page by page, passing the last
 * followId back; `localOnly` keeps only local followers (remote ones are
 * reached by federation delivery, not home feeds); `activeSince` keeps only
 * local followers whose user was active since then (fanout skips the rest).
 */
export function followerPage(
  db: Db,
  accountId: string,
  afterFollowId: string | null,
  limit: number,
  options: { localOnly?: boolean; activeSince?: Date } = {},
): Promise<{ followId: string; accountId: string }[]> {
  return selectFollowerPage(db, accountId, afterFollowId, limit, options.localOnly ?? false, options.activeSince ?? null);
}

/** Whether either account blocks the other, directly or through a block of the other's domain. */
export function isBlockedEitherWay(db: Db, a: string, b: string): Promise<boolean> {
  return blockedEitherWay(db, a, b);
}

/**
 * Accounts whose content the viewer never sees in timelines: those it
 * blocks, those blocking it and those it mutes (unexpired). Domain blocks
 * are not expanded here (a domain can hold any number of accounts): filter
 * with `blockedDomains` against the author's domain.
 */
export async function hiddenAccountIds(db: Db, viewerAccountId: string): Promise<Set<string>> {
  return new Set(await selectHiddenAccountIds(db, viewerAccountId));
}

/**
 * Senders whose notifications to `accountId` are muted (an unexpired mute
 * with notifications hidden). Pass `among` to ask only about those senders.
 */
export async function mutedNotificationSenders(db: Db, accountId: string, among?: string[]): Promise<Set<string>> {
  if (among && among.length === 0) return new Set();
  return new Set(await selectMutedNotificationSenders(db, accountId, among));
}

/** Domains the account blocked (lower case, as accounts.domain is compared). */
export async function blockedDomains(db: Db, accountId: string): Promise<Set<string>> {
  return new Set(await selectBlockedDomains(db, accountId));
}

/** Relationship entities of the viewer with each target, by target id; unknown ids are absent. */
export function relationshipsOf(db: Db, viewerId: string, targetIds: string[]): Promise<Map<string, Relationship>> {
  return loadRelationships(db, viewerId, targetIds);
}
