/**
 * Actors: local accounts at /users/{username} (identifier = username, as in
 * Mastodon and src/http/urls.ts), and the instance actor at /actor.
 *
 * The instance actor (an Application, like Mastodon's) signs requests made
 * on the server's own behalf — authorized fetches, key lookups for the shared
 * inbox. Its internal identifier is INSTANCE_ACTOR, "~instance": `~` can
 * never appear in a username, so it cannot shadow an account. Fedify maps
 * /actor to it (mapActorAlias) and builds its actor URI as /actor; its other
 * collections live under /users/~instance/… like any actor's. It answers
 * WebFinger as `acct:LOCAL_DOMAIN@LOCAL_DOMAIN`, as Mastodon's does.
 */
import type { Federation, RequestContext } from "@fedify/fedify";
import { Application, Endpoints, Group, Image, Person, PropertyValue, Service, type Actor } from "@fedify/fedify/vocab";
import type { AppContext } from "../src/context.ts";
import { accountUrls } from "../src/http/urls.ts";
import { formatPlainText } from "../src/text/index.ts";
import type { AccountRow } from "../modules/accounts/storage.ts";
import { authorizeFetch } from "./authorized-fetch.ts";
import { INSTANCE_KEY_OWNER, loadKeyPairs } from "./keys.ts";
import { mediaTypeOf } from "./objects.ts";
import { canonicalLocalUsername, findLocalActor, movedTarget } from "./storage.ts";

export const INSTANCE_ACTOR = "~instance";
export const INSTANCE_ACTOR_PATH = "/actor";

export function registerActors(federation: Federation<AppContext>): void {
  federation
    .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
      if (identifier === INSTANCE_ACTOR) return instanceActor(ctx);
      const row = await findLocalActor(ctx.data.sql, identifier);
      return row ? localActor(ctx, row) : null;
    })
    .mapActorAlias(INSTANCE_ACTOR_PATH, INSTANCE_ACTOR)
    .authorize(authorizeFetch)
    .setKeyPairsDispatcher(async (ctx, identifier) => {
      if (identifier === INSTANCE_ACTOR) return loadKeyPairs(ctx.data.sql, INSTANCE_KEY_OWNER);
      const row = await findLocalActor(ctx.data.sql, identifier);
      return row ? loadKeyPairs(ctx.data.sql, row.id) : [];
    })
    .mapHandle(async (ctx, username) => {
      if (username.toLowerCase() === ctx.data.config.localDomain.toLowerCase()) return INSTANCE_ACTOR;
      return canonicalLocalUsername(ctx.data.sql, username);
    })
    // WebFinger by profile page (https://…/@alice), which Mastodon also accepts;
    // actor URIs and acct: are resolved by Fedify itself.
    .mapAlias((ctx, resource) => {
      if (resource.origin !== ctx.data.config.publicUrl.origin) return null;
      const match = /^\/@([^/@]+)$/.exec(resource.pathname);
      return match ? { username: decodeURIComponent(match[1]!) } : null;
    });
}

function actorClass(row: AccountRow) {
  if (row.group) return Group;
  return row.bot ? Service : Person;
}

async function localActor(ctx: RequestContext<AppContext>, row: AccountRow): Promise<Actor> {
  const { config } = ctx.data;
  const urls = accountUrls(config, row.username);
  const identifier = row.username;
  const keys = await ctx.getActorKeyPairs(identifier);
  const common = {
    id: ctx.getActorUri(identifier),
    preferredUsername: row.username,
    url: new URL(urls.url),
    inbox: ctx.getInboxUri(identifier),
    outbox: ctx.getOutboxUri(identifier),
    followers: ctx.getFollowersUri(identifier),
    following: ctx.getFollowingUri(identifier),
    featured: ctx.getFeaturedUri(identifier),
    featuredTags: ctx.getFeaturedTagsUri(identifier),
    endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
    publicKey: keys[0]?.cryptographicKey ?? null,
    assertionMethods: keys.map((key) => key.multikey),
    published: Temporal.Instant.from(row.created_at.toISOString()),
  };
  const Class = actorClass(row);
  // Mastodon serves suspended accounts as a bare actor flagged `suspended`,
  // so peers can still verify signatures but show no profile.
  if (row.suspended_at) return new Class({ ...common, suspended: true });
  const moved = row.moved_to_account_id ? await movedTarget(ctx.data.sql, row.moved_to_account_id) : null;
  return new Class({
    ...common,
    name: row.display_name || null,
    summary: row.note || null,
    manuallyApprovesFollowers: row.locked,
    // Mastodon defaults a null choice to not discoverable.
    discoverable: row.discoverable ?? false,
    indexable: row.indexable,
    memorial: row.memorial || null,
    attachments: profileFields(row.fields),
    icon: row.avatar_url ? new Image({ url: new URL(row.avatar_url), mediaType: mediaTypeOf(row.avatar_url) }) : null,
    image: row.header_url ? new Image({ url: new URL(row.header_url), mediaType: mediaTypeOf(row.header_url) }) : null,
    successor: moved ? new URL(moved.uri ?? accountUrls(config, moved.username).uri) : null,
  });
}

async function instanceActor(ctx: RequestContext<AppContext>): Promise<Actor> {
  const { config } = ctx.data;
  const keys = await ctx.getActorKeyPairs(INSTANCE_ACTOR);
  return new Application({
    id: ctx.getActorUri(INSTANCE_ACTOR),
    preferredUsername: config.localDomain,
    name: config.localDomain,
    // WebFinger's profile-page link for the instance is the site itself.
    url: new URL("/", config.publicUrl),
    inbox: ctx.getInboxUri(INSTANCE_ACTOR),
    outbox: ctx.getOutboxUri(INSTANCE_ACTOR),
    followers: ctx.getFollowersUri(INSTANCE_ACTOR),
    following: ctx.getFollowingUri(INSTANCE_ACTOR),
    featured: ctx.getFeaturedUri(INSTANCE_ACTOR),
    endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
    manuallyApprovesFollowers: true,
    discoverable: false,
    indexable: false,
    publicKey: keys[0]?.cryptographicKey ?? null,
    assertionMethods: keys.map((key) => key.multikey),
  });
}

/** Local field values are stored as typed; rendered exactly as the API's Account entity renders them. */
function profileFields(fields: AccountRow["fields"]): PropertyValue[] {
  return (fields ?? []).map(
    (f) => new PropertyValue({ name: f.name, value: formatPlainText(f.value, { multiline: false, relMe: true }) }),
  );
}
