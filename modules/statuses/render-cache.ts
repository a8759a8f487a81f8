/**
 * The render cache: the parts of a Status entity that are the same for
 * every viewer and change only when the status is edited — its media
 * attachments, mentions, tags, custom emojis and application — so a page
 * of statuses already rendered once costs no query for them (Mastodon
 * caches rendered statuses for the same reason).
 *
 * What is NOT cached, and why:
 * - who may see a status: the serializer checks visibility on every render,
 *   in the same query that reads the rows (a cached entry is only ever used
 *   for a status that query found visible);
 * - the status row itself (content, visibility, reply ids…), its counts,
 *   its poll and every viewer-specific field (favourited, reblogged,
 *   bookmarked, muted, pinned, own poll votes, filters): read fresh, in that
 *   same query;
 * - the author's Account entity (counts, profile, suspension): loaded fresh.
 *
 * Entries are versioned instead of invalidated: the key is the status id
 * plus its `edited_at`, which every edit (local or federated) moves forward
 * in the transaction that changes these parts, so a reader that sees the
 * new row can never pick up parts of the old version, in any process.
 * Deleted statuses need nothing: they fail the visibility check. What can
 * still go stale without an edit is cosmetic and bounded by the TTLs below:
 * an application renamed, a custom emoji disabled, a mentioned remote
 * account's profile URL.
 *
 * Two levels: a per-process LRU (no round trip), then Redis (MGET, shared by
 * every API process); misses are built from Postgres by the serializer and
 * written to both. Only renders on the pool (not inside a transaction,
 * whose uncommitted reads must not leak) use the cache.
 */
import type { AppContext } from "../../src/context.ts";
import type { RedisCommand } from "../../src/services/redis/port.ts";
import { logger } from "../../src/log.ts";
import type { MediaAttachment } from "../media/serializer.ts";

const log = logger("render-cache");

export interface StatusMentionPart {
  id: string;
  username: string;
  url: string;
  acct: string;
}

/** The cached, viewer-independent parts of one status. */
export interface StatusParts {
  media_attachments: MediaAttachment[];
  mentions: StatusMentionPart[];
  tags: { name: string; url: string }[];
  emojis: unknown[];
  application: { name: string; website: string | null } | null;
}

/** What identifies a status version, plus the immutable facts that let a render start loading accounts early. */
export interface StatusKey {
  id: string;
  editedAt: Date | null;
  accountId: string;
  reblogOfId: string | null;
}

interface Entry {
  version: string;
  accountId: string;
  reblogOfId: string | null;
  json: string;
  storedAt: number;
}

/** Entries kept per process (a plain status's parts are ~100 bytes of JSON). */
const LRU_SIZE = 50_000;
/** Bounds cosmetic staleness (see above) in a process… */
const LRU_MAX_AGE_MS = 10 * 60_000;
/** …and in Redis, where an entry also stops costing memory once nobody reads the status. */
const REDIS_TTL_SECONDS = 3600;

const version = (key: Pick<StatusKey, "editedAt">) => (key.editedAt ? String(new Date(key.editedAt).getTime()) : "0");

/** Off with STATUS_RENDER_CACHE=off (benchmarks compare both). */
const enabled = () => process.env.STATUS_RENDER_CACHE !== "off";

export class RenderCache {
  private readonly lru = new Map<string, Entry>();
  /** Parts embed URLs: a deployment that moves PUBLIC_URL or its media host starts a fresh key space. */
  private readonly keyPrefix: string;

  constructor(private readonly ctx: AppContext) {
    const urls = `${ctx.config.publicUrl.href}|${ctx.media.publicUrl("")}`;
    this.keyPrefix = `render:status:${Bun.hash(urls).toString(36)}:`;
  }

  private redisKey(key: StatusKey): string {
    return `${this.keyPrefix}${key.id}:${version(key)}`;
  }

  /**
   * Author and reblogged-status ids of statuses this process has rendered,
   * whatever their version: enough to load their accounts while the page
   * query runs.
   */
  peek(ids: readonly string[]): Map<string, { accountId: string; reblogOfId: string | null }> {
    const found = new Map<string, { accountId: string; reblogOfId: string | null }>();
    for (const id of ids) {
      const entry = this.lru.get(id);
      if (entry) found.set(id, { accountId: entry.accountId, reblogOfId: entry.reblogOfId });
    }
    return found;
  }

  /** The parts of these status versions that are cached (each a fresh copy the caller may change). */
  async get(keys: readonly StatusKey[]): Promise<Map<string, StatusParts>> {
    const found = new Map<string, StatusParts>();
    const now = Date.now();
    const missing: StatusKey[] = [];
    for (const key of keys) {
      const entry = this.lru.get(key.id);
      if (entry && entry.version === version(key) && now - entry.storedAt < LRU_MAX_AGE_MS) {
        // Most recently used last: Map keeps insertion order.
        this.lru.delete(key.id);
        this.lru.set(key.id, entry);
        found.set(key.id, JSON.parse(entry.json) as StatusParts);
      } else {
        missing.push(key);
      }
    }
    if (missing.length === 0) return found;
    let values: (string | null)[];
    try {
      values = await this.ctx.redis.mget(missing.map((key) => this.redisKey(key)));
    } catch (error) {
      // Redis holds nothing the server can't rebuild: render from Postgres.
      log.warning("Render cache read failed: {error}", { error });
      return found;
    }
    missing.forEach((key, i) => {
      const json = values[i];
      if (!json) return;
      this.remember(key, json, now);
      found.set(key.id, JSON.parse(json) as StatusParts);
    });
    return found;
  }

  /** Stores freshly built parts in both levels; the Redis write is not awaited. */
  put(entries: readonly { key: StatusKey; parts: StatusParts }[]): void {
    if (entries.length === 0) return;
    const now = Date.now();
    const commands: RedisCommand[] = [];
    for (const { key, parts } of entries) {
      const json = JSON.stringify(parts);
      this.remember(key, json, now);
      commands.push(["set", this.redisKey(key), json, { ex: REDIS_TTL_SECONDS }]);
    }
    this.ctx.redis.pipeline(commands).catch((error) => log.warning("Render cache write failed: {error}", { error }));
  }

  private remember(key: StatusKey, json: string, now: number): void {
    this.lru.delete(key.id);
    this.lru.set(key.id, { version: version(key), accountId: key.accountId, reblogOfId: key.reblogOfId, json, storedAt: now });
    if (this.lru.size > LRU_SIZE) {
      // Evict the least recently used tenth at once rather than one per insert.
      let drop = Math.ceil(LRU_SIZE / 10);
      for (const id of this.lru.keys()) {
        if (drop-- <= 0) break;
        this.lru.delete(id);
      }
    }
  }
}

/** One cache per database: a process may serve several (tests), whose status ids may coincide. */
const caches = new WeakMap<object, RenderCache>();

/** The render cache of this context's database, or null when disabled. */
export function renderCache(ctx: AppContext): RenderCache | null {
  if (!enabled()) return null;
  let cache = caches.get(ctx.sql);
  if (!cache) caches.set(ctx.sql, (cache = new RenderCache(ctx)));
  return cache;
}
