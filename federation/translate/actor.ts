/**
 * A remote actor (Person, Service, Application, Group, Organization) → the
 * columns of its `accounts` row, as Mastodon's ProcessAccountService reads
 * them: HTML (bio, field values) sanitised, plain text (names) cleaned and
 * bounded, only http(s) URLs kept.
 */
import { Application, Group, PropertyValue, Service, isActor, type Actor, type Object as APObject } from "@fedify/fedify/vocab";
import { cleanPlainText, sanitizeHtml } from "../sanitize.ts";
import {
  embedded,
  emojiTags,
  getterOptions,
  href,
  httpUrl,
  pageUrl,
  rawJson,
  str,
  toDate,
  typeName,
  urlOf,
  type EmojiDraft,
  type Json,
  type TranslateOptions,
} from "./common.ts";

export interface FieldDraft {
  name: string;
  /** Sanitised HTML, as accounts.fields keeps remote values. */
  value: string;
  verified_at: null;
}

export interface AccountDraft {
  uri: string;
  username: string;
  /** host[:port] of the actor's id; resolution may replace it with the WebFinger domain. */
  domain: string;
  actorType: string;
  displayName: string;
  /** Sanitised HTML. */
  note: string;
  fields: FieldDraft[];
  locked: boolean;
  bot: boolean;
  group: boolean;
  discoverable: boolean | null;
  indexable: boolean;
  memorial: boolean;
  suspended: boolean;
  avatarUrl: string | null;
  headerUrl: string | null;
  url: string | null;
  inboxUrl: string | null;
  sharedInboxUrl: string | null;
  outboxUrl: string | null;
  followersUrl: string | null;
  followingUrl: string | null;
  featuredUrl: string | null;
  featuredTagsUrl: string | null;
  /** `movedTo`: the account this one moved to. */
  movedToUri: string | null;
  /** `alsoKnownAs`: the accounts allowed to move here. */
  alsoKnownAs: string[];
  emojis: EmojiDraft[];
  /** Ids of the keys the actor publishes (signature checks fetch and cache them through Fedify). */
  publicKeyIds: string[];
  published: Date | null;
}

export type ActorTranslation = { ok: true; account: AccountDraft } | { ok: false; reason: string };

// Mastodon's limits for remote profiles, so a hostile peer cannot store megabytes in one.
export const DISPLAY_NAME_LIMIT = 2048;
export const NOTE_LIMIT = 100_000;
export const FIELDS_LIMIT = 50;
export const FIELD_LIMIT = 2047;

/** Mastodon's remote username rule (Account::USERNAME_RE), so every stored acct can be mentioned and looked up. */
const USERNAME = /^[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*$/i;

export function isActorObject(object: APObject): object is Actor {
  return isActor(object);
}

/** The host (and port, when not the default) accounts.domain holds for an actor URI. */
export function domainOf(uri: string): string {
  return new URL(uri).host.toLowerCase();
}

export async function translateActor(actor: Actor, options: TranslateOptions & { json?: Json } = {}): Promise<ActorTranslation> {
  const uri = href(actor.id);
  if (!uri || !httpUrl(uri)) return { ok: false, reason: "the actor has no http(s) id" };
  const json = options.json ?? (await rawJson(actor));
  const username = cleanPlainText(str(actor.preferredUsername), 2048);
  if (!username) return { ok: false, reason: "the actor has no preferredUsername" };
  if (!USERNAME.test(username)) return { ok: false, reason: `unsupported username ${JSON.stringify(username)}` };

  const get = getterOptions(options);
  const icon = embedded(json, "icon") ? await actor.getIcon(get) : null;
  const image = embedded(json, "image") ? await actor.getImage(get) : null;

  return {
    ok: true,
    account: {
      uri,
      username,
      domain: domainOf(uri),
      actorType: typeName(actor),
      displayName: cleanPlainText(str(actor.name), DISPLAY_NAME_LIMIT),
      note: sanitizeHtml(truncate(str(actor.summary), NOTE_LIMIT)),
      fields: await profileFields(actor, json, options),
      locked: actor.manuallyApprovesFollowers ?? false,
      bot: actor instanceof Service || actor instanceof Application,
      group: actor instanceof Group,
      discoverable: actor.discoverable,
      indexable: actor.indexable ?? false,
      memorial: actor.memorial ?? false,
      suspended: actor.suspended ?? false,
      // A bare string icon is the image itself (Mastodon reads it so), not a link to an Image document.
      avatarUrl: icon ? urlOf(icon.url) : httpUrl(actor.iconId),
      headerUrl: image ? urlOf(image.url) : httpUrl(actor.imageId),
      url: pageUrl(actor.urls),
      inboxUrl: httpUrl(actor.inboxId),
      sharedInboxUrl: httpUrl(actor.endpoints?.sharedInbox),
      outboxUrl: httpUrl(actor.outboxId),
      followersUrl: httpUrl(actor.followersId),
      followingUrl: httpUrl(actor.followingId),
      featuredUrl: httpUrl(actor.featuredId),
      featuredTagsUrl: httpUrl(actor.featuredTagsId),
      movedToUri: httpUrl(actor.successorId),
      alsoKnownAs: actor.aliasIds.map((a) => httpUrl(a)).filter((a): a is string => a !== null),
      emojis: await emojiTags(actor, json, options),
      publicKeyIds: actor.publicKeyIds.map((k) => k.href),
      published: toDate(actor.published),
    },
  };
}

function truncate(text: string | null, limit: number): string {
  if (!text) return "";
  return text.length > limit ? text.slice(0, limit) : text;
}

/** PropertyValue attachments (Mastodon's profile fields); other attachment types (IdentityProof, links) are not fields. */
async function profileFields(actor: Actor, json: Json, options: TranslateOptions): Promise<FieldDraft[]> {
  if (!embedded(json, "attachment")) return [];
  const fields: FieldDraft[] = [];
  for await (const item of actor.getAttachments(getterOptions(options))) {
    if (!(item instanceof PropertyValue)) continue;
    const name = cleanPlainText(str(item.name), FIELD_LIMIT);
    if (!name) continue;
    fields.push({ name, value: sanitizeHtml(truncate(str(item.value), FIELD_LIMIT * 4)), verified_at: null });
    if (fields.length >= FIELDS_LIMIT) break;
  }
  return fields;
}
