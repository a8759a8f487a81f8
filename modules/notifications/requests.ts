/**
 * The notification policy (what to accept, filter or drop) and the
 * requests that hold filtered notifications until the user accepts
 * (the sender gets through from then on) or dismisses them.
 */
import type { Sql } from "../../src/db/index.ts";
import { unprocessable } from "../../src/http/errors.ts";
import { bool, str, type Params } from "../../src/http/params.ts";
import {
  acceptRequest,
  dismissRequest,
  selectPolicy,
  selectRequestSenders,
  selectRequestSummary,
  upsertPolicy,
  type PolicyRow,
} from "./storage.ts";

const POLICY_FIELDS = [
  "for_not_following",
  "for_not_followers",
  "for_new_accounts",
  "for_private_mentions",
  "for_limited_accounts",
] as const;
const POLICY_VALUES = ["accept", "filter", "drop"];

export async function loadPolicy(sql: Sql, accountId: string) {
  const [policy, summary] = await Promise.all([selectPolicy(sql, accountId), selectRequestSummary(sql, accountId)]);
  return { policy, summary };
}

/** PATCH /api/v2/notifications/policy: only the given fields change; a bad value changes nothing. */
export async function updatePolicy(sql: Sql, accountId: string, params: Params): Promise<void> {
  const policy: PolicyRow = { ...(await selectPolicy(sql, accountId)) };
  for (const field of POLICY_FIELDS) {
    const value = str(params[field]);
    if (value === undefined) continue;
    if (!POLICY_VALUES.includes(value)) throw unprocessable(`${field} must be one of accept, filter, drop`);
    policy[field] = value;
  }
  await upsertPolicy(sql, accountId, policy);
}

/** PUT/PATCH /api/v1/notifications/policy: the v1 booleans map to filter / accept. */
export async function updateV1Policy(sql: Sql, accountId: string, params: Params): Promise<void> {
  const policy: PolicyRow = { ...(await selectPolicy(sql, accountId)) };
  const map = {
    filter_not_following: "for_not_following",
    filter_not_followers: "for_not_followers",
    filter_new_accounts: "for_new_accounts",
    filter_private_mentions: "for_private_mentions",
  } as const;
  for (const [v1, field] of Object.entries(map) as [keyof typeof map, (typeof map)[keyof typeof map]][]) {
    const value = bool(params[v1]);
    if (value === undefined) continue;
    policy[field] = value ? "filter" : "accept";
  }
  await upsertPolicy(sql, accountId, policy);
}

/** Accepts the viewer's requests among `ids`; returns how many existed. */
export async function acceptRequests(sql: Sql, accountId: string, ids: string[]): Promise<number> {
  return sql.begin(async (tx) => {
    const requests = await selectRequestSenders(tx, accountId, ids);
    for (const request of requests) await acceptRequest(tx, accountId, request.id, request.from_account_id);
    return requests.length;
  });
}

/** Dismisses the viewer's requests among `ids`; returns how many existed. */
export async function dismissRequests(sql: Sql, accountId: string, ids: string[]): Promise<number> {
  return sql.begin(async (tx) => {
    const requests = await selectRequestSenders(tx, accountId, ids);
    for (const request of requests) await dismissRequest(tx, accountId, request.id, request.from_account_id);
    return requests.length;
  });
}
