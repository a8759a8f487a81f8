/**
 * Follow suggestions (GET /api/v2/suggestions, DELETE /api/v1/suggestions/:id):
 * friends of friends first, ranked by how many of the accounts one follows
 * follow them, then accounts active in the last month, most followed first.
 * Dismissed accounts never come back.
 */
import type { AppContext } from "../../../src/context.ts";
import { insertSuggestionDismissal, selectActiveAccounts, selectFriendsOfFriends } from "../storage.ts";
import type { SuggestionSource } from "../serializer.ts";

export async function suggestAccounts(
  ctx: AppContext,
  accountId: string,
  limit: number,
): Promise<{ accountId: string; sources: SuggestionSource[] }[]> {
  const friendsOfFriends = await selectFriendsOfFriends(ctx.sql, accountId, limit);
  const active =
    friendsOfFriends.length < limit
      ? await selectActiveAccounts(ctx.sql, accountId, friendsOfFriends, limit - friendsOfFriends.length)
      : [];
  return [
    ...friendsOfFriends.map((id) => ({ accountId: id, sources: ["friends_of_friends" as const] })),
    ...active.map((id) => ({ accountId: id, sources: ["most_interactions" as const] })),
  ];
}

export async function dismissSuggestion(ctx: AppContext, accountId: string, targetId: string): Promise<void> {
  await insertSuggestionDismissal(ctx.sql, accountId, targetId);
}
