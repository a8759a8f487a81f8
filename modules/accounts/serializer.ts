/**
 * The one place the Account, CredentialAccount and Preferences entities take
 * their JSON shape (Mastodon 4.x). Other modules that embed accounts
 * (statuses, notifications, relationships' lists, timelines) call
 * `loadAccounts` with every id they need and pick from the map, so a page of
 * forty statuses costs one account query, not forty.
 */
import type { Config } from "../../src/config.ts";
import type { Db } from "../../src/db/index.ts";
import { absoluteUrl, accountUrls } from "../../src/http/urls.ts";
import { formatPlainText } from "../../src/text/index.ts";
import { countFollowRequests, selectAccountRows, type AccountRow } from "./storage.ts";

export interface Field {
  name: string;
  value: string;
  verified_at: string | null;
}

export interface AccountRole {
  id: string;
  name: string;
  color: string;
}

export interface Role extends AccountRole {
  permissions: string;
  highlighted: boolean;
}

export interface Account {
  id: string;
  username: string;
  acct: string;
  display_name: string;
  locked: boolean;
  bot: boolean;
  discoverable: boolean | null;
  indexable: boolean;
  group: boolean;
  created_at: string;
  note: string;
  url: string;
  uri: string;
  avatar: string;
  avatar_static: string;
  header: string;
  header_static: string;
  followers_count: number;
  following_count: number;
  statuses_count: number;
  last_status_at: string | null;
  hide_collections: boolean;
  noindex?: boolean;
  emojis: unknown[];
  fields: Field[];
  moved: Account | null;
  roles?: AccountRole[];
  suspended?: true;
  limited?: true;
  memorial?: true;
}

export type Visibility = "public" | "unlisted" | "private" | "direct";

export interface CredentialAccount extends Account {
  source: {
    privacy: Visibility;
    sensitive: boolean;
    language: string | null;
    note: string;
    fields: Field[];
    follow_requests_count: number;
    hide_collections: boolean;
    discoverable: boolean | null;
    indexable: boolean;
  };
  role: Role;
}

/** Keys of users.settings, named as /api/v1/preferences reports them. */
export interface Preferences {
  "posting:default:visibility": Visibility;
  "posting:default:sensitive": boolean;
  "posting:default:language": string | null;
  "reading:expand:media": "default" | "show_all" | "hide_all";
  "reading:expand:spoilers": boolean;
  "reading:autoplay:gifs": boolean;
}

export const DEFAULT_PREFERENCES: Preferences = {
  "posting:default:visibility": "public",
  "posting:default:sensitive": false,
  "posting:default:language": null,
  "reading:expand:media": "default",
  "reading:expand:spoilers": false,
  "reading:autoplay:gifs": false,
};

/** Stored settings over the defaults; the statuses module reads posting defaults through this too. */
export function serializePreferences(settings: Record<string, unknown> | null | undefined): Preferences {
  const merged = { ...DEFAULT_PREFERENCES } as Record<string, unknown>;
  for (const key of Object.keys(DEFAULT_PREFERENCES)) {
    if (settings && settings[key] !== undefined) merged[key] = settings[key];
  }
  return merged as unknown as Preferences;
}

/**
 * Our four user roles as Mastodon's seeded UserRoles. Permission bitmasks
 * use Mastodon's flags (clients such as Elk and Phanpy test bits of them to
 * show moderation tools); "-99" is Mastodon's id for the everyone role.
 */
const ROLES: Record<string, Role> = {
  user: { id: "-99", name: "", color: "", permissions: String(1 << 16), highlighted: false },
  // view_dashboard, view_audit_log, manage_users, manage_reports, manage_taxonomies, invite_users
  moderator: { id: "1", name: "Moderator", color: "", permissions: String((1 << 3) | (1 << 2) | (1 << 10) | (1 << 4) | (1 << 8) | (1 << 16)), highlighted: true },
  // administrator bit plus every other flag
  admin: { id: "2", name: "Admin", color: "", permissions: String((1 << 20) - 1), highlighted: true },
  owner: { id: "3", name: "Owner", color: "", permissions: String((1 << 20) - 1), highlighted: true },
};

export function serializeRole(role: string | null | undefined): Role {
  return ROLES[role ?? "user"] ?? ROLES.user!;
}

export function defaultAvatarUrl(config: Config): string {
  return absoluteUrl(config, "/avatars/original/missing.png");
}

export function defaultHeaderUrl(config: Config): string {
  return absoluteUrl(config, "/headers/original/missing.png");
}

/** Mastodon rounds created_at down to midnight UTC so sign-up times don't leak. */
function midnight(date: Date): string {
  const day = new Date(date);
  day.setUTCHours(0, 0, 0, 0);
  return day.toISOString();
}

function isoDate(date: Date | null): string | null {
  return date ? new Date(date).toISOString().slice(0, 10) : null;
}

function publicFields(row: AccountRow): Field[] {
  const local = row.domain === null;
  return (row.fields ?? []).map((f) => ({
    name: f.name,
    // Rendered on the way out, as Mastodon does, so formatting fixes reach existing profiles.
    value: local ? formatPlainText(f.value, { multiline: false, relMe: true }) : f.value,
    verified_at: f.verified_at ?? null,
  }));
}

/**
 * One Account entity. `moved` is the already-serialized target when the
 * account moved (loadAccounts supplies it); nesting stops there, as in Mastodon.
 */
export function serializeAccount(config: Config, row: AccountRow, moved: Account | null = null): Account {
  const local = row.domain === null;
  const urls = local ? accountUrls(config, row.username) : null;
  const suspended = row.suspended_at !== null;
  const avatar = (!suspended && row.avatar_url) || defaultAvatarUrl(config);
  const header = (!suspended && row.header_url) || defaultHeaderUrl(config);
  const role = serializeRole(row.user_role);
  const account: Account = {
    id: row.id,
    username: row.username,
    acct: local ? row.username : `${row.username}@${row.domain}`,
    // A suspended profile shows nothing its owner wrote.
    display_name: suspended ? "" : row.display_name,
    locked: suspended ? false : row.locked,
    bot: suspended ? false : row.bot || row.actor_type === "Service" || row.actor_type === "Application",
    discoverable: suspended ? false : row.discoverable,
    indexable: suspended ? false : row.indexable,
    group: row.group || row.actor_type === "Group",
    created_at: midnight(row.created_at),
    note: suspended ? "" : row.note,
    url: urls?.url ?? row.url ?? row.uri ?? "",
    uri: urls?.uri ?? row.uri ?? "",
    avatar,
    avatar_static: avatar,
    header,
    header_static: header,
    followers_count: Number(row.followers_count ?? 0),
    following_count: Number(row.following_count ?? 0),
    statuses_count: Number(row.statuses_count ?? 0),
    last_status_at: isoDate(row.last_status_at),
    hide_collections: row.hide_collections,
    emojis: [],
    fields: suspended ? [] : publicFields(row),
    moved: suspended ? null : moved,
  };
  // Mastodon sends these only for local accounts.
  if (local) {
    account.noindex = row.user_settings?.noindex === true;
    account.roles = suspended || !role.highlighted ? [] : [{ id: role.id, name: role.name, color: role.color }];
  }
  if (suspended) account.suspended = true;
  if (row.silenced_at !== null) account.limited = true;
  if (row.memorial) account.memorial = true;
  return account;
}

export function serializeCredentialAccount(
  config: Config,
  row: AccountRow,
  extra: { followRequestsCount: number; moved?: Account | null },
): CredentialAccount {
  const preferences = serializePreferences(row.user_settings);
  return {
    ...serializeAccount(config, row, extra.moved ?? null),
    source: {
      privacy: preferences["posting:default:visibility"],
      sensitive: preferences["posting:default:sensitive"],
      language: preferences["posting:default:language"],
      note: row.note_source,
      fields: (row.fields ?? []).map((f) => ({ name: f.name, value: f.value, verified_at: f.verified_at ?? null })),
      follow_requests_count: extra.followRequestsCount,
      hide_collections: row.hide_collections,
      discoverable: row.discoverable,
      indexable: row.indexable,
    },
    role: serializeRole(row.user_role),
  };
}

/**
 * Accounts by id, serialized, in one query (plus one for moved-to targets,
 * only when some account moved). Unknown ids are absent from the map.
 */
export async function loadAccounts(db: Db, config: Config, ids: readonly string[]): Promise<Map<string, Account>> {
  const unique = [...new Set(ids)];
  const rows = await selectAccountRows(db, unique);
  const movedIds = rows.map((r) => r.moved_to_account_id).filter((id): id is string => id !== null);
  const movedRows = movedIds.length > 0 ? await selectAccountRows(db, movedIds) : [];
  // Targets are serialized without their own `moved`: Mastodon nests one level only.
  const moved = new Map(movedRows.map((r) => [r.id, serializeAccount(config, r)]));
  return new Map(
    rows.map((r) => [r.id, serializeAccount(config, r, (r.moved_to_account_id && moved.get(r.moved_to_account_id)) || null)]),
  );
}

export async function loadAccount(db: Db, config: Config, id: string): Promise<Account | null> {
  return (await loadAccounts(db, config, [id])).get(id) ?? null;
}

export async function loadCredentialAccount(db: Db, config: Config, id: string): Promise<CredentialAccount | null> {
  const [row] = await selectAccountRows(db, [id]);
  if (!row) return null;
  const [followRequestsCount, moved] = await Promise.all([
    countFollowRequests(db, id),
    row.moved_to_account_id ? loadAccount(db, config, row.moved_to_account_id) : null,
  ]);
  return serializeCredentialAccount(config, row, { followRequestsCount, moved: moved && { ...moved, moved: null } });
}
