/**
 * The JSON shapes this module owns: Relationship, FamiliarFollowers,
 * MutedAccount (an Account with mute_expires_at) and Suggestion. Accounts
 * themselves come from the accounts module's `loadAccounts`, always in one
 * batch per response.
 */
import type { AppContext } from "../../src/context.ts";
import type { Db } from "../../src/db/index.ts";
import { loadAccounts, type Account } from "../accounts/serializer.ts";
import { selectRelationshipRows, type RelationshipRow } from "./storage.ts";

export interface Relationship {
  id: string;
  following: boolean;
  showing_reblogs: boolean;
  notifying: boolean;
  languages: string[] | null;
  followed_by: boolean;
  blocking: boolean;
  blocked_by: boolean;
  muting: boolean;
  muting_notifications: boolean;
  muting_expires_at: string | null;
  requested: boolean;
  requested_by: boolean;
  domain_blocking: boolean;
  endorsed: boolean;
  note: string;
}

export interface FamiliarFollowers {
  id: string;
  accounts: Account[];
}

export interface MutedAccount extends Account {
  mute_expires_at: string | null;
}

export type SuggestionSource = "featured" | "most_followed" | "most_interactions" | "similar_to_recently_followed" | "friends_of_friends";

export interface Suggestion {
  /** Deprecated single source, still read by older clients. */
  source: "staff" | "global" | "past_interactions";
  sources: SuggestionSource[];
  account: Account;
}

/** Showing reblogs / notifying / languages come from the follow, or else the pending request (as in Mastodon). */
export function serializeRelationship(row: RelationshipRow): Relationship {
  return {
    id: row.id,
    following: row.following,
    showing_reblogs: row.followReblogs ?? row.requestReblogs ?? false,
    notifying: row.followNotify ?? row.requestNotify ?? false,
    languages: row.following ? row.followLanguages : row.requested ? row.requestLanguages : null,
    followed_by: row.followedBy,
    blocking: row.blocking,
    blocked_by: row.blockedBy,
    muting: row.muting,
    muting_notifications: row.muting && row.muteHidesNotifications,
    muting_expires_at: row.muteExpiresAt ? new Date(row.muteExpiresAt).toISOString() : null,
    requested: row.requested,
    requested_by: row.requestedBy,
    domain_blocking: row.domainBlocking,
    endorsed: row.endorsed,
    note: row.note ?? "",
  };
}

/** Relationships of the viewer with each target, by target id (unknown ids absent). */
export async function loadRelationships(db: Db, viewerId: string, targetIds: string[]): Promise<Map<string, Relationship>> {
  const rows = await selectRelationshipRows(db, viewerId, [...new Set(targetIds)]);
  return new Map(rows.map((row) => [row.id, serializeRelationship(row)]));
}

export async function loadRelationship(db: Db, viewerId: string, targetId: string): Promise<Relationship | null> {
  return (await loadRelationships(db, viewerId, [targetId])).get(targetId) ?? null;
}

/** Accounts for a list of ids, in order, dropping any that vanished meanwhile. */
export async function accountsInOrder(ctx: AppContext, ids: string[]): Promise<Account[]> {
  const accounts = await loadAccounts(ctx.sql, ctx.config, ids);
  return ids.map((id) => accounts.get(id)).filter((a): a is Account => a !== undefined);
}

export function serializeMutedAccount(account: Account, expiresAt: Date | null): MutedAccount {
  return { ...account, mute_expires_at: expiresAt ? new Date(expiresAt).toISOString() : null };
}

const LEGACY_SOURCE: Record<SuggestionSource, Suggestion["source"]> = {
  featured: "staff",
  most_followed: "global",
  most_interactions: "global",
  similar_to_recently_followed: "past_interactions",
  friends_of_friends: "past_interactions",
};

export function serializeSuggestion(account: Account, sources: SuggestionSource[]): Suggestion {
  return { source: LEGACY_SOURCE[sources[0]!], sources, account };
}
