/**
 * Filter use cases (Mastodon's Api::V2::FiltersController, its keywords and
 * statuses controllers, and the deprecated v1 view where each keyword is a
 * filter of its own). Writes run in one transaction: a bad keyword in a
 * request leaves the filter as it was.
 */
import type { AppContext } from "../../src/context.ts";
import type { Db } from "../../src/db/index.ts";
import { notFound, unprocessable } from "../../src/http/errors.ts";
import { bool, id, int, list, str, type Params } from "../../src/http/params.ts";
import {
  serializeFilter,
  serializeFilterKeyword,
  serializeFilterStatus,
  serializeV1Filter,
  type Filter,
  type FilterAction,
  type FilterContext,
  type FilterKeyword,
  type FilterStatus,
  type V1Filter,
} from "./serializer.ts";
import {
  deleteFilter,
  deleteFilterKeywords,
  deleteFilterStatus,
  insertFilter,
  insertFilterKeyword,
  insertFilterStatus,
  selectFilter,
  selectFilterKeywords,
  selectFilters,
  selectFilterStatuses,
  selectOwnedFilterStatus,
  selectOwnedKeyword,
  statusExists,
  updateFilter,
  updateFilterKeyword,
  type FilterKeywordRow,
  type FilterRow,
} from "./storage.ts";

const CONTEXTS: readonly FilterContext[] = ["home", "notifications", "public", "thread", "account"];
const ACTIONS: readonly FilterAction[] = ["warn", "hide", "blur"];
const MAX_TITLE_LENGTH = 256;
const MAX_KEYWORD_LENGTH = 512;

// ---------------------------------------------------------------------------
// Parameters

function readTitle(value: unknown, required: boolean): string | undefined {
  const title = str(value)?.trim();
  if (title === undefined && !required) return undefined;
  if (!title) throw unprocessable("Title can't be blank");
  if (title.length > MAX_TITLE_LENGTH) throw unprocessable(`Title is too long (maximum is ${MAX_TITLE_LENGTH} characters)`);
  return title;
}

function readContext(value: unknown, required: boolean): FilterContext[] | undefined {
  if (value === undefined && !required) return undefined;
  const contexts = [...new Set(list(value))];
  if (contexts.length === 0) throw unprocessable("Context can't be blank");
  if (contexts.some((c) => !CONTEXTS.includes(c as FilterContext))) {
    throw unprocessable("Context None or invalid context supplied");
  }
  return contexts as FilterContext[];
}

function readAction(value: unknown): FilterAction | undefined {
  const action = str(value);
  if (action === undefined || action === "") return undefined;
  if (!ACTIONS.includes(action as FilterAction)) throw unprocessable("Filter action is not included in the list");
  return action as FilterAction;
}

/** `expires_in` seconds from now; an empty value means "never" (null), absent means unchanged (undefined). */
function readExpiry(params: Params): Date | null | undefined {
  if (!("expires_in" in params)) return undefined;
  const seconds = int(params.expires_in, "expires_in", { min: 1 });
  return seconds === undefined ? null : new Date(Date.now() + seconds * 1000);
}

function readKeyword(value: unknown): string {
  const keyword = str(value)?.trim();
  if (!keyword) throw unprocessable("Keyword can't be blank");
  if (keyword.length > MAX_KEYWORD_LENGTH) throw unprocessable(`Keyword is too long (maximum is ${MAX_KEYWORD_LENGTH} characters)`);
  return keyword;
}

interface KeywordAttributes {
  id?: string;
  keyword?: string;
  whole_word?: boolean;
  destroy: boolean;
}

/** `keywords_attributes` as Rails nested attributes: an array, or an object keyed by index. */
function readKeywordAttributes(value: unknown): KeywordAttributes[] {
  if (value === undefined || value === null || value === "") return [];
  const items = Array.isArray(value) ? value : typeof value === "object" ? Object.values(value as object) : null;
  if (!items) throw unprocessable("Keywords attributes must be a list");
  return items.map((item) => {
    if (typeof item !== "object" || item === null) throw unprocessable("Keywords attributes must be a list");
    const attrs = item as Params;
    const rawId = attrs.id;
    const keywordId = rawId === undefined || rawId === "" ? undefined : id(rawId);
    if (rawId !== undefined && rawId !== "" && keywordId === undefined) throw notFound();
    return {
      id: keywordId,
      keyword: attrs.keyword === undefined ? undefined : readKeyword(attrs.keyword),
      whole_word: bool(attrs.whole_word),
      destroy: bool(attrs._destroy, false),
    };
  });
}

// ---------------------------------------------------------------------------
// Rendering

async function renderFilters(db: Db, rows: FilterRow[]): Promise<Filter[]> {
  const ids = rows.map((r) => r.id);
  const [keywords, statuses] = await Promise.all([selectFilterKeywords(db, ids), selectFilterStatuses(db, ids)]);
  return rows.map((row) =>
    serializeFilter(row, {
      keywords: keywords.filter((k) => k.filter_id === row.id),
      statuses: statuses.filter((s) => s.filter_id === row.id),
    }),
  );
}

async function renderFilter(db: Db, row: FilterRow): Promise<Filter> {
  return (await renderFilters(db, [row]))[0]!;
}

export async function requireOwnFilter(db: Db, accountId: string, rawId: unknown): Promise<FilterRow> {
  const filterId = id(rawId);
  const filter = filterId ? await selectFilter(db, accountId, filterId) : null;
  if (!filter) throw notFound();
  return filter;
}

// ---------------------------------------------------------------------------
// API v2

export async function listFilters(ctx: AppContext, accountId: string): Promise<Filter[]> {
  return renderFilters(ctx.sql, await selectFilters(ctx.sql, accountId));
}

export async function showFilter(ctx: AppContext, accountId: string, rawId: unknown): Promise<Filter> {
  return renderFilter(ctx.sql, await requireOwnFilter(ctx.sql, accountId, rawId));
}

export async function createFilter(ctx: AppContext, accountId: string, params: Params): Promise<Filter> {
  const title = readTitle(params.title, true)!;
  const context = readContext(params.context, true)!;
  const action = readAction(params.filter_action) ?? "warn";
  const expiresAt = readExpiry(params) ?? null;
  const keywords = readKeywordAttributes(params.keywords_attributes).filter((k) => !k.destroy);
  if (keywords.some((k) => k.keyword === undefined)) throw unprocessable("Keywords keyword can't be blank");
  return ctx.sql.begin(async (tx) => {
    const filter = await insertFilter(tx, accountId, { title, context, action, expires_at: expiresAt });
    for (const k of keywords) await insertFilterKeyword(tx, filter.id, { keyword: k.keyword!, whole_word: k.whole_word ?? true });
    return renderFilter(tx, filter);
  });
}

export async function changeFilter(ctx: AppContext, accountId: string, rawId: unknown, params: Params): Promise<Filter> {
  const title = readTitle(params.title, false);
  const context = readContext(params.context, false);
  const action = readAction(params.filter_action);
  const expiresAt = readExpiry(params);
  const keywords = readKeywordAttributes(params.keywords_attributes);
  return ctx.sql.begin(async (tx) => {
    const filter = await requireOwnFilter(tx, accountId, rawId);
    await updateFilter(tx, filter.id, {
      ...(title !== undefined ? { title } : {}),
      ...(context !== undefined ? { context } : {}),
      ...(action !== undefined ? { action } : {}),
      ...(expiresAt !== undefined ? { expires_at: expiresAt } : {}),
    });
    const existing = new Set((await selectFilterKeywords(tx, [filter.id])).map((k) => k.id));
    for (const k of keywords) {
      if (k.id !== undefined && !existing.has(k.id)) throw notFound();
      if (k.id !== undefined && k.destroy) await deleteFilterKeywords(tx, filter.id, [k.id]);
      else if (k.id !== undefined) {
        await updateFilterKeyword(tx, k.id, {
          ...(k.keyword !== undefined ? { keyword: k.keyword } : {}),
          ...(k.whole_word !== undefined ? { whole_word: k.whole_word } : {}),
        });
      } else if (!k.destroy) {
        if (k.keyword === undefined) throw unprocessable("Keywords keyword can't be blank");
        await insertFilterKeyword(tx, filter.id, { keyword: k.keyword, whole_word: k.whole_word ?? true });
      }
    }
    return renderFilter(tx, (await selectFilter(tx, accountId, filter.id))!);
  });
}

export async function destroyFilter(ctx: AppContext, accountId: string, rawId: unknown): Promise<void> {
  const filter = await requireOwnFilter(ctx.sql, accountId, rawId);
  await deleteFilter(ctx.sql, filter.id);
}

// Keywords ----------------------------------------------------------------------

export async function listKeywords(ctx: AppContext, accountId: string, filterId: unknown): Promise<FilterKeyword[]> {
  const filter = await requireOwnFilter(ctx.sql, accountId, filterId);
  return (await selectFilterKeywords(ctx.sql, [filter.id])).map(serializeFilterKeyword);
}

export async function addKeyword(ctx: AppContext, accountId: string, filterId: unknown, params: Params): Promise<FilterKeyword> {
  const filter = await requireOwnFilter(ctx.sql, accountId, filterId);
  const keyword = readKeyword(params.keyword);
  return serializeFilterKeyword(
    await insertFilterKeyword(ctx.sql, filter.id, { keyword, whole_word: bool(params.whole_word, true) }),
  );
}

async function requireOwnKeyword(db: Db, accountId: string, rawId: unknown) {
  const keywordId = id(rawId);
  const found = keywordId ? await selectOwnedKeyword(db, accountId, keywordId) : null;
  if (!found) throw notFound();
  return found;
}

export async function showKeyword(ctx: AppContext, accountId: string, rawId: unknown): Promise<FilterKeyword> {
  return serializeFilterKeyword((await requireOwnKeyword(ctx.sql, accountId, rawId)).keyword);
}

export async function changeKeyword(ctx: AppContext, accountId: string, rawId: unknown, params: Params): Promise<FilterKeyword> {
  const { keyword } = await requireOwnKeyword(ctx.sql, accountId, rawId);
  const changes = {
    ...(params.keyword !== undefined ? { keyword: readKeyword(params.keyword) } : {}),
    ...(bool(params.whole_word) !== undefined ? { whole_word: bool(params.whole_word)! } : {}),
  };
  return serializeFilterKeyword((await updateFilterKeyword(ctx.sql, keyword.id, changes)) ?? keyword);
}

export async function destroyKeyword(ctx: AppContext, accountId: string, rawId: unknown): Promise<void> {
  const { keyword } = await requireOwnKeyword(ctx.sql, accountId, rawId);
  await deleteFilterKeywords(ctx.sql, keyword.filter_id, [keyword.id]);
}

// Statuses ----------------------------------------------------------------------

export async function listFilterStatuses(ctx: AppContext, accountId: string, filterId: unknown): Promise<FilterStatus[]> {
  const filter = await requireOwnFilter(ctx.sql, accountId, filterId);
  return (await selectFilterStatuses(ctx.sql, [filter.id])).map(serializeFilterStatus);
}

export async function addFilterStatus(ctx: AppContext, accountId: string, filterId: unknown, params: Params): Promise<FilterStatus> {
  const filter = await requireOwnFilter(ctx.sql, accountId, filterId);
  const statusId = id(params.status_id);
  if (!statusId) throw unprocessable("Status can't be blank");
  if (!(await statusExists(ctx.sql, statusId))) throw notFound();
  return serializeFilterStatus(await insertFilterStatus(ctx.sql, filter.id, statusId));
}

async function requireOwnFilterStatus(db: Db, accountId: string, rawId: unknown) {
  const statusFilterId = id(rawId);
  const found = statusFilterId ? await selectOwnedFilterStatus(db, accountId, statusFilterId) : null;
  if (!found) throw notFound();
  return found;
}

export async function showFilterStatus(ctx: AppContext, accountId: string, rawId: unknown): Promise<FilterStatus> {
  return serializeFilterStatus(await requireOwnFilterStatus(ctx.sql, accountId, rawId));
}

export async function destroyFilterStatus(ctx: AppContext, accountId: string, rawId: unknown): Promise<void> {
  const row = await requireOwnFilterStatus(ctx.sql, accountId, rawId);
  await deleteFilterStatus(ctx.sql, row.id);
}

// ---------------------------------------------------------------------------
// API v1: one filter per keyword

export async function listV1Filters(ctx: AppContext, accountId: string): Promise<V1Filter[]> {
  const filters = await selectFilters(ctx.sql, accountId);
  const byId = new Map(filters.map((f) => [f.id, f]));
  const keywords = await selectFilterKeywords(ctx.sql, filters.map((f) => f.id));
  return keywords.map((k) => serializeV1Filter(k, byId.get(k.filter_id)!));
}

export async function showV1Filter(ctx: AppContext, accountId: string, rawId: unknown): Promise<V1Filter> {
  const { keyword, filter } = await requireOwnKeyword(ctx.sql, accountId, rawId);
  return serializeV1Filter(keyword, filter);
}

/** v1 create: a filter titled after its one phrase; `irreversible` is the `hide` action. */
export async function createV1Filter(ctx: AppContext, accountId: string, params: Params): Promise<V1Filter> {
  const phrase = readKeyword(params.phrase);
  const context = readContext(params.context, true)!;
  const action: FilterAction = bool(params.irreversible, false) ? "hide" : "warn";
  const expiresAt = readExpiry(params) ?? null;
  return ctx.sql.begin(async (tx) => {
    const filter = await insertFilter(tx, accountId, { title: phrase, context, action, expires_at: expiresAt });
    const keyword = await insertFilterKeyword(tx, filter.id, { keyword: phrase, whole_word: bool(params.whole_word, true) });
    return serializeV1Filter(keyword, filter);
  });
}

/** v1 update: the phrase belongs to the keyword, the rest to its filter (refused when the filter holds other keywords). */
export async function changeV1Filter(ctx: AppContext, accountId: string, rawId: unknown, params: Params): Promise<V1Filter> {
  const context = readContext(params.context, false);
  const irreversible = bool(params.irreversible);
  const expiresAt = readExpiry(params);
  const phrase = params.phrase === undefined ? undefined : readKeyword(params.phrase);
  return ctx.sql.begin(async (tx) => {
    const { keyword, filter } = await requireOwnKeyword(tx, accountId, rawId);
    const filterChanges = {
      ...(context !== undefined ? { context } : {}),
      ...(irreversible !== undefined ? { action: (irreversible ? "hide" : "warn") as FilterAction } : {}),
      ...(expiresAt !== undefined ? { expires_at: expiresAt } : {}),
    };
    if (Object.keys(filterChanges).length > 0) {
      const siblings = await selectFilterKeywords(tx, [filter.id]);
      if (siblings.length > 1) {
        throw unprocessable("Cannot change filter settings of a filter with several keywords through the deprecated API");
      }
      await updateFilter(tx, filter.id, filterChanges);
    }
    const updated: FilterKeywordRow =
      (await updateFilterKeyword(tx, keyword.id, {
        ...(phrase !== undefined ? { keyword: phrase } : {}),
        ...(bool(params.whole_word) !== undefined ? { whole_word: bool(params.whole_word)! } : {}),
      })) ?? keyword;
    return serializeV1Filter(updated, (await selectFilter(tx, accountId, filter.id))!);
  });
}

/** v1 delete removes the phrase, and the filter with it once nothing else is left in it. */
export async function destroyV1Filter(ctx: AppContext, accountId: string, rawId: unknown): Promise<void> {
  await ctx.sql.begin(async (tx) => {
    const { keyword, filter } = await requireOwnKeyword(tx, accountId, rawId);
    await deleteFilterKeywords(tx, filter.id, [keyword.id]);
    const [keywords, statuses] = await Promise.all([selectFilterKeywords(tx, [filter.id]), selectFilterStatuses(tx, [filter.id])]);
    if (keywords.length === 0 && statuses.length === 0) await deleteFilter(tx, filter.id);
  });
}
