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
import {
  Application,
  Endpoints,
  Group,
  Image,
  Person,
  PropertyValue,
  Service,
  type Actor,
  type Federation,
  type RequestContext,
} from "@fedify/fedify";
import type { AppContext } from "../src/context.ts";
import { accountUrls } from "../src/http/urls.ts";
import { INSTANCE_KEY_OWNER, loadKeyPairs } from "./keys.ts";
import { canonicalLocalUsername, findLocalActor, type LocalActorRow } from "./storage.ts";

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

function actorClass(row: LocalActorRow) {
  if (row.group) return Group;
  return row.bot ? Service : Person;
}

async function localActor(ctx: RequestContext<AppContext>, row: LocalActorRow): Promise<Actor> {
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
    endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
    publicKey: keys[0]?.cryptographicKey ?? null,
    assertionMethods: keys.map((key) => key.multikey),
    published: Temporal.Instant.from(row.created_at.toISOString()),
  };
  const Class = actorClass(row);
  // Mastodon serves suspended accounts as a bare actor flagged `suspended`,
  // so peers can still verify signatures but show no profile.
  if (row.suspended) return new Class({ ...common, suspended: true });
  return new Class({
    ...common,
    name: row.display_name || null,
    summary: row.note || null,
    manuallyApprovesFollowers: row.locked,
    // Mastodon defaults a null choice to not discoverable.
    discoverable: row.discoverable ?? false,
    indexable: row.indexable,
    memorial: row.memorial || null,
    updated: Temporal.Instant.from(row.updated_at.toISOString()),
    attachments: profileFields(row.fields),
    icon: row.avatar_url ? new Image({ url: new URL(row.avatar_url), mediaType: imageType(row.avatar_url) }) : null,
    image: row.header_url ? new Image({ url: new URL(row.header_url), mediaType: imageType(row.header_url) }) : null,
    successor: row.moved_to_uri
      ? new URL(row.moved_to_uri)
      : row.moved_to_username
        ? new URL(accountUrls(config, row.moved_to_username).uri)
        : null,
  });
}

async function instanceActor(ctx: RequestContext<AppContext>): Promise<Actor> {
  const { config } = ctx.data;
  const keys = await ctx.getActorKeyPairs(INSTANCE_ACTOR);
  return new Application({
    id: ctx.getActorUri(INSTANCE_ACTOR),
    preferredUsername: config.localDomain,
    name: config.localDomain,
    // Mastodon's instance actor links here too; keeps the profile-page link meaningful.
    url: new URL("/about/more?instance_actor=true", config.publicUrl),
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

/** accounts.fields holds `{name, value}` pairs as typed; ActivityPub wants HTML values. */
function profileFields(fields: unknown): PropertyValue[] {
  if (!Array.isArray(fields)) return [];
  return fields
    .filter((f): f is { name: string; value: string } => typeof f?.name === "string" && typeof f?.value === "string")
    .map((f) => new PropertyValue({ name: f.name, value: fieldValueHtml(f.value) }));
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Plain text, with a lone URL made a link (rel="me" lets peers verify it, as Mastodon's do). */
function fieldValueHtml(value: string): string {
  const trimmed = value.trim();
  if (/^https?:\/\/\S+$/.test(trimmed) && URL.canParse(trimmed)) {
    const href = escapeHtml(trimmed);
    return `<a href="${href}" target="_blank" rel="nofollow noopener me" translate="no">${href}</a>`;
  }
  return escapeHtml(value);
}

const IMAGE_TYPES: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  avif: "image/avif",
};

function imageType(url: string): string | null {
  const extension = /\.([a-z0-9]+)$/i.exec(new URL(url).pathname)?.[1]?.toLowerCase();
  return (extension && IMAGE_TYPES[extension]) || null;
}
