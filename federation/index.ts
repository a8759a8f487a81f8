/**
 * The federation layer: one Fedify `Federation` per AppContext, with its KV
 * store and message queue on Postgres, put in front of Elysia by src/app.ts.
 *
 * Fedify owns WebFinger, NodeInfo 2.1, the actors and their collections and
 * the inboxes. Anything else — and an actor URL asked for as HTML, or an
 * unknown actor — returns undefined so Elysia routes it (profile pages, the
 * JSON 404 body).
 *
 * URLs are built on PUBLIC_URL: `origin.webOrigin` fixes the ones Fedify
 * builds, and requests are re-addressed to PUBLIC_URL before Fedify sees
 * them, so a request arriving with another Host header (a proxy, an IP)
 * cannot leak that host into WebFinger aliases or signature checks. Handles
 * use LOCAL_DOMAIN (`origin.handleHost`).
 */
import { createFederation, type Context, type Federation } from "@fedify/fedify";
import type { AppContext } from "../src/context.ts";
import { corsApplies, corsHeaders } from "../src/http/cors.ts";
import { logger } from "../src/log.ts";
import { registerActors } from "./actors.ts";
import { signatureKeyId } from "./authorized-fetch.ts";
import { hostOf, isSuspendedDomain } from "./domain-blocks.ts";
import { registerCollections } from "./collections.ts";
import { registerObjectDispatchers } from "./dispatchers.ts";
import { registerInbox } from "./inbox.ts";
import { PostgresKvStore } from "./kv.ts";
import { registerNodeInfo, SOFTWARE_NAME, SOFTWARE_VERSION } from "./nodeinfo.ts";
import { registerOutboxHandlers } from "./outbox.ts";
import { PostgresMessageQueue } from "./queue.ts";
import { registerBackfill } from "./backfill.ts";
import { resolveAccountHandle, resolveQuery } from "./resolver.ts";
import { setRemoteResolver } from "../modules/search/index.ts";
import { setRemoteAccountResolver } from "../modules/accounts/service.ts";

const log = logger("federation");

// Local actions become activities wherever events are processed.
registerOutboxHandlers();

// Replies and recent posts other servers never sent us (reply backfill, new accounts' outboxes).
registerBackfill();

// Search with resolve=true and account lookups find accounts and statuses on other servers.
setRemoteResolver((ctx, query) => resolveQuery(ctx, query));
setRemoteAccountResolver(resolveAccountHandle);

export interface FederationParts {
  federation: Federation<AppContext>;
  kv: PostgresKvStore;
  queue: PostgresMessageQueue;
}

const instances = new WeakMap<AppContext, FederationParts>();

/** The Federation of this context (built once), for code that sends activities or signs fetches. */
export function federationFor(ctx: AppContext): FederationParts {
  let parts = instances.get(ctx);
  if (!parts) {
    const kv = new PostgresKvStore(ctx.sql);
    const queue = new PostgresMessageQueue(ctx.sql);
    const federation = createFederation<AppContext>({
      kv,
      queue,
      // Workers are started explicitly (startFederationWorker), never by a
      // first enqueue in a process configured not to run them.
      manuallyStartQueue: true,
      origin: { handleHost: ctx.config.localDomain, webOrigin: ctx.config.publicUrl.origin },
      allowPrivateAddress: ctx.config.allowPrivateAddress,
      userAgent: { software: `${SOFTWARE_NAME}/${SOFTWARE_VERSION}`, url: ctx.config.publicUrl.origin },
    });
    registerActors(federation);
    registerCollections(federation);
    registerObjectDispatchers(federation);
    registerInbox(federation);
    registerNodeInfo(federation);
    parts = { federation, kv, queue };
    instances.set(ctx, parts);
  }
  return parts;
}

/** A Fedify context outside any request (workers, API handlers sending activities), addressed on PUBLIC_URL. */
export function federationContext(ctx: AppContext): Context<AppContext> {
  return federationFor(ctx).federation.createContext(ctx.config.publicUrl, ctx);
}

/**
 * Paths Fedify may answer (see the register* calls). Everything else skips
 * Fedify entirely: cheaper, and a request body Fedify never sees stays
 * untouched for Elysia.
 */
const FEDERATION_PATH =
  /^\/(?:\.well-known\/webfinger|nodeinfo\/2\.1|actor|inbox|users\/[^/]+(?:\/(?:inbox|outbox|followers|following|collections\/(?:featured|tags)|statuses\/\d+(?:\/(?:activity|replies))?))?)$/;

/** `/@alice` and `/@alice/123` asked for as ActivityPub are served the actor and the status, as Mastodon does. */
const PROFILE_PATH = /^\/@([^/@]+)(?:\/(\d+))?$/;

function wantsActivityJson(request: Request): boolean {
  const accept = request.headers.get("accept") ?? "";
  return /application\/(activity\+json|ld\+json)/i.test(accept);
}

/** Returns Fedify's response for federation routes, or undefined to let Elysia route. */
export function createFederationHandler(ctx: AppContext) {
  const { federation } = federationFor(ctx);
  const publicOrigin = ctx.config.publicUrl.origin;

  return async (request: Request): Promise<Response | undefined> => {
    const url = new URL(request.url);
    let pathname = url.pathname;
    if (request.method === "GET" || request.method === "HEAD") {
      const profile = PROFILE_PATH.exec(pathname);
      if (profile && wantsActivityJson(request)) {
        pathname = profile[2] ? `/users/${profile[1]}/statuses/${profile[2]}` : `/users/${profile[1]}`;
      }
    }
    if (!FEDERATION_PATH.test(pathname)) return undefined;
    let forwarded = new Request(new URL(pathname + url.search, publicOrigin), request);
    // A suspended domain's deliveries are accepted and dropped unread, as Mastodon does.
    const keyId = request.method === "POST" && /\/inbox$/.test(pathname) ? signatureKeyId(request) : null;
    if (keyId) {
      // Read before anything else is awaited: the body of a request still
      // streaming can be locked once the handler yields.
      const body = await forwarded.arrayBuffer();
      if (await isSuspendedDomain(ctx.sql, hostOf(keyId))) return new Response(null, { status: 202 });
      forwarded = new Request(forwarded.url, { method: forwarded.method, headers: forwarded.headers, body });
    }

    // Fedify's "not mine" answers: compared by identity, so the status is
    // never seen. 200 keeps Fedify from logging a warning for every browser
    // visit of a profile URL (it logs ≥ 400 as warnings).
    const passThrough = new Response(null, { status: 200 });
    const response = await federation.fetch(forwarded, {
      contextData: ctx,
      onNotFound: () => passThrough,
      onNotAcceptable: () => passThrough,
    });
    if (response === passThrough) return undefined;
    // Elysia's CORS hook never sees responses returned from onRequest; NodeInfo needs them for browser clients.
    if (corsApplies(pathname)) for (const [name, value] of Object.entries(corsHeaders)) response.headers.set(name, value);
    return response;
  };
}

/**
 * Runs Fedify's queue (inbox, outbox, fanout) in this process, plus the KV
 * expiry sweep. Call it only where workers should run
 * (ctx.config.inProcessWorkers). Returns a stop function that waits for the
 * jobs in flight, up to a grace period; unfinished ones rerun elsewhere once
 * their lease expires.
 */
export function startFederationWorker(ctx: AppContext): () => Promise<void> {
  const { federation, kv } = federationFor(ctx);
  const controller = new AbortController();
  const running = federation.startQueue(ctx, { signal: controller.signal }).catch((error) => {
    log.error("The federation queue stopped: {error}", { error });
  });
  const sweep = setInterval(() => {
    kv.sweepExpired().catch((error) => log.warn("Sweeping expired KV entries failed: {error}", { error }));
  }, 15 * 60_000);
  return async () => {
    clearInterval(sweep);
    controller.abort();
    await Promise.race([running, Bun.sleep(10_000)]);
  };
}
