/** The Report entity (Mastodon 4.x), as its reporter sees it. */
import type { Account } from "../accounts/serializer.ts";
import type { ReportRow } from "./storage.ts";

export interface Report {
  id: string;
  action_taken: boolean;
  action_taken_at: string | null;
  category: string;
  comment: string;
  forwarded: boolean;
  created_at: string;
  status_ids: string[] | null;
  rule_ids: string[] | null;
  target_account: Account;
}

export function serializeReport(row: ReportRow, target: Account): Report {
  return {
    id: row.id,
    action_taken: row.action_taken_at !== null,
    action_taken_at: row.action_taken_at ? new Date(row.action_taken_at).toISOString() : null,
    category: row.category,
    comment: row.comment,
    forwarded: row.forwarded,
    created_at: new Date(row.created_at).toISOString(),
    status_ids: row.status_ids.map(String),
    rule_ids: row.rule_ids ? row.rule_ids.map(String) : null,
    target_account: target,
  };
}
