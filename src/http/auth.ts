/**
 * Bearer-token authentication and scope checks for API routes.
 *
 * Tokens are stored as SHA-256 hashes; a lookup hashes the presented token.
 * Scope rules follow Mastodon: a top-level scope (`read`) grants all its
 * granular forms (`read:accounts`), and the legacy `follow` scope grants the
 * block/follow/mute granular scopes.
 */
import type { AppContext } from "../context.ts";
import { ApiError, forbidden, unauthorized } from "./errors.ts";

export interface Auth {
  tokenId: string;
  scopes: string[];
  applicationId: string | null;
  /** Null for app-only (client_credentials) tokens. */
  user: { id: string; accountId: string; role: string; email: string } | null;
}

export interface UserAuth extends Auth {
  user: NonNullable<Auth["user"]>;
}

const FOLLOW_SCOPE_GRANTS = new Set([
  "read:blocks", "write:blocks", "read:follows", "write:follows", "read:mutes", "write:mutes",
]);

export function hasScope(granted: readonly string[], required: string): boolean {
  if (granted.includes(required)) return true;
  // The family is everything before the last colon: `read:accounts` → `read`, `admin:read:accounts` → `admin:read`.
  const colon = required.lastIndexOf(":");
  if (colon > 0 && granted.includes(required.slice(0, colon))) return true;
  return granted.includes("follow") && FOLLOW_SCOPE_GRANTS.has(required);
}

export async function sha256Hex(value: string): Promise<string> {
  return new Bun.CryptoHasher("sha256").update(value).digest("hex");
}

export function bearerToken(request: Request): string | null {
  const header = request.headers.get("authorization");
  const match = header && /^Bearer\s+(\S+)$/i.exec(header);
  if (match) return match[1]!;
  // Streaming clients may pass the token as a query parameter, as Mastodon allows.
  return new URL(request.url).searchParams.get("access_token");
}

/** The request's token, or null when none was presented; 401 for an invalid one. */
export async function authenticate(ctx: AppContext, request: Request): Promise<Auth | null> {
  const token = bearerToken(request);
  if (!token) return null;
  const hash = await sha256Hex(token);
  const [row] = await ctx.sql`
    SELECT t.id, t.scopes, t.application_id, u.id AS user_id, u.account_id, u.role, u.email,
           u.disabled, u.approved, u.confirmed_at, a.suspended_at,
           (u.last_sign_in_at IS NULL OR u.last_sign_in_at < now() - interval '1 hour') AS stale_activity
    FROM oauth_access_tokens t
    LEFT JOIN users u ON u.id = t.user_id
    LEFT JOIN accounts a ON a.id = u.account_id
    WHERE t.token_hash = ${hash} AND t.revoked_at IS NULL`;
  if (!row) throw unauthorized();
  if (row.user_id && (row.disabled || row.suspended_at)) throw forbidden("Your login is currently disabled");
  if (row.user_id && (!row.approved || !row.confirmed_at)) {
    throw forbidden("Your login is missing a confirmed e-mail address or is pending approval");
  }
  // API use counts as activity (fanout reaches only users active within
  // ACTIVE_DAYS), written at most hourly; modules/timelines/feed-manager.ts
  // sizes the home feed TTL on this interval.
  if (row.user_id && row.stale_activity) await ctx.sql`UPDATE users SET last_sign_in_at = now() WHERE id = ${row.user_id}`;
  return {
    tokenId: row.id,
    scopes: row.scopes,
    applicationId: row.application_id,
    user: row.user_id ? { id: row.user_id, accountId: row.account_id, role: row.role, email: row.email } : null,
  };
}

/** Any valid token with one of the scopes (user or app token). */
export async function requireToken(ctx: AppContext, request: Request, ...anyOf: string[]): Promise<Auth> {
  const auth = await authenticate(ctx, request);
  if (!auth) throw unauthorized();
  if (anyOf.length > 0 && !anyOf.some((scope) => hasScope(auth.scopes, scope))) throw forbidden();
  return auth;
}

/** A user token with one of the scopes; 422 for app-only tokens, as Mastodon answers. */
export async function requireUser(ctx: AppContext, request: Request, ...anyOf: string[]): Promise<UserAuth> {
  const auth = await requireToken(ctx, request, ...anyOf);
  if (!auth.user) throw new ApiError(422, "This method requires an authenticated user");
  return auth as UserAuth;
}
