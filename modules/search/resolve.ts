/**
 * Searches that name one thing exactly: a status or profile URL, or an
 * `@user@domain` handle (`resolve=true`, as Mastodon's ResolveURLService
 * and ResolveAccountService).
 *
 * What this server already knows is found here, in the database: our own
 * URLs and the uri/url of every cached remote account and status. What it
 * does not know yet has to be fetched from the other server — WebFinger for
 * a handle, a signed GET of the ActivityPub object for a URL — which is the
 * federation layer's job. The search module must not depend on federation/,
 * so federation plugs its resolver in at start-up with `setRemoteResolver`;
 * until one is installed (and for anything it cannot resolve) the answer is
 * null and the search simply finds nothing for that query.
 */
import type { AppContext } from "../../src/context.ts";
import { logger } from "../../src/log.ts";
import { findAccountByHandle, localStatusOf, statusIdByUri, accountIdByUri } from "./storage.ts";

const log = logger("search", "resolve");

export type ResolvedResource = { type: "accounts"; id: string } | { type: "statuses"; id: string };

export interface ResolveViewer {
  accountId: string;
}

/**
 * Fetches `query` (an https URL, or a `@user@domain` handle of another
 * server) into the database and says what it became. It runs on behalf of
 * `viewer`, the signed-in searcher (Mastodon requires a user for resolve).
 */
export type RemoteResolver = (ctx: AppContext, query: string, viewer: ResolveViewer) => Promise<ResolvedResource | null>;

let remoteResolver: RemoteResolver | null = null;

/** Installed by the federation layer; null removes it (tests). */
export function setRemoteResolver(resolver: RemoteResolver | null): void {
  remoteResolver = resolver;
}

/**
 * The hook search calls for things it does not know. Network failures and
 * unreachable servers are "not found" to the searcher, never an error.
 */
export async function resolveRemote(ctx: AppContext, query: string, viewer: ResolveViewer): Promise<ResolvedResource | null> {
  if (!remoteResolver) return null;
  try {
    return await remoteResolver(ctx, query, viewer);
  } catch (error) {
    log.warning("Resolving {query} failed: {error}", { query, error });
    return null;
  }
}

export function isUrlQuery(q: string): boolean {
  return /^https?:\/\/\S+$/i.test(q.trim());
}

/** Our own web and ActivityPub URLs: `/@alice/123`, `/users/alice/statuses/123`, `/@alice`, `/users/alice`. */
async function localResource(ctx: AppContext, url: URL): Promise<ResolvedResource | null> {
  if (url.origin !== ctx.config.publicUrl.origin) return null;
  const segments = url.pathname.split("/").filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  let username: string | null = null;
  let statusId: string | null = null;
  if (segments[0]?.startsWith("@") && segments.length <= 2) {
    username = segments[0].slice(1);
    statusId = segments[1] ?? null;
  } else if (segments[0] === "users" && segments[1]) {
    username = segments[1];
    if (segments.length === 4 && segments[2] === "statuses") statusId = segments[3]!;
    else if (segments.length !== 2) return null;
  }
  if (!username || username.includes("@")) return null;
  if (statusId !== null) {
    if (!/^\d{1,19}$/.test(statusId)) return null;
    const id = await localStatusOf(ctx.sql, username, statusId);
    return id ? { type: "statuses", id } : null;
  }
  const id = await findAccountByHandle(ctx.sql, username, null);
  return id ? { type: "accounts", id } : null;
}

/** A URL this server already has: one of ours, or a cached remote status or account. */
export async function findKnownUrl(ctx: AppContext, q: string): Promise<ResolvedResource | null> {
  let url: URL;
  try {
    url = new URL(q.trim());
  } catch {
    return null;
  }
  const local = await localResource(ctx, url);
  if (local) return local;
  const statusId = await statusIdByUri(ctx.sql, url.href);
  if (statusId) return { type: "statuses", id: statusId };
  const accountId = await accountIdByUri(ctx.sql, url.href);
  return accountId ? { type: "accounts", id: accountId } : null;
}

/** The URL query's object: known already, or fetched through the federation layer. */
export async function resolveUrl(ctx: AppContext, q: string, viewer: ResolveViewer): Promise<ResolvedResource | null> {
  return (await findKnownUrl(ctx, q)) ?? (await resolveRemote(ctx, q.trim(), viewer));
}
