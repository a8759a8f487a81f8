/**
 * The JSON shapes of hashtags: Tag (with its week of history and, for a
 * signed-in viewer, whether they follow and feature it) and FeaturedTag.
 * `renderTags` is what every endpoint returning tags calls: it batch-loads
 * histories from ClickHouse and the viewer's relations from Postgres.
 */
import type { AppContext } from "../../src/context.ts";
import { absoluteUrl } from "../../src/http/urls.ts";
import { tagUrl } from "../statuses/serializer.ts";
import { tagHistories } from "./service.ts";
import { selectTagRelations, type FeaturedAccount, type FeaturedTagRow, type TagRow } from "./storage.ts";

export interface TagHistory {
  /** UNIX seconds of the day's UTC midnight. */
  day: string;
  uses: string;
  accounts: string;
}

export interface Tag {
  id: string;
  name: string;
  url: string;
  history: TagHistory[];
  /** Only for a signed-in viewer, as Mastodon. */
  following?: boolean;
  featuring?: boolean;
}

export interface FeaturedTag {
  id: string;
  name: string;
  url: string;
  statuses_count: string;
  last_status_at: string | null;
}

/** A tag that doesn't exist yet is shown as Mastodon shows an unsaved Tag: id "". */
export type RenderableTag = Pick<TagRow, "name" | "display_name" | "key"> & { id: string | null };

export async function renderTags(ctx: AppContext, tags: RenderableTag[], viewerAccountId: string | null): Promise<Tag[]> {
  const ids = tags.map((t) => t.id).filter((x): x is string => x !== null);
  const [histories, relations] = await Promise.all([
    tagHistories(ctx, [...new Set(tags.map((t) => t.key))]),
    viewerAccountId ? selectTagRelations(ctx.sql, viewerAccountId, ids) : null,
  ]);
  return tags.map((t) => {
    const tag: Tag = {
      id: t.id ?? "",
      name: t.display_name,
      url: tagUrl(ctx, t.name),
      history: histories.get(t.key) ?? [],
    };
    if (relations) {
      tag.following = t.id !== null && relations.following.has(t.id);
      tag.featuring = t.id !== null && relations.featuring.has(t.id);
    }
    return tag;
  });
}

export async function renderTag(ctx: AppContext, tag: RenderableTag, viewerAccountId: string | null): Promise<Tag> {
  return (await renderTags(ctx, [tag], viewerAccountId))[0]!;
}

/** `/@user/tagged/name` (`/@user@domain/…` for remote accounts), as Mastodon's short_account_tag_url. */
export function serializeFeaturedTag(ctx: AppContext, account: FeaturedAccount, row: FeaturedTagRow): FeaturedTag {
  const acct = encodeURIComponent(account.username) + (account.domain ? `@${encodeURIComponent(account.domain)}` : "");
  return {
    id: row.id,
    name: row.display_name,
    url: absoluteUrl(ctx.config, `/@${acct}/tagged/${encodeURIComponent(row.name)}`),
    statuses_count: row.statuses_count,
    last_status_at: row.last_status_at ? new Date(row.last_status_at).toISOString().slice(0, 10) : null,
  };
}
