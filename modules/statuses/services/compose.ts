/**
 * What posting and editing share: reading the composed content from the
 * request, validating it against the advertised limits, and turning the
 * text into HTML with its mentions and hashtags resolved.
 */
import type { AppContext } from "../../../src/context.ts";
import type { Db } from "../../../src/db/index.ts";
import { unprocessable } from "../../../src/http/errors.ts";
import { accountUrls } from "../../../src/http/urls.ts";
import { bool, int, list, str, type Params } from "../../../src/http/params.ts";
import { extractHashtags, extractMentions, formatPlainText, statusLength } from "../../../src/text/index.ts";
import { lookupAccount } from "../../accounts/service.ts";
import { INSTANCE_LIMITS } from "../../instance/limits.ts";
import { tagUrl } from "../serializer.ts";
import { findMentionTargets, type MentionTarget } from "../storage.ts";

const LIMITS = INSTANCE_LIMITS.statuses;
const POLL_LIMITS = INSTANCE_LIMITS.polls;
/**
 * Longer raw input can't fit the limit however many URLs it holds (each URL
 * counts 23 however long it is, but URLs this long don't exist in practice);
 * refusing early keeps the entity scanners away from megabyte bodies.
 */
const MAX_RAW_LENGTH = 50_000;

export interface PollInput {
  options: string[];
  expiresIn: number;
  multiple: boolean;
  hideTotals: boolean;
}

export interface ComposedContent {
  text: string;
  spoilerText: string;
  /** As sent; null when absent (the caller applies its default). */
  sensitive: boolean | null;
  language: string | null | undefined;
  mediaIds: string[];
  poll: PollInput | null;
}

const LANGUAGE = /^[a-z]{2,3}(?:[-_][a-z0-9]{2,8})?$/i;

/** A language code as Mastodon stores it, or undefined when absent or not a code (the default then applies). */
export function readLanguage(value: unknown): string | undefined {
  const text = str(value)?.trim();
  if (!text || !LANGUAGE.test(text)) return undefined;
  return text.split(/[-_]/)[0]!.toLowerCase();
}

function readPoll(value: unknown): PollInput | null {
  if (value === undefined || value === null || value === "") return null;
  if (typeof value !== "object" || Array.isArray(value)) throw unprocessable("Poll is invalid");
  const poll = value as Params;
  const options = list(poll.options).map((o) => o.trim());
  if (options.length === 0 && poll.expires_in === undefined) return null;
  if (options.length < 2) throw unprocessable("Poll options must have more than one item");
  if (options.length > POLL_LIMITS.maxOptions) {
    throw unprocessable(`Poll options can't contain more than ${POLL_LIMITS.maxOptions} items`);
  }
  if (options.some((o) => o === "")) throw unprocessable("Poll options can't be blank");
  if (options.some((o) => [...o].length > POLL_LIMITS.maxCharactersPerOption)) {
    throw unprocessable(`Poll options cannot be longer than ${POLL_LIMITS.maxCharactersPerOption} characters each`);
  }
  if (new Set(options).size !== options.length) throw unprocessable("Poll options contain duplicate items");
  const expiresIn = int(poll.expires_in, "poll[expires_in]");
  if (expiresIn === undefined) throw unprocessable("Poll expires_in can't be blank");
  if (expiresIn < POLL_LIMITS.minExpiration) throw unprocessable("Poll expiration is too soon");
  if (expiresIn > POLL_LIMITS.maxExpiration) throw unprocessable("Poll expiration is too far into the future");
  return {
    options,
    expiresIn,
    multiple: bool(poll.multiple, false),
    hideTotals: bool(poll.hide_totals, false),
  };
}

/**
 * Reads and validates the content fields of POST/PUT /api/v1/statuses.
 * `fallbackText` is used when `status` is absent (edits keep the text).
 */
export function readComposedContent(params: Params, fallbackText = ""): ComposedContent {
  let text = (str(params.status) ?? fallbackText).replace(/\r\n?/g, "\n").trim();
  let spoilerText = (str(params.spoiler_text) ?? "").trim();
  if (text.length > MAX_RAW_LENGTH || spoilerText.length > MAX_RAW_LENGTH) {
    throw unprocessable(`Text character limit of ${LIMITS.maxCharacters} exceeded`);
  }
  // Mastodon: a content warning with no text becomes the text.
  if (text === "" && spoilerText !== "") {
    text = spoilerText;
    spoilerText = "";
  }
  const mediaIds = [...new Set(list(params.media_ids).filter((v) => v !== ""))];
  const poll = readPoll(params.poll);
  if (mediaIds.length > LIMITS.maxMediaAttachments) {
    throw unprocessable(`Cannot attach more than ${LIMITS.maxMediaAttachments} files`);
  }
  if (mediaIds.length > 0 && poll) throw unprocessable("Cannot attach files to a post with a poll");
  if (text === "" && mediaIds.length === 0 && !poll) throw unprocessable("Text can't be blank");
  if (statusLength(text, spoilerText) > LIMITS.maxCharacters) {
    throw unprocessable(`Text character limit of ${LIMITS.maxCharacters} exceeded`);
  }
  return {
    text,
    spoilerText,
    sensitive: bool(params.sensitive) ?? null,
    language: params.language === undefined ? undefined : (readLanguage(params.language) ?? null),
    mediaIds,
    poll,
  };
}

/** Media to attach are checked by the media module (ownership, not on another status, at most four, no video among images). */
export { attachableMedia } from "../../media/service.ts";

export interface RenderedText {
  content: string;
  mentions: MentionTarget[];
  tags: string[];
}

/** Remote accounts a post may make us look up (WebFinger) when it mentions them unknown. */
const MAX_MENTION_LOOKUPS = 5;

/**
 * Resolves the remote accounts a text mentions that are not known yet (so
 * renderText links them and the post is delivered to them). Runs before
 * the posting transaction: it may fetch from other servers.
 */
export async function resolveRemoteMentions(ctx: AppContext, text: string): Promise<void> {
  const domains = localDomains(ctx);
  const remote = extractMentions(text).filter((m) => m.domain !== null && !domains.includes(m.domain.toLowerCase()));
  if (remote.length === 0) return;
  const known = await findMentionTargets(ctx.sql, remote, domains);
  const knownKeys = new Set(known.map((t) => `${t.username.toLowerCase()}@${(t.domain ?? "").toLowerCase()}`));
  const unknown = remote.filter((m) => !knownKeys.has(`${m.username.toLowerCase()}@${m.domain!.toLowerCase()}`));
  for (const mention of unknown.slice(0, MAX_MENTION_LOOKUPS)) {
    await lookupAccount(ctx, `${mention.username}@${mention.domain}`);
  }
}

export function localDomains(ctx: AppContext): string[] {
  return [...new Set([ctx.config.localDomain, ctx.config.publicUrl.host].map((d) => d.toLowerCase()))];
}

/** The HTML of a status's text, with the accounts it mentions (known ones only) and its hashtags. */
export async function renderText(ctx: AppContext, db: Db, text: string): Promise<RenderedText> {
  const handles = extractMentions(text);
  const domains = localDomains(ctx);
  const targets = await findMentionTargets(db, handles, domains);
  const key = (username: string, domain: string | null) =>
    `${username.toLowerCase()}@${domain === null || domains.includes(domain.toLowerCase()) ? "" : domain.toLowerCase()}`;
  const byHandle = new Map(targets.map((t) => [key(t.username, t.domain), t]));
  const mentioned = new Map<string, MentionTarget>();
  const content = formatPlainText(text, {
    mention: (username, domain) => {
      const target = byHandle.get(key(username, domain));
      if (!target) return null;
      mentioned.set(target.id, target);
      const url = target.domain === null ? accountUrls(ctx.config, target.username).url : (target.url ?? target.uri ?? "");
      return { url, username: target.username };
    },
    hashtagUrl: (name) => tagUrl(ctx, name),
  });
  return { content, mentions: [...mentioned.values()], tags: extractHashtags(text) };
}
