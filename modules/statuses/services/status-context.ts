/**
 * GET /api/v1/statuses/:id/context: the thread around a status. Ancestors
 * root first, descendants depth first; each passes the viewer's visibility
 * rules (renderStatuses) and statuses of accounts the viewer blocks, is
 * blocked by or mutes are left out, as Mastodon's thread filter does.
 * Bounded like Mastodon: anonymous readers get a smaller, shallower thread.
 */
import type { AppContext } from "../../../src/context.ts";
import { hiddenAccountIds } from "../../relationships/service.ts";
import { renderStatuses, type Status, type Viewer } from "../serializer.ts";
import { selectAncestorIds, selectAuthors, selectDescendantIds } from "../storage.ts";
import { visibleTarget } from "./target.ts";

const SIGNED_IN = { ancestors: 4096, descendants: 4096, depth: 256 };

/**
 * Called (not awaited) when the context of a remote status is viewed, so
 * the federation layer can fetch replies other servers never sent us; the
 * module does not depend on federation/, which installs the hook.
 */
export type RemoteContextHook = (ctx: AppContext, statusId: string) => void;
let remoteContextHook: RemoteContextHook | null = null;

export function setRemoteContextHook(hook: RemoteContextHook | null): void {
  remoteContextHook = hook;
}
const ANONYMOUS = { ancestors: 40, descendants: 60, depth: 20 };

export async function statusContext(
  ctx: AppContext,
  viewer: Viewer | null,
  rawId: unknown,
): Promise<{ ancestors: Status[]; descendants: Status[] }> {
  const status = await visibleTarget(ctx, viewer?.accountId ?? null, rawId, { unwrap: false });
  if (!status.local && !status.reblog_of_id) remoteContextHook?.(ctx, status.id);
  const limits = viewer ? SIGNED_IN : ANONYMOUS;
  const [ancestorIds, descendantIds] = await Promise.all([
    status.in_reply_to_id ? selectAncestorIds(ctx.sql, status.id, limits.ancestors) : Promise.resolve([]),
    selectDescendantIds(ctx.sql, status.id, limits.depth, limits.descendants),
  ]);
  let keep = (_id: string) => true;
  if (viewer) {
    const [hidden, authors] = await Promise.all([
      hiddenAccountIds(ctx.sql, viewer.accountId),
      selectAuthors(ctx.sql, [...ancestorIds, ...descendantIds]),
    ]);
    keep = (id) => {
      const author = authors.get(id);
      return author === viewer.accountId || (author !== undefined && !hidden.has(author));
    };
  }
  const [ancestors, descendants] = await Promise.all([
    renderStatuses(ctx, ancestorIds.filter(keep), viewer, { filterContext: "thread" }),
    renderStatuses(ctx, descendantIds.filter(keep), viewer, { filterContext: "thread" }),
  ]);
  return { ancestors, descendants };
}
