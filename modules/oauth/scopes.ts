/**
 * OAuth scopes as Mastodon defines them (Doorkeeper's optional scopes in
 * config/initializers/doorkeeper.rb), with the rules for reading them from
 * requests. What a scope *grants* is decided by hasScope in src/http/auth.ts.
 */
import { hasScope } from "../../src/http/auth.ts";

export const SCOPES = [
  "read", "write", "follow", "push", "profile",
  "read:accounts", "read:blocks", "read:bookmarks", "read:collections", "read:favourites", "read:filters",
  "read:follows", "read:lists", "read:mutes", "read:notifications", "read:search", "read:statuses",
  "write:accounts", "write:blocks", "write:bookmarks", "write:collections", "write:conversations",
  "write:favourites", "write:filters", "write:follows", "write:lists", "write:media", "write:mutes",
  "write:notifications", "write:reports", "write:statuses",
  "admin:read", "admin:read:accounts", "admin:read:reports", "admin:read:domain_allows",
  "admin:read:domain_blocks", "admin:read:ip_blocks", "admin:read:email_domain_blocks",
  "admin:read:canonical_email_blocks",
  "admin:write", "admin:write:accounts", "admin:write:reports", "admin:write:domain_allows",
  "admin:write:domain_blocks", "admin:write:ip_blocks", "admin:write:email_domain_blocks",
  "admin:write:canonical_email_blocks",
] as const;

const KNOWN = new Set<string>(SCOPES);

/** Doorkeeper's default: a request without `scope` asks for `read` only (a well-known Mastodon gotcha). */
export const DEFAULT_SCOPES = ["read"];

/**
 * Splits a scope parameter (space-separated string, or an array of them) into
 * distinct scopes, in order. Undefined when the parameter is absent or blank.
 */
export function parseScopes(value: unknown): string[] | undefined {
  const parts = (Array.isArray(value) ? value : [value])
    .filter((v): v is string => typeof v === "string")
    .flatMap((v) => v.split(/\s+/))
    .filter((s) => s !== "");
  return parts.length > 0 ? [...new Set(parts)] : undefined;
}

/** Scopes this server does not know. */
export function unknownScopes(scopes: readonly string[]): string[] {
  return scopes.filter((scope) => !KNOWN.has(scope));
}

/**
 * Whether every requested scope was registered for the app. Doorkeeper wants
 * exact members; we also accept granular scopes the app's broader ones cover
 * (an app registered for `read` may ask for `read:statuses`), which only
 * narrows what the client gets.
 */
export function withinAppScopes(requested: readonly string[], appScopes: readonly string[]): boolean {
  return requested.every((scope) => hasScope(appScopes, scope));
}

/** Short explanations on the approval page. */
const DESCRIPTIONS: Record<string, string> = {
  read: "Read all your account's data",
  write: "Modify all your account's data",
  follow: "Modify account relationships (follows, blocks, mutes)",
  push: "Receive your push notifications",
  profile: "Read only your account's basic information",
  "admin:read": "Read all data on the server",
  "admin:write": "Modify all data on the server",
};

export function describeScope(scope: string): string {
  if (DESCRIPTIONS[scope]) return DESCRIPTIONS[scope];
  const [family, ...rest] = scope.split(":");
  const subject = rest.join(" ").replaceAll("_", " ");
  if (family === "read") return `See your ${subject}`;
  if (family === "write") return `Change your ${subject}`;
  return `Administration: ${subject}`;
}
