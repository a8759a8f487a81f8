/**
 * Filter matching (Mastodon's CustomFilter): the viewer's unexpired filters
 * for a context, compiled once per request, then matched against each
 * rendered status. The statuses serializer calls these to fill `filtered`
 * and to drop statuses a `hide` filter matches.
 *
 *   const filters = await activeFilters(db, viewerId, "home");
 *   const results = matchFilters(filters, status);   // FilterResult[]
 */
import type { Db } from "../../src/db/index.ts";
import { htmlToText } from "../../src/text/index.ts";
import { serializeFilter, type FilterContext, type FilterResult } from "./serializer.ts";
import { selectActiveFilters } from "./storage.ts";

export type { FilterContext, FilterResult } from "./serializer.ts";

export interface CompiledFilter {
  /** The Filter entity as a FilterResult carries it (no keywords/statuses). */
  entity: FilterResult["filter"];
  keywords: { keyword: string; pattern: RegExp }[];
  statusIds: Set<string>;
}

// Ruby's [[:word:]]: letters, marks, numbers and connector punctuation, in any script.
const WORD = "[\\p{L}\\p{M}\\p{N}\\p{Pc}]";
const startsWithWord = new RegExp(`^${WORD}`, "u");
const endsWithWord = new RegExp(`${WORD}$`, "u");

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A keyword's pattern, as Mastodon builds it: whole-word keywords get a
 * boundary only on a side where the keyword itself starts or ends with a
 * word character ("#tag" or "c++" still match), case-insensitively.
 */
export function keywordPattern(keyword: string, wholeWord: boolean): RegExp {
  const body = escapeRegExp(keyword);
  if (!wholeWord) return new RegExp(body, "iu");
  const start = startsWithWord.test(keyword) ? `(?<!${WORD})` : "";
  const end = endsWithWord.test(keyword) ? `(?!${WORD})` : "";
  return new RegExp(`${start}${body}${end}`, "iu");
}

/** The account's filters applying in `context`, unexpired, ready to match. */
export async function activeFilters(db: Db, accountId: string, context: FilterContext): Promise<CompiledFilter[]> {
  const rows = await selectActiveFilters(db, accountId, context);
  return rows.map((row) => ({
    entity: serializeFilter(row),
    keywords: row.keywords
      .filter((k) => k.keyword.trim() !== "")
      .map((k) => ({ keyword: k.keyword, pattern: keywordPattern(k.keyword, k.whole_word) })),
    statusIds: new Set(row.status_ids),
  }));
}

/**
 * What a status is matched on. Pass a rendered Status entity (a reblog is
 * judged by its original, as in Mastodon), or the parts directly: `text`
 * as plain text (e.g. statuses' `filterableText`) or `content` as HTML.
 */
export interface FilterableStatus {
  id: string;
  reblog?: FilterableStatus | null;
  /** For a bare row: the original's id, so filtering a status also filters its reblogs. */
  reblog_of_id?: string | null;
  text?: string | null;
  content?: string | null;
  spoiler_text?: string | null;
  poll?: { options: { title: string }[] } | null;
  media_attachments?: { description?: string | null }[];
}

/** The searchable text of a status: content warning, text, poll options and media descriptions. */
export function searchableText(status: FilterableStatus): string {
  const body = status.text ?? (status.content ? htmlToText(status.content) : "");
  return [
    status.spoiler_text ?? "",
    body,
    ...(status.poll?.options.map((o) => o.title) ?? []),
    ...(status.media_attachments?.map((m) => m.description ?? "") ?? []),
  ].join("\n\n");
}

/** The filters a status matches, with what matched (FilterResult entities, for `filtered`). */
export function matchFilters(filters: readonly CompiledFilter[], status: FilterableStatus): FilterResult[] {
  if (filters.length === 0) return [];
  const proper = status.reblog ?? status;
  const ids = [status.id, proper.id, status.reblog_of_id].filter((x): x is string => typeof x === "string");
  let text: string | null = null;
  const results: FilterResult[] = [];
  for (const filter of filters) {
    let keywordMatches: string[] | null = null;
    if (filter.keywords.length > 0) {
      text ??= searchableText(proper);
      for (const { pattern } of filter.keywords) {
        const match = pattern.exec(text);
        if (match) (keywordMatches ??= []).push(match[0]);
      }
    }
    let statusMatches: string[] | null = null;
    if (filter.statusIds.size > 0) {
      const matched = [...new Set(ids)].filter((id) => filter.statusIds.has(id));
      if (matched.length > 0) statusMatches = matched;
    }
    if (keywordMatches || statusMatches) {
      results.push({ filter: filter.entity, keyword_matches: keywordMatches, status_matches: statusMatches });
    }
  }
  return results;
}

/** True when a `hide` filter matched: the status is dropped instead of shown with a warning. */
export function hiddenByFilters(results: readonly FilterResult[]): boolean {
  return results.some((r) => r.filter.filter_action === "hide");
}
