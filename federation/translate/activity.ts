/**
 * An incoming activity → one domain command the inbox carries out. The
 * classification is pure: no database, no network. What needs either (is
 * the Undo's target a follow or a favourite of ours? is the poll local?)
 * is left to the handler, with the URIs it needs to decide.
 *
 * Origin rules (Mastodon's): an object created, updated or deleted must
 * live on the actor's server and, when it says who wrote it, be the
 * actor's; an embedded Follow/Like/… undone must be the actor's own; a
 * Move must move the actor itself. Violations classify as unsupported and
 * change nothing.
 */
import {
  Accept,
  Activity,
  Announce,
  Block,
  ChatMessage,
  Create,
  Delete,
  Dislike,
  EmojiReact,
  Emoji,
  Flag,
  Follow,
  Like,
  Move,
  Note,
  Question,
  Reject,
  Tombstone,
  Undo,
  Update,
  isActor,
  type Object as APObject,
} from "@fedify/fedify/vocab";
import { cleanPlainText } from "../sanitize.ts";
import { translateActor, type AccountDraft } from "./actor.ts";
import {
  embedded,
  embeddedJson,
  emojiDraft,
  getterOptions,
  httpUrl,
  rawJson,
  sameOrigin,
  str,
  toDate,
  typeName,
  type EmojiDraft,
  type Json,
  type TranslateOptions,
} from "./common.ts";
import { addressing, isStatusObject, translateStatus, visibilityFromAddressing, type StatusDraft, type Visibility } from "./note.ts";

interface Base {
  /** The activity's id (null for the rare transient activity without one). */
  id: string | null;
  /** The actor URI (signature checks make sure it is who sent it). */
  actor: string;
}

export type ActivityCommand =
  | (Base & { kind: "follow"; object: string })
  /** Accept(Follow): `followId` is the Follow's id when known; `follower` its actor when embedded. */
  | (Base & { kind: "accept-follow"; followId: string | null; follower: string | null })
  | (Base & { kind: "reject-follow"; followId: string | null; follower: string | null })
  | (Base & { kind: "undo-follow"; followId: string | null; object: string | null })
  | (Base & { kind: "undo-favourite"; favouriteId: string | null; object: string | null })
  | (Base & { kind: "undo-reblog"; reblogId: string | null; object: string | null })
  | (Base & { kind: "undo-block"; blockId: string | null; object: string | null })
  /** Undo of a bare URI: look it up among the actor's follows, favourites, reblogs and blocks. */
  | (Base & { kind: "undo-reference"; objectId: string })
  /** `status` is null when the object was only referenced: fetch `objectUri`, then translateStatus. */
  | (Base & { kind: "create-status"; objectUri: string; status: StatusDraft | null })
  /** A Note answering a poll (name, no content, inReplyTo): a vote when `questionUri` is a local poll, else a status. */
  | (Base & { kind: "poll-vote"; questionUri: string; choice: string; status: StatusDraft })
  | (Base & { kind: "update-status"; objectUri: string; status: StatusDraft })
  | (Base & { kind: "update-actor"; account: AccountDraft })
  | (Base & { kind: "delete-status"; objectUri: string })
  | (Base & { kind: "delete-actor" })
  /** Like, Misskey reaction, Pleroma EmojiReact: a favourite; `reaction` the emoji when one was sent. */
  | (Base & { kind: "favourite"; object: string; reaction: string | null; emoji: EmojiDraft | null })
  /** `status` is the embedded object when it can be trusted (same server as the actor). */
  | (Base & { kind: "reblog"; object: string; visibility: Visibility; published: Date | null; status: StatusDraft | null })
  | (Base & { kind: "block"; object: string })
  | (Base & { kind: "move"; origin: string; target: string })
  /** Flag: `objects` mixes accounts and statuses (the handler sorts them); `comment` plain text. */
  | (Base & { kind: "report"; objects: string[]; comment: string })
  | { kind: "unsupported"; id: string | null; actor: string | null; activityType: string; reason: string };

export type CommandKind = ActivityCommand["kind"];

export interface ClassifyOptions extends TranslateOptions {
  /** The raw JSON of the activity (defaults to what Fedify kept). */
  json?: Json;
  /** The actor's followers collection (accounts.followers_url), for private vs direct. */
  followersUrl?: string | null;
}

function unsupported(activity: Activity, reason: string, actor?: string | null): ActivityCommand {
  return {
    kind: "unsupported",
    id: httpUrl(activity.id),
    actor: actor ?? httpUrl(activity.actorId),
    activityType: typeName(activity),
    reason,
  };
}

/** The command an activity asks for. Never throws: anything it cannot understand is `unsupported`, with the reason. */
export async function classifyActivity(activity: Activity, options: ClassifyOptions = {}): Promise<ActivityCommand> {
  try {
    return await classify(activity, options);
  } catch (error) {
    // A shape no one foresaw must not take the inbox down with it.
    return unsupported(activity, `translation failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function classify(activity: Activity, options: ClassifyOptions): Promise<ActivityCommand> {
  const json = options.json ?? (await rawJson(activity));
  const actor = httpUrl(activity.actorId);
  if (!actor) return unsupported(activity, "no actor");
  if (activity.actorIds.length > 1) return unsupported(activity, "more than one actor", actor);
  const base: Base = { id: httpUrl(activity.id), actor };
  const objectId = httpUrl(activity.objectId);
  const inner = embedded(json, "object") ? await activity.getObject(getterOptions(options)) : null;
  const innerJson = embeddedJson(json, "object");
  const context: Context = { activity, json, base, objectId, inner, innerJson, options };

  // Question is an IntransitiveActivity in Fedify's vocabulary, but arrives as an object, never as an activity.
  if (activity instanceof Question) return unsupported(activity, "a Question is an object, not an activity");
  if (activity instanceof Follow) return objectId ? { ...base, kind: "follow", object: objectId } : unsupported(activity, "Follow without object");
  if (activity instanceof Accept || activity instanceof Reject) return followResponse(context);
  if (activity instanceof Undo) return undo(context);
  if (activity instanceof Create) return create(context);
  if (activity instanceof Update) return update(context);
  if (activity instanceof Delete) return remove(context);
  if (activity instanceof EmojiReact || activity instanceof Like) return favourite(context);
  if (activity instanceof Dislike) return unsupported(activity, "dislikes are not supported");
  if (activity instanceof Announce) return reblog(context);
  if (activity instanceof Block) return block(context);
  if (activity instanceof Move) return move(context);
  if (activity instanceof Flag) return report(context);
  return unsupported(activity, `${typeName(activity)} activities are not supported`);
}

interface Context {
  activity: Activity;
  json: Json;
  base: Base;
  objectId: string | null;
  inner: APObject | null;
  innerJson: Json | undefined;
  options: ClassifyOptions;
}

async function followResponse({ activity, base, objectId, inner }: Context): Promise<ActivityCommand> {
  const kind = activity instanceof Accept ? "accept-follow" : "reject-follow";
  if (inner === null) {
    // Only the Follow's URI: Mastodon finds the request by it.
    return objectId ? { ...base, kind, followId: objectId, follower: null } : unsupported(activity, "no object");
  }
  if (!(inner instanceof Follow)) return unsupported(activity, `${typeName(activity)} of ${typeName(inner)} is not supported`);
  const followee = httpUrl(inner.objectId);
  if (followee && followee !== base.actor) return unsupported(activity, "the Follow is not addressed to the actor");
  return { ...base, kind, followId: httpUrl(inner.id), follower: httpUrl(inner.actorId) };
}

async function undo({ activity, base, objectId, inner }: Context): Promise<ActivityCommand> {
  if (inner === null) {
    return objectId ? { ...base, kind: "undo-reference", objectId } : unsupported(activity, "no object");
  }
  if (!(inner instanceof Activity)) return unsupported(activity, `Undo of ${typeName(inner)} is not supported`);
  const innerActor = httpUrl(inner.actorId);
  if (innerActor && innerActor !== base.actor) return unsupported(activity, "the undone activity is someone else's");
  const innerId = httpUrl(inner.id);
  const target = httpUrl(inner.objectId);
  if (inner instanceof Follow) return { ...base, kind: "undo-follow", followId: innerId, object: target };
  if (inner instanceof EmojiReact || inner instanceof Like) return { ...base, kind: "undo-favourite", favouriteId: innerId, object: target };
  if (inner instanceof Announce) return { ...base, kind: "undo-reblog", reblogId: innerId, object: target };
  if (inner instanceof Block) return { ...base, kind: "undo-block", blockId: innerId, object: target };
  return unsupported(activity, `Undo of ${typeName(inner)} is not supported`);
}

/** The object must live on the actor's server and, when it names an author, be the actor's. */
function ownedByActor(object: APObject, actor: string): string | null {
  const id = httpUrl(object.id);
  if (!id) return "the object has no http(s) id";
  if (!sameOrigin(id, actor)) return "the object is not on the actor's server";
  const authors = object.attributionIds.map((a) => a.href);
  if (authors.length > 0 && !authors.includes(actor)) return "the object is attributed to someone else";
  return null;
}

async function create({ activity, base, objectId, inner, innerJson, options }: Context): Promise<ActivityCommand> {
  if (inner === null) {
    if (!objectId) return unsupported(activity, "no object");
    if (!sameOrigin(objectId, base.actor)) return unsupported(activity, "the object is not on the actor's server");
    return { ...base, kind: "create-status", objectUri: objectId, status: null };
  }
  if (inner instanceof ChatMessage) return unsupported(activity, "chat messages are not supported");
  if (!isStatusObject(inner)) return unsupported(activity, `Create of ${typeName(inner)} is not supported`);
  const problem = ownedByActor(inner, base.actor);
  if (problem) return unsupported(activity, problem);
  const translated = await translateStatus(inner, { ...options, json: innerJson });
  if (!translated.ok) return unsupported(activity, translated.reason);
  const status = translated.status;
  // Mastodon's poll vote: a Note with the option as its name, no content, replying to the Question.
  const choice = cleanPlainText(str(inner.name), 1000);
  if (inner instanceof Note && choice && !str(inner.content) && status.inReplyToUri) {
    return { ...base, kind: "poll-vote", questionUri: status.inReplyToUri, choice, status };
  }
  return { ...base, kind: "create-status", objectUri: status.uri, status };
}

async function update({ activity, base, inner, innerJson, options }: Context): Promise<ActivityCommand> {
  // Mastodon acts only on an embedded object: a bare URI says nothing about what changed.
  if (inner === null) return unsupported(activity, "Update without an embedded object");
  if (isActor(inner)) {
    if (httpUrl(inner.id) !== base.actor) return unsupported(activity, "an actor can only update itself");
    const translated = await translateActor(inner, { ...options, json: innerJson });
    return translated.ok ? { ...base, kind: "update-actor", account: translated.account } : unsupported(activity, translated.reason);
  }
  if (!isStatusObject(inner)) return unsupported(activity, `Update of ${typeName(inner)} is not supported`);
  const problem = ownedByActor(inner, base.actor);
  if (problem) return unsupported(activity, problem);
  const translated = await translateStatus(inner, { ...options, json: innerJson });
  if (!translated.ok) return unsupported(activity, translated.reason);
  return { ...base, kind: "update-status", objectUri: translated.status.uri, status: translated.status };
}

async function remove({ activity, base, objectId, inner }: Context): Promise<ActivityCommand> {
  if (!objectId) return unsupported(activity, "no object");
  if (objectId === base.actor) return { ...base, kind: "delete-actor" };
  if (inner !== null && isActor(inner)) return unsupported(activity, "an actor can only delete itself");
  if (!sameOrigin(objectId, base.actor)) return unsupported(activity, "the object is not on the actor's server");
  // A Tombstone, a Note or a bare URI: the handler deletes the status with that URI if the actor wrote it.
  if (inner !== null && !(inner instanceof Tombstone) && !isStatusObject(inner)) {
    return unsupported(activity, `Delete of ${typeName(inner)} is not supported`);
  }
  return { ...base, kind: "delete-status", objectUri: objectId };
}

/** Like (with Misskey's `_misskey_reaction` or a `content` emoji) and EmojiReact all become favourites. */
async function favourite({ activity, json, base, objectId, options }: Context): Promise<ActivityCommand> {
  if (!objectId) return unsupported(activity, "no object");
  const rawReaction = typeof json._misskey_reaction === "string" ? json._misskey_reaction : null;
  const reaction = cleanPlainText(str(activity.content) ?? rawReaction, 256) || null;
  let emoji: EmojiDraft | null = null;
  const shortcode = reaction ? /^:([a-zA-Z0-9_]{2,})(?:@[^:]*)?:$/.exec(reaction)?.[1] : undefined;
  if (shortcode && embedded(json, "tag")) {
    for await (const tag of activity.getTags(getterOptions(options))) {
      if (!(tag instanceof Emoji)) continue;
      const draft = await emojiDraft(tag, options);
      if (draft?.shortcode === shortcode) {
        emoji = draft;
        break;
      }
    }
  }
  return { ...base, kind: "favourite", object: objectId, reaction, emoji };
}

async function reblog({ activity, json, base, objectId, inner, innerJson, options }: Context): Promise<ActivityCommand> {
  if (!objectId) return unsupported(activity, "no object");
  // Lemmy communities and WordPress relay whole activities; the inner activity is not signed by its actor.
  if (inner instanceof Activity && !(inner instanceof Question)) {
    return unsupported(activity, `Announce of an activity (${typeName(inner)}) is not supported`);
  }
  const address = addressing(activity, json);
  const visibility = visibilityFromAddressing({
    to: address.to,
    cc: address.cc,
    followersUrl: options.followersUrl,
    authorUri: base.actor,
  });
  let status: StatusDraft | null = null;
  // An embedded object is only as good as its server's word: trusted when it is the actor's server.
  if (inner !== null && isStatusObject(inner) && sameOrigin(httpUrl(inner.id), base.actor)) {
    const translated = await translateStatus(inner, { ...options, json: innerJson, followersUrl: null });
    if (translated.ok) status = translated.status;
  }
  return { ...base, kind: "reblog", object: objectId, visibility, published: toDate(activity.published), status };
}

async function block({ activity, json, base, objectId }: Context): Promise<ActivityCommand> {
  if (!objectId) return unsupported(activity, "no object");
  // Lemmy's Block with a target bans a user from a community or a site; it is not one user blocking another.
  if (json.target !== undefined) return unsupported(activity, "Block with a target (community or site ban) is not supported");
  return { ...base, kind: "block", object: objectId };
}

async function move({ activity, base, objectId }: Context): Promise<ActivityCommand> {
  const target = httpUrl(activity.targetId);
  if (!objectId || !target) return unsupported(activity, "Move needs an object and a target");
  if (objectId !== base.actor) return unsupported(activity, "an actor can only move itself");
  if (target === base.actor) return unsupported(activity, "Move to itself");
  return { ...base, kind: "move", origin: objectId, target };
}

async function report({ activity, base }: Context): Promise<ActivityCommand> {
  const objects = [...new Set(activity.objectIds.map((o) => httpUrl(o)).filter((o): o is string => o !== null))];
  if (objects.length === 0) return unsupported(activity, "Flag without objects");
  // Plain text, in content (Mastodon, GoToSocial) or summary (Lemmy).
  const comment = cleanPlainText(str(activity.content) ?? str(activity.summary), 5000);
  return { ...base, kind: "report", objects, comment };
}
