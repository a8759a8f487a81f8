/**
 * A user's own domain blocks (POST/DELETE /api/v1/domain_blocks): hide a
 * whole remote domain. Blocking ends the user's follows of that domain's
 * accounts and their follows of the user, and drops pending requests both
 * ways, in the same transaction (Mastodon does it in a worker right after).
 * Both calls are idempotent.
 */
import type { AppContext } from "../../../src/context.ts";
import { nudgeEventWorker } from "../../../src/events/worker.ts";
import { unprocessable } from "../../../src/http/errors.ts";
import { bumpStats, deleteDomainBlock, insertDomainBlock, selectFollowsWithDomain, type StatsDelta } from "../storage.ts";
import { cancelFollowRequestInTx, rejectFollowRequestInTx, removeFollowInTx } from "./graph.ts";

/**
 * The domain as stored: lower case, IDNs in punycode, a port kept (remote
 * accounts' domains include it when the server runs on one). Accepts a URL
 * too, since people paste them.
 */
export function normalizeDomain(raw: string | undefined): string {
  const text = (raw ?? "").trim();
  if (text === "") throw unprocessable("Domain can't be blank");
  let host: string;
  try {
    const url = new URL(text.includes("://") ? text : `https://${text}`);
    if (url.username || url.password || (url.pathname !== "/" && url.pathname !== "") || url.search || url.hash) {
      throw new Error("not a bare domain");
    }
    host = url.host.toLowerCase();
  } catch {
    throw unprocessable("Domain is not a valid domain name");
  }
  if (host.length > 253 || !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d+)?$/.test(host)) {
    throw unprocessable("Domain is not a valid domain name");
  }
  return host;
}

export async function blockDomain(ctx: AppContext, accountId: string, rawDomain: string | undefined): Promise<void> {
  const domain = normalizeDomain(rawDomain);
  const severed = await ctx.sql.begin(async (tx) => {
    await insertDomainBlock(tx, accountId, domain);
    const { follows, requests } = await selectFollowsWithDomain(tx, accountId, domain);
    let changed = 0;
    const deltas: StatsDelta[] = [];
    for (const f of follows) if (await removeFollowInTx(tx, f.accountId, f.targetId, deltas, accountId)) changed++;
    await bumpStats(tx, deltas);
    for (const r of requests) {
      const done = r.accountId === accountId
        ? await cancelFollowRequestInTx(tx, accountId, r.targetId)
        : await rejectFollowRequestInTx(tx, accountId, r.accountId);
      if (done) changed++;
    }
    return changed;
  });
  if (severed > 0) nudgeEventWorker();
}

export async function unblockDomain(ctx: AppContext, accountId: string, rawDomain: string | undefined): Promise<void> {
  await deleteDomainBlock(ctx.sql, accountId, normalizeDomain(rawDomain));
}
