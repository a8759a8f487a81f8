/**
 * GET /api/v1/accounts/:id/statuses: a profile's posts as the viewer may
 * see them (public and unlisted for everyone, followers-only for
 * followers, mentions for the mentioned, everything for the owner; nothing
 * across a block), with Mastodon's filters. `pinned` pages by pin, the rest
 * by status id.
 */
import type { AppContext } from "../../../src/context.ts";
import { notFound } from "../../../src/http/errors.ts";
import { bool, id, str, type Params } from "../../../src/http/params.ts";
import type { Page } from "../../../src/http/pagination.ts";
import { loadAccount } from "../../accounts/serializer.ts";
import { renderStatuses, type Status, type Viewer } from "../serializer.ts";
import { selectAccountStatuses, selectPinnedStatuses, type CursorRow } from "../storage.ts";
import { visibleToViewer } from "../visibility.ts";

export async function accountStatuses(
  ctx: AppContext,
  viewer: Viewer | null,
  rawAccountId: unknown,
  params: Params,
  page: Page,
): Promise<{ statuses: Status[]; rows: CursorRow[] }> {
  const accountId = id(rawAccountId);
  const account = accountId ? await loadAccount(ctx.sql, ctx.config, accountId) : null;
  if (!account) throw notFound();
  const visible = visibleToViewer(ctx.sql, viewer?.accountId ?? null, "s");
  const rows = bool(params.pinned, false)
    ? await selectPinnedStatuses(ctx.sql, account.id, page, visible)
    : await selectAccountStatuses(
        ctx.sql,
        account.id,
        {
          excludeReplies: bool(params.exclude_replies, false),
          excludeReblogs: bool(params.exclude_reblogs, false),
          onlyMedia: bool(params.only_media, false),
          tagged: str(params.tagged)?.replace(/^#/, "").trim() || null,
        },
        page,
        visible,
      );
  const statuses = await renderStatuses(ctx, rows.map((r) => r.id), viewer, { filterContext: "account" });
  return { statuses, rows };
}
