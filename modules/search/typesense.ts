/**
 * The Typesense search backend, chosen when TYPESENSE_URL and
 * TYPESENSE_API_KEY are set: for instances whose status volume outgrows
 * Postgres full-text search. Needs Typesense 28 or later (stemmed fields,
 * update by filter). `reindexAll` fills the collections for an instance
 * that already has data.
 *
 * Two collections, created on first use:
 *
 * `statuses` — one document per live, non-reblog status:
 *   id            status id (Typesense's document id)
 *   text          CW, plain-text content, media descriptions and poll options (stemmed)
 *   account_id    author
 *   language      ISO 639 code, "und" when unknown
 *   visibility    public | unlisted | private | direct
 *   indexable     public and by an author who opted into search: findable by anyone
 *   searchable_by local accounts that may find it in their "library": the author and
 *                 those mentioned in it or who favourited, bookmarked, boosted it or voted
 *   properties    media, image, video, audio, poll, link, sensitive, reply (`has:`/`is:`)
 *   tags          hashtag names
 *   created_at    milliseconds from the id's time part (sort key; the id windows use it)
 *   id_seq        the id's low 16 bits, the tie-break within a millisecond
 *
 * `accounts` — one document per account:
 *   id, username, display_name, domain ("" for local), text (bio and profile fields,
 *   only for discoverable accounts), discoverable (1/0, for sorting), suspended,
 *   moved, followers_count, last_status_at
 *
 * Documents are written by the event handlers of indexer.ts (at least once,
 * each write a full re-read of the row, so replays are harmless). Queries
 * are built from the same ParsedSearchQuery the Postgres backend uses.
 * Bookmarks emit no event, so a bookmark reaches `searchable_by` with the
 * status's next event; the Postgres documents are always maintained by
 * triggers, and searches fall back to them when Typesense fails or when a
 * query has no words (operator-only searches are narrow by construction).
 */
import { Client, Errors } from "typesense";
import type { CollectionCreateSchema } from "typesense/lib/Typesense/Collections.js";
import type { SearchParams } from "typesense/lib/Typesense/Types.js";
import type { Config } from "../../src/config.ts";
import type { Db } from "../../src/db/index.ts";
import { logger } from "../../src/log.ts";
import { htmlToText } from "../../src/text/index.ts";
import type { AccountSearchRequest, SearchIndex, StatusSearchRequest } from "./port.ts";
import { PostgresSearchIndex } from "./postgres.ts";
import {
  accountQueryWords,
  forbiddenProperties,
  hasSearchableText,
  hasTextClauses,
  isKnownProperty,
  requiredProperties,
  type StatusProperty,
} from "./query.ts";

const log = logger("search", "typesense");

export const STATUSES_COLLECTION = "statuses";
export const ACCOUNTS_COLLECTION = "accounts";

export const STATUSES_SCHEMA: CollectionCreateSchema = {
  name: STATUSES_COLLECTION,
  fields: [
    { name: "text", type: "string", stem: true },
    { name: "account_id", type: "string" },
    { name: "language", type: "string" },
    { name: "visibility", type: "string" },
    { name: "indexable", type: "bool" },
    { name: "searchable_by", type: "string[]" },
    { name: "properties", type: "string[]" },
    { name: "tags", type: "string[]" },
    { name: "created_at", type: "int64" },
    { name: "id_seq", type: "int32" },
  ],
  default_sorting_field: "created_at",
};

export const ACCOUNTS_SCHEMA: CollectionCreateSchema = {
  name: ACCOUNTS_COLLECTION,
  fields: [
    { name: "username", type: "string" },
    { name: "display_name", type: "string" },
    { name: "domain", type: "string" },
    { name: "text", type: "string", stem: true },
    { name: "discoverable", type: "int32" },
    { name: "suspended", type: "bool" },
    { name: "moved", type: "bool" },
    { name: "followers_count", type: "int64" },
    { name: "last_status_at", type: "int64" },
  ],
  default_sorting_field: "followers_count",
  // Handles and names split where search_name_text() splits them for Postgres.
  token_separators: [".", "_", "-", "@", "'", "’", "/", ":", "+", "~"],
};

export interface StatusDocument {
  id: string;
  text: string;
  account_id: string;
  language: string;
  visibility: string;
  indexable: boolean;
  searchable_by: string[];
  properties: StatusProperty[];
  tags: string[];
  created_at: number;
  id_seq: number;
}

export interface AccountDocument {
  id: string;
  username: string;
  display_name: string;
  domain: string;
  text: string;
  discoverable: number;
  suspended: boolean;
  moved: boolean;
  followers_count: number;
  last_status_at: number;
}

/** Everything a status document is made of, read in one query (loadStatusIndexRow). */
export interface StatusIndexRow {
  id: string;
  account_id: string;
  content: string;
  spoiler_text: string;
  language: string | null;
  visibility: string;
  sensitive: boolean;
  in_reply_to_id: string | null;
  reblog_of_id: string | null;
  deleted_at: Date | null;
  author_indexable: boolean;
  author_suspended: boolean;
  media_types: string[];
  media_descriptions: string[];
  poll_options: string[] | null;
  tags: string[];
  searchable_by: string[];
}

export interface AccountIndexRow {
  id: string;
  username: string;
  domain: string | null;
  display_name: string;
  note: string;
  fields: { name: string; value: string }[];
  discoverable: boolean | null;
  indexable: boolean;
  suspended_at: Date | null;
  moved_to_account_id: string | null;
  followers_count: string | null;
  last_status_at: Date | null;
}

/** A snowflake id as [milliseconds, sequence]: exact integers in JavaScript, unlike the id itself. */
export function splitId(id: string): [number, number] {
  const value = BigInt(id);
  return [Number(value >> 16n), Number(value & 0xffffn)];
}

const LINK = /<a\s(?![^>]*class="[^"]*(mention|hashtag))[^>]*href="https?:\/\//;

export function statusProperties(row: StatusIndexRow): StatusProperty[] {
  const properties: StatusProperty[] = [];
  if (row.media_types.includes("image")) properties.push("image");
  if (row.media_types.some((t) => t === "video" || t === "gifv")) properties.push("video");
  if (row.media_types.includes("audio")) properties.push("audio");
  if (row.media_types.length > 0) properties.push("media");
  if (row.poll_options) properties.push("poll");
  if (LINK.test(row.content)) properties.push("link");
  if (row.sensitive) properties.push("sensitive");
  if (row.in_reply_to_id) properties.push("reply");
  return properties;
}

/** The document for a status; null when it must not be in the index (deleted, a reblog, author suspended). */
export function statusDocument(row: StatusIndexRow): StatusDocument | null {
  if (row.deleted_at !== null || row.reblog_of_id !== null || row.author_suspended) return null;
  const [createdAt, seq] = splitId(row.id);
  const text = [row.spoiler_text, htmlToText(row.content), ...row.media_descriptions, ...(row.poll_options ?? [])]
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .join("\n");
  return {
    id: row.id,
    text,
    account_id: row.account_id,
    language: row.language ?? "und",
    visibility: row.visibility,
    indexable: row.visibility === "public" && row.author_indexable,
    searchable_by: [...new Set(row.searchable_by)].sort(),
    properties: statusProperties(row),
    tags: row.tags.map((t) => t.toLowerCase()),
    created_at: createdAt,
    id_seq: seq,
  };
}

export function accountDocument(row: AccountIndexRow): AccountDocument {
  // Bios are searchable only for accounts that asked to be discovered, as in Mastodon.
  const text = row.discoverable
    ? [htmlToText(row.note), ...(row.fields ?? []).flatMap((f) => [f.name, htmlToText(f.value)])].join("\n")
    : "";
  return {
    id: row.id,
    username: row.username,
    display_name: row.display_name,
    domain: row.domain ?? "",
    text,
    discoverable: row.discoverable ? 1 : 0,
    suspended: row.suspended_at !== null,
    moved: row.moved_to_account_id !== null,
    followers_count: Number(row.followers_count ?? 0),
    last_status_at: row.last_status_at ? new Date(row.last_status_at).getTime() : 0,
  };
}

/** Status rows for indexing, in one query whatever their number (the ones that exist). */
export async function loadStatusIndexRows(db: Db, statusIds: string[]): Promise<StatusIndexRow[]> {
  if (statusIds.length === 0) return [];
  const rows = await db`
    SELECT s.id, s.account_id, s.content, s.spoiler_text, s.language, s.visibility, s.sensitive,
           s.in_reply_to_id, s.reblog_of_id, s.deleted_at,
           a.indexable AS author_indexable, a.suspended_at IS NOT NULL AS author_suspended,
           ARRAY(SELECT type FROM media_attachments WHERE status_id = s.id ORDER BY id) AS media_types,
           ARRAY(SELECT description FROM media_attachments
                 WHERE status_id = s.id AND coalesce(description, '') <> '' ORDER BY id) AS media_descriptions,
           (SELECT options FROM polls WHERE status_id = s.id) AS poll_options,
           ARRAY(SELECT t.name FROM statuses_tags st JOIN tags t ON t.id = st.tag_id WHERE st.status_id = s.id) AS tags,
           ARRAY(
             SELECT x.account_id::text FROM (
               SELECT s.account_id
               UNION SELECT account_id FROM mentions WHERE status_id = s.id
               UNION SELECT account_id FROM favourites WHERE status_id = s.id
               UNION SELECT account_id FROM bookmarks WHERE status_id = s.id
               UNION SELECT account_id FROM statuses WHERE reblog_of_id = s.id AND deleted_at IS NULL
               UNION SELECT pv.account_id FROM poll_votes pv JOIN polls p ON p.id = pv.poll_id WHERE p.status_id = s.id
             ) x JOIN accounts la ON la.id = x.account_id AND la.domain IS NULL
           ) AS searchable_by
    FROM statuses s JOIN accounts a ON a.id = s.account_id
    WHERE s.id = ANY(${statusIds}::bigint[])`;
  return rows as unknown as StatusIndexRow[];
}

export async function loadAccountIndexRows(db: Db, accountIds: string[]): Promise<AccountIndexRow[]> {
  if (accountIds.length === 0) return [];
  const rows = await db`
    SELECT a.id, a.username, a.domain, a.display_name, a.note, a.fields, a.discoverable, a.indexable, a.suspended_at,
           a.moved_to_account_id, st.followers_count, st.last_status_at
    FROM accounts a LEFT JOIN account_stats st ON st.account_id = a.id
    WHERE a.id = ANY(${accountIds}::bigint[])`;
  return rows as unknown as AccountIndexRow[];
}

// ---------------------------------------------------------------------------
// Query building

/** Filter values are digits or lowercase codes; backticks keep Typesense from reading anything else into them. */
const quoted = (values: readonly string[]) => `[${values.map((v) => `\`${v}\``).join(",")}]`;
/** A value no document has: an unknown `has:` or `language:` matches nothing, as in Mastodon. */
const NOTHING = "__nothing__";

/** A word as a Typesense query token: quotes and a leading minus would change its meaning. */
function queryWord(word: string): string {
  return word.replace(/"/g, " ").replace(/^[-\s]+/, "").trim();
}

/** q: words, "phrases", -words and -"phrases"; null when there is no positive text (Postgres answers those). */
export function statusQueryText(request: StatusSearchRequest): string | null {
  const { query } = request;
  if (!hasTextClauses(query)) return null;
  const parts = [
    ...query.terms.filter(hasSearchableText).map(queryWord),
    ...query.phrases.filter(hasSearchableText).map((p) => `"${queryWord(p)}"`),
    ...query.excluded.filter(hasSearchableText).map((t) => `-${queryWord(t)}`),
    ...query.excludedPhrases.filter(hasSearchableText).map((p) => `-"${queryWord(p)}"`),
  ];
  return parts.filter((p) => p !== "" && p !== '""' && p !== "-" && p !== '-""').join(" ");
}

function idWindow(column: "max" | "min", id: string): string {
  const [ms, seq] = splitId(id);
  return column === "max"
    ? `(created_at:<${ms} || (created_at:=${ms} && id_seq:<${seq}))`
    : `(created_at:>${ms} || (created_at:=${ms} && id_seq:>${seq}))`;
}

export function statusFilter(request: StatusSearchRequest): string {
  const { query } = request;
  const viewer = quoted([request.viewerId]);
  const filters: string[] = [];
  if (query.in === "public") filters.push("indexable:=true");
  else if (query.in === "library") filters.push(`searchable_by:=${viewer}`);
  else filters.push(`(indexable:=true || searchable_by:=${viewer})`);
  for (const accountId of new Set(request.fromAccountIds)) filters.push(`account_id:=${quoted([accountId])}`);
  if (request.notFromAccountIds.length > 0) filters.push(`account_id:!=${quoted(request.notFromAccountIds)}`);
  if (request.accountId) filters.push(`account_id:=${quoted([request.accountId])}`);
  for (const property of requiredProperties(query)) {
    filters.push(`properties:=${quoted([isKnownProperty(property) ? property : NOTHING])}`);
  }
  const forbidden = forbiddenProperties(query).filter(isKnownProperty);
  if (forbidden.length > 0) filters.push(`properties:!=${quoted(forbidden)}`);
  const code = (value: string) => (/^[a-z]{2,3}$/.test(value) ? value : NOTHING);
  for (const language of new Set(query.language)) filters.push(`language:=${quoted([code(language)])}`);
  const notLanguages = query.not.language.filter((l) => /^[a-z]{2,3}$/.test(l));
  if (notLanguages.length > 0) filters.push(`language:!=${quoted(notLanguages)}`);
  if (query.before) filters.push(`created_at:<${query.before.getTime()}`);
  if (query.after) filters.push(`created_at:>=${query.after.getTime()}`);
  if (request.maxId) filters.push(idWindow("max", request.maxId));
  if (request.minId) filters.push(idWindow("min", request.minId));
  return filters.join(" && ");
}

/** The Typesense search parameters for a status search with words in it. */
export function buildStatusSearchParams(request: StatusSearchRequest): SearchParams<StatusDocument> | null {
  const q = statusQueryText(request);
  if (q === null || q === "") return null;
  return {
    q,
    query_by: "text",
    filter_by: statusFilter(request),
    // Newest first, as Mastodon 4.2 orders status search results.
    sort_by: "created_at:desc,id_seq:desc",
    // Every word required and matched as a whole word, like the Postgres backend and Mastodon.
    prefix: false,
    num_typos: 0,
    drop_tokens_threshold: 0,
    include_fields: "id",
    limit: request.limit,
    offset: request.offset,
  };
}

/** The Typesense search parameters for an account search; null when the query has no words. */
export function buildAccountSearchParams(request: AccountSearchRequest): SearchParams<AccountDocument> | null {
  const words = accountQueryWords(request.q);
  if (words.length === 0) return null;
  // Bios only for signed-in searchers, as Mastodon (they are what the viewer may browse anyway).
  const fields = request.viewerId ? ["username", "display_name", "domain", "text"] : ["username", "display_name", "domain"];
  return {
    q: words.join(" "),
    query_by: fields.join(","),
    query_by_weights: (request.viewerId ? [3, 3, 1, 1] : [3, 3, 1]).join(","),
    prefix: fields.map((f) => f !== "text").join(","),
    filter_by: "suspended:=false && moved:=false",
    sort_by: "_text_match:desc,discoverable:desc,followers_count:desc",
    drop_tokens_threshold: 0,
    include_fields: "id",
    limit: request.limit,
    offset: request.offset,
  };
}

// ---------------------------------------------------------------------------
// The adapter

export function createTypesenseClient(config: NonNullable<Config["typesense"]>): Client {
  return new Client({
    nodes: [{ url: config.url.replace(/\/+$/, "") }],
    apiKey: config.apiKey,
    connectionTimeoutSeconds: 5,
    numRetries: 2,
    logLevel: "silent",
  });
}

export class TypesenseSearchIndex implements SearchIndex {
  readonly kind = "typesense" as const;
  readonly maintainedByEvents = true;
  private readonly fallback: PostgresSearchIndex;
  private collectionsReady: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly client: Client,
  ) {
    this.fallback = new PostgresSearchIndex(db);
  }

  /** Creates the collections if missing; retried on the next call after a failure. */
  ensureCollections(): Promise<void> {
    this.collectionsReady ??= (async () => {
      for (const schema of [STATUSES_SCHEMA, ACCOUNTS_SCHEMA]) {
        try {
          await this.client.collections(schema.name).retrieve();
        } catch (error) {
          if (!(error instanceof Errors.ObjectNotFound)) throw error;
          try {
            await this.client.collections().create(schema);
          } catch (createError) {
            // Another worker created it first.
            if (!(createError instanceof Errors.ObjectAlreadyExists)) throw createError;
          }
        }
      }
    })().catch((error) => {
      this.collectionsReady = null;
      throw error;
    });
    return this.collectionsReady;
  }

  async searchStatuses(request: StatusSearchRequest): Promise<string[]> {
    const params = buildStatusSearchParams(request);
    if (!params) return this.fallback.searchStatuses(request);
    try {
      await this.ensureCollections();
      const result = await this.client.collections<StatusDocument>(STATUSES_COLLECTION).documents().search(params);
      return (result.hits ?? []).map((hit) => hit.document.id);
    } catch (error) {
      log.warning("Typesense status search failed, answering from Postgres: {error}", { error });
      return this.fallback.searchStatuses(request);
    }
  }

  async searchAccounts(request: AccountSearchRequest): Promise<string[]> {
    const params = buildAccountSearchParams(request);
    // "Only accounts I follow" is a small set Postgres filters faster than a long id list in filter_by.
    if (!params || request.following) return this.fallback.searchAccounts(request);
    try {
      await this.ensureCollections();
      const result = await this.client.collections<AccountDocument>(ACCOUNTS_COLLECTION).documents().search(params);
      return (result.hits ?? []).map((hit) => hit.document.id);
    } catch (error) {
      log.warning("Typesense account search failed, answering from Postgres: {error}", { error });
      return this.fallback.searchAccounts(request);
    }
  }

  async indexStatus(statusId: string): Promise<void> {
    const [row] = await loadStatusIndexRows(this.db, [statusId]);
    const document = row && statusDocument(row);
    if (!document) return this.removeStatus(statusId);
    await this.ensureCollections();
    await this.client.collections<StatusDocument>(STATUSES_COLLECTION).documents().upsert(document);
  }

  async removeStatus(statusId: string): Promise<void> {
    await this.ensureCollections();
    await this.deleteDocument(STATUSES_COLLECTION, statusId);
  }

  /**
   * The account's document; with `statuses`, also its public statuses'
   * `indexable` flag, which follows the account's opt-in (an update by
   * filter on the Typesense side, not one write per status).
   */
  async indexAccount(accountId: string, options: { statuses?: boolean } = {}): Promise<void> {
    const [row] = await loadAccountIndexRows(this.db, [accountId]);
    await this.ensureCollections();
    if (!row) return this.deleteDocument(ACCOUNTS_COLLECTION, accountId);
    await this.client.collections<AccountDocument>(ACCOUNTS_COLLECTION).documents().upsert(accountDocument(row));
    if (!options.statuses) return;
    await this.client
      .collections(STATUSES_COLLECTION)
      .documents()
      .update(
        { indexable: row.indexable && row.suspended_at === null },
        { filter_by: `account_id:=${quoted([accountId])} && visibility:=public` },
      );
  }

  /**
   * Rebuilds both collections from the database, a batch at a time (for an
   * instance that turns Typesense on, or after losing its data). Upserts,
   * so it can run while the event handlers keep writing.
   */
  async reindexAll(batchSize = 500): Promise<{ statuses: number; accounts: number }> {
    await this.ensureCollections();
    let accounts = 0;
    for (let after = "0"; ; ) {
      const ids = (await this.db`SELECT id FROM accounts WHERE id > ${after} ORDER BY id LIMIT ${batchSize}`).map((r) => r.id as string);
      if (ids.length === 0) break;
      const rows = await loadAccountIndexRows(this.db, ids);
      await this.importDocuments(ACCOUNTS_COLLECTION, rows.map(accountDocument));
      accounts += rows.length;
      after = ids[ids.length - 1]!;
    }
    let statuses = 0;
    for (let after = "0"; ; ) {
      const ids = (
        await this.db`
          SELECT id FROM statuses WHERE id > ${after} AND deleted_at IS NULL AND reblog_of_id IS NULL
          ORDER BY id LIMIT ${batchSize}`
      ).map((r) => r.id as string);
      if (ids.length === 0) break;
      const documents = (await loadStatusIndexRows(this.db, ids))
        .map(statusDocument)
        .filter((d): d is StatusDocument => d !== null);
      await this.importDocuments(STATUSES_COLLECTION, documents);
      statuses += documents.length;
      after = ids[ids.length - 1]!;
    }
    return { statuses, accounts };
  }

  private async importDocuments(collection: string, documents: object[]): Promise<void> {
    if (documents.length === 0) return;
    const results = await this.client.collections(collection).documents().import(documents, { action: "upsert" });
    const failed = results.find((r) => !r.success);
    if (failed) throw new Error(`Typesense import into ${collection} failed: ${failed.error}`);
  }

  private async deleteDocument(collection: string, id: string): Promise<void> {
    try {
      await this.client.collections(collection).documents(id).delete();
    } catch (error) {
      if (!(error instanceof Errors.ObjectNotFound)) throw error;
    }
  }
}
