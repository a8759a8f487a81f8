/**
 * Read-only SQL behind the instance endpoints. The instance module owns no
 * table but custom_emojis; the rest are aggregate reads of others' tables.
 */
import type { Db } from "../../src/db/index.ts";

export interface InstanceStats {
  userCount: number;
  statusCount: number;
  domainCount: number;
  activeMonth: number;
}

export async function selectStats(db: Db): Promise<InstanceStats> {
  const [row] = await db`
    SELECT
      (SELECT count(*) FROM users u JOIN accounts a ON a.id = u.account_id
        WHERE u.confirmed_at IS NOT NULL AND u.approved AND NOT u.disabled AND a.suspended_at IS NULL)::int AS user_count,
      -- Counters, not count(*) over statuses: they are maintained exactly and cost one row per account.
      (SELECT coalesce(sum(s.statuses_count), 0) FROM account_stats s JOIN accounts a ON a.id = s.account_id
        WHERE a.domain IS NULL)::bigint AS status_count,
      (SELECT count(DISTINCT lower(domain)) FROM accounts WHERE domain IS NOT NULL)::int AS domain_count,
      (SELECT count(*) FROM users
        WHERE confirmed_at IS NOT NULL AND approved AND NOT disabled
          AND coalesce(last_sign_in_at, created_at) > now() - interval '30 days')::int AS active_month`;
  return {
    userCount: row!.user_count,
    statusCount: Number(row!.status_count),
    domainCount: row!.domain_count,
    activeMonth: row!.active_month,
  };
}

export async function selectPeers(db: Db): Promise<string[]> {
  const rows = await db`SELECT DISTINCT lower(domain) AS domain FROM accounts WHERE domain IS NOT NULL ORDER BY 1`;
  return rows.map((r) => r.domain as string);
}

export interface EmojiRow {
  shortcode: string;
  image_url: string;
  static_url: string;
  visible_in_picker: boolean;
  category: string | null;
}

/** Local, enabled emojis shown in the picker: what Mastodon lists publicly. */
export async function selectListedEmojis(db: Db): Promise<EmojiRow[]> {
  const rows = await db`
    SELECT shortcode, image_url, static_url, visible_in_picker, category FROM custom_emojis
    WHERE domain IS NULL AND NOT disabled AND visible_in_picker
    ORDER BY lower(shortcode)`;
  return rows as unknown as EmojiRow[];
}

export interface WeeklyCounts {
  /** Week start (Monday 00:00 UTC) in epoch seconds → count. */
  statuses: Map<number, number>;
  logins: Map<number, number>;
  registrations: Map<number, number>;
}

export async function selectWeeklyActivity(db: Db, since: Date): Promise<WeeklyCounts> {
  const byWeek = (rows: readonly Record<string, unknown>[]) =>
    new Map(rows.map((r) => [Number(r.week), Number(r.n)]));
  const [statuses, logins, registrations] = await Promise.all([
    db`SELECT extract(epoch FROM date_trunc('week', created_at AT TIME ZONE 'UTC'))::bigint AS week, count(*) AS n
       FROM statuses WHERE local AND created_at >= ${since} GROUP BY 1`,
    // Only the latest sign-in is stored, so older weeks undercount returning users.
    db`SELECT extract(epoch FROM date_trunc('week', last_sign_in_at AT TIME ZONE 'UTC'))::bigint AS week, count(*) AS n
       FROM users WHERE last_sign_in_at >= ${since} GROUP BY 1`,
    db`SELECT extract(epoch FROM date_trunc('week', created_at AT TIME ZONE 'UTC'))::bigint AS week, count(*) AS n
       FROM users WHERE created_at >= ${since} GROUP BY 1`,
  ]);
  return { statuses: byWeek(statuses), logins: byWeek(logins), registrations: byWeek(registrations) };
}
