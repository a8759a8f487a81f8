/**
 * Web Push subscriptions (POST/GET/PUT/DELETE /api/v1/push/subscription):
 * storage only for now. Each access token holds at most one subscription,
 * its browser's endpoint and keys, and which alerts it wants.
 *
 * Sending the pushes (encrypting notifications to `key_p256dh`/`key_auth`
 * per RFC 8291 and signing with the VAPID key) is not implemented yet: a
 * notifications handler would read these rows.
 */
import type { AppContext } from "../../src/context.ts";
import { badRequest, notFound, unprocessable } from "../../src/http/errors.ts";
import { bool, str, type Params } from "../../src/http/params.ts";
import type { UserAuth } from "../../src/http/auth.ts";
import { ALERT_TYPES, POLICIES, serializeSubscription, type WebPushSubscription } from "./serializer.ts";
import { deleteSubscription, replaceSubscription, selectSubscription, updateSubscriptionData, type PushData } from "./storage.ts";
import { vapidPublicKey } from "./vapid.ts";

function object(value: unknown): Params | null {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Params) : null;
}

/** Standard or URL-safe base64, padded or not; null when it is neither. */
function decodeBase64(value: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return null;
  return Uint8Array.from(Buffer.from(value.replace(/-/g, "+").replace(/_/g, "/"), "base64"));
}

/**
 * Mastodon rejects keys it could not encrypt to: the browser's ECDH public
 * key must be a point on P-256, the auth secret 16 bytes.
 */
async function validKeys(p256dh: string, auth: string): Promise<boolean> {
  const point = decodeBase64(p256dh);
  const secret = decodeBase64(auth);
  if (!point || point.length !== 65 || point[0] !== 0x04 || !secret || secret.length !== 16) return false;
  try {
    await crypto.subtle.importKey("raw", point, { name: "ECDH", namedCurve: "P-256" }, false, []);
    return true;
  } catch {
    return false;
  }
}

function validEndpoint(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

/** `data` as Mastodon permits it: `policy` and booleans for known alert types; absent means {}. */
function readData(params: Params): PushData {
  const data = object(params.data);
  if (!data) return {};
  const result: PushData = {};
  const alerts = object(data.alerts);
  if (alerts) {
    result.alerts = {};
    for (const type of ALERT_TYPES) {
      const value = bool(alerts[type]);
      if (value !== undefined) result.alerts[type] = value;
    }
  }
  const policy = str(data.policy);
  if (policy !== undefined && policy !== "") {
    if (!(POLICIES as readonly string[]).includes(policy)) throw unprocessable(`Policy must be one of ${POLICIES.join(", ")}`);
    result.policy = policy;
  }
  return result;
}

async function render(ctx: AppContext, row: Parameters<typeof serializeSubscription>[0]): Promise<WebPushSubscription> {
  return serializeSubscription(row, await vapidPublicKey(ctx));
}

export async function subscribe(ctx: AppContext, auth: UserAuth, params: Params): Promise<WebPushSubscription> {
  const subscription = object(params.subscription);
  if (!subscription) throw badRequest("param is missing or the value is empty: subscription");
  const endpoint = str(subscription.endpoint)?.trim() ?? "";
  const keys = object(subscription.keys) ?? {};
  const p256dh = str(keys.p256dh)?.trim() ?? "";
  const authSecret = str(keys.auth)?.trim() ?? "";
  if (endpoint === "") throw unprocessable("Endpoint can't be blank");
  if (!validEndpoint(endpoint)) throw unprocessable("Endpoint is not a valid URL");
  if (p256dh === "" || authSecret === "") throw unprocessable("Subscription keys can't be blank");
  if (!(await validKeys(p256dh, authSecret))) throw unprocessable("Invalid key");
  const row = await replaceSubscription(ctx.sql, {
    accessTokenId: auth.tokenId,
    userId: auth.user.id,
    endpoint,
    p256dh,
    auth: authSecret,
    standard: bool(subscription.standard, false),
    data: readData(params),
  });
  return render(ctx, row);
}

export async function showSubscription(ctx: AppContext, auth: UserAuth): Promise<WebPushSubscription> {
  const row = await selectSubscription(ctx.sql, auth.tokenId);
  if (!row) throw notFound();
  return render(ctx, row);
}

/** Replaces `data` wholesale, as Mastodon's update does (an omitted policy goes back to "all"). */
export async function changeSubscription(ctx: AppContext, auth: UserAuth, params: Params): Promise<WebPushSubscription> {
  const data = readData(params);
  const row = await updateSubscriptionData(ctx.sql, auth.tokenId, data);
  if (!row) throw notFound();
  return render(ctx, row);
}

export async function unsubscribe(ctx: AppContext, auth: UserAuth): Promise<void> {
  await deleteSubscription(ctx.sql, auth.tokenId);
}
