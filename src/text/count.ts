/**
 * Mastodon's StatusLengthValidator: what a compose box counts against the
 * instance's character limit. Every URL counts as a fixed number of
 * characters whatever its length, a remote mention counts only its
 * `@username` part, and characters are grapheme clusters (an emoji with
 * modifiers is one), as Ruby's each_grapheme_cluster counts them.
 */
import { extractEntities } from "./entities.ts";
import { INSTANCE_LIMITS } from "../../modules/instance/limits.ts";

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

export function graphemeLength(text: string): number {
  let count = 0;
  for (const _ of segmenter.segment(text)) count++;
  return count;
}

/** The countable form of `text`: URLs replaced by placeholders, remote mentions shortened. */
export function countableText(text: string, urlLength: number = INSTANCE_LIMITS.statuses.charactersReservedPerUrl): string {
  let result = "";
  let cursor = 0;
  for (const entity of extractEntities(text, { hashtags: false })) {
    if (entity.type === "hashtag") continue;
    result += text.slice(cursor, entity.start);
    result += entity.type === "url" ? "x".repeat(urlLength) : `@${entity.username}`;
    cursor = entity.end;
  }
  return result + text.slice(cursor);
}

/** What counts against the limit for a status: its content warning plus its text. */
export function statusLength(text: string, spoilerText = ""): number {
  return graphemeLength(spoilerText) + graphemeLength(countableText(text));
}
