/**
 * Collections and their pages (outboxes, followers, featured posts, reply
 * trees) → the items they list, without fetching further pages: the caller
 * follows `first`/`next` under its own limits.
 */
import { Collection, CollectionPage, Link, OrderedCollection, OrderedCollectionPage, type Object as APObject } from "@fedify/fedify/vocab";
import { embedded, getterOptions, httpUrl, rawJson, type Json, type TranslateOptions } from "./common.ts";

export interface CollectionItem {
  /** The item's id (null for an embedded item without one). */
  uri: string | null;
  /** The embedded item, when the collection carries it (translate it with translateDocument's helpers). */
  object: APObject | null;
}

export interface CollectionDraft {
  uri: string | null;
  ordered: boolean;
  /** True for a page (OrderedCollectionPage, CollectionPage). */
  page: boolean;
  totalItems: number | null;
  items: CollectionItem[];
  /** The first page, when the items are not inline. */
  first: string | null;
  next: string | null;
  partOf: string | null;
}

export function isCollectionObject(object: APObject): object is Collection {
  return object instanceof Collection;
}

export async function translateCollection(collection: Collection, options: TranslateOptions & { json?: Json } = {}): Promise<CollectionDraft> {
  const json = options.json ?? (await rawJson(collection));
  const page = collection instanceof CollectionPage;
  const items: CollectionItem[] = [];
  const key = json.orderedItems !== undefined ? "orderedItems" : "items";
  if (embedded(json, key)) {
    for await (const item of collection.getItems(getterOptions(options))) {
      if (item instanceof Link) items.push({ uri: httpUrl(item.href), object: null });
      else items.push({ uri: httpUrl(item.id), object: item });
    }
    // Fedify yields only embedded items here; referenced ones come from the ids below, in order.
    const embeddedIds = new Set(items.map((i) => i.uri));
    for (const id of collection.itemIds) {
      const uri = httpUrl(id);
      if (uri && !embeddedIds.has(uri)) items.push({ uri, object: null });
    }
  } else {
    for (const id of collection.itemIds) {
      const uri = httpUrl(id);
      if (uri) items.push({ uri, object: null });
    }
  }
  return {
    uri: httpUrl(collection.id),
    ordered: collection instanceof OrderedCollection || collection instanceof OrderedCollectionPage,
    page,
    totalItems: collection.totalItems,
    items,
    first: httpUrl(collection.firstId),
    next: page ? httpUrl((collection as CollectionPage).nextId) : null,
    partOf: page ? httpUrl((collection as CollectionPage).partOfId) : null,
  };
}
