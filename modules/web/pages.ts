/**
 * The public pages, one function each: what they load and how they answer
 * (a page, a redirect, or an error page). They show what an anonymous API
 * client may see and no more: statuses go through renderStatuses with no
 * viewer, so a followers-only or direct status can never reach a page.
 */
import type { AppContext } from "../../src/context.ts";
import { html, raw } from "../../src/http/html-template.ts";
import { id, type Params } from "../../src/http/params.ts";
import { absoluteUrl } from "../../src/http/urls.ts";
import { formatPlainText, htmlToText } from "../../src/text/index.ts";
import { loadAccount } from "../accounts/serializer.ts";
import { findLocalAccountId } from "../accounts/storage.ts";
import { instanceService } from "../instance/service.ts";
import { renderStatus, renderStatuses, type Status } from "../statuses/serializer.ts";
import { statusContext } from "../statuses/services/status-context.ts";
import { selectAccountStatuses, selectPinnedStatuses } from "../statuses/storage.ts";
import { visibleToViewer } from "../statuses/visibility.ts";
import { normalizeTagName, publicTimeline, tagTimeline } from "../timelines/timelines.ts";
import { document, errorPage, htmlResponse, redirect } from "./layout.ts";
import { remoteProfileUrl, tagDisplayName } from "./storage.ts";
import {
  displayName,
  fullAcct,
  pagerHtml,
  profileHtml,
  safeUrl,
  statusExcerpt,
  statusHtml,
  statusListHtml,
} from "./views.ts";

const PAGE_SIZE = 20;
const PINNED_SHOWN = 5;
const APPS_URL = "https://joinmastodon.org/apps";

function isLocalDomain(ctx: AppContext, domain: string): boolean {
  const lower = domain.toLowerCase();
  return lower === ctx.config.localDomain.toLowerCase() || lower === ctx.config.publicUrl.host.toLowerCase();
}

/** `alice` → local; `alice@remote.example` → remote (or local when the domain is ours). */
function parseHandle(ctx: AppContext, handle: string): { username: string; domain: string | null } | null {
  const parts = handle.replace(/^@/, "").split("@");
  if (parts.length > 2 || parts.some((p) => p === "")) return null;
  const [username, domain] = parts as [string, string | undefined];
  return { username, domain: domain === undefined || isLocalDomain(ctx, domain) ? null : domain };
}

function firstImage(status: Status): string | null {
  if (status.sensitive) return null;
  const image = status.media_attachments.find((m) => m.type === "image" || m.type === "gifv");
  return safeUrl(image?.preview_url) ?? null;
}

export function webPages(ctx: AppContext) {
  const instance = instanceService(ctx);

  /** Public statuses only, as a profile page lists them (no unlisted, never private or direct). */
  const publicOnly = () => ctx.sql`(${visibleToViewer(ctx.sql, null, "s")} AND s.visibility = 'public')`;

  async function landing(): Promise<Response> {
    const { config } = ctx;
    const [stats, recent] = await Promise.all([
      instance.stats(),
      publicTimeline(ctx, null, { local: true, remote: false, onlyMedia: false }, { limit: PAGE_SIZE }),
    ]);
    const registrations = {
      open: "Registrations are open: sign up from a Mastodon app.",
      approval: "Registrations are open but need approval from a moderator.",
      closed: "Registrations are closed.",
    }[config.registrations];
    const description = config.instance.description;
    const body = html`<section class="card">
<h1>${config.instance.title}</h1>
${description ? html`<div class="description">${raw(formatPlainText(description))}</div>` : ""}
<p>${registrations}</p>
<p>To join or to follow people here, use any <a href="${APPS_URL}" rel="noopener">Mastodon app</a> and enter <strong>${config.localDomain}</strong> as your server.</p>
<p class="counts"><span><strong>${stats.userCount}</strong> users</span><span><strong>${stats.statusCount}</strong> posts</span><span><strong>${stats.domainCount}</strong> connected servers</span></p>
${config.instance.contactEmail ? html`<p class="muted">Contact: <a href="mailto:${config.instance.contactEmail}">${config.instance.contactEmail}</a></p>` : ""}
</section>
<h2>Recent posts</h2>
${statusListHtml(ctx, recent.items, "Nobody has posted publicly yet.")}`;
    return htmlResponse(
      document(
        ctx,
        {
          title: config.instance.title,
          description: description || `${config.localDomain}, a Mastodon-compatible server.`,
          url: absoluteUrl(config, "/"),
          image: absoluteUrl(config, "/images/thumbnail.png"),
        },
        body,
      ),
    );
  }

  async function profile(handle: string, params: Params): Promise<Response> {
    const parsed = parseHandle(ctx, handle);
    if (!parsed) return errorPage(ctx, 404);
    if (parsed.domain !== null) {
      const url = safeUrl(await remoteProfileUrl(ctx.sql, parsed.username, parsed.domain));
      return url ? redirect(url) : errorPage(ctx, 404);
    }
    const accountId = await findLocalAccountId(ctx.sql, parsed.username);
    const account = accountId ? await loadAccount(ctx.sql, ctx.config, accountId) : null;
    if (!account) return errorPage(ctx, 404);
    if (account.suspended) return errorPage(ctx, 410);
    if (handle !== account.username) return redirect(account.url);

    const maxId = id(params.max_id);
    const [rows, pinnedRows] = await Promise.all([
      selectAccountStatuses(
        ctx.sql,
        account.id,
        { excludeReplies: true, excludeReblogs: false, onlyMedia: false, tagged: null },
        { maxId, limit: PAGE_SIZE },
        publicOnly(),
      ),
      maxId ? Promise.resolve([]) : selectPinnedStatuses(ctx.sql, account.id, { limit: PINNED_SHOWN }, publicOnly()),
    ]);
    const pinnedIds = new Set(pinnedRows.map((r) => r.id));
    const statuses = await renderStatuses(ctx, [...pinnedRows.map((r) => r.id), ...rows.map((r) => r.id).filter((s) => !pinnedIds.has(s))], null);
    const older = rows.length === PAGE_SIZE ? rows[rows.length - 1]!.cursor : undefined;
    const name = displayName(account);
    const body = html`${profileHtml(ctx, account)}
<h2>Posts</h2>
${statusListHtml(ctx, statuses, maxId ? "No older public posts." : "No public posts yet.", pinnedIds)}
${pagerHtml(ctx, `/@${account.username}`, older)}`;
    return htmlResponse(
      document(
        ctx,
        {
          title: `${name} (${fullAcct(ctx, account)})`,
          description: noteText(account.note) || `${name} on ${ctx.config.localDomain}`,
          url: account.url,
          activityPub: account.uri,
          ogType: "profile",
          image: safeUrl(account.avatar_static),
          noindex: account.noindex === true || maxId !== undefined,
          og: { "profile:username": account.acct },
        },
        body,
      ),
    );
  }

  async function statusPage(handle: string, rawId: string): Promise<Response> {
    const statusId = id(rawId);
    const parsed = parseHandle(ctx, handle);
    if (!statusId || !parsed) return errorPage(ctx, 404);
    // No viewer: null unless anyone may see it (public or unlisted, not deleted, author not suspended).
    const status = await renderStatus(ctx, statusId, null);
    if (!status) return errorPage(ctx, 404);
    const acct = parsed.domain === null ? parsed.username : `${parsed.username}@${parsed.domain}`;
    if (status.account.acct.toLowerCase() !== acct.toLowerCase()) return errorPage(ctx, 404);
    // A boost's page is its original's; a remote status's page is on its own server.
    if (status.reblog) {
      const original = safeUrl(status.reblog.url) ?? safeUrl(status.reblog.uri);
      return original ? redirect(original) : errorPage(ctx, 404);
    }
    if (parsed.domain !== null) {
      const remote = safeUrl(status.url) ?? safeUrl(status.uri);
      return remote ? redirect(remote) : errorPage(ctx, 404);
    }
    if (handle !== status.account.username) return redirect(status.url ?? status.uri);

    const { ancestors, descendants } = await statusContext(ctx, null, statusId);
    const name = displayName(status.account);
    const excerpt = statusExcerpt(status);
    const body = html`${ancestors.length > 0 ? html`<div class="ancestors">${ancestors.map((s) => statusHtml(ctx, s))}</div>` : ""}
${statusHtml(ctx, status, { focal: true })}
${descendants.length > 0 ? html`<div class="thread-line">${descendants.map((s) => statusHtml(ctx, s))}</div>` : ""}`;
    return htmlResponse(
      document(
        ctx,
        {
          title: excerpt ? `${name}: "${excerpt}"` : name,
          description: excerpt || `A post by ${fullAcct(ctx, status.account)}`,
          url: status.url ?? undefined,
          activityPub: status.uri,
          ogType: "article",
          image: firstImage(status) ?? safeUrl(status.account.avatar_static),
          noindex: status.account.noindex === true || status.visibility !== "public",
          og: { "article:published_time": status.created_at, "profile:username": status.account.acct },
        },
        body,
      ),
    );
  }

  /** `/users/alice` (the actor id) asked for as HTML: the profile page. */
  async function actorRedirect(username: string): Promise<Response> {
    const accountId = await findLocalAccountId(ctx.sql, username);
    const account = accountId ? await loadAccount(ctx.sql, ctx.config, accountId) : null;
    return account ? redirect(account.url) : errorPage(ctx, 404);
  }

  /** `/users/alice/statuses/1` (the status id) asked for as HTML: the status page, which checks visibility. */
  async function statusRedirect(username: string, rawId: string): Promise<Response> {
    const statusId = id(rawId);
    const accountId = statusId ? await findLocalAccountId(ctx.sql, username) : null;
    const account = accountId ? await loadAccount(ctx.sql, ctx.config, accountId) : null;
    return account ? redirect(`${account.url}/${statusId}`) : errorPage(ctx, 404);
  }

  async function tag(rawName: string, params: Params): Promise<Response> {
    const normalized = normalizeTagName(rawName);
    const name = normalized === "" ? null : await tagDisplayName(ctx.sql, normalized);
    if (!name) return errorPage(ctx, 404);
    const maxId = id(params.max_id);
    const page = await tagTimeline(
      ctx,
      null,
      { tag: normalized, any: [], all: [], none: [] },
      { local: false, remote: false, onlyMedia: false },
      { maxId, limit: PAGE_SIZE },
    );
    const older = page.items.length === PAGE_SIZE ? page.oldest : undefined;
    const body = html`<section class="card"><h1>#${name}</h1><p class="muted">Public posts tagged #${name}. Follow the hashtag from a <a href="${APPS_URL}" rel="noopener">Mastodon app</a>.</p></section>
${statusListHtml(ctx, page.items, maxId ? "No older posts." : "No public posts with this hashtag yet.")}
${pagerHtml(ctx, `/tags/${encodeURIComponent(name)}`, older)}`;
    const url = absoluteUrl(ctx.config, `/tags/${encodeURIComponent(name)}`);
    return htmlResponse(document(ctx, { title: `#${name}`, description: `Public posts tagged #${name}`, url, noindex: maxId !== undefined }, body));
  }

  return { landing, profile, statusPage, actorRedirect, statusRedirect, tag };
}

/** Plain text of an account note, shortened for a description. */
function noteText(note: string): string {
  const text = htmlToText(note).replace(/\s+/g, " ").trim();
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
}
