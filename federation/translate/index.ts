/**
 * The translation layer between ActivityPub vocabulary and our domain, for
 * incoming data. Inbox handlers call classifyActivity on the activity
 * Fedify hands them; remote resolution calls translateDocument on whatever
 * a URL returned; both then act on plain drafts and commands, never on
 * ActivityPub JSON.
 */
import { Activity, Question, Tombstone, type Object as APObject } from "@fedify/fedify/vocab";
import { classifyActivity, type ActivityCommand, type ClassifyOptions } from "./activity.ts";
import { isActorObject, translateActor, type AccountDraft } from "./actor.ts";
import { isCollectionObject, translateCollection, type CollectionDraft } from "./collection.ts";
import { httpUrl, rawJson, toDate, typeName, type Json } from "./common.ts";
import { parseJsonLd, type ParseOptions } from "./jsonld.ts";
import { isStatusObject, translateStatus, type StatusDraft } from "./note.ts";

export * from "./activity.ts";
export * from "./actor.ts";
export * from "./collection.ts";
export {
  PUBLIC_COLLECTION,
  type EmojiDraft,
  type Json,
  type TranslateOptions,
} from "./common.ts";
export * from "./jsonld.ts";
export * from "./note.ts";

export type DocumentTranslation =
  | { kind: "actor"; type: string; account: AccountDraft }
  | { kind: "status"; type: string; status: StatusDraft }
  | { kind: "activity"; type: string; command: ActivityCommand }
  | { kind: "collection"; type: string; collection: CollectionDraft }
  | { kind: "tombstone"; type: string; uri: string | null; deleted: Date | null }
  | { kind: "unsupported"; type: string; reason: string };

/** A parsed object → what it means to us. Never throws. */
export async function translateObject(object: APObject, options: ClassifyOptions = {}): Promise<DocumentTranslation> {
  const type = typeName(object);
  const json: Json = options.json ?? (await rawJson(object));
  try {
    if (isActorObject(object)) {
      const result = await translateActor(object, { ...options, json });
      return result.ok ? { kind: "actor", type, account: result.account } : { kind: "unsupported", type, reason: result.reason };
    }
    // Before Activity: Fedify models Question as an IntransitiveActivity.
    if (isStatusObject(object)) {
      const result = await translateStatus(object, { ...options, json });
      return result.ok ? { kind: "status", type, status: result.status } : { kind: "unsupported", type, reason: result.reason };
    }
    if (object instanceof Activity && !(object instanceof Question)) {
      return { kind: "activity", type, command: await classifyActivity(object, { ...options, json }) };
    }
    if (isCollectionObject(object)) {
      return { kind: "collection", type, collection: await translateCollection(object, { ...options, json }) };
    }
    if (object instanceof Tombstone) return { kind: "tombstone", type, uri: httpUrl(object.id), deleted: toDate(object.deleted) };
    return { kind: "unsupported", type, reason: `${type} is not supported` };
  } catch (error) {
    // A translator bug or a shape no one foresaw must not take the inbox down with it.
    return { kind: "unsupported", type, reason: `translation failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Wire JSON → what it means to us: parse (tolerantly), then translate. Never throws. */
export async function translateDocument(json: unknown, options: ParseOptions & ClassifyOptions = {}): Promise<DocumentTranslation> {
  const parsed = await parseJsonLd(json, options);
  if (!parsed.ok) return { kind: "unsupported", type: "unknown", reason: `unparseable: ${parsed.error}` };
  return translateObject(parsed.object, { ...options, json: parsed.json });
}
