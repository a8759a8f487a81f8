/**
 * Hashtag use cases (Mastodon's Api::V1::TagsController, FollowedTags,
 * FeaturedTags and their services). Postgres is the truth for tags, follows
 * and featured tags; ClickHouse only supplies histories (serializer.ts).
 *
 * Followed tags don't reach home feeds yet: the seam is
 * storage.selectLocalTagFollowers, for a status.created handler in
 * modules/timelines to push public tagged statuses to those accounts.
 */
import type { AppContext } from "../../src/context.ts";
import { notFound, unprocessable } from "../../src/http/errors.ts";
import type { Page } from "../../src/http/pagination.ts";
import { str } from "../../src/http/params.ts";
import { extractHashtags } from "../../src/text/index.ts";
import { INSTANCE_LIMITS } from "../instance/limits.ts";
import { renderTag, renderTags, serializeFeaturedTag, type FeaturedTag, type Tag } from "./serializer.ts";
import {
  deleteFeaturedTag,
  deleteFeaturedTagByTag,
  deleteTagFollow,
  findOrCreateTag,
  insertFeaturedTag,
  insertTagFollow,
  selectAccountForFeatured,
  selectFeaturedTags,
  selectFeaturedTagSuggestions,
  selectFollowedTags,
  selectTagByKey,
  type FollowedTagRow,
  type TagRow,
} from "./storage.ts";

const SUGGESTIONS = 10;

/**
 * A hashtag name as typed (a leading '#' allowed), or null when it isn't
 * one — Mastodon's Tag::HASHTAG_NAME_RE, which the status formatter's
 * hashtag scanner implements: a tag name is valid when "#name" is exactly
 * one whole hashtag.
 */
export function tagName(raw: unknown): string | null {
  const text = str(raw)?.trim().replace(/^#/, "").normalize("NFKC");
  if (!text) return null;
  const found = extractHashtags(`#${text}`);
  return found.length === 1 && found[0] === text ? text : null;
}

/** The existing tag, or an unsaved one to show (id ""), as Mastodon's set_or_create_tag; 404 for a bad name. */
async function existingOrUnsaved(ctx: AppContext, raw: string): Promise<{ name: string; row: TagRow | null }> {
  const name = tagName(raw);
  if (!name) throw notFound();
  return { name, row: await selectTagByKey(ctx.sql, name.toLowerCase()) };
}

const unsaved = (name: string) => ({ id: null, name, display_name: name, key: name.toLowerCase() });

export async function showTag(ctx: AppContext, raw: string, viewerAccountId: string | null): Promise<Tag> {
  const { name, row } = await existingOrUnsaved(ctx, raw);
  return renderTag(ctx, row ?? unsaved(name), viewerAccountId);
}

export async function followTag(ctx: AppContext, accountId: string, raw: string): Promise<Tag> {
  const name = tagName(raw);
  if (!name) throw notFound();
  const tag = await ctx.sql.begin(async (tx) => {
    const tag = await findOrCreateTag(tx, name);
    await insertTagFollow(tx, accountId, tag.id);
    return tag;
  });
  return renderTag(ctx, tag, accountId);
}

export async function unfollowTag(ctx: AppContext, accountId: string, raw: string): Promise<Tag> {
  const { name, row } = await existingOrUnsaved(ctx, raw);
  if (row) await deleteTagFollow(ctx.sql, accountId, row.id);
  return renderTag(ctx, row ?? unsaved(name), accountId);
}

export async function followedTags(ctx: AppContext, accountId: string, page: Page): Promise<{ rows: FollowedTagRow[]; tags: Tag[] }> {
  const rows = await selectFollowedTags(ctx.sql, accountId, page);
  return { rows, tags: await renderTags(ctx, rows, accountId) };
}

// ---------------------------------------------------------------------------
// Featured tags

async function featuredTagsOf(ctx: AppContext, accountId: string, ids?: string[]): Promise<FeaturedTag[]> {
  const account = await selectAccountForFeatured(ctx.sql, accountId);
  if (!account) return [];
  const rows = await selectFeaturedTags(ctx.sql, accountId, ids ? { ids } : {});
  return rows.map((row) => serializeFeaturedTag(ctx, account, row));
}

export function ownFeaturedTags(ctx: AppContext, accountId: string): Promise<FeaturedTag[]> {
  return featuredTagsOf(ctx, accountId);
}

/** Another account's featured tags: 404 for an unknown account, none for a suspended one (as Mastodon). */
export async function accountFeaturedTags(ctx: AppContext, accountId: string): Promise<FeaturedTag[]> {
  const account = await selectAccountForFeatured(ctx.sql, accountId);
  if (!account) throw notFound();
  if (account.suspended) return [];
  return featuredTagsOf(ctx, accountId);
}

/** Features a tag (creating it when new); 422 when the name is invalid, already featured, or over the limit. */
export async function featureTag(ctx: AppContext, accountId: string, raw: unknown): Promise<FeaturedTag> {
  if (!str(raw)?.trim()) throw unprocessable("Name can't be blank");
  const name = tagName(raw);
  if (!name) throw unprocessable("Name is not a valid hashtag");
  const max = INSTANCE_LIMITS.accounts.maxFeaturedTags;
  const outcome = await ctx.sql.begin(async (tx) => {
    const tag = await findOrCreateTag(tx, name);
    return insertFeaturedTag(tx, accountId, tag.id, max);
  });
  if (outcome === "taken") throw unprocessable("Name has already been taken");
  if (outcome === "limit") throw unprocessable(`You can only feature up to ${max} hashtags`);
  const [featured] = await featuredTagsOf(ctx, accountId, [outcome.id]);
  return featured!;
}

export async function unfeatureTagById(ctx: AppContext, accountId: string, featuredTagId: string): Promise<void> {
  if (!(await deleteFeaturedTag(ctx.sql, accountId, featuredTagId))) throw notFound();
}

/** POST /api/v1/tags/:name/feature (Mastodon 4.4): like featuring by name, but idempotent and answering the Tag. */
export async function featureTagByName(ctx: AppContext, accountId: string, raw: string): Promise<Tag> {
  const name = tagName(raw);
  if (!name) throw notFound();
  const max = INSTANCE_LIMITS.accounts.maxFeaturedTags;
  const { tag, outcome } = await ctx.sql.begin(async (tx) => {
    const tag = await findOrCreateTag(tx, name);
    return { tag, outcome: await insertFeaturedTag(tx, accountId, tag.id, max) };
  });
  if (outcome === "limit") throw unprocessable(`You can only feature up to ${max} hashtags`);
  return renderTag(ctx, tag, accountId);
}

export async function unfeatureTagByName(ctx: AppContext, accountId: string, raw: string): Promise<Tag> {
  const { name, row } = await existingOrUnsaved(ctx, raw);
  if (row) await deleteFeaturedTagByTag(ctx.sql, accountId, row.id);
  return renderTag(ctx, row ?? unsaved(name), accountId);
}

export async function featuredTagSuggestions(ctx: AppContext, accountId: string): Promise<Tag[]> {
  const rows = await selectFeaturedTagSuggestions(ctx.sql, accountId, SUGGESTIONS);
  return renderTags(ctx, rows, accountId);
}
