/**
 * SQL for the tables this module owns: oauth_applications,
 * oauth_access_grants and oauth_access_tokens (and the sign-in columns of
 * users). Secrets arrive here already hashed.
 */
import type { Db } from "../../src/db/index.ts";

export interface AppRow {
  id: string;
  name: string;
  website: string | null;
  redirectUris: string[];
  scopes: string[];
  clientId: string;
  clientSecret: string;
  createdAt: Date;
}

export interface GrantRow {
  applicationId: string;
  userId: string;
  redirectUri: string;
  scopes: string[];
  codeChallenge: string | null;
  codeChallengeMethod: string | null;
  expiresAt: Date;
}

export interface TokenRow {
  id: string;
  applicationId: string | null;
  userId: string | null;
  scopes: string[];
  createdAt: Date;
}

export interface LoginUser {
  id: string;
  accountId: string;
  username: string;
  passwordHash: string;
  disabled: boolean;
  suspended: boolean;
}

function toApp(row: Record<string, any>): AppRow {
  return {
    id: row.id,
    name: row.name,
    website: row.website,
    redirectUris: row.redirect_uris,
    scopes: row.scopes,
    clientId: row.client_id,
    clientSecret: row.client_secret,
    createdAt: row.created_at,
  };
}

function toToken(row: Record<string, any>): TokenRow {
  return {
    id: row.id,
    applicationId: row.application_id,
    userId: row.user_id,
    scopes: row.scopes,
    createdAt: row.created_at,
  };
}

export async function insertApp(
  db: Db,
  app: Omit<AppRow, "id" | "createdAt">,
): Promise<AppRow> {
  const [row] = await db`
    INSERT INTO oauth_applications (name, website, redirect_uris, scopes, client_id, client_secret)
    VALUES (${app.name}, ${app.website}, ${app.redirectUris}, ${app.scopes}, ${app.clientId}, ${app.clientSecret})
    RETURNING *`;
  return toApp(row!);
}

export async function findAppByClientId(db: Db, clientId: string): Promise<AppRow | null> {
  const [row] = await db`SELECT * FROM oauth_applications WHERE client_id = ${clientId}`;
  return row ? toApp(row) : null;
}

export async function findAppById(db: Db, id: string): Promise<AppRow | null> {
  const [row] = await db`SELECT * FROM oauth_applications WHERE id = ${id}`;
  return row ? toApp(row) : null;
}

export async function insertGrant(db: Db, codeHash: string, grant: GrantRow): Promise<void> {
  await db`
    INSERT INTO oauth_access_grants
      (code_hash, application_id, user_id, redirect_uri, scopes, code_challenge, code_challenge_method, expires_at)
    VALUES (${codeHash}, ${grant.applicationId}, ${grant.userId}, ${grant.redirectUri}, ${grant.scopes},
            ${grant.codeChallenge}, ${grant.codeChallengeMethod}, ${grant.expiresAt})`;
}

/**
 * Marks the code used and returns its grant, or null when it is unknown or
 * was already used: one atomic statement, so two concurrent exchanges of the
 * same code cannot both succeed.
 */
export async function consumeGrant(db: Db, codeHash: string): Promise<GrantRow | null> {
  const [row] = await db`
    UPDATE oauth_access_grants SET used_at = now()
    WHERE code_hash = ${codeHash} AND used_at IS NULL
    RETURNING *`;
  if (!row) return null;
  return {
    applicationId: row.application_id,
    userId: row.user_id,
    redirectUri: row.redirect_uri,
    scopes: row.scopes,
    codeChallenge: row.code_challenge,
    codeChallengeMethod: row.code_challenge_method,
    expiresAt: row.expires_at,
  };
}

/** Drops codes that can no longer be exchanged, so the table stays small. */
export async function deleteStaleGrants(db: Db): Promise<void> {
  await db`DELETE FROM oauth_access_grants WHERE expires_at < now() - interval '1 day'`;
}

export async function insertToken(
  db: Db,
  token: { tokenHash: string; applicationId: string; userId: string | null; scopes: string[] },
): Promise<TokenRow> {
  const [row] = await db`
    INSERT INTO oauth_access_tokens (token_hash, application_id, user_id, scopes)
    VALUES (${token.tokenHash}, ${token.applicationId}, ${token.userId}, ${token.scopes})
    RETURNING *`;
  return toToken(row!);
}

/** Revokes the token when it belongs to the application; true when one was revoked. */
export async function revokeToken(db: Db, tokenHash: string, applicationId: string): Promise<boolean> {
  const rows = await db`
    UPDATE oauth_access_tokens SET revoked_at = now()
    WHERE token_hash = ${tokenHash} AND application_id = ${applicationId} AND revoked_at IS NULL
    RETURNING id`;
  return rows.length > 0;
}

/** Scopes of the user's live tokens for the app (to skip re-approval, as Mastodon does). */
export async function userTokenScopes(db: Db, userId: string, applicationId: string): Promise<string[][]> {
  const rows = await db`
    SELECT scopes FROM oauth_access_tokens
    WHERE user_id = ${userId} AND application_id = ${applicationId} AND revoked_at IS NULL`;
  return rows.map((row) => row.scopes as string[]);
}

/** A local user by e-mail address or username, both case-insensitive. */
export async function findLoginUser(db: Db, login: string): Promise<LoginUser | null> {
  const [row] = await db`
    SELECT u.id, u.account_id, a.username, u.password_hash, u.disabled, a.suspended_at
    FROM users u JOIN accounts a ON a.id = u.account_id
    WHERE ${login.includes("@")
      ? db`lower(u.email) = lower(${login})`
      : db`lower(a.username) = lower(${login}) AND a.domain IS NULL`}`;
  return row ? toLoginUser(row) : null;
}

export async function findLoginUserById(db: Db, userId: string): Promise<LoginUser | null> {
  const [row] = await db`
    SELECT u.id, u.account_id, a.username, u.password_hash, u.disabled, a.suspended_at
    FROM users u JOIN accounts a ON a.id = u.account_id
    WHERE u.id = ${userId}`;
  return row ? toLoginUser(row) : null;
}

function toLoginUser(row: Record<string, any>): LoginUser {
  return {
    id: row.id,
    accountId: row.account_id,
    username: row.username,
    passwordHash: row.password_hash,
    disabled: row.disabled,
    suspended: row.suspended_at !== null,
  };
}

/** Recorded at every sign-in; fanout treats recently signed-in users as active. */
export async function touchSignIn(db: Db, userId: string): Promise<void> {
  await db`UPDATE users SET last_sign_in_at = now() WHERE id = ${userId}`;
}
