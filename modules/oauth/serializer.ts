/** The JSON shapes of this module's Mastodon entities: Application, CredentialApplication, Token. */
import type { AppRow, TokenRow } from "./storage.ts";

/**
 * Deprecated since Mastodon 4.3 (clients read the instance's VAPID key) but
 * still required by the entity. Web Push isn't implemented yet; the push
 * module should supply the instance's VAPID public key here.
 */
const VAPID_KEY = "";

export function serializeApplication(app: AppRow) {
  return {
    id: app.id,
    name: app.name,
    website: app.website,
    scopes: app.scopes,
    redirect_uri: app.redirectUris.join("\n"),
    redirect_uris: app.redirectUris,
    vapid_key: VAPID_KEY,
  };
}

export function serializeCredentialApplication(app: AppRow) {
  return {
    ...serializeApplication(app),
    client_id: app.clientId,
    client_secret: app.clientSecret,
    // OAuth clients never expire on Mastodon.
    client_secret_expires_at: 0,
  };
}

export function serializeToken(token: TokenRow, accessToken: string) {
  return {
    access_token: accessToken,
    token_type: "Bearer",
    scope: token.scopes.join(" "),
    created_at: Math.floor(token.createdAt.getTime() / 1000),
  };
}
