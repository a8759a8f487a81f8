/**
 * Home and list feeds computed from Postgres: what a rebuild writes to
 * Redis, and what a page beyond the cached 800 items reads. Candidates come
 * from SQL; the per-receiver rules are feed-rules.ts, the same ones fanout
 * applies, so a rebuilt feed matches the one fanout built.
 */
import type { AppContext } from "../../src/context.ts";
import type { Db } from "../../src/db/index.ts";
import { filterFromHome, filterFromList, loadCrutches, REBLOG_FALLOFF } from "./feed-rules.ts";
import {
  selectFollowedAmong,
  selectHomeCandidates,
  selectListById,
  selectListCandidates,
  selectListMemberIds,
  selectStatusFacts,
  type IdBounds,
  type StatusFacts,
} from "./storage.ts";

/** Rounds of candidates fetched before giving up on filling the page (heavily filtered feeds). */
const MAX_ROUNDS = 6;

/**
 * Reblog aggregation over a newest-first sequence, replayed oldest first as
 * fanout would have seen it: a reblog is dropped when its original, or
 * another reblog of it, is among the REBLOG_FALLOFF items before it.
 */
export function aggregateReblogs(newestFirst: StatusFacts[]): StatusFacts[] {
  const kept: StatusFacts[] = [];
  for (let i = newestFirst.length - 1; i >= 0; i--) {
    const status = newestFirst[i]!;
    if (status.reblogOfId) {
      const original = status.reblogOfId;
      const recent = kept.slice(-REBLOG_FALLOFF);
      if (recent.some((s) => s.id === original || s.reblogOfId === original)) continue;
    }
    kept.push(status);
  }
  return kept.reverse();
}

/**
 * Pulls candidate pages until `want` statuses pass `keep` or the source
 * runs dry. Reading forward (min_id) extends upwards and keeps the oldest.
 */
async function collect(
  db: Db,
  bounds: IdBounds,
  want: number,
  candidates: (bounds: IdBounds, limit: number) => Promise<string[]>,
  keep: (facts: StatusFacts[]) => Promise<StatusFacts[]>,
): Promise<string[]> {
  const batch = Math.min(Math.max(want * 2, 40), 2000);
  let cursor: IdBounds = { ...bounds };
  let kept: StatusFacts[] = [];
  for (let round = 0; round < MAX_ROUNDS && kept.length < want; round++) {
    const ids = await candidates(cursor, batch);
    if (ids.length === 0) break;
    const byId = new Map((await selectStatusFacts(db, ids)).map((f) => [f.id, f]));
    const ordered = ids.map((id) => byId.get(id)).filter((f): f is StatusFacts => f !== undefined && !f.deleted);
    const passed = await keep(ordered);
    kept = bounds.minId ? [...passed, ...kept] : [...kept, ...passed];
    if (ids.length < batch) break;
    cursor = bounds.minId ? { ...cursor, minId: ids[0]! } : { ...cursor, maxId: ids[ids.length - 1]! };
  }
  const aggregated = aggregateReblogs(kept);
  const ids = aggregated.map((f) => f.id);
  return bounds.minId ? ids.slice(Math.max(0, ids.length - want)) : ids.slice(0, want);
}

/** Up to `want` home feed ids for the account within `bounds`, newest first. */
export async function homeIdsFromDatabase(
  ctx: AppContext,
  accountId: string,
  bounds: IdBounds,
  want: number,
): Promise<string[]> {
  return collect(
    ctx.sql,
    bounds,
    want,
    (cursor, limit) => selectHomeCandidates(ctx.sql, accountId, cursor, limit),
    async (facts) => {
      const crutches = (await loadCrutches(ctx.sql, [accountId], facts)).for(accountId);
      return facts.filter((f) => !filterFromHome(f, accountId, crutches));
    },
  );
}

/** Up to `want` ids of a list's feed within `bounds`, newest first. */
export async function listIdsFromDatabase(ctx: AppContext, listId: string, bounds: IdBounds, want: number): Promise<string[]> {
  const list = await selectListById(ctx.sql, listId);
  if (!list) return [];
  const members = new Set(await selectListMemberIds(ctx.sql, listId, {}, null));
  const followed = await selectFollowedAmong(ctx.sql, list.account_id, [...members]);
  return collect(
    ctx.sql,
    bounds,
    want,
    (cursor, limit) => selectListCandidates(ctx.sql, listId, cursor, limit),
    async (facts) => {
      const crutches = (await loadCrutches(ctx.sql, [list.account_id], facts)).for(list.account_id);
      return facts.filter(
        (f) =>
          !filterFromList(
            f,
            {
              id: list.id,
              ownerId: list.account_id,
              repliesPolicy: list.replies_policy,
              replyTargetInList: f.inReplyToAccountId !== null && members.has(f.inReplyToAccountId),
              ownerFollowsAuthor: followed.has(f.accountId),
            },
            crutches,
          ),
      );
    },
  );
}
