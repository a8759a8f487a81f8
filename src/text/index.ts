/**
 * Text handling for everything users type: plain text → Mastodon HTML
 * (statuses, profile notes, profile fields), entity extraction (URLs,
 * mentions, hashtags) and the character counter compose boxes rely on.
 */
export { escapeHtml, htmlToText } from "./html.ts";
export {
  extractEmojiShortcodes,
  extractEntities,
  extractHashtags,
  extractMentions,
  extractUrls,
  type TextEntity,
} from "./entities.ts";
export { formatPlainText, type FormatOptions, type MentionLink } from "./format.ts";
export { countableText, graphemeLength, statusLength } from "./count.ts";
