/**
 * Turning JSON that came over the wire into Fedify vocabulary objects,
 * tolerant of what real servers send:
 *
 * - no `@context`, or one without the ActivityStreams context (Lemmy's
 *   captured objects, Mastodon's Delete of an actor): ActivityStreams 2.0
 *   Core §2.1 says to assume the ActivityStreams context, so it is added;
 * - extension terms used without being defined (Pleroma's EmojiReact under
 *   Mastodon's context, `sensitive` or `Hashtag` under the bare
 *   ActivityStreams context): a compatibility context defining the
 *   Mastodon, LitePub, Misskey and Fedibird terms is put *first*, so any
 *   definition the document gives itself still wins;
 * - per-instance copies of the LitePub context
 *   (`https://<pleroma>/schemas/litepub-0.1.jsonld`) are served from a copy
 *   here instead of being fetched from each instance;
 * - a context that cannot be loaded becomes an empty one (its terms are
 *   dropped, the ActivityStreams ones still parse) rather than failing the
 *   whole document, as Mastodon, which ignores contexts, would accept it;
 * - key material Fedify cannot import (a truncated PEM) fails the parse, so
 *   a second attempt drops keys and proofs: profiles and posts are still
 *   understood, and signature checks fetch the keys on their own.
 */
import { preloadedContexts, type DocumentLoader, type RemoteDocument } from "@fedify/fedify";
import { Object as APObject } from "@fedify/fedify/vocab";
import { logger } from "../../src/log.ts";

const log = logger("federation", "jsonld");

export const AS_CONTEXT = "https://www.w3.org/ns/activitystreams";

/** Spellings of the ActivityStreams context URL seen in the wild. */
const AS_CONTEXT_ALIASES = new Set([
  AS_CONTEXT,
  `${AS_CONTEXT}#`,
  `${AS_CONTEXT}.jsonld`,
  "http://www.w3.org/ns/activitystreams",
  "http://www.w3.org/ns/activitystreams#",
]);

/**
 * Extension terms that servers use, sometimes without defining them. The
 * IRIs are the ones Fedify's vocabulary expects (Mastodon's `toot:`,
 * LitePub's, Misskey's, Fedibird's, schema.org with Mastodon's `#`).
 */
export const COMPAT_CONTEXT = {
  as: "https://www.w3.org/ns/activitystreams#",
  toot: "http://joinmastodon.org/ns#",
  litepub: "http://litepub.social/ns#",
  misskey: "https://misskey-hub.net/ns#",
  fedibird: "http://fedibird.com/ns#",
  schema: "http://schema.org#",
  ostatus: "http://ostatus.org#",
  sensitive: "as:sensitive",
  manuallyApprovesFollowers: "as:manuallyApprovesFollowers",
  movedTo: { "@id": "as:movedTo", "@type": "@id" },
  alsoKnownAs: { "@id": "as:alsoKnownAs", "@type": "@id" },
  Hashtag: "as:Hashtag",
  quoteUrl: "as:quoteUrl",
  Emoji: "toot:Emoji",
  featured: { "@id": "toot:featured", "@type": "@id" },
  featuredTags: { "@id": "toot:featuredTags", "@type": "@id" },
  discoverable: "toot:discoverable",
  indexable: "toot:indexable",
  memorial: "toot:memorial",
  suspended: "toot:suspended",
  blurhash: "toot:blurhash",
  focalPoint: { "@container": "@list", "@id": "toot:focalPoint" },
  votersCount: "toot:votersCount",
  EmojiReact: "litepub:EmojiReact",
  ChatMessage: "litepub:ChatMessage",
  PropertyValue: "schema:PropertyValue",
  value: "schema:value",
  _misskey_quote: "misskey:_misskey_quote",
  _misskey_reaction: "misskey:_misskey_reaction",
  _misskey_content: "misskey:_misskey_content",
  quoteUri: "fedibird:quoteUri",
  conversation: "ostatus:conversation",
  atomUri: "ostatus:atomUri",
  inReplyToAtomUri: "ostatus:inReplyToAtomUri",
} as const;

/** The LitePub context every Pleroma and Akkoma instance serves at /schemas/litepub-0.1.jsonld. */
const LITEPUB_CONTEXT = {
  "@context": [
    AS_CONTEXT,
    "https://w3id.org/security/v1",
    {
      Emoji: "toot:Emoji",
      Hashtag: "as:Hashtag",
      PropertyValue: "schema:PropertyValue",
      atomUri: "ostatus:atomUri",
      conversation: { "@id": "ostatus:conversation", "@type": "@id" },
      discoverable: "toot:discoverable",
      manuallyApprovesFollowers: "as:manuallyApprovesFollowers",
      capabilities: "litepub:capabilities",
      ostatus: "http://ostatus.org#",
      schema: "http://schema.org#",
      toot: "http://joinmastodon.org/ns#",
      misskey: "https://misskey-hub.net/ns#",
      fedibird: "http://fedibird.com/ns#",
      value: "schema:value",
      sensitive: "as:sensitive",
      litepub: "http://litepub.social/ns#",
      invisible: "litepub:invisible",
      directMessage: "litepub:directMessage",
      listMessage: { "@id": "litepub:listMessage", "@type": "@id" },
      quoteUrl: "as:quoteUrl",
      quoteUri: "fedibird:quoteUri",
      oauthRegistrationEndpoint: { "@id": "litepub:oauthRegistrationEndpoint", "@type": "@id" },
      EmojiReact: "litepub:EmojiReact",
      ChatMessage: "litepub:ChatMessage",
      alsoKnownAs: { "@id": "as:alsoKnownAs", "@type": "@id" },
    },
  ],
};

const EMPTY_CONTEXT = { "@context": {} };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A context this module can answer without the network, or undefined. */
export function knownContext(url: string): RemoteDocument | undefined {
  const key = AS_CONTEXT_ALIASES.has(url) ? AS_CONTEXT : url;
  if (key in preloadedContexts) return { contextUrl: null, document: preloadedContexts[key], documentUrl: url };
  try {
    if (/\/schemas\/litepub-0\.1\.jsonld$/.test(new URL(url).pathname)) {
      return { contextUrl: null, document: LITEPUB_CONTEXT, documentUrl: url };
    }
  } catch {
    // Not a URL: left to the caller's loader, which refuses it.
  }
  return undefined;
}

/**
 * A context loader answering known contexts locally, others through `fetch`
 * (none: offline), and an empty context when that fails.
 */
export function tolerantContextLoader(fetch?: DocumentLoader): DocumentLoader {
  return async (url, options) => {
    const known = knownContext(url);
    if (known) return known;
    if (fetch) {
      try {
        return await fetch(url, options);
      } catch (error) {
        log.info("JSON-LD context {url} could not be loaded; its terms are ignored: {error}", { url, error });
      }
    }
    return { contextUrl: null, document: EMPTY_CONTEXT, documentUrl: url };
  };
}

export class OfflineDocumentError extends Error {
  constructor(readonly url: string) {
    super(`${url} is not embedded and translation does not fetch`);
    this.name = "OfflineDocumentError";
  }
}

/**
 * The document loader translators use unless told otherwise: never fetches,
 * so reading a property that holds only a URI yields nothing instead of a
 * request to whatever server the sender named.
 */
export const offlineDocumentLoader: DocumentLoader = async (url) => {
  throw new OfflineDocumentError(url);
};

export const offlineContextLoader: DocumentLoader = tolerantContextLoader();

/** The document with an ActivityStreams context guaranteed and the compatibility terms underneath its own. */
export function normalizeJsonLd(json: Record<string, unknown>): Record<string, unknown> {
  const original = json["@context"];
  const list: unknown[] = original == null ? [] : Array.isArray(original) ? original : [original];
  const hasAs = list.some((c) => typeof c === "string" && AS_CONTEXT_ALIASES.has(c));
  return { ...json, "@context": [COMPAT_CONTEXT, ...(hasAs ? [] : [AS_CONTEXT]), ...list] };
}

const KEY_MATERIAL = new Set(["publicKey", "assertionMethod", "proof", "signature"]);

/** A copy without keys, proofs and signatures at any depth. */
function withoutKeyMaterial(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutKeyMaterial);
  if (!isRecord(value)) return value;
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === "@context") result[key] = item;
    else if (!KEY_MATERIAL.has(key)) result[key] = withoutKeyMaterial(item);
  }
  return result;
}

export interface ParseOptions {
  /** Loads documents the JSON only links to; offline (never fetches) by default. */
  documentLoader?: DocumentLoader;
  /** Loads contexts; known ones offline, others empty, by default. */
  contextLoader?: DocumentLoader;
  /** Where the document came from, for relative URLs. */
  baseUrl?: URL;
}

export type ParseResult =
  | { ok: true; object: APObject; json: Record<string, unknown>; warnings: string[] }
  | { ok: false; error: string; json: unknown };

/**
 * Parses wire JSON into a Fedify object. Never throws: a document that
 * cannot be understood comes back as `{ ok: false, error }`.
 * `json` in the result is the raw document (for extension fields Fedify's
 * vocabulary has no property for, such as attachments' `blurhash`).
 */
export async function parseJsonLd(json: unknown, options: ParseOptions = {}): Promise<ParseResult> {
  if (!isRecord(json)) return { ok: false, error: "not a JSON object", json };
  const loaders = {
    documentLoader: options.documentLoader ?? offlineDocumentLoader,
    contextLoader: options.contextLoader ?? offlineContextLoader,
    baseUrl: options.baseUrl,
  };
  const normalized = normalizeJsonLd(json);
  let firstError: unknown;
  try {
    return { ok: true, object: await APObject.fromJsonLd(normalized, loaders), json, warnings: [] };
  } catch (error) {
    firstError = error;
  }
  try {
    const object = await APObject.fromJsonLd(withoutKeyMaterial(normalized), loaders);
    return { ok: true, object, json, warnings: [`keys and proofs ignored: ${errorMessage(firstError)}`] };
  } catch (error) {
    return { ok: false, error: errorMessage(error), json };
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
