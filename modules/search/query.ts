/**
 * What the user typed into the search box, parsed once and shared by every
 * backend (Postgres builds SQL from it, Typesense builds search parameters).
 *
 * Mastodon 4.2's status search syntax: words (all required), "quoted
 * phrases", `-word` / `-"phrase"` to exclude, `+word` (same as a bare word),
 * and the operators `from:`, `has:`, `is:`, `language:`, `before:`,
 * `after:`, `during:` and `in:` — each negatable with `-` except the dates
 * and `in:`. A `word:` with an unknown prefix is an ordinary word (Mastodon
 * enumerates its prefixes so URLs and times like 10:30 stay words).
 */

export class SearchSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SearchSyntaxError";
  }
}

/** Properties `has:`/`is:` can test (Mastodon's Status#searchable_properties; both prefixes test the same set). */
export const STATUS_PROPERTIES = ["media", "image", "video", "audio", "poll", "link", "embed", "sensitive", "reply"] as const;
export type StatusProperty = (typeof STATUS_PROPERTIES)[number];

export type SearchScope = "all" | "library" | "public";

export interface OperatorFilters {
  /** Handles as typed, without a leading @ (`alice`, `alice@example.com`, or `me`). */
  from: string[];
  has: string[];
  is: string[];
  /** Lowercased ISO 639 codes. */
  language: string[];
}

export interface ParsedSearchQuery {
  /** Required words, as typed (never empty strings). */
  terms: string[];
  /** Required exact phrases. */
  phrases: string[];
  /** Words that must not appear. */
  excluded: string[];
  /** Phrases that must not appear. */
  excludedPhrases: string[];
  from: string[];
  has: string[];
  is: string[];
  language: string[];
  /** Exclusive upper bound: only statuses created before this instant. */
  before: Date | null;
  /** Inclusive lower bound: only statuses created at or after this instant. */
  after: Date | null;
  /** `in:library` (the viewer's own and interacted-with statuses), `in:public`, or both. */
  in: SearchScope;
  /** Negated operators (`-from:`, `-has:`, `-is:`, `-language:`). */
  not: OperatorFilters;
}

/** Typographic quotes count as quotes, as in Mastodon's SearchService. */
const QUOTE_EQUIVALENTS = /[“”„«»「」『』《》]/g;
const PREFIXES = new Set(["from", "has", "is", "language", "before", "after", "during", "in"]);
const DAY_MS = 86_400_000;
/** Keeps a hostile query from building an enormous tsquery or filter. */
const MAX_CLAUSES = 32;

export function emptyQuery(): ParsedSearchQuery {
  return {
    terms: [],
    phrases: [],
    excluded: [],
    excludedPhrases: [],
    from: [],
    has: [],
    is: [],
    language: [],
    before: null,
    after: null,
    in: "all",
    not: { from: [], has: [], is: [], language: [] },
  };
}

/** Whether a word can match anything in a full-text index (punctuation alone cannot). */
export function hasSearchableText(text: string): boolean {
  return /[\p{L}\p{N}]/u.test(text);
}

/** `language:EN`, `language:en-US` → `en` (statuses store bare ISO 639 codes). */
export function normalizeLanguage(value: string): string | null {
  const code = value.toLowerCase().split(/[-_]/)[0]!;
  return /^[a-z]{2,3}$/.test(code) ? code : null;
}

/**
 * A date operand: `2024-05-01` means that whole UTC day, a full ISO
 * timestamp means that instant. Returns the [start, end) of the span.
 */
function parseDateSpan(value: string, prefix: string): [Date, Date] {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (day) {
    const start = new Date(Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3])));
    if (start.getUTCDate() === Number(day[3]) && start.getUTCMonth() === Number(day[2]) - 1) {
      return [start, new Date(start.getTime() + DAY_MS)];
    }
  } else if (/^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})?$/.test(value)) {
    const instant = new Date(value);
    if (!Number.isNaN(instant.getTime())) return [instant, instant];
  }
  throw new SearchSyntaxError(`Invalid date for ${prefix}: ${value}`);
}

const later = (a: Date | null, b: Date) => (a === null || b > a ? b : a);
const earlier = (a: Date | null, b: Date) => (a === null || b < a ? b : a);

interface Clause {
  operator: "+" | "-" | null;
  prefix: string | null;
  value: string;
  phrase: boolean;
}

/** Splits the query into clauses: `[+-]?(prefix:)?("phrase"|term)`. */
function tokenize(q: string): Clause[] {
  const clauses: Clause[] = [];
  const text = q.replace(QUOTE_EQUIVALENTS, '"');
  let i = 0;
  while (i < text.length && clauses.length < MAX_CLAUSES) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    let operator: Clause["operator"] = null;
    if ((text[i] === "+" || text[i] === "-") && i + 1 < text.length && !/\s/.test(text[i + 1]!)) {
      operator = text[i] as "+" | "-";
      i++;
    }
    let prefix: string | null = null;
    const prefixMatch = /^([a-z]+):(?=[^\s])/i.exec(text.slice(i));
    if (prefixMatch && PREFIXES.has(prefixMatch[1]!.toLowerCase())) {
      prefix = prefixMatch[1]!.toLowerCase();
      i += prefixMatch[0].length;
    }
    if (text[i] === '"') {
      // An unterminated quote runs to the end of the query rather than failing the search.
      const close = text.indexOf('"', i + 1);
      const end = close === -1 ? text.length : close;
      const value = text.slice(i + 1, end).trim();
      i = end + 1;
      if (value !== "") clauses.push({ operator, prefix, value, phrase: true });
      continue;
    }
    let end = i;
    while (end < text.length && !/\s/.test(text[end]!) && text[end] !== '"') end++;
    const value = text.slice(i, end);
    i = end;
    if (value !== "") clauses.push({ operator, prefix, value, phrase: false });
    else if (operator !== null) clauses.push({ operator: null, prefix: null, value: operator, phrase: false });
  }
  return clauses;
}

export function parseSearchQuery(q: string): ParsedSearchQuery {
  const parsed = emptyQuery();
  for (const clause of tokenize(q.trim())) {
    const negated = clause.operator === "-";
    if (clause.prefix === null) {
      if (clause.phrase) (negated ? parsed.excludedPhrases : parsed.phrases).push(clause.value);
      else (negated ? parsed.excluded : parsed.terms).push(clause.value);
      continue;
    }
    const target = negated ? parsed.not : parsed;
    switch (clause.prefix) {
      case "from":
        target.from.push(clause.value.replace(/^@/, ""));
        break;
      case "has":
      case "is":
        target[clause.prefix].push(clause.value.toLowerCase());
        break;
      case "language": {
        // An unknown code matches nothing (kept as typed), as an ES term filter would.
        target.language.push(normalizeLanguage(clause.value) ?? clause.value.toLowerCase());
        break;
      }
      case "before":
      case "after":
      case "during": {
        if (negated) throw new SearchSyntaxError(`Operator not allowed for ${clause.prefix}:`);
        const [start, end] = parseDateSpan(clause.value, clause.prefix);
        // Mastodon (Elasticsearch date rounding): before:D excludes D, after:D excludes D, during:D is D.
        if (clause.prefix === "before") parsed.before = earlier(parsed.before, start);
        else if (clause.prefix === "after") parsed.after = later(parsed.after, end.getTime() === start.getTime() ? new Date(start.getTime() + 1) : end);
        else {
          parsed.after = later(parsed.after, start);
          parsed.before = earlier(parsed.before, end);
        }
        break;
      }
      case "in": {
        const scope = clause.value.toLowerCase();
        if (negated || !["all", "library", "public"].includes(scope)) {
          throw new SearchSyntaxError(`Unknown value for in: ${clause.value}`);
        }
        parsed.in = scope as SearchScope;
        break;
      }
    }
  }
  return parsed;
}

/** Whether the query asks for any text match (words or phrases that can match something). */
export function hasTextClauses(query: ParsedSearchQuery): boolean {
  return [...query.terms, ...query.phrases].some(hasSearchableText);
}

/** The properties a status must have (`has:` and `is:` test the same set, as in Mastodon). */
export function requiredProperties(query: ParsedSearchQuery): string[] {
  return [...new Set([...query.has, ...query.is])];
}

export function forbiddenProperties(query: ParsedSearchQuery): string[] {
  return [...new Set([...query.not.has, ...query.not.is])];
}

export function isKnownProperty(value: string): value is StatusProperty {
  return (STATUS_PROPERTIES as readonly string[]).includes(value);
}

// ---------------------------------------------------------------------------
// Accounts and hashtags

/**
 * An account query as words: lowercased, split on anything that is not a
 * letter, mark or digit — the same split search_name_text() applies to the
 * indexed names (migration 0015), so "alice@soc" finds alice@social.example.
 * Words are pure letters and digits, safe to quote into a tsquery.
 */
export function accountQueryWords(q: string): string[] {
  return q
    .normalize("NFKC")
    .toLowerCase()
    .split(/[^\p{L}\p{M}\p{N}]+/u)
    .filter((word) => word !== "")
    .slice(0, 8)
    .map((word) => word.slice(0, 64));
}

/** `@user@domain`, `user@domain` or `user` as a handle; null when the query is not shaped like one. */
export function parseHandle(q: string): { username: string; domain: string | null } | null {
  const match = /^@?([\p{L}\p{N}_.-]+)(?:@([a-z0-9.-]+(?::\d+)?))?$/iu.exec(q.trim());
  if (!match) return null;
  return { username: match[1]!, domain: match[2]?.toLowerCase() ?? null };
}

/** A hashtag query (`#Cats` or `cats`) as the lowercased name prefix to look up; null when nothing usable is left. */
export function hashtagPrefix(q: string): string | null {
  const name = q.trim().replace(/^#/, "").normalize("NFKC").toLowerCase();
  if (!/^[\p{L}\p{M}\p{N}_\u00B7\u30FB\u200c]+$/u.test(name)) return null;
  return name.slice(0, 100);
}
