/** Read-only lookups the public pages need (the web module owns no table). */
import type { Db } from "../../src/db/index.ts";

/** A remote account's own profile URL, by handle; null when unknown or suspended. */
export async function remoteProfileUrl(db: Db, username: string, domain: string): Promise<string | null> {
  const [row] = await db`
    SELECT url, uri FROM accounts
    WHERE lower(username) = lower(${username}) AND lower(domain) = lower(${domain}) AND suspended_at IS NULL`;
  return row ? ((row.url as string | null) ?? (row.uri as string | null)) : null;
}

/** The tag's name as first used, by normalised (lower-case) name; null when nobody used it. */
export async function tagDisplayName(db: Db, normalized: string): Promise<string | null> {
  const [row] = await db`SELECT name FROM tags WHERE lower(name) = ${normalized}`;
  return row ? (row.name as string) : null;
}
