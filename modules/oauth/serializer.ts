/** The JSON shapes of this module's Mastodon entities: Application, CredentialApplication, Token. */
import type { AppRow, TokenRow } from "./storage.ts";

/**
 * `vapidKey`: the server's Web Push public key (modules/push/vapid.ts).
 * Deprecated since Mastodon 4.3 (clients read the instance's) but still part
 * of the entity.
 */
export function serializeApplication(app: AppRow, vapidKey: string) {
  return {
    id: app.id,
    name: app.name,
    website: app.website,
    scopes: app.scopes,
    redirect_uri: app.redirectUris.join("\n"),
    redirect_uris: app.redirectUris,
    vapid_key: vapidKey,
  };
}

export function serializeCredentialApplication(app: AppRow, vapidKey: string) {
  return {
    ...serializeApplication(app, vapidKey),
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
