/** Finding the status an action applies to, as every status action does. */
import type { AppContext } from "../../../src/context.ts";
import { notFound } from "../../../src/http/errors.ts";
import { id } from "../../../src/http/params.ts";
import { canSeeStatus, loadStatusRow } from "../visibility.ts";
import type { StatusRow } from "../storage.ts";

/**
 * The status behind `rawId`, unwrapped when it is a boost (actions apply to
 * what was boosted); 404 when missing, deleted or invisible to the account
 * — Mastodon never says a hidden status exists. `allowInvisible` is for the
 * undo actions, which the caller checks itself.
 */
export async function visibleTarget(
  ctx: AppContext,
  accountId: string | null,
  rawId: unknown,
  options: { allowInvisible?: boolean; unwrap?: boolean } = {},
): Promise<StatusRow> {
  const statusId = id(rawId);
  let row = statusId ? await loadStatusRow(ctx.sql, statusId) : null;
  if (row?.reblog_of_id && options.unwrap !== false) row = await loadStatusRow(ctx.sql, row.reblog_of_id);
  if (!row) throw notFound();
  if (!options.allowInvisible && !(await canSeeStatus(ctx.sql, accountId, row.id))) throw notFound();
  return row;
}
