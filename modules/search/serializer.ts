/**
 * The Search entity (Mastodon 4.x). What it holds takes shape in the
 * owning modules' serializers: accounts (loadAccounts), statuses
 * (renderStatuses) and hashtags (the trends module's renderTags, with the
 * week of history counted in ClickHouse).
 */
import type { Account } from "../accounts/serializer.ts";
import type { Status } from "../statuses/serializer.ts";
import type { Tag } from "../trends/serializer.ts";

export interface Search {
  accounts: Account[];
  statuses: Status[];
  hashtags: Tag[];
}

export function serializeSearch(accounts: Account[], statuses: Status[], hashtags: Tag[]): Search {
  return { accounts, statuses, hashtags };
}
