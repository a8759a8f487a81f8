/** Finding the account a request acts on, with Mastodon's 404 for anything not there. */
import type { AppContext } from "../../../src/context.ts";
import { notFound } from "../../../src/http/errors.ts";
import { id } from "../../../src/http/params.ts";
import { findTargetAccount, type TargetAccount } from "../storage.ts";

/** The account behind a path id; 404 for non-numeric, unknown or not-yet-approved accounts. */
export async function requireTargetAccount(ctx: AppContext, rawId: unknown): Promise<TargetAccount> {
  const accountId = id(rawId);
  const target = accountId ? await findTargetAccount(ctx.sql, accountId) : null;
  if (!target) throw notFound();
  return target;
}
