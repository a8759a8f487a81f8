/**
 * A remote post (Note, Question; Article, Page, Video, Audio, Image and
 * Event shown as a link, as Mastodon converts them) → a status draft: the
 * values of a `statuses` row and its mentions, tags, emojis, media and
 * poll, with every URL and every piece of HTML checked.
 *
 * Visibility comes from the addressing, as in Mastodon's
 * ActivityPub::Activity::Create#visibility_from_audience:
 *   Public in `to` → public; Public in `cc` → unlisted; the author's
 *   followers collection addressed → private; anything else → direct.
 */
import {
  Article,
  Audio,
  Document,
  Event,
  Hashtag,
  Image,
  Link,
  Mention,
  Note,
  Page,
  Question,
  Video,
  type Object as APObject,
} from "@fedify/fedify/vocab";
import { escapeHtml } from "../../src/text/html.ts";
import { cleanPlainText, htmlToPlainText, sanitizeHtml } from "../sanitize.ts";
import {
  asArray,
  embedded,
  emojiTags,
  getterOptions,
  href,
  httpUrl,
  isPublicAddress,
  isRecord,
  pageUrl,
  rawAddresses,
  rawJson,
  str,
  toDate,
  typeName,
  urlOf,
  type EmojiDraft,
  type Json,
  type TranslateOptions,
} from "./common.ts";

export type Visibility = "public" | "unlisted" | "private" | "direct";

export interface AttachmentDraft {
  /** Mastodon's media type, from the MIME type. */
  type: "image" | "video" | "audio" | "unknown";
  url: string;
  mediaType: string | null;
  /** Alt text (plain). */
  description: string | null;
  blurhash: string | null;
  width: number | null;
  height: number | null;
  /** Mastodon's focal point, x and y in [-1, 1]. */
  focus: { x: number; y: number } | null;
}

export interface PollDraft {
  options: string[];
  votesCounts: number[];
  multiple: boolean;
  expiresAt: Date | null;
  votersCount: number | null;
  /** Closed by its author before (or without) an end time. */
  closed: boolean;
}

export interface StatusDraft {
  uri: string;
  url: string | null;
  /** `attributedTo`: who wrote it. */
  authorUri: string | null;
  objectType: string;
  /** Article, Page, Video…: shown as title, summary and link, not as their own HTML. */
  converted: boolean;
  /** Sanitised HTML. */
  content: string;
  spoilerText: string;
  sensitive: boolean;
  language: string | null;
  visibility: Visibility;
  inReplyToUri: string | null;
  quoteUri: string | null;
  /** Actor URIs of the Mention tags. */
  mentions: string[];
  /** Actors addressed in to/cc/bto/bcc that are neither public nor a followers collection (silent mentions of direct messages). */
  addressed: string[];
  /** Hashtag names without the #, first spelling of each. */
  hashtags: string[];
  emojis: EmojiDraft[];
  attachments: AttachmentDraft[];
  poll: PollDraft | null;
  /** The `replies` collection, for backfilling threads. */
  repliesUri: string | null;
  /** The `context` (thread) it belongs to, when the server says. */
  contextUri: string | null;
  published: Date | null;
  updated: Date | null;
}

export type StatusTranslation = { ok: true; status: StatusDraft } | { ok: false; reason: string };

export const ATTACHMENTS_LIMIT = 16;
export const DESCRIPTION_LIMIT = 1500;
export const SPOILER_LIMIT = 5000;
export const CONTENT_LIMIT = 500_000;
export const POLL_OPTIONS_LIMIT = 50;

const CONVERTED = [Article, Page, Video, Audio, Image, Event] as const;

/** Objects that become statuses. Question is an Activity subclass in Fedify's vocabulary: test for it first. */
export function isStatusObject(object: APObject): boolean {
  return object instanceof Note || object instanceof Question || isConverted(object);
}

function isConverted(object: APObject): boolean {
  return CONVERTED.some((type) => object instanceof type);
}

export interface AddressingInput {
  to: readonly string[];
  cc: readonly string[];
  /** The author's followers collection, when known (accounts.followers_url); otherwise guessed. */
  followersUrl?: string | null;
  authorUri?: string | null;
}

/**
 * A followers collection among the addressees. With the author's actual
 * collection known, only it counts (Mastodon compares with the account's
 * followers_url); without it, the conventional …/followers path of
 * Mastodon, Misskey, Pleroma, GoToSocial and Lemmy is recognised.
 */
function isFollowersCollection(address: string, input: AddressingInput): boolean {
  if (input.followersUrl) return address === input.followersUrl;
  if (input.authorUri && address === `${input.authorUri}/followers`) return true;
  try {
    return new URL(address).pathname.endsWith("/followers");
  } catch {
    return false;
  }
}

export function visibilityFromAddressing(input: AddressingInput): Visibility {
  if (input.to.some(isPublicAddress)) return "public";
  if (input.cc.some(isPublicAddress)) return "unlisted";
  if ([...input.to, ...input.cc].some((a) => isFollowersCollection(a, input))) return "private";
  return "direct";
}

/** Addressees that are individual actors (not public, not a followers collection). */
export function individualAddressees(addresses: readonly string[], input: AddressingInput): string[] {
  return [...new Set(addresses.filter((a) => !isPublicAddress(a) && !isFollowersCollection(a, input)))];
}

/**
 * to/cc/bto/bcc as sent: from the raw JSON when it has them, because Fedify
 * resolves a bare "Public" against the base URL as if it were a relative
 * link; from Fedify's parsed ids otherwise.
 */
export function addressing(object: APObject, json: Json | undefined) {
  const merge = (ids: URL[], key: string) => {
    if (json?.[key] === undefined) return [...new Set(ids.map((u) => u.href))];
    const values = rawAddresses(json, key).map((v) => (isPublicAddress(v) ? v : httpUrl(v)));
    return [...new Set(values.filter((v): v is string => v !== null))];
  };
  return {
    to: merge(object.toIds, "to"),
    cc: merge(object.ccIds, "cc"),
    bto: merge(object.btoIds, "bto"),
    bcc: merge(object.bccIds, "bcc"),
  };
}

export interface StatusOptions extends TranslateOptions {
  /** The raw JSON of this object (defaults to what Fedify kept). */
  json?: Json;
  /** The author's followers collection, for telling private from direct. */
  followersUrl?: string | null;
}

export async function translateStatus(object: APObject, options: StatusOptions = {}): Promise<StatusTranslation> {
  if (!isStatusObject(object)) return { ok: false, reason: `${typeName(object)} is not a status type` };
  const uri = httpUrl(object.id);
  if (!uri) return { ok: false, reason: "the object has no http(s) id" };
  const json = options.json ?? (await rawJson(object));
  const authorUri = httpUrl(object.attributionId);
  const converted = isConverted(object);
  const url = pageUrl(object.urls);
  const address = addressing(object, json);
  const addressingInput = { to: address.to, cc: address.cc, followersUrl: options.followersUrl, authorUri };
  const { text: content, language } = contentAndLanguage(object, json);
  const mentions = await mentionTags(object, json, options);
  // `summary` is plain text for a post (Mastodon stores it as the content warning as is) and HTML for an article.
  const summary = str(object.summary);

  return {
    ok: true,
    status: {
      uri,
      url,
      authorUri,
      objectType: typeName(object),
      converted,
      content: converted
        ? convertedContent(cleanPlainText(str(object.name), 1000), cleanPlainText(htmlToPlainText(summary), SPOILER_LIMIT), url ?? uri)
        : sanitizeHtml(content.length > CONTENT_LIMIT ? content.slice(0, CONTENT_LIMIT) : content),
      spoilerText: converted ? "" : cleanPlainText(summary, SPOILER_LIMIT),
      // A content warning hides the post, media included (Mastodon's Status#set_sensitive).
      sensitive: (object.sensitive ?? false) || (!converted && cleanPlainText(summary, 1) !== ""),
      language,
      visibility: visibilityFromAddressing(addressingInput),
      inReplyToUri: httpUrl(object.replyTargetId),
      quoteUri: quoteOf(object),
      mentions,
      addressed: individualAddressees([...address.to, ...address.cc, ...address.bto, ...address.bcc], addressingInput),
      hashtags: await hashtagTags(object, json, options),
      emojis: await emojiTags(object, json, options),
      attachments: await attachments(object, json, options),
      poll: object instanceof Question ? await poll(object, json, options) : null,
      repliesUri: httpUrl(object.repliesId),
      contextUri: httpUrl(object.contextIds[0]),
      published: toDate(object.published),
      updated: toDate(object.updated),
    },
  };
}

/**
 * `content`, else the first `contentMap` entry (Mastodon's order), with the
 * language its map gave it; Lemmy's `language: {identifier}` otherwise.
 */
function contentAndLanguage(object: APObject, json: Json): { text: string; language: string | null } {
  const contents = object.contents;
  const plain = contents.find((c) => typeof c === "string");
  const tagged = contents.find((c) => typeof c !== "string");
  const text = str(plain ?? tagged) ?? "";
  let language: string | null = null;
  const withLanguage = (plain === undefined ? tagged : contents.find((c) => typeof c !== "string" && c.toString() === text)) ?? tagged;
  if (withLanguage && typeof withLanguage !== "string") language = withLanguage.locale.baseName;
  if (!language && isRecord(json.language) && typeof json.language.identifier === "string") {
    language = json.language.identifier;
  }
  // "und" (undetermined) is what servers send when they do not know: the same as no language.
  const valid = language && language !== "und" && /^[a-zA-Z]{2,8}(?:-[a-zA-Z0-9]{1,8})*$/.test(language);
  return { text, language: valid ? language : null };
}

/** Mastodon's converted text: the title, the summary and a link to the original. */
function convertedContent(name: string, summary: string, link: string): string {
  const parts: string[] = [];
  if (name) parts.push(`<p><strong>${escapeHtml(name)}</strong></p>`);
  if (summary) parts.push(`<p>${escapeHtml(summary).replace(/\n/g, "<br />")}</p>`);
  parts.push(`<p><a href="${escapeHtml(link)}" rel="nofollow noopener" target="_blank">${escapeHtml(link)}</a></p>`);
  return parts.join("");
}

/** FEP-044f `quote` first, then the older quoteUrl / _misskey_quote / quoteUri Fedify folds into quoteUrl. */
function quoteOf(object: APObject): string | null {
  if (object instanceof Note || object instanceof Article || object instanceof Question) {
    return httpUrl(object.quoteId) ?? httpUrl(object.quoteUrl);
  }
  return null;
}

async function mentionTags(object: APObject, json: Json, options: TranslateOptions): Promise<string[]> {
  if (!embedded(json, "tag")) return [];
  const found = new Set<string>();
  for await (const tag of object.getTags(getterOptions(options))) {
    if (!(tag instanceof Mention)) continue;
    const target = httpUrl(tag.href);
    if (target) found.add(target);
  }
  return [...found];
}

const HASHTAG = /^[\p{L}\p{M}\p{N}_\u00B7\u30FB\u200c]+$/u;

async function hashtagTags(object: APObject, json: Json, options: TranslateOptions): Promise<string[]> {
  if (!embedded(json, "tag")) return [];
  const found = new Map<string, string>();
  for await (const tag of object.getTags(getterOptions(options))) {
    if (!(tag instanceof Hashtag)) continue;
    const name = cleanPlainText(str(tag.name), 256).replace(/^#/, "").normalize("NFKC");
    if (!HASHTAG.test(name)) continue;
    const key = name.toLowerCase();
    if (!found.has(key)) found.set(key, name);
  }
  return [...found.values()];
}

function mediaKind(mediaType: string | null): AttachmentDraft["type"] {
  const major = mediaType?.split("/")[0]?.toLowerCase();
  if (major === "image") return "image";
  if (major === "video") return "video";
  if (major === "audio") return "audio";
  return "unknown";
}

/** Raw attachment entries by URL, for the fields Fedify does not model (blurhash, focalPoint). */
function rawAttachmentsByUrl(json: Json): Map<string, Json> {
  const map = new Map<string, Json>();
  for (const item of asArray(json.attachment)) {
    if (!isRecord(item)) continue;
    for (const url of asArray(item.url)) {
      const value = typeof url === "string" ? url : isRecord(url) && typeof url.href === "string" ? url.href : null;
      if (value) map.set(value, item);
    }
  }
  return map;
}

function focalPoint(raw: Json | undefined): AttachmentDraft["focus"] {
  const point = raw?.focalPoint;
  if (!Array.isArray(point) || point.length !== 2) return null;
  const [x, y] = point.map(Number);
  if (!Number.isFinite(x) || !Number.isFinite(y) || Math.abs(x!) > 1 || Math.abs(y!) > 1) return null;
  return { x: x!, y: y! };
}

/**
 * Media: Document/Image/Video/Audio attachments with an http(s) URL. Link
 * attachments (Lemmy's shared link) and PropertyValues are not media.
 */
async function attachments(object: APObject, json: Json, options: TranslateOptions): Promise<AttachmentDraft[]> {
  if (!embedded(json, "attachment")) return [];
  const raw = rawAttachmentsByUrl(json);
  const result: AttachmentDraft[] = [];
  for await (const item of object.getAttachments(getterOptions(options))) {
    if (!(item instanceof Document)) continue;
    const first = item.urls[0];
    const url = urlOf(first ?? null);
    if (!url) continue;
    const mediaType = item.mediaType ?? (first instanceof Link ? first.mediaType : null) ?? null;
    const rawItem = raw.get(url) ?? raw.get(first instanceof Link ? (first.href?.href ?? "") : (first?.href ?? ""));
    const blurhash = typeof rawItem?.blurhash === "string" && /^[0-9A-Za-z#$%*+,\-.:;=?@[\]^_{|}~]{6,200}$/.test(rawItem.blurhash)
      ? rawItem.blurhash
      : null;
    result.push({
      type: mediaKind(mediaType),
      url,
      mediaType,
      description: cleanPlainText(str(item.name) ?? str(item.summary), DESCRIPTION_LIMIT) || null,
      blurhash,
      width: positive(item.width),
      height: positive(item.height),
      focus: focalPoint(rawItem),
    });
    if (result.length >= ATTACHMENTS_LIMIT) break;
  }
  return result;
}

function positive(value: number | null): number | null {
  return value !== null && Number.isFinite(value) && value > 0 ? Math.floor(value) : null;
}

/** oneOf (single choice) or anyOf (multiple); vote counts from each option's replies.totalItems. */
async function poll(question: Question, json: Json, options: TranslateOptions): Promise<PollDraft | null> {
  const multiple = embedded(json, "anyOf");
  if (!multiple && !embedded(json, "oneOf")) return null;
  const get = getterOptions(options);
  const choices = multiple ? question.getInclusiveOptions(get) : question.getExclusiveOptions(get);
  const names: string[] = [];
  const counts: number[] = [];
  for await (const option of choices) {
    const name = cleanPlainText(str(option.name), 1000);
    if (!name) continue;
    const replies = await option.getReplies(get);
    names.push(name);
    counts.push(Math.max(0, Math.floor(replies?.totalItems ?? 0)));
    if (names.length >= POLL_OPTIONS_LIMIT) break;
  }
  if (names.length === 0) return null;
  const closed = question.closed;
  const closedAt = closed instanceof Temporal.Instant ? toDate(closed) : null;
  return {
    options: names,
    votesCounts: counts,
    multiple,
    expiresAt: toDate(question.endTime) ?? closedAt,
    votersCount: question.voters !== null && question.voters >= 0 ? Math.floor(question.voters) : null,
    closed: closed === true || closedAt !== null,
  };
}
