/**
 * The Postgres search backend (the default, and the embedded database's
 * only one): full-text search over status_search_documents and
 * account_search_documents (migration 0015), which triggers keep current
 * in the writing transaction — so there is nothing to index on events.
 *
 * Statuses come back newest first, as Mastodon 4.2 orders search results;
 * the GIN index finds the matches, then who-may-find and who-may-read are
 * checked in the same query so a page is full whenever enough matches exist.
 */
import type { Db } from "../../src/db/index.ts";
import type { Fragment } from "../statuses/visibility.ts";
import type { AccountSearchRequest, SearchIndex, StatusSearchRequest } from "./port.ts";
import {
  accountQueryWords,
  forbiddenProperties,
  hasSearchableText,
  requiredProperties,
  type ParsedSearchQuery,
} from "./query.ts";
import { accountShownTo, findableBy, idAtTime, viewerMayRead } from "./storage.ts";

/**
 * The text part of a query as a tsquery expression. Every piece goes
 * through plainto_tsquery/phraseto_tsquery, which accept any text, so
 * tsquery syntax typed by the user (`& | ! ( ) : *`) is just punctuation.
 * Words match verbatim or stemmed; phrases match verbatim (see
 * search_text_vector in the migration).
 */
export function textQuery(db: Db, query: ParsedSearchQuery): Fragment | null {
  const word = (t: string) => db`(plainto_tsquery('simple', ${t}) || plainto_tsquery('english', ${t}))`;
  const phrase = (p: string) => db`phraseto_tsquery('simple', ${p})`;
  const parts: Fragment[] = [
    ...query.terms.filter(hasSearchableText).map(word),
    ...query.phrases.filter(hasSearchableText).map(phrase),
    ...query.excluded.filter(hasSearchableText).map((t) => db`(!! ${word(t)})`),
    ...query.excludedPhrases.filter(hasSearchableText).map((p) => db`(!! ${phrase(p)})`),
  ];
  if (parts.length === 0) return null;
  return parts.reduce((all, part) => db`${all} && ${part}`);
}

/** The SQL test of one `has:`/`is:` property on the status aliased `s`; unknown properties match nothing. */
export function propertyCondition(db: Db, property: string): Fragment {
  switch (property) {
    case "media":
      return db`EXISTS (SELECT 1 FROM media_attachments ma WHERE ma.status_id = s.id)`;
    case "image":
      return db`EXISTS (SELECT 1 FROM media_attachments ma WHERE ma.status_id = s.id AND ma.type = 'image')`;
    case "video":
      return db`EXISTS (SELECT 1 FROM media_attachments ma WHERE ma.status_id = s.id AND ma.type IN ('video', 'gifv'))`;
    case "audio":
      return db`EXISTS (SELECT 1 FROM media_attachments ma WHERE ma.status_id = s.id AND ma.type = 'audio')`;
    case "poll":
      return db`EXISTS (SELECT 1 FROM polls pl WHERE pl.status_id = s.id)`;
    case "link":
      // A link that is neither a mention nor a hashtag (Mastodon asks "has a preview card"; we have no cards).
      return db`(s.content ~ '<a\\s(?![^>]*class="[^"]*(mention|hashtag))[^>]*href="https?://')`;
    case "sensitive":
      return db`s.sensitive`;
    case "reply":
      return db`(s.in_reply_to_id IS NOT NULL)`;
    default:
      // "embed" (a video preview card) included: no status here has one.
      return db`FALSE`;
  }
}

/** Operators, `account_id` and the id window as conditions on `s`, each prefixed with AND. */
function filterConditions(db: Db, request: StatusSearchRequest): Fragment[] {
  const { query } = request;
  const conditions: Fragment[] = [];
  for (const accountId of new Set(request.fromAccountIds)) conditions.push(db`AND s.account_id = ${accountId}`);
  if (request.notFromAccountIds.length > 0) {
    conditions.push(db`AND s.account_id <> ALL(${request.notFromAccountIds}::bigint[])`);
  }
  if (request.accountId) conditions.push(db`AND s.account_id = ${request.accountId}`);
  for (const property of requiredProperties(query)) conditions.push(db`AND ${propertyCondition(db, property)}`);
  for (const property of forbiddenProperties(query)) conditions.push(db`AND NOT ${propertyCondition(db, property)}`);
  for (const language of new Set(query.language)) conditions.push(db`AND s.language = ${language}`);
  if (query.not.language.length > 0) {
    conditions.push(db`AND coalesce(s.language, '') <> ALL(${query.not.language}::text[])`);
  }
  if (query.before) conditions.push(db`AND s.id < ${idAtTime(query.before)}`);
  if (query.after) conditions.push(db`AND s.id >= ${idAtTime(query.after)}`);
  if (request.maxId) conditions.push(db`AND s.id < ${request.maxId}`);
  if (request.minId) conditions.push(db`AND s.id > ${request.minId}`);
  return conditions;
}

/** Prefix-matching tsquery text for account names: `'ali':* & 'soc':*` (words are letters and digits only). */
export function accountTsquery(q: string): string | null {
  const words = accountQueryWords(q);
  return words.length === 0 ? null : words.map((w) => `'${w}':*`).join(" & ");
}

/** How many matching accounts are ranked at most (see searchAccounts). */
const RANK_CANDIDATES = 2000;

export class PostgresSearchIndex implements SearchIndex {
  readonly kind = "postgres" as const;
  readonly maintainedByEvents = false;

  constructor(private readonly db: Db) {}

  async searchStatuses(request: StatusSearchRequest): Promise<string[]> {
    const db = this.db;
    const text = textQuery(db, request.query);
    const rows = await db`
      SELECT s.id FROM statuses s
      ${text ? db`JOIN status_search_documents d ON d.status_id = s.id` : db``}
      WHERE s.deleted_at IS NULL AND s.reblog_of_id IS NULL
        ${text ? db`AND d.vector @@ (${text})` : db``}
        ${filterConditions(db, request).reduce((all, c) => db`${all} ${c}`, db``)}
        AND ${findableBy(db, request.viewerId, "s", request.query.in)}
        AND ${viewerMayRead(db, request.viewerId, "s")}
      ORDER BY s.id DESC
      LIMIT ${request.limit} OFFSET ${request.offset}`;
    return rows.map((r) => r.id as string);
  }

  /**
   * Mastodon's database account search: every word a prefix of a word of the
   * display name (weight A), username (B) or domain (C), ranked by
   * ts_rank_cd, with accounts the viewer follows and discoverable accounts
   * ranked up, then by followers.
   */
  async searchAccounts(request: AccountSearchRequest): Promise<string[]> {
    const db = this.db;
    const tsquery = accountTsquery(request.q);
    if (tsquery === null) return [];
    const viewer = request.viewerId;
    const followed = viewer
      ? db`EXISTS (SELECT 1 FROM follows f WHERE f.account_id = ${viewer} AND f.target_account_id = a.id)`
      : db`FALSE`;
    // Ranking needs every match's vector. A one- or two-letter prefix matches most of the
    // table, so then only the first RANK_CANDIDATES matches are ranked (a scan that stops
    // early); longer queries rank every match, found through the GIN index.
    const broad = accountQueryWords(request.q).join("").length < 3;
    const candidates = broad
      ? db`(SELECT account_id, vector FROM account_search_documents
            WHERE vector @@ to_tsquery('simple', ${tsquery}) LIMIT ${RANK_CANDIDATES})`
      : db`(SELECT account_id, vector FROM account_search_documents WHERE vector @@ to_tsquery('simple', ${tsquery}))`;
    const rows = await db`
      SELECT a.id FROM ${candidates} d
      JOIN accounts a ON a.id = d.account_id
      LEFT JOIN account_stats st ON st.account_id = a.id
      WHERE a.moved_to_account_id IS NULL
        AND ${accountShownTo(db, viewer, "a")}
        ${request.following && viewer ? db`AND ${followed}` : db``}
      ORDER BY ts_rank_cd(d.vector, to_tsquery('simple', ${tsquery}), 32)
               * (CASE WHEN ${followed} THEN 2 ELSE 1 END)
               * (CASE WHEN a.discoverable THEN 1.5 ELSE 1 END) DESC,
               coalesce(st.followers_count, 0) DESC, a.id
      LIMIT ${request.limit} OFFSET ${request.offset}`;
    return rows.map((r) => r.id as string);
  }

  // Triggers (migration 0015) keep the documents in step with every write.
  async indexStatus(): Promise<void> {}
  async removeStatus(): Promise<void> {}
  async indexAccount(): Promise<void> {}
}
