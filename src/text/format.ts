/**
 * Plain text as typed by a local user → the HTML Mastodon serves: escaped,
 * URLs shortened into links, resolvable mentions as h-card links, hashtags
 * linked to the tag page, blank-line-separated paragraphs in <p> and single
 * newlines as <br />. Serves statuses and profile notes/fields alike: a
 * caller that passes no `mention`/`hashtagUrl` gets those left as text.
 */
import { escapeHtml } from "./html.ts";
import { extractEntities } from "./entities.ts";

export interface MentionLink {
  /** The profile page the mention links to. */
  url: string;
  /** Shown after the @ (Mastodon shows the bare username, not the full acct). */
  username: string;
}

export interface FormatOptions {
  /** Paragraphs and line breaks (default); false folds newlines into spaces (profile field values). */
  multiline?: boolean;
  /** rel="me" on links, so the linked site can verify the profile. */
  relMe?: boolean;
  /** Resolves a mention; null (or no resolver) leaves it as text — unknown accounts aren't linked. */
  mention?: (username: string, domain: string | null) => MentionLink | null;
  /** The URL of a hashtag's page; without it hashtags stay text. */
  hashtagUrl?: (name: string) => string;
}

const URL_PREFIX = /^(https?:\/\/(www\.)?)/i;

/**
 * Mastodon's shortened link: the scheme (and www.) hidden, the rest cut at
 * 30 characters with an ellipsis class, the full URL kept for copy-paste.
 */
function linkHtml(url: string, relMe: boolean): string {
  const prefix = URL_PREFIX.exec(url)?.[0] ?? "";
  const rest = url.slice(prefix.length);
  const display = rest.slice(0, 30);
  const suffix = rest.slice(30);
  const rel = relMe ? "nofollow noopener noreferrer me" : "nofollow noopener noreferrer";
  return (
    `<a href="${escapeHtml(url)}" target="_blank" rel="${rel}" translate="no">` +
    `<span class="invisible">${escapeHtml(prefix)}</span>` +
    `<span class="${suffix ? "ellipsis" : ""}">${escapeHtml(display)}</span>` +
    `<span class="invisible">${escapeHtml(suffix)}</span></a>`
  );
}

function mentionHtml(link: MentionLink): string {
  return (
    `<span class="h-card" translate="no"><a href="${escapeHtml(link.url)}" class="u-url mention">` +
    `@<span>${escapeHtml(link.username)}</span></a></span>`
  );
}

function hashtagHtml(name: string, url: string): string {
  return `<a href="${escapeHtml(url)}" class="mention hashtag" rel="tag">#<span>${escapeHtml(name)}</span></a>`;
}

export function formatPlainText(text: string, options: FormatOptions = {}): string {
  const normalized = text.replace(/\r\n?/g, "\n");
  if (normalized.trim() === "") return "";
  const entities = extractEntities(normalized, {
    mentions: options.mention !== undefined,
    hashtags: options.hashtagUrl !== undefined,
  });
  let html = "";
  let cursor = 0;
  for (const entity of entities) {
    let replacement: string | null = null;
    if (entity.type === "url") replacement = linkHtml(entity.url, options.relMe ?? false);
    else if (entity.type === "mention") {
      const link = options.mention!(entity.username, entity.domain);
      if (link) replacement = mentionHtml(link);
    } else replacement = hashtagHtml(entity.name, options.hashtagUrl!(entity.name));
    if (replacement === null) continue;
    html += escapeHtml(normalized.slice(cursor, entity.start)) + replacement;
    cursor = entity.end;
  }
  html += escapeHtml(normalized.slice(cursor));
  if (options.multiline === false) return html.replace(/\n/g, " ");
  return html
    .split(/\n{2,}/)
    .map((paragraph) => `<p>${paragraph.replace(/\n/g, "<br />")}</p>`)
    .join("");
}
