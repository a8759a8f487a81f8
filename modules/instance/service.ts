/**
 * Instance metadata use cases. Clients fetch the instance entities on every
 * start (some on every page), so the aggregate counts behind it are cached
 * in-process for a minute, as Mastodon caches them.
 */
import type { AppContext } from "../../src/context.ts";
import { escapeHtml, formatPlainText } from "../../src/text/index.ts";
import { selectStats, selectWeeklyActivity, type InstanceStats } from "./storage.ts";

/** One shared in-flight load per key; a failed load is not cached. */
export function cached<T>(ttlMs: number, load: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | null = null;
  let expires = 0;
  return () => {
    const now = Date.now();
    if (!value || now >= expires) {
      const loading = load();
      value = loading;
      expires = now + ttlMs;
      loading.catch(() => {
        if (value === loading) value = null;
      });
    }
    return value;
  };
}

const WEEKS = 12;
const WEEK_MS = 7 * 24 * 3600 * 1000;

function startOfWeek(date: Date): Date {
  const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  // getUTCDay: Sunday 0; Mastodon (and Postgres' date_trunc) start weeks on Monday.
  day.setUTCDate(day.getUTCDate() - ((day.getUTCDay() + 6) % 7));
  return day;
}

/** The last twelve weeks, newest first, counts as strings (Mastodon's shape). */
async function weeklyActivity(ctx: AppContext) {
  const thisWeek = startOfWeek(new Date()).getTime();
  const since = new Date(thisWeek - (WEEKS - 1) * WEEK_MS);
  const counts = await selectWeeklyActivity(ctx.sql, since);
  return Array.from({ length: WEEKS }, (_, i) => {
    const week = (thisWeek - i * WEEK_MS) / 1000;
    return {
      week: String(week),
      statuses: String(counts.statuses.get(week) ?? 0),
      logins: String(counts.logins.get(week) ?? 0),
      registrations: String(counts.registrations.get(week) ?? 0),
    };
  });
}

// Fixed, so clients that cache by updated_at don't refetch an unchanged text on every restart.
const POLICY_UPDATED_AT = "2025-01-01T00:00:00.000Z";

export function instanceService(ctx: AppContext) {
  const startedAt = new Date().toISOString();
  return {
    stats: cached<InstanceStats>(60_000, () => selectStats(ctx.sql)),
    activity: cached(10 * 60_000, () => weeklyActivity(ctx)),
    extendedDescription() {
      return { updated_at: startedAt, content: formatPlainText(ctx.config.instance.description) };
    },
    privacyPolicy() {
      const site = escapeHtml(ctx.config.localDomain);
      return {
        updated_at: POLICY_UPDATED_AT,
        content:
          `<p>${site} stores what you give it to run your account: your e-mail address, a hash of your password, ` +
          `your profile and your posts. Public posts and your profile are sent to other servers your followers use. ` +
          `Followers-only and direct posts are delivered only to their recipients' servers, whose operators can read them. ` +
          `Contact the administrator of ${site} to have your data exported or deleted.</p>`,
      };
    },
  };
}
