/**
 * SQL the reports module owns: `reports` (0021, extended in 0022). Reports
 * come from local users (POST /api/v1/reports) and from other servers (Flag
 * activities, federation/inbox/flag.ts); both file through `createReport`.
 */
import type { Db } from "../../src/db/index.ts";

export const REPORT_CATEGORIES = ["spam", "legal", "violation", "other"] as const;
export type ReportCategory = (typeof REPORT_CATEGORIES)[number];

export interface ReportRow {
  id: string;
  account_id: string;
  target_account_id: string;
  status_ids: string[];
  comment: string;
  category: ReportCategory;
  rule_ids: string[] | null;
  forwarded: boolean;
  uri: string | null;
  application_id: string | null;
  action_taken_at: Date | null;
  created_at: Date;
}

export interface NewReport {
  /** The reporter (a remote actor for Flags). */
  accountId: string;
  targetAccountId: string;
  statusIds?: string[];
  comment?: string;
  category?: ReportCategory;
  ruleIds?: string[] | null;
  forwarded?: boolean;
  /** The Flag's id for remote reports: a replayed Flag files nothing twice. */
  uri?: string | null;
  applicationId?: string | null;
}

/** Files a report; null when a report with the same `uri` exists already. */
export async function createReport(db: Db, report: NewReport): Promise<ReportRow | null> {
  const [row] = await db<ReportRow[]>`
    INSERT INTO reports (account_id, target_account_id, status_ids, comment, category, rule_ids, forwarded, uri, application_id)
    VALUES (${report.accountId}, ${report.targetAccountId}, ${report.statusIds ?? []}::bigint[], ${report.comment ?? ""},
            ${report.category ?? "other"}, ${report.ruleIds ?? null}::bigint[], ${report.forwarded ?? false},
            ${report.uri ?? null}, ${report.applicationId ?? null})
    ON CONFLICT (uri) WHERE uri IS NOT NULL DO NOTHING
    RETURNING *`;
  return row ?? null;
}

/** The target's statuses among `ids`: what a report may cite. */
export async function selectTargetStatusIds(db: Db, targetAccountId: string, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db`
    SELECT id FROM statuses WHERE id = ANY(${ids}::bigint[]) AND account_id = ${targetAccountId} AND reblog_of_id IS NULL`;
  return rows.map((r) => r.id as string);
}
