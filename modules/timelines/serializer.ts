/**
 * The one place the List, Filter (v2), FilterKeyword, FilterStatus,
 * FilterResult and V1 Filter entities take their JSON shape (Mastodon 4.x).
 */
import type { FilterKeywordRow, FilterRow, FilterStatusRow, ListRow } from "./storage.ts";

export type RepliesPolicy = "followed" | "list" | "none";
export type FilterContext = "home" | "notifications" | "public" | "thread" | "account";
export type FilterAction = "warn" | "hide" | "blur";

export interface List {
  id: string;
  title: string;
  replies_policy: RepliesPolicy;
  exclusive: boolean;
}

export interface FilterKeyword {
  id: string;
  keyword: string;
  whole_word: boolean;
}

export interface FilterStatus {
  id: string;
  status_id: string;
}

export interface Filter {
  id: string;
  title: string;
  context: FilterContext[];
  expires_at: string | null;
  filter_action: FilterAction;
  /** Omitted when the filter is part of a FilterResult. */
  keywords?: FilterKeyword[];
  statuses?: FilterStatus[];
}

export interface FilterResult {
  filter: Filter;
  keyword_matches: string[] | null;
  status_matches: string[] | null;
}

export interface V1Filter {
  id: string;
  phrase: string;
  context: FilterContext[];
  whole_word: boolean;
  expires_at: string | null;
  irreversible: boolean;
}

const iso = (date: Date | null): string | null => (date ? new Date(date).toISOString() : null);

export function serializeList(row: ListRow): List {
  return { id: row.id, title: row.title, replies_policy: row.replies_policy, exclusive: row.exclusive };
}

export function serializeFilterKeyword(row: FilterKeywordRow): FilterKeyword {
  return { id: row.id, keyword: row.keyword, whole_word: row.whole_word };
}

export function serializeFilterStatus(row: FilterStatusRow): FilterStatus {
  return { id: row.id, status_id: row.status_id };
}

/** The Filter entity; pass keywords and statuses for the full form, leave them out for a FilterResult. */
export function serializeFilter(
  row: FilterRow,
  rules?: { keywords: FilterKeywordRow[]; statuses: FilterStatusRow[] },
): Filter {
  const filter: Filter = {
    id: row.id,
    title: row.title,
    context: row.context as FilterContext[],
    expires_at: iso(row.expires_at),
    filter_action: row.action,
  };
  if (rules) {
    filter.keywords = rules.keywords.map(serializeFilterKeyword);
    filter.statuses = rules.statuses.map(serializeFilterStatus);
  }
  return filter;
}

/**
 * API v1 saw one filter per phrase: Mastodon presents each v2 keyword as a
 * v1 filter with the keyword's id, and `irreversible` for `hide` filters.
 */
export function serializeV1Filter(keyword: FilterKeywordRow, filter: FilterRow): V1Filter {
  return {
    id: keyword.id,
    phrase: keyword.keyword,
    context: filter.context as FilterContext[],
    whole_word: keyword.whole_word,
    expires_at: iso(filter.expires_at),
    irreversible: filter.action === "hide",
  };
}
