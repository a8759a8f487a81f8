/**
 * Small readers shared by the translators: URLs out of Fedify values, the
 * raw JSON beside a Fedify object, embedded-or-reference checks, custom
 * emoji tags.
 *
 * Translators never fetch. A property is read through Fedify's getter only
 * when the raw JSON shows it embedded; a bare URI stays a URI for the
 * caller to resolve (or not) with its own policy.
 */
import type { DocumentLoader } from "@fedify/fedify";
import { Emoji, Image, Link, getTypeId, type Object as APObject } from "@fedify/fedify/vocab";
import { cleanPlainText } from "../sanitize.ts";
import { offlineContextLoader, offlineDocumentLoader } from "./jsonld.ts";

export type Json = Record<string, unknown>;

export interface TranslateOptions {
  /** Only for properties the caller wants resolved; translators themselves never fetch. */
  documentLoader?: DocumentLoader;
  contextLoader?: DocumentLoader;
}

export const PUBLIC_COLLECTION = "https://www.w3.org/ns/activitystreams#Public";

export function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Options for Fedify getters over embedded values: no network, and origins checked by the translators themselves. */
export function getterOptions(options: TranslateOptions = {}) {
  return {
    documentLoader: options.documentLoader ?? offlineDocumentLoader,
    contextLoader: options.contextLoader ?? offlineContextLoader,
    suppressError: true,
    crossOrigin: "trust" as const,
  };
}

/**
 * The JSON an object was parsed from (Fedify keeps it), or its compacted
 * form for objects built otherwise. Read for extension fields Fedify's
 * vocabulary does not model (`blurhash`, `_misskey_reaction`, a bare
 * "Public" in `to`).
 */
export async function rawJson(object: APObject): Promise<Json> {
  try {
    const json = await object.toJsonLd({ contextLoader: offlineContextLoader });
    return isRecord(json) ? json : {};
  } catch {
    return {};
  }
}

export function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** Whether the raw property holds at least one embedded object (not only URIs). */
export function embedded(json: Json | undefined, key: string): boolean {
  return asArray(json?.[key]).some(isRecord);
}

/** The raw embedded object of a single-valued property, if it is one. */
export function embeddedJson(json: Json | undefined, key: string): Json | undefined {
  const first = asArray(json?.[key])[0];
  return isRecord(first) ? first : undefined;
}

export function href(url: URL | null | undefined): string | null {
  return url ? url.href : null;
}

export function isHttpUrl(value: string | null | undefined): value is string {
  if (!value) return false;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

/** An http(s) URL string, or null for anything else (javascript:, data:, relative). */
export function httpUrl(value: URL | string | null | undefined): string | null {
  const s = value instanceof URL ? value.href : value;
  return isHttpUrl(s) ? new URL(s).href : null;
}

/** A name-like value as a string (LanguageString included). */
export function str(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  if (value instanceof String) return value.toString();
  return null;
}

/** The unqualified type name of a Fedify object ("Note", "EmojiReact"). */
export function typeName(object: APObject): string {
  const id = getTypeId(object).href;
  return id.slice(Math.max(id.lastIndexOf("#"), id.lastIndexOf("/")) + 1);
}

export function toDate(instant: Temporal.Instant | null | undefined): Date | null {
  return instant ? new Date(instant.epochMilliseconds) : null;
}

export function sameOrigin(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return false;
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

/** Forms of the public collection Mastodon accepts; Fedify resolves a bare "Public" against the base URL, so raw JSON is checked too. */
export function isPublicAddress(value: string): boolean {
  return value === PUBLIC_COLLECTION || value === "as:Public" || value === "Public";
}

/** Raw addressing values (`to`, `cc`, …) as strings, objects reduced to their id. */
export function rawAddresses(json: Json | undefined, key: string): string[] {
  return asArray(json?.[key])
    .map((v) => (typeof v === "string" ? v : isRecord(v) && typeof v.id === "string" ? v.id : null))
    .filter((v): v is string => v !== null);
}

/** The URL a `url` or `icon` value points at: a URL, a Link's href, or an Image's url. */
export function urlOf(value: URL | Link | APObject | null | undefined): string | null {
  if (!value) return null;
  if (value instanceof URL) return httpUrl(value);
  if (value instanceof Link) return httpUrl(value.href);
  if (value instanceof Image) return urlOf(value.url);
  return null;
}

/** The first http(s) link among `url` values, preferring one marked text/html (PeerTube lists several). */
export function pageUrl(values: readonly (URL | Link)[]): string | null {
  const html = values.find((v) => v instanceof Link && v.mediaType?.startsWith("text/html") && httpUrl(v.href));
  if (html) return urlOf(html);
  for (const value of values) {
    const url = urlOf(value);
    if (url) return url;
  }
  return null;
}

export interface EmojiDraft {
  shortcode: string;
  url: string;
  mediaType: string | null;
  uri: string | null;
  updated: Date | null;
}

const SHORTCODE = /^:?([a-zA-Z0-9_]{2,}):?$/;

/** A custom emoji tag (toot:Emoji), or null when it has no usable shortcode or image. */
export async function emojiDraft(emoji: Emoji, options: TranslateOptions = {}): Promise<EmojiDraft | null> {
  const match = SHORTCODE.exec(cleanPlainText(str(emoji.name), 100));
  if (!match) return null;
  const icon = await emoji.getIcon(getterOptions(options));
  const url = icon ? urlOf(icon.url) : httpUrl(emoji.iconId);
  if (!url) return null;
  return {
    shortcode: match[1]!,
    url,
    mediaType: icon?.mediaType ?? null,
    uri: href(emoji.id),
    updated: toDate(emoji.updated),
  };
}

/** The custom emojis among an object's tags, first of each shortcode kept. */
export async function emojiTags(object: APObject, json: Json | undefined, options: TranslateOptions = {}): Promise<EmojiDraft[]> {
  if (!embedded(json, "tag")) return [];
  const found = new Map<string, EmojiDraft>();
  for await (const tag of object.getTags(getterOptions(options))) {
    if (!(tag instanceof Emoji)) continue;
    const draft = await emojiDraft(tag, options);
    if (draft && !found.has(draft.shortcode)) found.set(draft.shortcode, draft);
  }
  return [...found.values()];
}
