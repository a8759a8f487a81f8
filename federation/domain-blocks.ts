/**
 * Instance-level domain blocks (table instance_domain_blocks, managed with
 * `bun run admin domains …`), as Mastodon's:
 *
 * - suspend: activities from the domain are dropped at the inbox (answered
 *   202, nothing stored), nothing is delivered to it, nothing is fetched
 *   from it (accounts, statuses), and signed GETs from it are refused in
 *   authorized-fetch mode;
 * - silence: its accounts are stored with silenced_at set, which keeps them
 *   off the public timelines.
 *
 * A block covers the domain's subdomains too. Lookups read the whole (small)
 * table and keep it in-process for CACHE_MS; the admin commands clear the
 * cache of the process they run in (the server's, through the control
 * socket), other processes see a change within CACHE_MS.
 */
import type { Db } from "../src/db/index.ts";

export type DomainBlockSeverity = "silence" | "suspend";

export interface DomainBlock {
  domain: string;
  severity: DomainBlockSeverity;
  reject_media: boolean;
  created_at: Date;
}

const CACHE_MS = 30_000;
let cache = new WeakMap<object, { at: number; blocks: Promise<DomainBlock[]> }>();

/** Forgets the cached blocks (after a change made in this process). */
export function clearDomainBlockCache(): void {
  cache = new WeakMap();
}

export async function listDomainBlocks(db: Db): Promise<DomainBlock[]> {
  const rows = await db`SELECT domain, severity, reject_media, created_at FROM instance_domain_blocks ORDER BY domain`;
  return rows.map((r) => ({
    domain: r.domain as string,
    severity: r.severity as DomainBlockSeverity,
    reject_media: r.reject_media as boolean,
    created_at: new Date(r.created_at as string | Date),
  }));
}

function cachedBlocks(db: Db): Promise<DomainBlock[]> {
  const entry = cache.get(db);
  if (entry && Date.now() - entry.at < CACHE_MS) return entry.blocks;
  const blocks = listDomainBlocks(db);
  cache.set(db, { at: Date.now(), blocks });
  blocks.catch(() => cache.delete(db));
  return blocks;
}

/** Lower case, without a trailing dot; null for an empty value. */
function normalized(domain: string | null | undefined): string | null {
  const d = (domain ?? "").trim().toLowerCase().replace(/\.$/, "");
  return d === "" ? null : d;
}

/**
 * The block covering `domain` (a host, with or without a port, or a URL),
 * or null: an exact match, a block of a parent domain, or a block of the
 * host without its port. With several, the most severe one.
 */
export async function domainBlockOf(db: Db, domain: string | null | undefined): Promise<DomainBlock | null> {
  let host = normalized(domain);
  if (!host) return null;
  if (host.includes("://")) {
    try {
      host = new URL(host).host;
    } catch {
      return null;
    }
  }
  const blocks = await cachedBlocks(db);
  if (blocks.length === 0) return null;
  const candidates = new Set([host, host.replace(/:\d+$/, "")]);
  let found: DomainBlock | null = null;
  for (const block of blocks) {
    const covers = [...candidates].some((c) => c === block.domain || c.endsWith(`.${block.domain}`));
    if (covers && (!found || (found.severity === "silence" && block.severity === "suspend"))) found = block;
  }
  return found;
}

/** True when `domain` (a host or a URL) is suspended. */
export async function isSuspendedDomain(db: Db, domain: string | null | undefined): Promise<boolean> {
  return (await domainBlockOf(db, domain))?.severity === "suspend";
}

/** The host of a URL, or null. */
export function hostOf(url: string | URL | null | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return null;
  }
}
