/**
 * Resolution through the API: what `GET /api/v2/search?resolve=true` and
 * `GET /api/v1/accounts/lookup` find on other servers, installed into the
 * search and accounts modules' hooks by federation/index.ts.
 *
 * - `@user@domain`: WebFinger, then the actor (remote-accounts.ts).
 * - A URL: the ActivityPub document it serves (content negotiation, so a
 *   profile or post page works too): a status is stored with the thread
 *   above it, an actor as an account.
 *
 * An account seen this way for the first time gets its recent posts
 * fetched in the background (backfill.ts).
 */
import type { AppContext } from "../src/context.ts";
import { logger } from "../src/log.ts";
import type { ResolvedResource } from "../modules/search/index.ts";
import { scheduleRecentPosts } from "./backfill.ts";
import { parseHandle, resolveRemoteAccountOrNull } from "./remote-accounts.ts";
import { fetchDocument, isLocalUri, statusByUri, storeStatusDraft } from "./remote-statuses.ts";

const log = logger("federation", "resolver");

async function discovered(ctx: AppContext, accountId: string, local: boolean): Promise<void> {
  if (local) return;
  await scheduleRecentPosts(ctx, accountId).catch((error) =>
    log.warn("Scheduling the recent posts of {accountId} failed: {error}", { accountId, error }),
  );
}

/** A remote account by handle (`user@domain`, `@user@domain`); its id, or null. */
export async function resolveAccountHandle(ctx: AppContext, handle: string): Promise<string | null> {
  if (!parseHandle(handle)) return null;
  const account = await resolveRemoteAccountOrNull(ctx, handle);
  if (!account || account.suspended_at) return null;
  await discovered(ctx, account.id, account.domain === null);
  return account.id;
}

/** What a search query names on another server, fetched and stored. */
export async function resolveQuery(ctx: AppContext, query: string): Promise<ResolvedResource | null> {
  const q = query.trim();
  if (parseHandle(q)) {
    const id = await resolveAccountHandle(ctx, q);
    return id ? { type: "accounts", id } : null;
  }
  if (!/^https?:\/\//i.test(q) || isLocalUri(ctx, q)) return null;
  let fetched;
  try {
    fetched = await fetchDocument(ctx, q);
  } catch (error) {
    log.info("Resolving {url} failed: {error}", { url: q, error });
    return null;
  }
  const { translation } = fetched;
  if (translation.kind === "status") {
    const id = await storeStatusDraft(ctx, translation.status, { solicited: true });
    if (!id) return null;
    const status = await statusByUri(ctx, translation.status.uri);
    return status && !status.deleted_at ? { type: "statuses", id: status.id } : null;
  }
  if (translation.kind === "actor") {
    const account = await resolveRemoteAccountOrNull(ctx, translation.account.uri);
    if (!account || account.suspended_at) return null;
    await discovered(ctx, account.id, account.domain === null);
    return { type: "accounts", id: account.id };
  }
  return null;
}
