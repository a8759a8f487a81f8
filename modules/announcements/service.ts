/**
 * Announcements: set by administrators (the admin CLI), read, dismissed and
 * reacted to by users. The text is rendered when served, like a status's:
 * links, hashtags, mentions of known accounts, custom emoji, and links to
 * local public statuses listed as `statuses`.
 */
import type { AppContext } from "../../src/context.ts";
import { notFound, unprocessable } from "../../src/http/errors.ts";
import { id } from "../../src/http/params.ts";
import { accountUrls } from "../../src/http/urls.ts";
import { extractEmojiShortcodes, extractUrls } from "../../src/text/index.ts";
import { serializeCustomEmoji } from "../instance/serializer.ts";
import { renderStatuses, tagUrl } from "../statuses/serializer.ts";
import { renderText } from "../statuses/services/compose.ts";
import {
  serializeAnnouncement,
  serializeReaction,
  type Announcement,
  type RenderedAnnouncement,
} from "./serializer.ts";
import {
  countOtherReactionNames,
  deleteReaction,
  insertAnnouncement,
  insertDismissal,
  insertReaction,
  liveAnnouncementExists,
  selectLiveAnnouncements,
  selectLocalEmojis,
  selectReactionCounts,
  type AnnouncementRow,
  type NewAnnouncement,
} from "./storage.ts";

/** Mastodon's ReactionValidator::LIMIT: distinct emoji per announcement. */
const REACTION_LIMIT = 8;
const TEXT_LIMIT = 10_000;

/** `https://host/@user/123` and `https://host/users/user/statuses/123` on this server. */
function localStatusId(ctx: AppContext, url: string): string | null {
  const origin = ctx.config.publicUrl.origin;
  if (!url.startsWith(`${origin}/`)) return null;
  const path = url.slice(origin.length).replace(/[?#].*$/, "");
  const match = /^\/@[^/]+\/(\d+)$/.exec(path) ?? /^\/users\/[^/]+\/statuses\/(\d+)$/.exec(path);
  return match ? (id(match[1]) ?? null) : null;
}

async function render(ctx: AppContext, text: string): Promise<RenderedAnnouncement> {
  const statusIds = [...new Set(extractUrls(text).map((u) => localStatusId(ctx, u.url)).filter((s): s is string => s !== null))];
  const [rendered, statuses, emojis] = await Promise.all([
    renderText(ctx, ctx.sql, text),
    // Anonymous view: only statuses anyone may see are listed.
    renderStatuses(ctx, statusIds, null),
    selectLocalEmojis(ctx.sql, extractEmojiShortcodes(text)),
  ]);
  return {
    content: rendered.content,
    mentions: rendered.mentions.map((m) => ({
      id: m.id,
      username: m.username,
      url: m.domain === null ? accountUrls(ctx.config, m.username).url : (m.url ?? m.uri ?? ""),
      acct: m.domain === null ? m.username : `${m.username}@${m.domain}`,
    })),
    statuses: statuses.map((s) => ({ id: s.id, url: s.url })),
    tags: rendered.tags.map((name) => ({ name, url: tagUrl(ctx, name) })),
    emojis: [...emojis.values()].map(serializeCustomEmoji),
  };
}

export async function listAnnouncements(ctx: AppContext, accountId: string, withDismissed: boolean): Promise<Announcement[]> {
  const rows = await selectLiveAnnouncements(ctx.sql, accountId, withDismissed);
  const counts = await selectReactionCounts(ctx.sql, rows.map((r) => r.id), accountId);
  const custom = await selectLocalEmojis(ctx.sql, [...new Set(counts.map((c) => c.name))]);
  return Promise.all(
    rows.map(async (row) => {
      const reactions = counts
        .filter((c) => c.announcement_id === row.id)
        .map((c) => {
          const emoji = custom.get(c.name);
          return serializeReaction(c, emoji ? serializeCustomEmoji(emoji) : undefined);
        });
      return serializeAnnouncement(row, await render(ctx, row.text), reactions, row.read);
    }),
  );
}

async function liveAnnouncementId(ctx: AppContext, rawId: unknown): Promise<string> {
  const announcementId = id(rawId);
  if (!announcementId || !(await liveAnnouncementExists(ctx.sql, announcementId))) throw notFound();
  return announcementId;
}

export async function dismissAnnouncement(ctx: AppContext, accountId: string, rawId: unknown): Promise<void> {
  await insertDismissal(ctx.sql, await liveAnnouncementId(ctx, rawId), accountId);
}

const RGI_EMOJI = new RegExp("^\\p{RGI_Emoji}$", "v");
const SHORTCODE = /^[a-zA-Z0-9_]{2,}$/;

/** A unicode emoji (fully qualified, or made so with VS16) or a local custom emoji's shortcode; null otherwise. */
async function reactionName(ctx: AppContext, raw: string): Promise<string | null> {
  const name = raw.trim();
  if (RGI_EMOJI.test(name)) return name;
  if (RGI_EMOJI.test(`${name}\uFE0F`)) return `${name}\uFE0F`;
  if (SHORTCODE.test(name) && (await selectLocalEmojis(ctx.sql, [name])).has(name)) return name;
  return null;
}

export async function addReaction(ctx: AppContext, accountId: string, rawId: unknown, rawName: string): Promise<void> {
  const announcementId = await liveAnnouncementId(ctx, rawId);
  const name = await reactionName(ctx, rawName);
  if (!name) throw unprocessable("Name is not a recognized emoji");
  const { others, exists } = await countOtherReactionNames(ctx.sql, announcementId, name);
  if (!exists && others >= REACTION_LIMIT) throw unprocessable("Limit of different reactions reached");
  await insertReaction(ctx.sql, announcementId, accountId, name);
}

export async function removeReaction(ctx: AppContext, accountId: string, rawId: unknown, rawName: string): Promise<void> {
  const announcementId = await liveAnnouncementId(ctx, rawId);
  const name = rawName.trim();
  // Either spelling of an emoji that VS16 qualifies removes the stored one.
  const removed =
    (await deleteReaction(ctx.sql, announcementId, accountId, name)) ||
    (await deleteReaction(ctx.sql, announcementId, accountId, `${name}\uFE0F`));
  if (!removed) throw notFound();
}

/** For the admin CLI. */
export async function createAnnouncement(ctx: AppContext, input: NewAnnouncement): Promise<AnnouncementRow> {
  const text = input.text.trim();
  if (text === "") throw unprocessable("Text can't be blank");
  if (text.length > TEXT_LIMIT) throw unprocessable(`Text is too long (maximum is ${TEXT_LIMIT} characters)`);
  if (input.startsAt && input.endsAt && input.endsAt <= input.startsAt) throw unprocessable("Ends at must be after starts at");
  // Mastodon: all_day only means something with both dates.
  if (input.allDay && (!input.startsAt || !input.endsAt)) throw unprocessable("All day needs starts at and ends at");
  return insertAnnouncement(ctx.sql, { ...input, text });
}

