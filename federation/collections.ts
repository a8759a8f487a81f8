/**
 * The actors' collections: outbox, followers, following (paged, newest
 * first), featured (pinned statuses) and featured tags (whole). Totals come
 * from account_stats, the counters the owning modules keep exact. A
 * dispatcher or first cursor returning null makes the collection 404
 * (unknown actor).
 *
 * Paging: `?cursor=` is the id of the last row of the previous page (a
 * follow id, a status id); "0" starts from the newest. Pages go one step
 * further than they show, so `next` appears only when there is more.
 *
 * What anonymous readers see is what Mastodon shows them: the outbox lists
 * public and unlisted statuses (as Create, reblogs as Announce); followers
 * and following list actor URIs unless the owner hides their network
 * (hide_collections), whose totals stay public as in Mastodon.
 *
 * The followers dispatcher has a second job: called without a cursor it
 * returns every remote follower with its inboxes, which is what
 * `ctx.sendActivity(…, "followers", …)` delivers to (shared inbox when the
 * peer has one, the actor's own otherwise). Over HTTP it is never called
 * that way, since a first cursor exists.
 */
import type { Context, Federation, RequestContext } from "@fedify/fedify";
import { Hashtag, type Recipient } from "@fedify/fedify/vocab";
import type { AppContext } from "../src/context.ts";
import type { Db } from "../src/db/index.ts";
import type { AccountRow } from "../modules/accounts/storage.ts";
import { tagUrl } from "../modules/statuses/serializer.ts";
import { visibleToViewer } from "../modules/statuses/visibility.ts";
import { INSTANCE_ACTOR } from "./actors.ts";
import { authorizeFetch } from "./authorized-fetch.ts";
import { loadStatusData, outboxItem, statusObject, toActorRef, type ActorRef } from "./objects.ts";
import { findLocalActor } from "./storage.ts";

const OUTBOX_PAGE = 20;
const FOLLOWS_PAGE = 40;
const FEATURED_LIMIT = 20;
/** The first page's cursor: no upper bound. */
export const FIRST_CURSOR = "0";

type Owner = AccountRow | "instance" | null;

async function owner(ctx: { data: AppContext }, identifier: string): Promise<Owner> {
  if (identifier === INSTANCE_ACTOR) return "instance";
  return findLocalActor(ctx.data.sql, identifier);
}

/** The exclusive upper bound a cursor names: null for the first page, undefined for garbage. */
export function cursorBound(cursor: string): string | null | undefined {
  if (cursor === FIRST_CURSOR) return null;
  return /^[1-9]\d{0,18}$/.test(cursor) ? cursor : undefined;
}

/** A page from rows fetched with LIMIT size+1: the extra row only says there is more. */
function paged<R, T>(rows: R[], size: number, cursorOf: (row: R) => string, map: (rows: R[]) => T[]) {
  const shown = rows.slice(0, size);
  const last = shown.at(-1);
  return { items: map(shown), nextCursor: rows.length > size && last ? cursorOf(last) : null };
}

export function recipientOf(actor: ActorRef): Recipient {
  return {
    id: new URL(actor.uri),
    inboxId: actor.inbox ? new URL(actor.inbox) : null,
    endpoints: actor.sharedInbox ? { sharedInbox: new URL(actor.sharedInbox) } : null,
  };
}

/** Every remote follower that can be delivered to (not suspended, inbox known). */
export async function remoteFollowers(ctx: AppContext, db: Db, accountId: string): Promise<ActorRef[]> {
  const rows = await db`
    SELECT a.id, a.username, a.domain, a.uri, a.inbox_url, a.shared_inbox_url, a.followers_url FROM follows f JOIN accounts a ON a.id = f.account_id
    WHERE f.target_account_id = ${accountId} AND a.domain IS NOT NULL AND a.suspended_at IS NULL
      AND a.inbox_url IS NOT NULL`;
  return rows.map((r) => toActorRef(ctx, r));
}

async function followersPage(ctx: AppContext, row: AccountRow, before: string | null, origin: string | null) {
  const db = ctx.sql;
  const rows = await db`
    SELECT f.id AS cursor, a.id, a.username, a.domain, a.uri, a.inbox_url, a.shared_inbox_url, a.followers_url FROM follows f JOIN accounts a ON a.id = f.account_id
    WHERE f.target_account_id = ${row.id} AND a.suspended_at IS NULL
      ${before ? db`AND f.id < ${before}` : db``}
      ${origin ? db`AND a.domain IS NOT NULL AND starts_with(a.uri, ${origin})` : db``}
    ORDER BY f.id DESC LIMIT ${FOLLOWS_PAGE + 1}`;
  return paged(rows, FOLLOWS_PAGE, (r) => r.cursor as string, (shown) => shown.map((r) => recipientOf(toActorRef(ctx, r))));
}

async function followingPage(ctx: AppContext, row: AccountRow, before: string | null) {
  const db = ctx.sql;
  const rows = await db`
    SELECT f.id AS cursor, a.id, a.username, a.domain, a.uri, a.inbox_url, a.shared_inbox_url, a.followers_url FROM follows f JOIN accounts a ON a.id = f.target_account_id
    WHERE f.account_id = ${row.id} AND a.suspended_at IS NULL ${before ? db`AND f.id < ${before}` : db``}
    ORDER BY f.id DESC LIMIT ${FOLLOWS_PAGE + 1}`;
  return paged(rows, FOLLOWS_PAGE, (r) => r.cursor as string, (shown) => shown.map((r) => new URL(toActorRef(ctx, r).uri)));
}

async function outboxPage(ctx: AppContext, row: AccountRow, before: string | null) {
  const db = ctx.sql;
  const rows = await db`
    SELECT s.id FROM statuses s
    WHERE s.account_id = ${row.id} AND s.local AND ${visibleToViewer(db, null, "s")}
      ${before ? db`AND s.id < ${before}` : db``}
    ORDER BY s.id DESC LIMIT ${OUTBOX_PAGE + 1}`;
  const ids = rows.slice(0, OUTBOX_PAGE).map((r) => r.id as string);
  const data = await loadStatusData(ctx, db, ids);
  return paged(rows, OUTBOX_PAGE, (r) => r.id as string, (shown) =>
    shown
      .map((r) => data.get(r.id as string))
      .map((d) => (d ? outboxItem(ctx, d) : null))
      .filter((item) => item !== null),
  );
}

/** Pinned statuses anyone may see, newest pin first. */
async function featuredIds(db: Db, accountId: string): Promise<string[]> {
  const rows = await db`
    SELECT s.id FROM status_pins p JOIN statuses s ON s.id = p.status_id
    WHERE p.account_id = ${accountId} AND s.account_id = ${accountId} AND s.reblog_of_id IS NULL
      AND ${visibleToViewer(db, null, "s")}
    ORDER BY p.id DESC LIMIT ${FEATURED_LIMIT}`;
  return rows.map((r) => r.id as string);
}

async function featuredTagNames(db: Db, accountId: string): Promise<string[]> {
  const rows = await db`
    SELECT t.name FROM featured_tags ft JOIN tags t ON t.id = ft.tag_id
    WHERE ft.account_id = ${accountId} ORDER BY ft.id`;
  return rows.map((r) => r.name as string);
}

type Counter = "statuses_count" | "followers_count" | "following_count";

async function countOf(ctx: RequestContext<AppContext>, identifier: string, counter: Counter) {
  const row = await owner(ctx, identifier);
  if (!row) return null;
  return row === "instance" ? 0 : Number(row[counter] ?? 0);
}

/** Local accounts page from the newest; the instance actor's collections are empty and whole. */
async function firstCursor(ctx: Context<AppContext>, identifier: string) {
  const row = await owner(ctx, identifier);
  return row && row !== "instance" ? FIRST_CURSOR : null;
}

export function registerCollections(federation: Federation<AppContext>): void {
  federation
    .setOutboxDispatcher("/users/{identifier}/outbox", async (ctx, identifier, cursor) => {
      const row = await owner(ctx, identifier);
      if (!row) return null;
      if (row === "instance") return { items: [] };
      const before = cursor === null ? null : cursorBound(cursor);
      if (before === undefined) return null;
      return outboxPage(ctx.data, row, before);
    })
    .authorize(authorizeFetch)
    .setCounter((ctx, identifier) => countOf(ctx, identifier, "statuses_count"))
    .setFirstCursor(firstCursor);

  federation
    .setFollowersDispatcher("/users/{identifier}/followers", async (ctx, identifier, cursor, filter) => {
      const row = await owner(ctx, identifier);
      if (!row) return null;
      if (row === "instance") return { items: [] };
      // Whole, for delivery (see the header).
      if (cursor === null) return { items: (await remoteFollowers(ctx.data, ctx.data.sql, row.id)).map(recipientOf) };
      const before = cursorBound(cursor);
      if (before === undefined) return null;
      if (row.hide_collections) return { items: [] };
      return followersPage(ctx.data, row, before, filter ? filter.origin + "/" : null);
    })
    .authorize(authorizeFetch)
    .setCounter((ctx, identifier) => countOf(ctx, identifier, "followers_count"))
    .setFirstCursor(firstCursor);

  federation
    .setFollowingDispatcher("/users/{identifier}/following", async (ctx, identifier, cursor) => {
      const row = await owner(ctx, identifier);
      if (!row) return null;
      if (row === "instance") return { items: [] };
      const before = cursor === null ? null : cursorBound(cursor);
      if (before === undefined) return null;
      if (row.hide_collections) return { items: [] };
      return followingPage(ctx.data, row, before);
    })
    .authorize(authorizeFetch)
    .setCounter((ctx, identifier) => countOf(ctx, identifier, "following_count"))
    .setFirstCursor(firstCursor);

  federation
    .setFeaturedDispatcher("/users/{identifier}/collections/featured", async (ctx, identifier) => {
      const row = await owner(ctx, identifier);
      if (!row) return null;
      if (row === "instance") return { items: [] };
      const ids = await featuredIds(ctx.data.sql, row.id);
      const data = await loadStatusData(ctx.data, ctx.data.sql, ids);
      return {
        items: ids
          .map((id) => data.get(id))
          .filter((d) => d !== undefined)
          .map((d) => statusObject(ctx.data, d)),
      };
    })
    .authorize(authorizeFetch)
    .setCounter(async (ctx, identifier) => {
      const row = await owner(ctx, identifier);
      if (!row) return null;
      return row === "instance" ? 0 : (await featuredIds(ctx.data.sql, row.id)).length;
    });

  federation
    .setFeaturedTagsDispatcher("/users/{identifier}/collections/tags", async (ctx, identifier) => {
      const row = await owner(ctx, identifier);
      if (!row) return null;
      if (row === "instance") return { items: [] };
      const names = await featuredTagNames(ctx.data.sql, row.id);
      return { items: names.map((name) => new Hashtag({ href: new URL(tagUrl(ctx.data, name)), name: `#${name}` })) };
    })
    .authorize(authorizeFetch)
    .setCounter(async (ctx, identifier) => {
      const row = await owner(ctx, identifier);
      if (!row) return null;
      return row === "instance" ? 0 : (await featuredTagNames(ctx.data.sql, row.id)).length;
    });
}
