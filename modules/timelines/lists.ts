/**
 * Lists (Mastodon's ListsController and ListAccountsController): a user's
 * named groups of followed accounts, each with its own feed. Membership and
 * policy changes invalidate the list's cached feed (and, for exclusive
 * lists, the owner's home, which must drop or regain the members' posts);
 * the next read rebuilds them from Postgres.
 */
import type { AppContext } from "../../src/context.ts";
import { notFound, unprocessable } from "../../src/http/errors.ts";
import { bool, id, list as listParam, str, type Params } from "../../src/http/params.ts";
import { invalidateHome, invalidateLists } from "./feed-manager.ts";
import type { RepliesPolicy } from "./serializer.ts";
import {
  countLists,
  deleteList,
  deleteListMembers,
  insertList,
  insertListMembers,
  selectExistingAccountIds,
  selectFollowedOrRequested,
  selectList,
  updateList,
  type ListRow,
} from "./storage.ts";

/** Mastodon's List::LIMIT. */
export const MAX_LISTS = 50;
const MAX_TITLE_LENGTH = 255;
const REPLIES_POLICIES: readonly RepliesPolicy[] = ["followed", "list", "none"];

function readTitle(value: unknown, required: boolean): string | undefined {
  const title = str(value)?.trim();
  if (title === undefined && !required) return undefined;
  if (!title) throw unprocessable("Title can't be blank");
  if (title.length > MAX_TITLE_LENGTH) throw unprocessable(`Title is too long (maximum is ${MAX_TITLE_LENGTH} characters)`);
  return title;
}

function readRepliesPolicy(value: unknown): RepliesPolicy | undefined {
  const policy = str(value);
  if (policy === undefined || policy === "") return undefined;
  if (!REPLIES_POLICIES.includes(policy as RepliesPolicy)) throw unprocessable("Replies policy is not included in the list");
  return policy as RepliesPolicy;
}

/** The owner's list, or 404 (someone else's list is as good as missing). */
export async function requireOwnList(ctx: AppContext, accountId: string, rawId: unknown): Promise<ListRow> {
  const listId = id(rawId);
  const list = listId ? await selectList(ctx.sql, accountId, listId) : null;
  if (!list) throw notFound();
  return list;
}

export async function createList(ctx: AppContext, accountId: string, params: Params): Promise<ListRow> {
  const title = readTitle(params.title, true)!;
  const repliesPolicy = readRepliesPolicy(params.replies_policy) ?? "list";
  const exclusive = bool(params.exclusive, false);
  return ctx.sql.begin(async (tx) => {
    // Serialise this account's list creations so the limit holds under concurrency.
    await tx`SELECT pg_advisory_xact_lock(hashtextextended('lists:' || ${accountId}, 0))`;
    if ((await countLists(tx, accountId)) >= MAX_LISTS) throw unprocessable(`You cannot create more than ${MAX_LISTS} lists`);
    return insertList(tx, accountId, { title, replies_policy: repliesPolicy, exclusive });
  });
}

export async function changeList(ctx: AppContext, list: ListRow, params: Params): Promise<ListRow> {
  const changes: Partial<Pick<ListRow, "title" | "replies_policy" | "exclusive">> = {};
  const title = readTitle(params.title, false);
  if (title !== undefined) changes.title = title;
  const policy = readRepliesPolicy(params.replies_policy);
  if (policy !== undefined) changes.replies_policy = policy;
  const exclusive = bool(params.exclusive);
  if (exclusive !== undefined) changes.exclusive = exclusive;
  const updated = await updateList(ctx.sql, list.id, changes);
  if (changes.replies_policy !== undefined && changes.replies_policy !== list.replies_policy) {
    await invalidateLists(ctx, [list.id]);
  }
  if (changes.exclusive !== undefined && changes.exclusive !== list.exclusive) await invalidateHome(ctx, list.account_id);
  return updated;
}

export async function removeList(ctx: AppContext, list: ListRow): Promise<void> {
  await deleteList(ctx.sql, list.id);
  await invalidateLists(ctx, [list.id]);
  if (list.exclusive) await invalidateHome(ctx, list.account_id);
}

function accountIdsParam(params: Params): string[] {
  const raw = listParam(params.account_ids);
  const ids = raw.map((value) => id(value));
  // A malformed id names no account, like an unknown one.
  if (ids.some((value) => value === undefined)) throw notFound();
  return [...new Set(ids as string[])];
}

/** Adds followed accounts to a list; any account not followed makes the whole request fail with 422. */
export async function addListMembers(ctx: AppContext, list: ListRow, params: Params): Promise<void> {
  const accountIds = accountIdsParam(params);
  if (accountIds.length === 0) throw unprocessable("Account ids can't be blank");
  const existing = await selectExistingAccountIds(ctx.sql, accountIds);
  if (existing.size < accountIds.length) throw notFound();
  const followed = await selectFollowedOrRequested(ctx.sql, list.account_id, accountIds);
  if (accountIds.some((accountId) => !followed.has(accountId))) {
    throw unprocessable("You must be following this account to add it to a list");
  }
  await insertListMembers(ctx.sql, list.id, accountIds);
  await invalidateLists(ctx, [list.id]);
  if (list.exclusive) await invalidateHome(ctx, list.account_id);
}

export async function removeListMembers(ctx: AppContext, list: ListRow, params: Params): Promise<void> {
  const accountIds = accountIdsParam(params);
  await deleteListMembers(ctx.sql, list.id, accountIds);
  await invalidateLists(ctx, [list.id]);
  if (list.exclusive) await invalidateHome(ctx, list.account_id);
}
