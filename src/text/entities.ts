/**
 * Finding the parts of plain text that become links: URLs, `@mentions`
 * (`@user` and `@user@domain`) and `#hashtags`, with Mastodon's rules.
 *
 * URLs come from linkifyjs (trailing punctuation, balanced parentheses,
 * IDNs, TLDs are its job); mentions and hashtags follow Mastodon's
 * MENTION_RE and HASHTAG_RE, written as single-class scans plus trimming so
 * hostile input can't make the regular expressions backtrack.
 */
import * as linkify from "linkifyjs";

export type TextEntity =
  | { type: "url"; start: number; end: number; url: string }
  | { type: "mention"; start: number; end: number; username: string; domain: string | null }
  | { type: "hashtag"; start: number; end: number; name: string };

/** Only URLs written with http(s):// become links, as in Mastodon (a bare "example.com" stays text). */
function isLinkableUrl(value: string): boolean {
  if (!/^https?:\/\//i.test(value)) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

export function extractUrls(text: string): Extract<TextEntity, { type: "url" }>[] {
  return linkify
    .find(text, "url")
    .filter((match) => isLinkableUrl(match.value))
    .map((match) => ({ type: "url" as const, start: match.start, end: match.end, url: match.value }));
}

const WORD = "\\p{L}\\p{M}\\p{N}\\p{Pc}";
// `(?<![=/\w])@`: not inside an e-mail address or a URL path. A domain may
// carry a port (`@bob@host:8080`), as accounts of servers on one are stored.
const MENTION_SCAN = new RegExp(`(?<![=/${WORD}])@([a-z0-9_][a-z0-9_.-]*)(?:@([${WORD}][${WORD}.-]*(?::\\d{1,5}(?![${WORD}]))?))?`, "giu");

export function extractMentionEntities(text: string): Extract<TextEntity, { type: "mention" }>[] {
  const found: Extract<TextEntity, { type: "mention" }>[] = [];
  for (const match of text.matchAll(MENTION_SCAN)) {
    const start = match.index!;
    const rawUser = match[1]!;
    // Usernames end in a word character: "@alice." mentions alice.
    const username = rawUser.replace(/[.-]+$/, "");
    let domain: string | null = null;
    let end = start + 1 + username.length;
    if (match[2] !== undefined && username === rawUser) {
      const trimmed = match[2].replace(/[.-]+$/, "");
      if (trimmed !== "") {
        domain = trimmed;
        end += 1 + trimmed.length;
      }
    }
    found.push({ type: "mention", start, end, username, domain });
  }
  return found;
}

const SEPARATORS = "_\u00B7\u30FB\u200c";
const HASHTAG_SCAN = new RegExp(`(?<![=/)\\p{L}\\p{N}])#([${WORD}${SEPARATORS}]+)`, "gu");
const WORD_CHAR = new RegExp(`^[${WORD}]$`, "u");
const ALPHA = /[\p{L}\p{M}]/u;

/**
 * Mastodon's HASHTAG_RE: starts and ends with a word character, and has a
 * letter somewhere — or a separator inside ("#1·2", "#1_2").
 */
function hashtagName(raw: string): string | null {
  const chars = [...raw];
  while (chars.length > 0 && !WORD_CHAR.test(chars[chars.length - 1]!)) chars.pop();
  if (chars.length === 0 || !WORD_CHAR.test(chars[0]!)) return null;
  if (chars.some((c) => ALPHA.test(c))) return chars.join("");
  const interior = chars.slice(1, -1);
  return interior.some((c) => SEPARATORS.includes(c)) ? chars.join("") : null;
}

export function extractHashtagEntities(text: string): Extract<TextEntity, { type: "hashtag" }>[] {
  const found: Extract<TextEntity, { type: "hashtag" }>[] = [];
  for (const match of text.matchAll(HASHTAG_SCAN)) {
    const name = hashtagName(match[1]!);
    if (name === null) continue;
    found.push({ type: "hashtag", start: match.index!, end: match.index! + 1 + name.length, name });
  }
  return found;
}

/**
 * Every entity, in text order, without overlaps. URLs win over what looks
 * like a mention or a hashtag inside them (`https://host/@user`, `…/#anchor`).
 */
export function extractEntities(text: string, options: { mentions?: boolean; hashtags?: boolean } = {}): TextEntity[] {
  const urls = extractUrls(text);
  const others: TextEntity[] = [
    ...(options.mentions === false ? [] : extractMentionEntities(text)),
    ...(options.hashtags === false ? [] : extractHashtagEntities(text)),
  ];
  const kept: TextEntity[] = [...urls];
  const overlaps = (a: TextEntity, b: TextEntity) => a.start < b.end && b.start < a.end;
  for (const entity of others.sort((a, b) => a.start - b.start)) {
    if (!kept.some((k) => overlaps(k, entity))) kept.push(entity);
  }
  return kept.sort((a, b) => a.start - b.start);
}

/** The distinct handles mentioned, in order of first appearance (usernames as typed, domains lower-cased). */
export function extractMentions(text: string): { username: string; domain: string | null }[] {
  const seen = new Set<string>();
  const result: { username: string; domain: string | null }[] = [];
  for (const entity of extractEntities(text, { hashtags: false })) {
    if (entity.type !== "mention") continue;
    const domain = entity.domain?.toLowerCase() ?? null;
    const key = `${entity.username.toLowerCase()}@${domain ?? ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    result.push({ username: entity.username, domain });
  }
  return result;
}

/** The distinct hashtags, first spelling kept, compared case-insensitively (NFKC, as Mastodon normalises). */
export function extractHashtags(text: string): string[] {
  const seen = new Map<string, string>();
  for (const entity of extractEntities(text, { mentions: false })) {
    if (entity.type !== "hashtag") continue;
    const name = entity.name.normalize("NFKC");
    const key = name.toLowerCase();
    if (!seen.has(key)) seen.set(key, name);
  }
  return [...seen.values()];
}

// Mastodon's CustomEmoji::SCAN_RE: `:shortcode:` not glued to letters, digits or other colons.
const EMOJI_SCAN = /(?<=^|[^\p{L}\p{N}:]):([a-zA-Z0-9_]{2,}):(?=[^\p{L}\p{N}:]|$)/gu;

/** The distinct custom emoji shortcodes used in `text` (without colons). */
export function extractEmojiShortcodes(text: string): string[] {
  return [...new Set([...text.matchAll(EMOJI_SCAN)].map((m) => m[1]!))];
}
