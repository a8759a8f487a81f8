/**
 * Authorized fetch (AUTHORIZED_FETCH=true), as Mastodon's secure mode: the
 * actors, their collections and the status objects are served only to GETs
 * signed (HTTP Signatures) by a key whose owner is on a domain that is not
 * suspended; anything else gets 401 from Fedify. The instance actor and its
 * collections stay public, as do WebFinger and NodeInfo, so that other
 * servers can fetch our key and verify our signed requests. Off, everything
 * public is served to anyone (a suspended domain still gets nothing signed).
 */
import type { RequestContext } from "@fedify/fedify";
import type { AppContext } from "../src/context.ts";
import { logger } from "../src/log.ts";
import { INSTANCE_ACTOR } from "./actors.ts";
import { hostOf, isSuspendedDomain } from "./domain-blocks.ts";

const log = logger("federation", "authorized-fetch");

/** The keyId of a request's HTTP signature (draft-cavage or RFC 9421), unverified. */
export function signatureKeyId(request: Request): string | null {
  const cavage = /keyId="([^"]+)"/i.exec(request.headers.get("signature") ?? "");
  if (cavage) return cavage[1]!;
  const rfc9421 = /keyid="([^"]+)"/i.exec(request.headers.get("signature-input") ?? "");
  return rfc9421 ? rfc9421[1]! : null;
}

/** Fedify's authorize predicate for every dispatcher that serves a local actor's data. */
export async function authorizeFetch(ctx: RequestContext<AppContext>, identifier: string | null): Promise<boolean> {
  if (identifier === INSTANCE_ACTOR) return true;
  const db = ctx.data.sql;
  const keyId = signatureKeyId(ctx.request);
  // A signature from a suspended domain: refused without fetching its key.
  if (keyId && (await isSuspendedDomain(db, hostOf(keyId)))) return false;
  if (!ctx.data.config.authorizedFetch) return true;
  if (!keyId) return false;
  try {
    const owner = await ctx.getSignedKeyOwner();
    if (!owner?.id) return false;
    return !(await isSuspendedDomain(db, hostOf(owner.id)));
  } catch (error) {
    log.debug("Could not verify the signature of a GET: {error}", { error });
    return false;
  }
}
