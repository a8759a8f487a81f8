/**
 * HTML for the entities the pages show: statuses (with media, polls,
 * content warnings) and profiles. Everything is built from the API's own
 * entities, so the pages show exactly what an anonymous API client would.
 *
 * What is interpolated raw: status `content`, account `note` and field
 * values — our formatter's output for local accounts, federation/sanitize.ts's
 * for remote ones, the same HTML the API serves. Everything else (names,
 * content warnings, media descriptions, URLs) goes through the escaping
 * `html` tag, and URLs from other servers must be http(s).
 */
import type { AppContext } from "../../src/context.ts";
import { html, raw, type Html } from "../../src/http/html-template.ts";
import { absoluteUrl } from "../../src/http/urls.ts";
import { escapeHtml, htmlToText } from "../../src/text/index.ts";
import type { Account } from "../accounts/serializer.ts";
import type { CustomEmoji, MediaAttachment, Poll, Status } from "../statuses/serializer.ts";

/** Only http(s) URLs become links or image sources: a remote server could send anything. */
export function safeUrl(value: string | null | undefined): string | null {
  return value && /^https?:\/\//i.test(value) ? value : null;
}

/** `:shortcode:` → the emoji's image, in the text between tags only (never inside an attribute). */
function emojify(markup: string, emojis: readonly CustomEmoji[]): string {
  const images = new Map<string, CustomEmoji>();
  for (const emoji of emojis) if (safeUrl(emoji.url)) images.set(emoji.shortcode, emoji);
  if (images.size === 0) return markup;
  return markup
    .split(/(<[^>]*>)/)
    .map((part) =>
      part.startsWith("<")
        ? part
        : part.replace(/:([a-zA-Z0-9_]{2,}):/g, (whole, code: string) => {
            const emoji = images.get(code);
            if (!emoji) return whole;
            const name = escapeHtml(`:${code}:`);
            return `<img class="emoji" src="${escapeHtml(emoji.url)}" alt="${name}" title="${name}">`;
          }),
    )
    .join("");
}

export function displayName(account: Account): string {
  return account.display_name.trim() === "" ? account.username : account.display_name;
}

/** The display name as HTML: escaped, with the account's custom emoji shown. */
function nameHtml(account: Account): Html {
  return raw(emojify(escapeHtml(displayName(account)), account.emojis as CustomEmoji[]));
}

/** `@user@domain`, with this server's domain for local accounts. */
export function fullAcct(ctx: AppContext, account: Account): string {
  return account.acct.includes("@") ? `@${account.acct}` : `@${account.acct}@${ctx.config.localDomain}`;
}

const DATE_TIME = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });
const MONTH = new Intl.DateTimeFormat("en", { month: "long", year: "numeric", timeZone: "UTC" });

function formatDateTime(iso: string): string {
  return `${DATE_TIME.format(new Date(iso))} UTC`;
}

/** Plain text of a status for titles and descriptions: the content warning if any, else the text. */
export function statusExcerpt(status: Status, max = 160): string {
  const text = status.spoiler_text.trim() !== "" ? status.spoiler_text : htmlToText(status.content).replace(/\s+/g, " ").trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function mediaHtml(media: MediaAttachment): Html {
  const url = safeUrl(media.url) ?? safeUrl(media.remote_url);
  const preview = safeUrl(media.preview_url) ?? url;
  const alt = media.description ?? "";
  if (!url) return html``;
  switch (media.type) {
    case "image":
      return html`<a href="${url}" rel="noopener"><img src="${preview}" alt="${alt}" title="${alt}" loading="lazy"></a>`;
    case "gifv":
      return html`<video src="${url}" title="${alt}" aria-label="${alt}" autoplay loop muted playsinline></video>`;
    case "video":
      return html`<video src="${url}" ${preview ? html`poster="${preview}"` : ""} title="${alt}" aria-label="${alt}" controls preload="none"></video>`;
    case "audio":
      return html`<audio src="${url}" title="${alt}" aria-label="${alt}" controls preload="none"></audio>`;
    default:
      return html`<a href="${url}" rel="noopener">${alt || "Attachment"}</a>`;
  }
}

function pollHtml(poll: Poll): Html {
  const total = poll.options.reduce((sum, o) => sum + (o.votes_count ?? 0), 0);
  const state = poll.expired
    ? "Closed"
    : poll.expires_at
      ? html`Ends <time datetime="${poll.expires_at}">${formatDateTime(poll.expires_at)}</time>`
      : "Open";
  return html`<ul class="poll">${poll.options.map((option) => {
    const votes = option.votes_count;
    const share = votes !== null && total > 0 ? Math.round((votes / total) * 100) : null;
    return html`<li>${option.title}${share !== null ? html` <span class="muted">— ${share}% (${votes})</span><div class="bar" style="width: ${share}%"></div>` : ""}</li>`;
  })}</ul>
<p class="muted">${poll.voters_count ?? poll.votes_count} people · ${state}</p>`;
}

export interface StatusOptions {
  /** The status a page is about: larger, with its full date and counts. */
  focal?: boolean;
  pinned?: boolean;
}

/** One status as an article; a reblog shows its original with a "boosted" line. */
export function statusHtml(ctx: AppContext, entry: Status, options: StatusOptions = {}): Html {
  const status = entry.reblog ?? entry;
  const author = status.account;
  const authorUrl = safeUrl(author.url) ?? "#";
  const statusUrl = safeUrl(status.url) ?? safeUrl(status.uri) ?? "#";
  const content = raw(emojify(status.content, status.emojis));
  const media = status.media_attachments.length > 0 ? html`<div class="media">${status.media_attachments.map(mediaHtml)}</div>` : html``;
  let body = html`<div class="content e-content"${status.language ? html` lang="${status.language}"` : ""}>${content}</div>${
    status.poll ? pollHtml(status.poll) : ""
  }`;
  if (status.spoiler_text.trim() !== "") {
    body = html`<details><summary>${raw(emojify(escapeHtml(status.spoiler_text), status.emojis))}</summary>${body}${media}</details>`;
  } else if (status.sensitive && status.media_attachments.length > 0) {
    body = html`${body}<details><summary>Sensitive media</summary>${media}</details>`;
  } else {
    body = html`${body}${media}`;
  }
  const when = html`<a class="time u-url" href="${statusUrl}"><time class="dt-published" datetime="${status.created_at}">${formatDateTime(status.created_at)}</time></a>`;
  const details = [
    html`<span title="Replies">↩ ${status.replies_count}</span>`,
    html`<span title="Boosts">🔁 ${status.reblogs_count}</span>`,
    html`<span title="Favourites">★ ${status.favourites_count}</span>`,
    status.visibility === "unlisted" ? html`<span>Unlisted</span>` : null,
    status.edited_at ? html`<span title="${formatDateTime(status.edited_at)}">Edited</span>` : null,
    options.focal && status.application?.name ? html`<span>via ${status.application.name}</span>` : null,
  ].filter((part) => part !== null);
  const meta = html`<div class="meta">${details}</div>`;
  const boost = entry.reblog
    ? html`<p class="boost">🔁 <a href="${safeUrl(entry.account.url) ?? "#"}">${nameHtml(entry.account)}</a> boosted</p>`
    : "";
  return html`<article class="card status h-entry${options.focal ? " focal" : ""}" id="status-${entry.id}">
${options.pinned ? html`<p class="pinned">📌 Pinned</p>` : ""}${boost}
<header><a class="who p-author h-card" href="${authorUrl}"><img class="avatar u-photo" src="${safeUrl(author.avatar_static) ?? ""}" alt="" loading="lazy"><span><strong class="p-name">${nameHtml(author)}</strong><span class="acct">${fullAcct(ctx, author)}</span></span></a>${when}</header>
${body}
${meta}
</article>`;
}

export function statusListHtml(ctx: AppContext, statuses: Status[], empty: string, pinnedIds: Set<string> = new Set()): Html {
  if (statuses.length === 0) return html`<p class="empty">${empty}</p>`;
  return html`${statuses.map((s) => statusHtml(ctx, s, { pinned: pinnedIds.has(s.id) }))}`;
}

/** An "older posts" link continuing the list below `maxId`. */
export function pagerHtml(ctx: AppContext, path: string, maxId: string | undefined): Html {
  if (!maxId) return html``;
  return html`<p class="pager"><a href="${absoluteUrl(ctx.config, `${path}?max_id=${maxId}`)}" rel="next">Older posts</a></p>`;
}

export function profileHtml(ctx: AppContext, account: Account): Html {
  const header = safeUrl(account.header_static);
  // The default header is a transparent pixel: don't give it room.
  const showHeader = header && !header.endsWith("/headers/original/missing.png");
  const fields = account.fields.length > 0
    ? html`<dl class="fields">${account.fields.map(
        (field) =>
          html`<dt>${raw(emojify(escapeHtml(field.name), account.emojis as CustomEmoji[]))}</dt><dd${field.verified_at ? html` class="verified" title="Ownership of this link was checked on ${formatDateTime(field.verified_at)}"` : ""}>${
            field.verified_at ? html`<span class="check" aria-label="Verified">✔</span> ` : ""
          }${raw(field.value)}</dd>`,
      )}</dl>`
    : "";
  const moved = account.moved
    ? html`<p class="card">${displayName(account)} has moved to <a href="${safeUrl(account.moved.url) ?? "#"}">${fullAcct(ctx, account.moved)}</a>.</p>`
    : "";
  return html`<section class="card profile h-card">
${showHeader ? html`<img class="header-image" src="${header}" alt="">` : ""}
<img class="avatar u-photo" src="${safeUrl(account.avatar_static) ?? ""}" alt="">
<h1 class="p-name">${nameHtml(account)}${account.bot ? html`<span class="badge">Bot</span>` : ""}${account.group ? html`<span class="badge">Group</span>` : ""}${account.locked ? html`<span class="badge" title="Approves followers">🔒</span>` : ""}</h1>
<p class="acct"><a class="u-url" href="${safeUrl(account.url) ?? "#"}" rel="me">${fullAcct(ctx, account)}</a></p>
${moved}
<div class="note p-note">${raw(emojify(account.note, account.emojis as CustomEmoji[]))}</div>
${fields}
<p class="counts"><span><strong>${account.statuses_count}</strong> posts</span><span><strong>${account.following_count}</strong> following</span><span><strong>${account.followers_count}</strong> followers</span><span>Joined ${MONTH.format(new Date(account.created_at))}</span></p>
</section>`;
}
