/**
 * Account routes: the signed-in user's own profile (verify/update
 * credentials, preferences) and public profiles by id or handle.
 * Sign-up (POST /api/v1/accounts) lives in the oauth module.
 */
import { Elysia } from "elysia";
import type { AppContext } from "../../src/context.ts";
import { requireUser } from "../../src/http/auth.ts";
import { notFound } from "../../src/http/errors.ts";
import { id, list, str } from "../../src/http/params.ts";
import { requestParams } from "../../src/http/request.ts";
import { loadAccount, loadAccounts, loadCredentialAccount, serializePreferences } from "./serializer.ts";
import { lookupAccount, updateCredentials } from "./service.ts";
import { selectUserSettings } from "./storage.ts";

/** Mastodon caps GET /api/v1/accounts?id[]= at 40 ids. */
const MAX_ACCOUNTS_PER_REQUEST = 40;

export const accountsModule = (ctx: AppContext) => {
  const credentialAccount = async (accountId: string) => {
    const account = await loadCredentialAccount(ctx.sql, ctx.config, accountId);
    if (!account) throw notFound();
    return account;
  };

  return new Elysia({ name: "accounts" })
    .get("/api/v1/accounts/verify_credentials", async ({ request }) => {
      // `profile` is Mastodon 4.3's narrow scope for "sign in with Mastodon": this endpoint only.
      const auth = await requireUser(ctx, request, "read:accounts", "profile");
      return credentialAccount(auth.user.accountId);
    })
    .patch("/api/v1/accounts/update_credentials", async ({ request, body }) => {
      const auth = await requireUser(ctx, request, "write:accounts");
      await updateCredentials(ctx, auth.user, requestParams(request, body));
      return credentialAccount(auth.user.accountId);
    })
    .get("/api/v1/preferences", async ({ request }) => {
      const auth = await requireUser(ctx, request, "read:accounts");
      return serializePreferences(await selectUserSettings(ctx.sql, auth.user.id));
    })
    .get("/api/v1/accounts/lookup", async ({ request }) => {
      const accountId = await lookupAccount(ctx, str(requestParams(request, undefined).acct) ?? "");
      const account = accountId && (await loadAccount(ctx.sql, ctx.config, accountId));
      if (!account) throw notFound();
      return account;
    })
    .get("/api/v1/accounts", async ({ request }) => {
      const ids = list(requestParams(request, undefined).id)
        .map((value) => id(value))
        .filter((value): value is string => value !== undefined)
        .slice(0, MAX_ACCOUNTS_PER_REQUEST);
      const accounts = await loadAccounts(ctx.sql, ctx.config, ids);
      return [...new Set(ids)].map((accountId) => accounts.get(accountId)).filter((a) => a !== undefined);
    })
    .get("/api/v1/accounts/:id", async ({ params }) => {
      const accountId = id(params.id);
      const account = accountId && (await loadAccount(ctx.sql, ctx.config, accountId));
      if (!account) throw notFound();
      return account;
    })
    // Keybase proofs were removed from Mastodon; the endpoint stays and answers an empty list.
    .get("/api/v1/accounts/:id/identity_proofs", async ({ params }) => {
      const accountId = id(params.id);
      if (!accountId || !(await loadAccount(ctx.sql, ctx.config, accountId))) throw notFound();
      return [];
    });
};
