/**
 * Account use cases. CreateLocalAccount is shared by sign-up
 * (POST /api/v1/accounts) and `bun run admin accounts create`;
 * UpdateCredentials is the profile editor.
 */
import type { AppContext } from "../../src/context.ts";
import type { Db } from "../../src/db/index.ts";
import { ApiError, unprocessable } from "../../src/http/errors.ts";
import { bool, str, type Params } from "../../src/http/params.ts";
import { emitEvent } from "../../src/events/index.ts";
import { absoluteUrl, accountUrls } from "../../src/http/urls.ts";
import { extractMentions, formatPlainText, type MentionLink } from "../../src/text/index.ts";
import { INSTANCE_LIMITS } from "../instance/limits.ts";
import { discardProfileImages, setProfileImage, storeProfileImage } from "../media/service.ts";
import {
  findLocalAccountId,
  mergeUserSettings,
  selectAccountsByUsernames,
  selectFieldsForUpdate,
  updateAccountProfile,
  type ProfileChanges,
  type StoredField,
} from "./storage.ts";

export const USERNAME_PATTERN = /^[a-z0-9_]+([a-z0-9_.-]+[a-z0-9_]+)?$/i;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Names that would shadow routes or impersonate the server. */
const RESERVED_USERNAMES = new Set(["admin", "administrator", "root", "support", "help", "instance", "actor", "system", "mastodon", "postmaster", "webmaster", "www"]);

export interface NewLocalAccount {
  username: string;
  email: string;
  password: string;
  displayName?: string;
  role?: "user" | "moderator" | "admin" | "owner";
  /** Confirmed accounts can sign in at once (no e-mail round trip). */
  confirmed?: boolean;
  approved?: boolean;
  locale?: string;
  reason?: string;
  /** Admins may take reserved names. */
  allowReserved?: boolean;
}

export interface CreatedAccount {
  accountId: string;
  userId: string;
}

export function validateNewAccount(input: NewLocalAccount): Record<string, { error: string; description: string }[]> {
  const errors: Record<string, { error: string; description: string }[]> = {};
  const add = (field: string, error: string, description: string) => (errors[field] ??= []).push({ error, description });
  if (!input.username || input.username.length > 30 || !USERNAME_PATTERN.test(input.username)) {
    add("username", "ERR_INVALID", "must contain only letters, numbers, underscores, dots and dashes (at most 30)");
  } else if (!input.allowReserved && RESERVED_USERNAMES.has(input.username.toLowerCase())) {
    add("username", "ERR_RESERVED", "is reserved");
  }
  if (!input.email || !EMAIL_PATTERN.test(input.email) || input.email.length > 320) {
    add("email", "ERR_INVALID", "is not a valid e-mail address");
  }
  if (!input.password || input.password.length < 8) add("password", "ERR_TOO_SHORT", "is too short (minimum is 8 characters)");
  else if (input.password.length > 72) add("password", "ERR_TOO_LONG", "is too long (maximum is 72 characters)");
  return errors;
}

function describe(errors: Record<string, { description: string }[]>): string {
  return Object.entries(errors)
    .map(([field, list]) => `${field[0]!.toUpperCase()}${field.slice(1)} ${list.map((e) => e.description).join(", ")}`)
    .join(", ");
}

export async function hashPassword(password: string): Promise<string> {
  return Bun.password.hash(password, { algorithm: "argon2id" });
}

/** Creates the account, its stats row and its user in one transaction; 422 on invalid or taken names. */
export async function createLocalAccount(ctx: AppContext, input: NewLocalAccount): Promise<CreatedAccount> {
  const errors = validateNewAccount(input);
  if (Object.keys(errors).length > 0) throw unprocessable(describe(errors), errors);
  const passwordHash = await hashPassword(input.password);
  try {
    return await insertLocalAccount(ctx, input, passwordHash);
  } catch (error) {
    // Two sign-ups racing for one name: the unique index decides, the loser gets the same 422.
    if ((error as { code?: string }).code === "23505") await assertAvailable(ctx.sql, input.username, input.email);
    throw error;
  }
}

async function insertLocalAccount(ctx: AppContext, input: NewLocalAccount, passwordHash: string): Promise<CreatedAccount> {
  return ctx.sql.begin(async (tx) => {
    await assertAvailable(tx, input.username, input.email);
    const [account] = await tx`
      INSERT INTO accounts (username, display_name, discoverable)
      VALUES (${input.username}, ${input.displayName ?? ""}, true)
      RETURNING id`;
    await tx`INSERT INTO account_stats (account_id) VALUES (${account!.id})`;
    const [user] = await tx`
      INSERT INTO users (account_id, email, password_hash, role, confirmed_at, approved, locale, reason)
      VALUES (${account!.id}, ${input.email}, ${passwordHash}, ${input.role ?? "user"},
              ${input.confirmed === false ? null : new Date()}, ${input.approved ?? true},
              ${input.locale ?? "en"}, ${input.reason ?? null})
      RETURNING id`;
    return { accountId: account!.id as string, userId: user!.id as string };
  });
}

async function assertAvailable(db: Db, username: string, email: string): Promise<void> {
  const errors: Record<string, { error: string; description: string }[]> = {};
  const [taken] = await db`SELECT 1 FROM accounts WHERE lower(username) = lower(${username}) AND domain IS NULL`;
  if (taken) errors.username = [{ error: "ERR_TAKEN", description: "is already taken" }];
  const [emailTaken] = await db`SELECT 1 FROM users WHERE lower(email) = lower(${email})`;
  if (emailTaken) errors.email = [{ error: "ERR_TAKEN", description: "is already taken" }];
  if (Object.keys(errors).length > 0) throw unprocessable(describe(errors), errors);
}

// ---------------------------------------------------------------------------
// UpdateCredentials

const DEFAULT_PRIVACY_OPTIONS = ["public", "unlisted", "private"];
const LANGUAGE_PATTERN = /^[a-z]{2,3}$/;

type FieldErrors = Record<string, { error: string; description: string }[]>;

const LABELS: Record<string, string> = {
  display_name: "Display name",
  note: "Bio",
  fields: "Profile metadata",
  "source.privacy": "Default post privacy",
  "source.language": "Default posting language",
};

function describeProfileErrors(errors: FieldErrors): string {
  return Object.entries(errors)
    .map(([field, list]) => `${LABELS[field] ?? field} ${list.map((e) => e.description).join(", ")}`)
    .join(", ");
}

/** Code points, as Mastodon (Ruby String#length) counts them. */
const length = (text: string) => [...text].length;

/** Accepts `[{name, value}]` and Rails' indexed form `{"0": {name, value}}`; null when neither. */
function fieldEntries(value: unknown): unknown[] | null {
  if (Array.isArray(value)) return value;
  if (value && typeof value === "object") {
    return Object.entries(value as Record<string, unknown>)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([, entry]) => entry);
  }
  return null;
}

function isUpload(value: unknown): value is Blob {
  return value instanceof Blob && value.size > 0;
}

export interface CredentialsUpdate {
  profile: ProfileChanges;
  /** New field pairs as typed; absent when not sent (the fields then stay as they are). */
  fields?: { name: string; value: string }[];
  settings: Record<string, unknown>;
}

/** Reads and validates every parameter first, so an invalid request changes nothing. */
export function parseCredentialsUpdate(params: Params): CredentialsUpdate {
  const limits = INSTANCE_LIMITS.accounts;
  const errors: FieldErrors = {};
  const add = (field: string, error: string, description: string) => (errors[field] ??= []).push({ error, description });
  const profile: ProfileChanges = {};
  const settings: Record<string, unknown> = {};
  let fields: CredentialsUpdate["fields"];

  const displayName = str(params.display_name);
  if (displayName !== undefined) {
    profile.display_name = displayName.trim();
    if (length(profile.display_name) > limits.maxDisplayNameLength) {
      add("display_name", "ERR_TOO_LONG", `is too long (maximum is ${limits.maxDisplayNameLength} characters)`);
    }
  }

  const note = str(params.note);
  if (note !== undefined) {
    const source = note.replace(/\r\n?/g, "\n").trim();
    if (length(source) > limits.maxNoteLength) {
      add("note", "ERR_TOO_LONG", `is too long (maximum is ${limits.maxNoteLength} characters)`);
    }
    profile.note_source = source;
  }

  for (const flag of ["locked", "discoverable", "indexable", "hide_collections"] as const) {
    const value = bool(params[flag]);
    if (value !== undefined) profile[flag] = value;
  }
  const bot = bool(params.bot);
  if (bot !== undefined) {
    profile.bot = bot;
    // Bots are Service actors in ActivityPub; that is what remote servers read.
    profile.actor_type = bot ? "Service" : "Person";
  }

  if (params.fields_attributes !== undefined) {
    const entries = fieldEntries(params.fields_attributes);
    if (entries === null) {
      add("fields", "ERR_INVALID", "must be a list of name and value pairs");
    } else {
      fields = [];
      for (const entry of entries) {
        const pair = entry && typeof entry === "object" ? (entry as Record<string, unknown>) : {};
        const name = (str(pair.name) ?? "").trim();
        const value = (str(pair.value) ?? "").trim();
        // Clients send every slot; empty ones mean "no field here".
        if (name === "" && value === "") continue;
        if (length(name) > limits.profileFieldNameLimit || length(value) > limits.profileFieldValueLimit) {
          add("fields", "ERR_TOO_LONG", `names and values must be at most ${limits.profileFieldValueLimit} characters`);
        }
        fields.push({ name, value });
      }
      if (fields.length > limits.maxProfileFields) {
        add("fields", "ERR_TOO_MANY", `is too big (maximum is ${limits.maxProfileFields} fields)`);
      }
    }
  }

  const source = params.source && typeof params.source === "object" ? (params.source as Params) : {};
  const privacy = str(source.privacy);
  if (privacy !== undefined && privacy !== "") {
    if (DEFAULT_PRIVACY_OPTIONS.includes(privacy)) settings["posting:default:visibility"] = privacy;
    else add("source.privacy", "ERR_INCLUSION", `must be one of ${DEFAULT_PRIVACY_OPTIONS.join(", ")}`);
  }
  const sensitive = bool(source.sensitive);
  if (sensitive !== undefined) settings["posting:default:sensitive"] = sensitive;
  if (source.language !== undefined) {
    const language = (str(source.language) ?? "").trim().toLowerCase();
    if (language === "") settings["posting:default:language"] = null;
    else if (LANGUAGE_PATTERN.test(language)) settings["posting:default:language"] = language;
    else add("source.language", "ERR_INVALID", "is not a language code");
  }

  if (Object.keys(errors).length > 0) throw unprocessable(describeProfileErrors(errors), errors);
  return { profile, fields, settings };
}

/**
 * Applies a validated update in one transaction and records an
 * `account.updated` event, so federation can send the Update to followers.
 */
export async function updateCredentials(
  ctx: AppContext,
  user: { id: string; accountId: string },
  params: Params,
): Promise<void> {
  const update = parseCredentialsUpdate(params);
  // Pictures are processed and stored first (an unusable one is a 422 before anything changes);
  // the account points at them only if the transaction commits.
  const images: { kind: "avatar" | "header"; url: string }[] = [];
  let replaced: (string | null)[];
  try {
    for (const kind of ["avatar", "header"] as const) {
      const file = params[kind];
      if (isUpload(file)) images.push({ kind, url: await storeProfileImage(ctx, user.accountId, kind, file) });
    }
    replaced = await applyCredentialsUpdate(ctx, user, update, images);
  } catch (error) {
    await discardProfileImages(ctx, images.map((image) => image.url));
    throw error;
  }
  await discardProfileImages(ctx, replaced);
}

async function applyCredentialsUpdate(
  ctx: AppContext,
  user: { id: string; accountId: string },
  update: CredentialsUpdate,
  images: { kind: "avatar" | "header"; url: string }[],
): Promise<(string | null)[]> {
  return ctx.sql.begin(async (tx) => {
    // The pictures these replace, to delete once this commits.
    const replaced: (string | null)[] = [];
    for (const image of images) replaced.push(await setProfileImage(tx, user.accountId, image.kind, image.url));
    const profile = { ...update.profile };
    if (profile.note_source !== undefined) profile.note = await renderNote(ctx, tx, profile.note_source);
    if (update.fields) {
      const current = (await selectFieldsForUpdate(tx, user.accountId)) ?? [];
      profile.fields = update.fields.map(({ name, value }): StoredField => {
        // An unchanged value keeps its rel="me" verification, as in Mastodon.
        const previous = current.find((f) => f.value === value);
        return { name, value, verified_at: previous?.verified_at ?? null };
      });
    }
    await updateAccountProfile(tx, user.accountId, profile);
    await mergeUserSettings(tx, user.id, update.settings);
    await emitEvent(tx, "account.updated", user.accountId);
    return replaced;
  });
}

/**
 * A bio as Mastodon renders it: links, hashtags, and mentions of accounts
 * this server knows (unknown handles stay text, as Mastodon leaves them).
 */
async function renderNote(ctx: AppContext, db: Db, source: string): Promise<string> {
  const isLocal = (domain: string | null) => domain === null || isLocalDomain(ctx, domain);
  const mentioned = extractMentions(source);
  const known = await selectAccountsByUsernames(db, mentioned.map((m) => m.username));
  const mention = (username: string, domain: string | null): MentionLink | null => {
    const account = known.find(
      (a) =>
        a.username.toLowerCase() === username.toLowerCase() &&
        (isLocal(domain) ? a.domain === null : a.domain?.toLowerCase() === domain!.toLowerCase()),
    );
    if (!account) return null;
    const url = account.domain === null ? accountUrls(ctx.config, account.username).url : (account.url ?? account.uri);
    return url ? { url, username: account.username } : null;
  };
  return formatPlainText(source, {
    mention,
    hashtagUrl: (name) => absoluteUrl(ctx.config, `/tags/${encodeURIComponent(name)}`),
  });
}

/** Handles may name this server by LOCAL_DOMAIN or by PUBLIC_URL's host (they differ when a port is kept). */
function isLocalDomain(ctx: AppContext, domain: string): boolean {
  const lower = domain.toLowerCase();
  return lower === ctx.config.localDomain.toLowerCase() || lower === ctx.config.publicUrl.host.toLowerCase();
}

/**
 * Finds (fetching when unknown) the remote account of a `user@domain`
 * handle; installed by the federation layer, which this module does not
 * depend on. Null: not found.
 */
export type RemoteAccountResolver = (ctx: AppContext, handle: string) => Promise<string | null>;
let remoteAccountResolver: RemoteAccountResolver | null = null;

export function setRemoteAccountResolver(resolver: RemoteAccountResolver | null): void {
  remoteAccountResolver = resolver;
}

/**
 * GET /api/v1/accounts/lookup: a local account by `user` or
 * `user@LOCAL_DOMAIN`, or a remote one by `user@domain` — the stored copy,
 * else resolved through the federation hook (WebFinger), as Mastodon's
 * lookup does.
 */
export async function lookupAccount(ctx: AppContext, acct: string): Promise<string | null> {
  const local = await lookupLocalAccount(ctx, acct);
  if (local) return local;
  const [username, domain, ...rest] = acct.trim().replace(/^@/, "").split("@");
  if (!username || !domain || rest.length > 0 || isLocalDomain(ctx, domain)) return null;
  const [known] = await ctx.sql`
    SELECT id FROM accounts WHERE domain IS NOT NULL AND lower(username) = lower(${username}) AND lower(domain) = lower(${domain})`;
  if (known) return known.id as string;
  return remoteAccountResolver ? remoteAccountResolver(ctx, `${username}@${domain}`).catch(() => null) : null;
}

/** `user` or `user@LOCAL_DOMAIN` (a leading @ allowed); null for anything else, remote lookups included. */
export async function lookupLocalAccount(ctx: AppContext, acct: string): Promise<string | null> {
  const [username, domain, ...rest] = acct.trim().replace(/^@/, "").split("@");
  if (!username || rest.length > 0) return null;
  if (domain !== undefined && !isLocalDomain(ctx, domain)) return null;
  return findLocalAccountId(ctx.sql, username);
}
