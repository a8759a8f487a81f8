/**
 * The search index port: what the search service asks of a backend.
 *
 * Two adapters implement it: postgres.ts (full-text search over the side
 * tables of migration 0015 — the embedded default, always maintained) and
 * typesense.ts (chosen when TYPESENSE_URL is set). Both answer with IDs
 * only; the service hydrates them through loadAccounts/renderStatuses, so a
 * stale or wrong index can at worst omit results, never reveal a status its
 * viewer may not see.
 */
import type { ParsedSearchQuery } from "./query.ts";

export interface StatusSearchRequest {
  query: ParsedSearchQuery;
  /** The signed-in searcher: status search needs one (Mastodon answers [] to anonymous searches). */
  viewerId: string;
  /** `from:` resolved to account ids (all required: an unknown handle already emptied the search). */
  fromAccountIds: string[];
  /** `-from:` resolved to account ids. */
  notFromAccountIds: string[];
  /** The `account_id` parameter. */
  accountId: string | null;
  maxId: string | null;
  minId: string | null;
  limit: number;
  offset: number;
}

export interface AccountSearchRequest {
  /** The query as typed, leading @ removed. */
  q: string;
  viewerId: string | null;
  /** Only accounts the viewer follows. */
  following: boolean;
  limit: number;
  offset: number;
}

export interface SearchIndex {
  readonly kind: "postgres" | "typesense";
  /** False when the index follows the database by itself (Postgres triggers): the event handlers then skip their reads. */
  readonly maintainedByEvents: boolean;

  /** Matching status ids, newest first, among what the viewer may find (Mastodon 4.2's rules). */
  searchStatuses(request: StatusSearchRequest): Promise<string[]>;
  /** Matching account ids, best first (suspended and moved accounts excluded). */
  searchAccounts(request: AccountSearchRequest): Promise<string[]>;

  // Index maintenance, called by the event handlers of indexer.ts. Idempotent:
  // each call reads the current database state and writes it over the index.
  // The Postgres adapter keeps its documents with triggers, so these are no-ops there.
  indexStatus(statusId: string): Promise<void>;
  removeStatus(statusId: string): Promise<void>;
  /** With `statuses`, also what the account's statuses derive from it (their `indexable` flag). */
  indexAccount(accountId: string, options?: { statuses?: boolean }): Promise<void>;
}
