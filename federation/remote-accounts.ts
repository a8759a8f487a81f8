/**
 * Remote accounts: resolving `@user@domain` or an actor URI to an
 * `accounts` row, fetching and storing the actor the first time and again
 * once the copy is a day old (Mastodon's ResolveAccountService and
 * ActivityPub::ProcessAccountService).
 *
 * - WebFinger finds the actor of a handle; the handle's domain is kept only
 *   when that domain's WebFinger points at the actor (a server may serve
 *   accounts for another domain, as Mastodon's LOCAL_DOMAIN/WEB_DOMAIN
 *   split does); otherwise the actor's own host is the domain.
 * - Fetches are signed as the instance actor (servers in authorized-fetch
 *   mode refuse anonymous GETs) and go through federation/ssrf.ts: refused
 *   for non-public addresses unless ALLOW_PRIVATE_ADDRESS, size- and
 *   time-limited.
 * - The actor document is parsed tolerantly and translated by
 *   translate/actor.ts: what is stored is sanitised.
 * - A stale copy whose refresh fails is still returned (the server may be
 *   down for a while); a first resolution that fails throws
 *   RemoteAccountError with the reason.
 *
 * Public keys are not stored: Fedify fetches and caches them (in its KV
 * store) when it verifies a signature, and refetches on key rotation.
 */
import type { Actor } from "@fedify/fedify/vocab";
import type { AppContext } from "../src/context.ts";
import type { Db } from "../src/db/index.ts";
import { logger } from "../src/log.ts";
import { findLocalAccountId, selectAccountRows, type AccountRow } from "../modules/accounts/storage.ts";
import { INSTANCE_ACTOR } from "./actors.ts";
import { domainBlockOf, hostOf, isSuspendedDomain } from "./domain-blocks.ts";
import { federationContext } from "./index.ts";
import {
  assertFetchable,
  FetchRefusedError,
  RemoteFetchError,
  fetchPolicy,
  guardedDocumentLoader,
  guardedFetch,
  httpSigner,
  type FetchPolicy,
} from "./ssrf.ts";
import { isActorObject, translateActor, type AccountDraft } from "./translate/actor.ts";
import type { EmojiDraft } from "./translate/common.ts";
import { parseJsonLd, tolerantContextLoader } from "./translate/jsonld.ts";

const log = logger("federation", "remote-accounts");

/** A stored copy older than this is fetched again when it is resolved. */
export const REFRESH_AFTER_MS = 24 * 60 * 60 * 1000;

export type ResolveFailure =
  /** Neither a handle nor an http(s) URI. */
  | "invalid"
  /** The target is a private address (and ALLOW_PRIVATE_ADDRESS is off), or not http(s). */
  | "refused"
  /** No such account: WebFinger or the actor URL said so, or a local handle that does not exist. */
  | "not-found"
  /** The server did not answer usably (network, timeout, too large, 5xx, not JSON). */
  | "unreachable"
  /** The document is not an actor we can store. */
  | "invalid-actor";

export class RemoteAccountError extends Error {
  constructor(
    readonly reason: ResolveFailure,
    message: string,
  ) {
    super(message);
    this.name = "RemoteAccountError";
  }
}

export interface ResolveOptions {
  /** Fetch again even when the stored copy is fresh. */
  refresh?: boolean;
  signal?: AbortSignal;
}

export interface Handle {
  username: string;
  /** Lower-cased host, with the port when there is one. */
  domain: string;
}

/** `@user@domain`, `user@domain` or `acct:user@domain`; null for anything else. */
export function parseHandle(input: string): Handle | null {
  const match = /^(?:acct:)?@?([^@\s/:]+)@([^@\s/?#]+)$/i.exec(input.trim());
  if (!match) return null;
  const domain = match[2]!.toLowerCase();
  try {
    if (new URL(`https://${domain}`).host !== domain) return null;
  } catch {
    return null;
  }
  return { username: match[1]!, domain };
}

/** In-process: concurrent resolutions of the same input share one fetch. */
const pending = new Map<string, Promise<AccountRow>>();

/**
 * The account of a handle or actor URI, fetched and stored if new (or
 * older than a day). Local handles and URIs resolve to the local account
 * without any request.
 */
export function resolveRemoteAccount(ctx: AppContext, uriOrHandle: string, options: ResolveOptions = {}): Promise<AccountRow> {
  const input = uriOrHandle.trim();
  const handle = parseHandle(input);
  // Handles compare case-insensitively; URIs do not.
  const key = `${options.refresh ? "refresh " : ""}${handle ? `${handle.username.toLowerCase()}@${handle.domain}` : input}`;
  let promise = pending.get(key);
  if (!promise) {
    promise = resolve(ctx, input, options).finally(() => pending.delete(key));
    pending.set(key, promise);
  }
  return promise;
}

/** resolveRemoteAccount for callers to whom a failure just means "no result" (search, lookups). */
export async function resolveRemoteAccountOrNull(ctx: AppContext, uriOrHandle: string, options: ResolveOptions = {}): Promise<AccountRow | null> {
  try {
    return await resolveRemoteAccount(ctx, uriOrHandle, options);
  } catch (error) {
    if (error instanceof RemoteAccountError) {
      log.info("Resolving {input} failed ({reason}): {message}", { input: uriOrHandle, reason: error.reason, message: error.message });
      return null;
    }
    throw error;
  }
}

async function resolve(ctx: AppContext, input: string, options: ResolveOptions): Promise<AccountRow> {
  const handle = parseHandle(input);
  if (await isSuspendedDomain(ctx.sql, handle ? handle.domain : hostOf(input))) {
    throw new RemoteAccountError("refused", `${handle ? handle.domain : hostOf(input)} is suspended on this server`);
  }
  if (handle) return resolveHandle(ctx, handle, options);
  let uri: URL;
  try {
    uri = new URL(input);
  } catch {
    throw new RemoteAccountError("invalid", `${JSON.stringify(input)} is neither a handle nor a URI`);
  }
  if (uri.protocol !== "https:" && uri.protocol !== "http:") throw new RemoteAccountError("invalid", `unsupported URI ${uri.href}`);
  return resolveUri(ctx, uri.href, options);
}

function isLocalDomain(ctx: AppContext, domain: string): boolean {
  const { localDomain, publicUrl } = ctx.config;
  return domain === localDomain.toLowerCase() || domain === publicUrl.host.toLowerCase();
}

async function resolveHandle(ctx: AppContext, handle: Handle, options: ResolveOptions): Promise<AccountRow> {
  if (isLocalDomain(ctx, handle.domain)) return localAccount(ctx, handle.username);
  const stored = await findRemoteByHandle(ctx.sql, handle.username, handle.domain);
  if (stored && !options.refresh && isFresh(stored.fetched_at)) return row(ctx, stored.id);
  try {
    const finger = await webfinger(ctx, handle.username, handle.domain, options.signal);
    if (!finger) throw new RemoteAccountError("not-found", `no account ${handle.username}@${handle.domain}`);
    if (isLocalUri(ctx, finger.actorUri)) throw new RemoteAccountError("not-found", `${handle.domain} points at this server`);
    const account = await fetchActor(ctx, finger.actorUri, options.signal);
    const domain = await canonicalDomain(ctx, account, { domain: handle.domain, result: finger }, options.signal);
    return row(ctx, await storeRemoteAccount(ctx, { ...account, domain }));
  } catch (error) {
    return staleOrThrow(ctx, stored?.id ?? null, error, `${handle.username}@${handle.domain}`);
  }
}

async function resolveUri(ctx: AppContext, uri: string, options: ResolveOptions): Promise<AccountRow> {
  if (isLocalUri(ctx, uri)) {
    const match = /^\/(?:users\/|@)([^/@]+)\/?$/.exec(new URL(uri).pathname);
    if (!match) throw new RemoteAccountError("not-found", `${uri} is not an account of this server`);
    return localAccount(ctx, decodeURIComponent(match[1]!));
  }
  const stored = await findRemoteByUri(ctx.sql, uri);
  if (stored && !options.refresh && isFresh(stored.fetched_at)) return row(ctx, stored.id);
  try {
    const account = await fetchActor(ctx, uri, options.signal);
    // A profile URL (https://host/@alice) may redirect to the actor: the stored copy is under the actor's id.
    if (!stored && account.uri !== uri) {
      const byId = await findRemoteByUri(ctx.sql, account.uri);
      if (byId && !options.refresh && isFresh(byId.fetched_at)) return row(ctx, byId.id);
    }
    const domain = await canonicalDomain(ctx, account, null, options.signal);
    return row(ctx, await storeRemoteAccount(ctx, { ...account, domain }));
  } catch (error) {
    return staleOrThrow(ctx, stored?.id ?? null, error, uri);
  }
}

/**
 * Stores an actor Fedify already fetched and verified (an inbox activity's
 * `getActor()`), without fetching it again: the stored copy if it is fresh,
 * else the translated actor under its verified domain.
 */
export async function storeActor(ctx: AppContext, actor: Actor, options: ResolveOptions = {}): Promise<AccountRow> {
  const translated = await translateActor(actor);
  if (!translated.ok) throw new RemoteAccountError("invalid-actor", `${actor.id?.href ?? "actor"}: ${translated.reason}`);
  const account = translated.account;
  if (isLocalUri(ctx, account.uri)) return resolveUri(ctx, account.uri, options);
  if (await isSuspendedDomain(ctx.sql, hostOf(account.uri))) throw new RemoteAccountError("refused", `${hostOf(account.uri)} is suspended on this server`);
  const stored = await findRemoteByUri(ctx.sql, account.uri);
  if (stored && !options.refresh && isFresh(stored.fetched_at)) return row(ctx, stored.id);
  const domain = await canonicalDomain(ctx, account, null, options.signal);
  return row(ctx, await storeRemoteAccount(ctx, { ...account, domain }));
}

async function staleOrThrow(ctx: AppContext, storedId: string | null, error: unknown, what: string): Promise<AccountRow> {
  const failure = asResolveError(error);
  if (storedId && failure instanceof RemoteAccountError) {
    log.info("Refreshing {what} failed, keeping the stored copy: {message}", { what, message: failure.message });
    return row(ctx, storedId);
  }
  throw failure;
}

/** Failures that describe the remote server become RemoteAccountError; anything else (a bug, an abort) propagates. */
function asResolveError(error: unknown): unknown {
  if (error instanceof FetchRefusedError) return new RemoteAccountError("refused", error.message);
  if (error instanceof RemoteFetchError) {
    const gone = error.failure === "status" && (error.status === 404 || error.status === 410);
    return new RemoteAccountError(gone ? "not-found" : "unreachable", error.message);
  }
  return error;
}

function isLocalUri(ctx: AppContext, uri: string): boolean {
  try {
    return new URL(uri).origin === ctx.config.publicUrl.origin;
  } catch {
    return false;
  }
}

async function localAccount(ctx: AppContext, username: string): Promise<AccountRow> {
  const id = await findLocalAccountId(ctx.sql, username);
  if (!id) throw new RemoteAccountError("not-found", `no local account ${username}`);
  return row(ctx, id);
}

async function row(ctx: AppContext, id: string): Promise<AccountRow> {
  const [account] = await selectAccountRows(ctx.sql, [id]);
  if (!account) throw new Error(`account ${id} vanished`);
  return account;
}

function isFresh(fetchedAt: Date | null): boolean {
  return fetchedAt !== null && Date.now() - fetchedAt.getTime() < REFRESH_AFTER_MS;
}

// Fetching ------------------------------------------------------------------

/** The policy for this server's outgoing fetches, signing as the instance actor. */
export async function signedPolicy(ctx: AppContext): Promise<FetchPolicy & { sign?: (request: Request) => Promise<Request> }> {
  const policy = fetchPolicy(ctx.config);
  const keys = await federationContext(ctx).getActorKeyPairs(INSTANCE_ACTOR);
  const rsa = keys.find((k) => k.privateKey.algorithm.name === "RSASSA-PKCS1-v1_5");
  return rsa ? { ...policy, sign: httpSigner(rsa) } : policy;
}

export interface WebFingerResult {
  /** The subject's acct, as the server spells it (user@domain), when it is an acct: URI. */
  subject: Handle | null;
  actorUri: string;
}

/**
 * WebFinger for acct:username@domain → the actor URI (the `self` link of an
 * ActivityPub type). https only, as Mastodon does; plain http is tried too
 * where private addresses are allowed (test and LAN setups without TLS).
 * Null when the server says there is no such account.
 */
export async function webfinger(ctx: AppContext, username: string, domain: string, signal?: AbortSignal): Promise<WebFingerResult | null> {
  const policy = fetchPolicy(ctx.config);
  const resource = `acct:${username}@${domain}`;
  const schemes = ctx.config.allowPrivateAddress ? ["https", "http"] : ["https"];
  let lastError: unknown = null;
  for (const scheme of schemes) {
    const url = new URL(`${scheme}://${domain}/.well-known/webfinger`);
    url.searchParams.set("resource", resource);
    let response;
    try {
      response = await guardedFetch(url, policy, { headers: { accept: "application/jrd+json, application/json" }, signal });
    } catch (error) {
      if (error instanceof FetchRefusedError) throw error;
      lastError = error;
      continue;
    }
    if (response.status === 404 || response.status === 410) return null;
    if (response.status < 200 || response.status > 299) {
      lastError = new RemoteFetchError(response.url, "status", `WebFinger answered HTTP ${response.status}`, response.status);
      continue;
    }
    return parseJrd(response.json(), response.url);
  }
  throw lastError ?? new RemoteFetchError(`${domain}`, "network", "WebFinger failed");
}

const ACTIVITY_TYPES = /^application\/(?:activity\+json|ld\+json(?:\s*;\s*profile="https:\/\/www\.w3\.org\/ns\/activitystreams")?)$/;

function parseJrd(jrd: unknown, url: string): WebFingerResult | null {
  if (typeof jrd !== "object" || jrd === null) throw new RemoteFetchError(url, "invalid", "WebFinger answer is not an object");
  const { subject, links } = jrd as { subject?: unknown; links?: unknown };
  const self = (Array.isArray(links) ? links : []).find(
    (link): link is { href: string } =>
      typeof link === "object" && link !== null && link.rel === "self" &&
      typeof link.type === "string" && ACTIVITY_TYPES.test(link.type) && typeof link.href === "string",
  );
  if (!self) return null;
  let actorUri: string;
  try {
    actorUri = new URL(self.href).href;
  } catch {
    throw new RemoteFetchError(url, "invalid", "WebFinger self link is not a URL");
  }
  return { subject: typeof subject === "string" ? parseHandle(subject) : null, actorUri };
}

/** Fetches the actor document at `uri` and translates it; the document's id must be on the server that served it. */
export async function fetchActor(ctx: AppContext, uri: string, signal?: AbortSignal): Promise<AccountDraft> {
  // Refused targets fail before the signing key is loaded (or, on a fresh server, generated).
  await assertFetchable(uri, fetchPolicy(ctx.config));
  const policy = await signedPolicy(ctx);
  const loader = guardedDocumentLoader(policy);
  const document = await loader(uri, { signal });
  const parsed = await parseJsonLd(document.document, {
    baseUrl: new URL(document.documentUrl),
    contextLoader: tolerantContextLoader(guardedDocumentLoader(fetchPolicy(ctx.config))),
  });
  if (!parsed.ok) throw new RemoteAccountError("invalid-actor", `${uri}: ${parsed.error}`);
  const actor = parsed.object;
  if (!isActorObject(actor)) throw new RemoteAccountError("invalid-actor", `${uri} is not an actor`);
  // Fedify's lookupObject rule: a server only speaks for ids of its own origin.
  if (!actor.id || actor.id.origin !== new URL(document.documentUrl).origin) {
    throw new RemoteAccountError("invalid-actor", `${uri} served an actor with a foreign id (${actor.id?.href ?? "none"})`);
  }
  const translated = await translateActor(actor, { json: parsed.json });
  if (!translated.ok) throw new RemoteAccountError("invalid-actor", `${uri}: ${translated.reason}`);
  return translated.account;
}

/**
 * The domain of the account's handle: one whose WebFinger names this actor
 * for this username (Mastodon's verification), else the actor's host.
 * Never this server's own domain. `asked` is the WebFinger already done for
 * a handle, if any.
 */
async function canonicalDomain(
  ctx: AppContext,
  account: AccountDraft,
  asked: { domain: string; result: WebFingerResult } | null,
  signal?: AbortSignal,
): Promise<string> {
  const sameUser = (username: string) => username.toLowerCase() === account.username.toLowerCase();
  /** `result`, fetched from `domain`'s WebFinger, vouches for the actor as username@domain. */
  const vouches = (domain: string, result: WebFingerResult | null) =>
    result !== null &&
    result.actorUri === account.uri &&
    (result.subject === null || (result.subject.domain === domain && sameUser(result.subject.username)));
  if (asked && !isLocalDomain(ctx, asked.domain) && vouches(asked.domain, asked.result)) return asked.domain;

  const host = account.domain;
  try {
    const atHost = await webfinger(ctx, account.username, host, signal);
    if (!atHost || atHost.actorUri !== account.uri || !atHost.subject) return host;
    const other = atHost.subject.domain;
    if (other === host || isLocalDomain(ctx, other) || !sameUser(atHost.subject.username)) return host;
    // The host says the handle lives on another domain: believe it only if that domain agrees.
    return vouches(other, await webfinger(ctx, account.username, other, signal)) ? other : host;
  } catch (error) {
    log.debug("WebFinger for {uri} failed; its host is its domain: {error}", { uri: account.uri, error });
    return host;
  }
}

// Storing --------------------------------------------------------------------

interface StoredRef {
  id: string;
  uri: string | null;
  username: string;
  domain: string | null;
  fetched_at: Date | null;
}

export async function findRemoteByUri(db: Db, uri: string): Promise<StoredRef | null> {
  const [found] = await db`SELECT id, uri, username, domain, fetched_at FROM accounts WHERE uri = ${uri} AND domain IS NOT NULL`;
  return (found as StoredRef | undefined) ?? null;
}

export async function findRemoteByHandle(db: Db, username: string, domain: string): Promise<StoredRef | null> {
  const [found] = await db`
    SELECT id, uri, username, domain, fetched_at FROM accounts
    WHERE lower(username) = lower(${username}) AND lower(coalesce(domain, '')) = lower(${domain}) AND domain IS NOT NULL`;
  return (found as StoredRef | undefined) ?? null;
}

function profileColumns(db: Db, account: AccountDraft) {
  return {
    display_name: account.displayName,
    note: account.note,
    fields: db.json(account.fields as never),
    locked: account.locked,
    bot: account.bot,
    group: account.group,
    discoverable: account.discoverable,
    indexable: account.indexable,
    memorial: account.memorial,
    avatar_url: account.avatarUrl,
    header_url: account.headerUrl,
    url: account.url,
    inbox_url: account.inboxUrl,
    shared_inbox_url: account.sharedInboxUrl,
    outbox_url: account.outboxUrl,
    followers_url: account.followersUrl,
    following_url: account.followingUrl,
    featured_url: account.featuredUrl,
    actor_type: account.actorType,
  };
}

/**
 * Inserts or updates the row of a translated actor (with its verified
 * domain) and its account_stats and custom emojis; returns the account id.
 *
 * Identity is the actor URI; failing that, the handle: a handle whose
 * domain now names another actor (an account deleted and re-created) is
 * handed to the new actor, as the domain is the authority for its handles.
 */
export async function storeRemoteAccount(ctx: AppContext, account: AccountDraft): Promise<string> {
  const block = (await domainBlockOf(ctx.sql, account.domain)) ?? (await domainBlockOf(ctx.sql, hostOf(account.uri)));
  if (block?.severity === "suspend") throw new RemoteAccountError("refused", `${block.domain} is suspended on this server`);
  const silenced = block?.severity === "silence";
  const attempt = () =>
    ctx.sql.begin(async (tx) => {
      const byUri = await findRemoteByUri(tx, account.uri);
      const byHandle = await findRemoteByHandle(tx, account.username, account.domain);
      // movedTo links only to an account we know; resolving it (and checking its alsoKnownAs) is the Move handler's job.
      const movedTo = account.movedToUri ? await findAccountIdByUri(tx, account.movedToUri) : null;
      const columns = {
        ...profileColumns(tx, account),
        ...(account.movedToUri === null || movedTo !== null ? { moved_to_account_id: movedTo } : {}),
      };
      let id: string;
      if (byUri) {
        id = byUri.id;
        const handleFree = !byHandle || byHandle.id === byUri.id;
        const handle = handleFree ? { username: account.username, domain: account.domain } : {};
        if (!handleFree) {
          const { uri, username, domain } = account;
          log.warn("{uri} claims {username}@{domain}, held by another account; keeping its old handle", { uri, username, domain });
        }
        await tx`UPDATE accounts SET ${tx({ ...columns, ...handle })}, fetched_at = now(), updated_at = now() WHERE id = ${id}`;
      } else if (byHandle) {
        id = byHandle.id;
        await tx`UPDATE accounts SET ${tx({ ...columns, uri: account.uri, username: account.username })}, fetched_at = now(), updated_at = now() WHERE id = ${id}`;
      } else {
        const [inserted] = await tx`
          INSERT INTO accounts ${tx({
            ...columns,
            username: account.username,
            domain: account.domain,
            uri: account.uri,
            created_at: account.published ?? new Date(),
            fetched_at: new Date(),
          })}
          RETURNING id`;
        id = inserted!.id as string;
      }
      await tx`INSERT INTO account_stats (account_id) VALUES (${id}) ON CONFLICT (account_id) DO NOTHING`;
      if (silenced) await tx`UPDATE accounts SET silenced_at = now() WHERE id = ${id} AND silenced_at IS NULL`;
      await storeRemoteEmojis(tx, account.domain, account.emojis);
      return id;
    });
  try {
    return await attempt();
  } catch (error) {
    // Another node inserted the same actor between our read and our insert: it exists now, update it.
    if ((error as { code?: string }).code === "23505") return attempt();
    throw error;
  }
}

async function findAccountIdByUri(db: Db, uri: string): Promise<string | null> {
  const [found] = await db`SELECT id FROM accounts WHERE uri = ${uri}`;
  return (found?.id as string | undefined) ?? null;
}

/**
 * Custom emojis a remote profile or post uses, kept per domain (the status
 * serializer looks them up by domain and shortcode); never shown in our
 * picker.
 */
export async function storeRemoteEmojis(db: Db, domain: string, emojis: readonly EmojiDraft[]): Promise<void> {
  for (const emoji of emojis) {
    await db`
      INSERT INTO custom_emojis (shortcode, domain, image_url, static_url, visible_in_picker, uri)
      VALUES (${emoji.shortcode}, ${domain}, ${emoji.url}, ${emoji.url}, false, ${emoji.uri})
      ON CONFLICT (shortcode, (coalesce(domain, ''))) DO UPDATE
        SET image_url = EXCLUDED.image_url, static_url = EXCLUDED.static_url, uri = EXCLUDED.uri`;
  }
}
