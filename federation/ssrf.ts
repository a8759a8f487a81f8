/**
 * Outgoing fetches to addresses other servers gave us (actor and object
 * URIs, WebFinger, media, link previews) go through here: no loopback,
 * private, link-local or otherwise non-public target unless
 * ALLOW_PRIVATE_ADDRESS=true (tests, a LAN deployment), only http(s), every
 * redirect hop checked again, one deadline for the whole exchange and a cap
 * on the body read.
 *
 * Fedify's own fetches (key lookups and activity parsing in the inbox,
 * delivery) are covered by its `allowPrivateAddress` option, set from the
 * same configuration in federation/index.ts: its document loader validates
 * each URL and each redirect with the same check used here
 * (`validatePublicUrl`). It has no size or time limit of its own;
 * `guardedLoaderFactories` below provides loaders with both, for
 * createFederation's documentLoaderFactory/contextLoaderFactory.
 *
 * The check resolves the host name and refuses it when any address is not
 * public. The connection then resolves again; a DNS server answering
 * differently in between (rebinding) is not defended against here.
 */
import {
  getUserAgent,
  kvCache,
  signRequest,
  validatePublicUrl,
  UrlError,
  type AuthenticatedDocumentLoaderFactory,
  type DocumentLoader,
  type DocumentLoaderFactory,
  type DocumentLoaderOptions,
  type KvStore,
  type RemoteDocument,
} from "@fedify/fedify";
import type { Config } from "../src/config.ts";
import { SOFTWARE_NAME, SOFTWARE_VERSION } from "./nodeinfo.ts";
import { knownContext, tolerantContextLoader } from "./translate/jsonld.ts";

export const DEFAULT_TIMEOUT_MS = 10_000;
/** Mastodon reads at most 1 MiB of a remote JSON document (Request#body_with_limit). */
export const DEFAULT_MAX_BYTES = 1024 * 1024;
export const DEFAULT_MAX_REDIRECTS = 5;

export interface FetchPolicy {
  allowPrivateAddress: boolean;
  timeoutMs?: number;
  maxBytes?: number;
  maxRedirects?: number;
  userAgent?: string;
}

/** The policy the configuration asks for, with the default limits and the User-Agent Fedify's own requests send. */
export function fetchPolicy(config: Pick<Config, "allowPrivateAddress" | "publicUrl">): FetchPolicy {
  return {
    allowPrivateAddress: config.allowPrivateAddress,
    userAgent: getUserAgent({ software: `${SOFTWARE_NAME}/${SOFTWARE_VERSION}`, url: config.publicUrl.origin }),
  };
}

/** The target is not one we may fetch: not http(s), or not a public address. Nothing was sent. */
export class FetchRefusedError extends Error {
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(`Refused to fetch ${url}: ${reason}`);
    this.name = "FetchRefusedError";
  }
}

export type RemoteFetchFailure = "timeout" | "too-large" | "status" | "network" | "redirects" | "content-type" | "invalid";

/** The fetch was allowed but did not give a usable answer. */
export class RemoteFetchError extends Error {
  constructor(
    readonly url: string,
    readonly failure: RemoteFetchFailure,
    message: string,
    readonly status?: number,
  ) {
    super(`${url}: ${message}`);
    this.name = "RemoteFetchError";
  }
}

/** Throws FetchRefusedError unless `url` is http(s) and (unless allowed) resolves only to public addresses. */
export async function assertFetchable(url: string | URL, policy: Pick<FetchPolicy, "allowPrivateAddress">): Promise<URL> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new FetchRefusedError(String(url), "not a URL");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new FetchRefusedError(parsed.href, `unsupported protocol ${parsed.protocol}`);
  }
  if (parsed.username || parsed.password) throw new FetchRefusedError(parsed.href, "credentials in the URL");
  if (policy.allowPrivateAddress) return parsed;
  try {
    await validatePublicUrl(parsed.href);
  } catch (error) {
    if (error instanceof UrlError) throw new FetchRefusedError(parsed.href, error.message);
    throw error;
  }
  return parsed;
}

export interface GuardedRequest {
  method?: "GET" | "HEAD";
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Signs each hop (the signature covers host and path, so a redirect needs a new one). */
  sign?: (request: Request) => Promise<Request>;
}

export interface GuardedResponse {
  /** Where the body came from, after redirects. */
  url: string;
  status: number;
  headers: Headers;
  body: Uint8Array;
  text(): string;
  json(): unknown;
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/**
 * fetch() under the policy. Any status is returned (the caller decides what
 * a 404 means); refusals throw FetchRefusedError, transport problems and
 * limits RemoteFetchError.
 */
export async function guardedFetch(url: string | URL, policy: FetchPolicy, request: GuardedRequest = {}): Promise<GuardedResponse> {
  const timeoutMs = policy.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = policy.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxRedirects = policy.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, deadline]) : deadline;
  const headers: Record<string, string> = { ...(policy.userAgent ? { "user-agent": policy.userAgent } : {}), ...request.headers };

  let current = await assertFetchable(url, policy);
  for (let hop = 0; ; hop++) {
    let outgoing = new Request(current, { method: request.method ?? "GET", headers, redirect: "manual", signal });
    if (request.sign) outgoing = await request.sign(outgoing);
    let response: Response;
    try {
      response = await fetch(outgoing, { redirect: "manual", signal });
    } catch (error) {
      throw transportError(current.href, error, deadline, timeoutMs);
    }
    if (isRedirect(response.status)) {
      const location = response.headers.get("location");
      await response.body?.cancel().catch(() => {});
      if (!location) throw new RemoteFetchError(current.href, "invalid", `redirect ${response.status} without Location`, response.status);
      if (hop >= maxRedirects) throw new RemoteFetchError(current.href, "redirects", `more than ${maxRedirects} redirects`);
      current = await assertFetchable(new URL(location, current), policy);
      continue;
    }
    const body = await readLimited(current.href, response, maxBytes, deadline, timeoutMs);
    const finalUrl = current.href;
    return {
      url: finalUrl,
      status: response.status,
      headers: response.headers,
      body,
      text: () => new TextDecoder().decode(body),
      json: () => {
        try {
          return JSON.parse(new TextDecoder().decode(body));
        } catch {
          throw new RemoteFetchError(finalUrl, "invalid", "the body is not JSON", response.status);
        }
      },
    };
  }
}

function transportError(url: string, error: unknown, deadline: AbortSignal, timeoutMs: number): Error {
  if (deadline.aborted) return new RemoteFetchError(url, "timeout", `no complete answer within ${timeoutMs} ms`);
  if (error instanceof Error && error.name === "AbortError") return error;
  return new RemoteFetchError(url, "network", error instanceof Error ? error.message : String(error));
}

/** The body, refusing (and abandoning the transfer) past `maxBytes` — announced or actual. */
async function readLimited(url: string, response: Response, maxBytes: number, deadline: AbortSignal, timeoutMs: number): Promise<Uint8Array> {
  const announced = Number(response.headers.get("content-length"));
  if (Number.isFinite(announced) && announced > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw new RemoteFetchError(url, "too-large", `body of ${announced} bytes exceeds ${maxBytes}`, response.status);
  }
  if (!response.body) return new Uint8Array();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new RemoteFetchError(url, "too-large", `body exceeds ${maxBytes} bytes`, response.status);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof RemoteFetchError) throw error;
    throw transportError(url, error, deadline, timeoutMs);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

export const ACTIVITY_ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"';

const JSON_TYPES = /^application\/(?:activity\+json|ld\+json|json|jrd\+json)$/i;

/** A signer from a key pair: draft-cavage HTTP Signatures, the scheme every ActivityPub server accepts on GETs. */
export function httpSigner(key: { keyId: URL; privateKey: CryptoKey }): (request: Request) => Promise<Request> {
  return (request) => signRequest(request, key.privateKey, key.keyId);
}

export interface LoaderOptions extends FetchPolicy {
  sign?: (request: Request) => Promise<Request>;
}

/**
 * A JSON-LD document loader under the policy: known contexts answered
 * locally, everything else through guardedFetch, non-2xx and non-JSON
 * answers refused.
 */
export function guardedDocumentLoader(options: LoaderOptions): DocumentLoader {
  return async (url: string, loaderOptions?: DocumentLoaderOptions): Promise<RemoteDocument> => {
    const known = knownContext(url);
    if (known) return known;
    const response = await guardedFetch(url, options, { headers: { accept: ACTIVITY_ACCEPT }, sign: options.sign, signal: loaderOptions?.signal });
    if (response.status < 200 || response.status > 299) {
      throw new RemoteFetchError(response.url, "status", `HTTP ${response.status}`, response.status);
    }
    const type = (response.headers.get("content-type") ?? "").split(";")[0]!.trim();
    if (!JSON_TYPES.test(type)) {
      throw new RemoteFetchError(response.url, "content-type", `expected JSON, got ${type || "no content type"}`, response.status);
    }
    return { contextUrl: null, document: response.json(), documentUrl: response.url };
  };
}

/**
 * Loaders with the policy's size and time limits, in the shape
 * createFederation takes (documentLoaderFactory, contextLoaderFactory,
 * authenticatedDocumentLoaderFactory), cached in the KV store as Fedify's
 * own are. Fedify refuses these options together with `allowPrivateAddress`
 * or `userAgent`, so adopting them means dropping those two (the policy
 * carries both); Fedify's own WebFinger lookups (ctx.lookupWebFinger,
 * lookupObject of a handle) then refuse private addresses, which
 * remote-accounts.ts does not use. Signed fetches here use draft-cavage
 * signatures only, without Fedify's RFC 9421 first knock.
 */
export function guardedLoaderFactories(policy: FetchPolicy, kv?: KvStore) {
  const cached = (loader: DocumentLoader, kind: "object" | "context") => (kv ? kvCache({ loader, kv, kind }) : loader);
  return {
    documentLoaderFactory: (() => cached(guardedDocumentLoader(policy), "object")) satisfies DocumentLoaderFactory,
    contextLoaderFactory: (() => cached(tolerantContextLoader(guardedDocumentLoader(policy)), "context")) satisfies DocumentLoaderFactory,
    authenticatedDocumentLoaderFactory: ((identity) =>
      guardedDocumentLoader({ ...policy, sign: httpSigner(identity) })) satisfies AuthenticatedDocumentLoaderFactory,
  };
}
