/**
 * The frame of every public page: head (viewport, OpenGraph, the
 * ActivityPub alternate link), a plain stylesheet inline, and the response
 * headers. The pages need no JavaScript, and the Content-Security-Policy
 * says so: even if some markup slipped through, no script could run.
 */
import type { AppContext } from "../../src/context.ts";
import { html, raw, type Html } from "../../src/http/html-template.ts";
import { absoluteUrl } from "../../src/http/urls.ts";

export interface PageMeta {
  title: string;
  /** Plain text, for `description` and `og:description`. */
  description?: string;
  /** The page's own (canonical) URL. */
  url?: string;
  /** The ActivityPub id of what the page shows (actor, status). */
  activityPub?: string;
  ogType?: "website" | "profile" | "article";
  image?: string | null;
  noindex?: boolean;
  /** Extra OpenGraph properties (e.g. article:published_time). */
  og?: Record<string, string>;
}

const STYLE = `
:root { color-scheme: light dark; --fg: #1f232b; --muted: #606984; --bg: #f3f4f8; --card: #fff; --line: #dde0ea; --accent: #563acc; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6e8f0; --muted: #9ba3bf; --bg: #17191f; --card: #22252e; --line: #343846; --accent: #a594ff; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
.site { max-width: 42rem; margin: 0 auto; padding: .75rem 1rem; display: flex; gap: .75rem; align-items: baseline; flex-wrap: wrap; }
.site a.home { font-weight: 700; font-size: 1.1rem; text-decoration: none; color: var(--fg); }
.site .domain { color: var(--muted); font-size: .9rem; }
main { max-width: 42rem; margin: 0 auto; padding: 0 1rem 2rem; }
footer.page { max-width: 42rem; margin: 0 auto; padding: 1rem; color: var(--muted); font-size: .85rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1rem; margin: 0 0 1rem; }
h1 { font-size: 1.5rem; margin: .25rem 0; line-height: 1.25; overflow-wrap: anywhere; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .75rem; }
.muted, .acct { color: var(--muted); }
.acct { overflow-wrap: anywhere; }
.profile .header-image { width: 100%; max-height: 12rem; object-fit: cover; border-radius: 6px; display: block; margin-bottom: .75rem; }
.profile .avatar { width: 96px; height: 96px; border-radius: 12px; }
.profile .note { margin: .75rem 0; }
.fields { display: grid; grid-template-columns: minmax(6rem, auto) 1fr; gap: 0; margin: .75rem 0; border: 1px solid var(--line); border-radius: 6px; overflow: hidden; }
.fields dt, .fields dd { margin: 0; padding: .4rem .6rem; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
.fields dt { font-weight: 600; color: var(--muted); }
.fields dd.verified { background: rgba(121, 189, 154, .15); }
.fields .check { color: #3a9a6a; }
.counts { display: flex; gap: 1rem; flex-wrap: wrap; color: var(--muted); margin: .5rem 0 0; }
.counts strong { color: var(--fg); }
.badge { display: inline-block; font-size: .75rem; border: 1px solid var(--line); border-radius: 4px; padding: 0 .35rem; margin-left: .35rem; color: var(--muted); vertical-align: middle; }
.status header { display: flex; gap: .6rem; align-items: center; margin-bottom: .5rem; }
.status header .who { flex: 1; min-width: 0; text-decoration: none; color: var(--fg); display: flex; gap: .6rem; align-items: center; }
.status header .who span { display: block; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.status .avatar { width: 46px; height: 46px; border-radius: 8px; flex: none; }
.status time { color: var(--muted); font-size: .85rem; white-space: nowrap; }
.status .time { text-decoration: none; }
.status.focal { border-color: var(--accent); }
.status.focal .content { font-size: 1.1rem; }
.status .content { overflow-wrap: anywhere; }
.status .content p { margin: 0 0 .75rem; }
.status .content p:last-child { margin-bottom: 0; }
.status .content .invisible { display: none; }
.status .content .ellipsis::after { content: "…"; }
.status .boost, .status .pinned { color: var(--muted); font-size: .85rem; margin: 0 0 .5rem; }
.status .meta { color: var(--muted); font-size: .85rem; margin-top: .75rem; display: flex; gap: 1rem; flex-wrap: wrap; }
.status details summary { cursor: pointer; font-weight: 600; }
.media { display: grid; grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr)); gap: .5rem; margin-top: .75rem; }
.media img, .media video { width: 100%; border-radius: 6px; display: block; max-height: 24rem; object-fit: cover; }
.media audio { width: 100%; }
.poll { list-style: none; padding: 0; margin: .75rem 0 0; }
.poll li { margin: .25rem 0; }
.poll .bar { height: .4rem; background: var(--accent); border-radius: 2px; opacity: .6; }
img.emoji { height: 1.2em; width: 1.2em; vertical-align: middle; object-fit: contain; }
.thread-line { border-left: 3px solid var(--line); margin-left: 1rem; padding-left: .75rem; }
.pager { text-align: center; margin: 1rem 0; }
.empty { color: var(--muted); text-align: center; padding: 2rem 0; }
.error-page { text-align: center; padding: 3rem 0; }
.error-page .code { font-size: 3rem; font-weight: 700; color: var(--muted); margin: 0; }
`;

function metaTags(ctx: AppContext, meta: PageMeta): Html {
  const site = ctx.config.instance.title;
  const og: Record<string, string | null | undefined> = {
    "og:site_name": site,
    "og:title": meta.title,
    "og:type": meta.ogType ?? "website",
    "og:url": meta.url,
    "og:description": meta.description,
    "og:image": meta.image,
    ...meta.og,
  };
  return html`${meta.description ? html`<meta name="description" content="${meta.description}">\n` : ""}${
    meta.noindex ? html`<meta name="robots" content="noindex, noarchive">\n` : ""
  }${meta.url ? html`<link rel="canonical" href="${meta.url}">\n` : ""}${
    meta.activityPub ? html`<link rel="alternate" type="application/activity+json" href="${meta.activityPub}">\n` : ""
  }${Object.entries(og)
    .filter(([, value]) => value)
    .map(([property, value]) => html`<meta property="${property}" content="${value}">\n`)}<meta name="twitter:card" content="summary">`;
}

/** A whole document. `title` is the page's; the instance's name is appended. */
export function document(ctx: AppContext, meta: PageMeta, body: Html): string {
  const site = ctx.config.instance.title;
  const title = meta.title === site ? site : `${meta.title} - ${site}`;
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="${absoluteUrl(ctx.config, "/favicon.ico")}">
${metaTags(ctx, meta)}
<style>${raw(STYLE)}</style>
</head>
<body>
<header class="site"><a class="home" href="${absoluteUrl(ctx.config, "/")}">${site}</a><span class="domain">${ctx.config.localDomain}</span></header>
<main>
${body}
</main>
<footer class="page">${ctx.config.localDomain} runs on the Mastodon API: follow and reply from any <a href="https://joinmastodon.org/apps" rel="noopener">Mastodon app</a>.</footer>
</body>
</html>
`.value;
}

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'none'; img-src * data:; media-src *; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
};

export function htmlResponse(body: string, status = 200): Response {
  return new Response(body, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      // The same URLs answer ActivityPub JSON (Fedify), so caches must key on Accept.
      vary: "Accept",
      // Statuses get deleted or made private: never serve a stale copy without asking.
      "cache-control": "no-cache",
      ...SECURITY_HEADERS,
    },
  });
}

export function redirect(location: string): Response {
  return new Response(null, { status: 302, headers: { location, vary: "Accept" } });
}

export function errorPage(ctx: AppContext, status: 404 | 410 | 503): Response {
  const texts = {
    404: ["Not found", "The page you are looking for isn't here."],
    410: ["Gone", "This account is no longer available."],
    503: ["Unavailable", "Something went wrong on our side. Please try again in a moment."],
  } as const;
  const [title, message] = texts[status];
  const body = html`<section class="card error-page"><p class="code">${status}</p><h1>${title}</h1><p>${message}</p></section>`;
  return htmlResponse(document(ctx, { title, noindex: true }, body), status);
}
