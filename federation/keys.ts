/**
 * Actor key pairs (RSASSA-PKCS1-v1_5 for HTTP Signatures, Ed25519 for
 * Object Integrity Proofs), generated once per owner and kept in actor_keys.
 *
 * RSA generation takes up to a second, so keys are never regenerated: the
 * first request creates them, concurrent first requests (in this process or
 * on other nodes) race with INSERT … ON CONFLICT DO NOTHING and everyone
 * then reads back the winner's rows.
 */
import { exportJwk, generateCryptoKeyPair, importJwk } from "@fedify/fedify";
import type { Sql } from "../src/db/index.ts";

const ALGORITHMS = ["RSASSA-PKCS1-v1_5", "Ed25519"] as const;
type Algorithm = (typeof ALGORITHMS)[number];

/** actor_keys.owner of the instance actor; local accounts use their account id. */
export const INSTANCE_KEY_OWNER = "instance";

/** Generations under way in this process, so a burst of first requests generates once. */
const pending = new Map<string, Promise<CryptoKeyPair[]>>();

/** The owner's key pairs, RSA first (Fedify uses the first RSA key as the actor's `publicKey`). */
export function loadKeyPairs(sql: Sql, owner: string): Promise<CryptoKeyPair[]> {
  let promise = pending.get(owner);
  if (!promise) {
    promise = loadOrCreate(sql, owner).finally(() => pending.delete(owner));
    pending.set(owner, promise);
  }
  return promise;
}

async function loadOrCreate(sql: Sql, owner: string): Promise<CryptoKeyPair[]> {
  let rows = await readRows(sql, owner);
  const missing = ALGORITHMS.filter((algorithm) => !rows.some((row) => row.algorithm === algorithm));
  if (missing.length > 0) {
    for (const algorithm of missing) {
      const pair = await generateCryptoKeyPair(algorithm);
      const [privateKey, publicKey] = await Promise.all([exportJwk(pair.privateKey), exportJwk(pair.publicKey)]);
      await sql`
        INSERT INTO actor_keys (owner, algorithm, private_key, public_key)
        VALUES (${owner}, ${algorithm}, ${sql.json(privateKey as never)}, ${sql.json(publicKey as never)})
        ON CONFLICT (owner, algorithm) DO NOTHING`;
    }
    rows = await readRows(sql, owner);
  }
  return Promise.all(
    ALGORITHMS.map(async (algorithm) => {
      const row = rows.find((r) => r.algorithm === algorithm)!;
      const [privateKey, publicKey] = await Promise.all([
        importJwk(row.private_key as JsonWebKey, "private"),
        importJwk(row.public_key as JsonWebKey, "public"),
      ]);
      return { privateKey, publicKey };
    }),
  );
}

async function readRows(sql: Sql, owner: string) {
  return (await sql`SELECT algorithm, private_key, public_key FROM actor_keys WHERE owner = ${owner}`) as unknown as {
    algorithm: Algorithm;
    private_key: unknown;
    public_key: unknown;
  }[];
}
