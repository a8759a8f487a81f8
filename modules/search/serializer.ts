/**
 * The Search and Tag entities (Mastodon 4.x). Accounts and statuses inside a
 * Search come from their own modules' serializers (loadAccounts,
 * renderStatuses); this file shapes the hashtags and the envelope.
 */
import type { AppContext } from "../../src/context.ts";
import type { Account } from "../accounts/serializer.ts";
import { tagUrl, type Status } from "../statuses/serializer.ts";
import { tagHistoryRows, viewerTagState, type TagRow } from "./storage.ts";

export interface TagHistory {
  /** Unix seconds of the day's UTC midnight, as a string. */
  day: string;
  uses: string;
  accounts: string;
}

export interface Tag {
  id: string;
  name: string;
  url: string;
  history: TagHistory[];
  following?: boolean;
  featuring?: boolean;
}

export interface Search {
  accounts: Account[];
  statuses: Status[];
  hashtags: Tag[];
}

/** Mastodon reports a week of daily usage. */
const HISTORY_DAYS = 7;
const DAY_MS = 86_400_000;

/** The last HISTORY_DAYS UTC midnights, today first. */
function historyDays(now = new Date()): number[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: HISTORY_DAYS }, (_, i) => (today - i * DAY_MS) / 1000);
}

/**
 * Tag entities in the given order, with a week of real daily uses (one
 * query for all tags) and, for a signed-in viewer, `following`/`featuring`.
 */
export async function renderTags(ctx: AppContext, rows: TagRow[], viewer: { accountId: string } | null): Promise<Tag[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const days = historyDays();
  const [history, state] = await Promise.all([
    tagHistoryRows(ctx.sql, ids, new Date(days[days.length - 1]! * 1000)),
    viewer ? viewerTagState(ctx.sql, viewer.accountId, ids) : null,
  ]);
  const usage = new Map(history.map((h) => [`${h.tag_id}:${h.day}`, h]));
  return rows.map((row) => {
    const tag: Tag = {
      id: row.id,
      name: row.display_name || row.name,
      url: tagUrl(ctx, row.name),
      history: days.map((day) => {
        const used = usage.get(`${row.id}:${day}`);
        return { day: String(day), uses: used?.uses ?? "0", accounts: used?.accounts ?? "0" };
      }),
    };
    if (state) {
      tag.following = state.following.has(row.id);
      tag.featuring = state.featuring.has(row.id);
    }
    return tag;
  });
}

export function serializeSearch(accounts: Account[], statuses: Status[], hashtags: Tag[]): Search {
  return { accounts, statuses, hashtags };
}
