/**
 * Local statuses served as ActivityPub at their URIs (content negotiation:
 * a browser's GET falls through to the web routes):
 *
 * - /users/{identifier}/statuses/{id}: the Note (Question for polls);
 * - /users/{identifier}/statuses/{id}/activity: the Create carrying it, or
 *   for a reblog the Announce (a reblog's URI is its /activity, as Mastodon);
 * - /users/{identifier}/statuses/{id}/replies: its replies (FEP-7458), paged,
 *   public and unlisted ones only, as URIs, oldest first.
 *
 * Public and unlisted statuses are served to anyone. Followers-only and
 * direct ones only to a request signed (HTTP Signatures) by an actor in
 * their audience — a follower, or a mentioned account — and 404 otherwise,
 * as Mastodon answers, so their existence isn't revealed. That check runs
 * in the dispatchers rather than as Fedify's authorize predicate, which
 * would answer 401.
 */
import type { Federation, RequestContext } from "@fedify/fedify";
import { Activity, Note, Object as APObject } from "@fedify/fedify/vocab";
import type { AppContext } from "../src/context.ts";
import { logger } from "../src/log.ts";
import { visibleToViewer } from "../modules/statuses/visibility.ts";
import { authorizeFetch } from "./authorized-fetch.ts";
import { cursorBound, FIRST_CURSOR } from "./collections.ts";
import { announceActivity, createActivity, loadStatusData, statusObject, statusUri, type StatusData } from "./objects.ts";

const log = logger("federation", "objects");
const REPLIES_PAGE = 20;

type Values = { identifier: string; id: string };

/** The id of the account behind the request's verified signature, if we know it. */
async function signedViewer(ctx: RequestContext<AppContext>): Promise<string | null> {
  if (!ctx.request.headers.has("signature") && !ctx.request.headers.has("signature-input")) return null;
  let owner;
  try {
    owner = await ctx.getSignedKeyOwner();
  } catch (error) {
    log.debug("Could not verify the signature of a GET: {error}", { error });
    return null;
  }
  if (!owner?.id) return null;
  const [row] = await ctx.data.sql`SELECT id FROM accounts WHERE uri = ${owner.id.href} AND domain IS NOT NULL`;
  return (row?.id as string | undefined) ?? null;
}

/**
 * The local status at these path values if this request may see it: the
 * author's username must match (URIs are canonical), and visibility is the
 * API's rule, for the anonymous viewer or the signing remote actor.
 */
async function servableStatus(ctx: RequestContext<AppContext>, { identifier, id }: Values): Promise<StatusData | null> {
  if (!/^\d{1,19}$/.test(id)) return null;
  const db = ctx.data.sql;
  const [row] = await db`
    SELECT s.id FROM statuses s JOIN accounts a ON a.id = s.account_id
    WHERE s.id = ${id} AND s.local AND a.domain IS NULL AND a.username = ${identifier}`;
  if (!row) return null;
  const [anonymous] = await db`SELECT 1 FROM statuses s WHERE s.id = ${id} AND ${visibleToViewer(db, null, "s")}`;
  if (!anonymous) {
    const viewer = await signedViewer(ctx);
    if (!viewer) return null;
    const [visible] = await db`SELECT 1 FROM statuses s WHERE s.id = ${id} AND ${visibleToViewer(db, viewer, "s")}`;
    if (!visible) return null;
  }
  return (await loadStatusData(ctx.data, db, [id])).get(id) ?? null;
}

async function repliesPage(ctx: RequestContext<AppContext>, parent: StatusData, after: string | null) {
  const db = ctx.data.sql;
  const rows = await db`
    SELECT s.id, s.local, s.uri, s.reblog_of_id, a.username FROM statuses s JOIN accounts a ON a.id = s.account_id
    WHERE s.in_reply_to_id = ${parent.row.id} AND s.reblog_of_id IS NULL AND ${visibleToViewer(db, null, "s")}
      ${after ? db`AND s.id > ${after}` : db``}
    ORDER BY s.id LIMIT ${REPLIES_PAGE + 1}`;
  const shown = rows.slice(0, REPLIES_PAGE);
  return {
    items: shown
      .map((r) => statusUri(ctx.data, { id: r.id, local: r.local, uri: r.uri, reblog_of_id: r.reblog_of_id }, { username: r.username }))
      .filter((uri) => uri !== "")
      .map((uri) => new URL(uri)),
    nextCursor: rows.length > REPLIES_PAGE ? (shown.at(-1)!.id as string) : null,
  };
}

export function registerObjectDispatchers(federation: Federation<AppContext>): void {
  // Registered for Object, not Note: the same URI serves a Question when the status has a poll.
  federation.setObjectDispatcher(APObject, "/users/{identifier}/statuses/{id}", async (ctx, values) => {
    const data = await servableStatus(ctx, values);
    if (!data || data.row.reblog_of_id) return null;
    return statusObject(ctx.data, data);
  }).authorize((ctx, values) => authorizeFetch(ctx, values.identifier));

  federation.setObjectDispatcher(Activity, "/users/{identifier}/statuses/{id}/activity", async (ctx, values) => {
    const data = await servableStatus(ctx, values);
    if (!data) return null;
    return data.row.reblog_of_id ? announceActivity(data) : createActivity(ctx.data, data);
  }).authorize((ctx, values) => authorizeFetch(ctx, values.identifier));

  federation
    .setCollectionDispatcher("replies", Note, "/users/{identifier}/statuses/{id}/replies", async (ctx, values, cursor) => {
      const parent = await servableStatus(ctx, values as Values);
      if (!parent || parent.row.reblog_of_id) return null;
      // Whole (no cursor) is never asked for: there is always a first cursor.
      const after = cursor === null ? null : cursorBound(cursor);
      if (after === undefined) return null;
      // Items are URIs, which Fedify's collections accept whatever the item class.
      return (await repliesPage(ctx, parent, after)) as unknown as { items: Note[]; nextCursor: string | null };
    })
    .authorize((ctx, values) => authorizeFetch(ctx, (values as Values).identifier))
    .setFirstCursor(async (ctx, values) => ((await servableStatus(ctx, values as Values)) ? FIRST_CURSOR : null))
    .setCounter(async (ctx, values) => {
      const { id } = values as Values;
      if (!/^\d{1,19}$/.test(id)) return null;
      const db = ctx.data.sql;
      const [row] = await db`
        SELECT count(*)::int AS n FROM statuses s
        WHERE s.in_reply_to_id = ${id} AND s.reblog_of_id IS NULL AND ${visibleToViewer(db, null, "s")}`;
      return Number(row!.n);
    });
}
