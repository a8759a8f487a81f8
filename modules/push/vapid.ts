/**
 * The server's VAPID key pair (RFC 8292): ECDSA P-256, generated on first
 * use and kept in `vapid_keys`, so every node and every restart advertises
 * the same key — clients subscribe against it and a new key would silently
 * orphan their subscriptions. The public key is what /api/v2/instance
 * (configuration.vapid.public_key), the Application entity (vapid_key) and
 * the WebPushSubscription entity (server_key) carry.
 */
import type { AppContext } from "../../src/context.ts";
import type { Db } from "../../src/db/index.ts";

export interface VapidKeys {
  /** The uncompressed public point, URL-safe base64 with padding, as Mastodon sends it. */
  publicKey: string;
  privateKey: JsonWebKey;
}

function urlSafeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
}

async function generate(): Promise<VapidKeys> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const publicRaw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  return { publicKey: urlSafeBase64(publicRaw), privateKey: await crypto.subtle.exportKey("jwk", pair.privateKey) };
}

async function loadOrCreate(db: Db): Promise<VapidKeys> {
  const read = async () => {
    const [row] = await db`SELECT public_key, private_key FROM vapid_keys`;
    return row ? { publicKey: row.public_key as string, privateKey: row.private_key as JsonWebKey } : null;
  };
  const existing = await read();
  if (existing) return existing;
  const keys = await generate();
  // Nodes starting together may both generate: the first insert wins and everyone reads it back.
  await db`
    INSERT INTO vapid_keys (public_key, private_key) VALUES (${keys.publicKey}, ${db.json(keys.privateKey as never)})
    ON CONFLICT (singleton) DO NOTHING`;
  return (await read())!;
}

const loaded = new WeakMap<AppContext, Promise<VapidKeys>>();

/** The key pair, loaded once per context; a failed load is retried on the next call. */
export function vapidKeys(ctx: AppContext): Promise<VapidKeys> {
  let keys = loaded.get(ctx);
  if (!keys) {
    keys = loadOrCreate(ctx.sql);
    loaded.set(ctx, keys);
    keys.catch(() => loaded.delete(ctx));
  }
  return keys;
}

export async function vapidPublicKey(ctx: AppContext): Promise<string> {
  return (await vapidKeys(ctx)).publicKey;
}
