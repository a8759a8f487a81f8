/**
 * The actors' collections. Items are empty until follows and statuses exist;
 * totals already come from account_stats, the counters the owning modules
 * keep, so they stay right as those modules arrive. A dispatcher returning
 * null makes the collection 404 (unknown actor).
 */
import type { Federation } from "@fedify/fedify";
import type { AppContext } from "../src/context.ts";
import { INSTANCE_ACTOR } from "./actors.ts";
import type { AccountRow } from "../modules/accounts/storage.ts";
import { findLocalActor } from "./storage.ts";

type Counter = "statuses_count" | "followers_count" | "following_count" | null;

async function owner(ctx: { data: AppContext }, identifier: string): Promise<AccountRow | "instance" | null> {
  if (identifier === INSTANCE_ACTOR) return "instance";
  return findLocalActor(ctx.data.sql, identifier);
}

function emptyCollection(counter: Counter) {
  return {
    dispatch: async (ctx: { data: AppContext }, identifier: string) =>
      (await owner(ctx, identifier)) ? { items: [] } : null,
    count: async (ctx: { data: AppContext }, identifier: string) => {
      const row = await owner(ctx, identifier);
      if (!row) return null;
      return row === "instance" || counter === null ? 0 : Number(row[counter] ?? 0);
    },
  };
}

export function registerCollections(federation: Federation<AppContext>): void {
  const outbox = emptyCollection("statuses_count");
  federation.setOutboxDispatcher("/users/{identifier}/outbox", outbox.dispatch).setCounter(outbox.count);

  const followers = emptyCollection("followers_count");
  federation.setFollowersDispatcher("/users/{identifier}/followers", followers.dispatch).setCounter(followers.count);

  const following = emptyCollection("following_count");
  federation.setFollowingDispatcher("/users/{identifier}/following", following.dispatch).setCounter(following.count);

  const featured = emptyCollection(null);
  federation.setFeaturedDispatcher("/users/{identifier}/collections/featured", featured.dispatch).setCounter(featured.count);
}
