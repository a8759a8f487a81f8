/** The Announcement and Reaction entities (Mastodon 4.x). */
import type { CustomEmoji, Status } from "../statuses/serializer.ts";
import type { AnnouncementRow, ReactionCount } from "./storage.ts";

export interface Reaction {
  name: string;
  count: number;
  me: boolean;
  url?: string;
  static_url?: string;
}

export interface AnnouncementAccount {
  id: string;
  username: string;
  url: string;
  acct: string;
}

export interface Announcement {
  id: string;
  content: string;
  starts_at: string | null;
  ends_at: string | null;
  all_day: boolean;
  published_at: string;
  updated_at: string;
  read: boolean;
  mentions: AnnouncementAccount[];
  statuses: { id: string; url: string }[];
  tags: { name: string; url: string }[];
  emojis: CustomEmoji[];
  reactions: Reaction[];
}

/** What rendering the text produced (service.ts). */
export interface RenderedAnnouncement {
  content: string;
  mentions: AnnouncementAccount[];
  statuses: Pick<Status, "id" | "url">[];
  tags: { name: string; url: string }[];
  emojis: CustomEmoji[];
}

const iso = (date: Date | null) => (date ? new Date(date).toISOString() : null);

export function serializeReaction(count: ReactionCount, emoji: CustomEmoji | undefined): Reaction {
  const reaction: Reaction = { name: count.name, count: count.count, me: count.me };
  // Custom emoji reactions carry their image; unicode ones are their own picture.
  if (emoji) {
    reaction.url = emoji.url;
    reaction.static_url = emoji.static_url;
  }
  return reaction;
}

export function serializeAnnouncement(
  row: AnnouncementRow,
  rendered: RenderedAnnouncement,
  reactions: Reaction[],
  read: boolean,
): Announcement {
  return {
    id: row.id,
    content: rendered.content,
    starts_at: iso(row.starts_at),
    ends_at: iso(row.ends_at),
    all_day: row.all_day,
    published_at: iso(row.published_at ?? row.created_at)!,
    updated_at: iso(row.updated_at)!,
    read,
    mentions: rendered.mentions,
    statuses: rendered.statuses.map((s) => ({ id: s.id, url: s.url ?? "" })),
    tags: rendered.tags,
    emojis: rendered.emojis,
    reactions,
  };
}
