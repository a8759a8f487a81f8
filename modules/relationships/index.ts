/**
 * Relationship routes: follow/unfollow, blocks, mutes, follow requests,
 * domain blocks, endorsements, notes, the followers/following lists,
 * relationships and familiar followers, and follow suggestions.
 *
 * Every write answers with the Relationship entity of the target, as
 * Mastodon does; every list pages by the relationship row's id (the
 * follow, block, mute… row) with a Link header.
 */
import { Elysia } from "elysia";
import type { AppContext } from "../../src/context.ts";
import { authenticate, hasScope, requireUser } from "../../src/http/auth.ts";
import { forbidden, notFound, unprocessable } from "../../src/http/errors.ts";
import { linkHeader, readPage } from "../../src/http/pagination.ts";
import { bool, id, int, list, str, type Params } from "../../src/http/params.ts";
import { requestParams } from "../../src/http/request.ts";
import { onEvent } from "../../src/events/index.ts";
import { loadAccounts, type Account } from "../accounts/serializer.ts";
import {
  accountsInOrder,
  loadRelationship,
  loadRelationships,
  serializeMutedAccount,
  serializeSuggestion,
  type FamiliarFollowers,
  type Relationship,
} from "./serializer.ts";
import * as service from "./service.ts";
import { requireTargetAccount } from "./services/target.ts";
import {
  blocks,
  existingAccountIds,
  selectBlocks,
  selectDomainBlocks,
  selectEndorsements,
  selectFamiliarFollowers,
  selectFollowers,
  selectFollowing,
  selectIncomingFollowRequests,
  selectMutes,
  type ListRow,
  type TargetAccount,
} from "./storage.ts";

/** Mastodon's DEFAULT_ACCOUNTS_LIMIT and its cap. */
const ACCOUNTS_PAGE = { limit: 40, max: 80 };
/** Api::V1::DomainBlocksController's BLOCK_LIMIT and its cap. */
const DOMAINS_PAGE = { limit: 100, max: 200 };
/** Bounds the id[] lists of relationships and familiar_followers (URL length bounds them anyway). */
const MAX_IDS = 200;
/** ISO 639-1 (and the few 639-3 codes Mastodon knows), optionally with a region. */
const LANGUAGE = /^[a-z]{2,3}(-[a-zA-Z]{2,4})?$/;

type Headers = Record<string, string | number>;

function ids(value: unknown): string[] {
  return [...new Set(list(value).map((v) => id(v)).filter((v): v is string => v !== undefined))].slice(0, MAX_IDS);
}

/** Follow options as sent; absent keys stay undefined so a repeat follow changes only what was sent. */
function followOptions(params: Params): service.FollowOptions {
  const options: service.FollowOptions = {};
  if (params.reblogs !== undefined) options.reblogs = bool(params.reblogs, true);
  if (params.notify !== undefined) options.notify = bool(params.notify, false);
  if (params.languages !== undefined) {
    const languages = [...new Set(list(params.languages).map((l) => l.trim()).filter((l) => l !== ""))];
    if (languages.some((l) => !LANGUAGE.test(l))) throw unprocessable("Languages contains an unsupported language");
    options.languages = languages.length > 0 ? languages : null;
  }
  return options;
}

/**
 * An account that stops being locked accepts its pending follow requests,
 * as Mastodon's UpdateAccountService does. Runs on every local profile
 * update and only acts while requests are pending, so replays are harmless.
 */
onEvent("account.updated", async (ctx, event) => {
  await service.acceptRequestsIfUnlocked(ctx, event.accountId);
});

export const relationshipsModule = (ctx: AppContext) => {
  /** The viewer of a public list: null without a token; a token must carry the read scope. */
  const optionalViewer = async (request: Request, scope: string): Promise<string | null> => {
    const auth = await authenticate(ctx, request);
    if (!auth) return null;
    if (!hasScope(auth.scopes, scope)) throw forbidden();
    return auth.user?.accountId ?? null;
  };

  const relationship = async (viewerId: string, targetId: string): Promise<Relationship> => {
    const result = await loadRelationship(ctx.sql, viewerId, targetId);
    if (!result) throw notFound();
    return result;
  };

  /** A page of accounts from list rows, with the Link header paging by row id. */
  const accountPage = async (
    headers: Headers,
    path: string,
    params: Params,
    rows: ListRow[],
  ): Promise<Account[]> => {
    const link = linkHeader(ctx.config, path, params, rows, (row) => row.cursor);
    if (link) headers.link = link;
    const accounts = await loadAccounts(ctx.sql, ctx.config, rows.map((r) => r.accountId));
    return rows.map((r) => accounts.get(r.accountId)).filter((a): a is Account => a !== undefined);
  };

  /** Followers/following are hidden when the owner hides them or blocks the viewer. */
  const collectionHidden = async (target: TargetAccount, viewerId: string | null): Promise<boolean> => {
    if (target.suspended) return true;
    if (target.hideCollections && viewerId !== target.id) return true;
    return viewerId !== null && viewerId !== target.id && (await blocks(ctx.sql, target.id, viewerId));
  };

  const graphList = (kind: "followers" | "following") =>
    async ({ request, params, set }: { request: Request; params: { id: string }; set: { headers: Headers } }) => {
      const viewerId = await optionalViewer(request, "read:accounts");
      const target = await requireTargetAccount(ctx, params.id);
      const query = requestParams(request, undefined);
      const page = readPage(query, ACCOUNTS_PAGE);
      if (await collectionHidden(target, viewerId)) return [];
      const rows = kind === "followers"
        ? await selectFollowers(ctx.sql, target.id, viewerId, page)
        : await selectFollowing(ctx.sql, target.id, viewerId, page);
      return accountPage(set.headers, `/api/v1/accounts/${target.id}/${kind}`, query, rows);
    };

  /** POST /api/v1/accounts/:id/<action>: act, then answer with the Relationship. */
  const accountAction = (
    scope: string,
    act: (viewerId: string, target: TargetAccount, params: Params) => Promise<unknown>,
  ) =>
    async ({ request, body, params }: { request: Request; body: unknown; params: { id: string } }) => {
      const auth = await requireUser(ctx, request, scope);
      const target = await requireTargetAccount(ctx, params.id);
      await act(auth.user.accountId, target, requestParams(request, body));
      return relationship(auth.user.accountId, target.id);
    };

  const endorse = accountAction("write:accounts", (viewerId, target) => service.endorse(ctx, viewerId, target.id));
  const unendorse = accountAction("write:accounts", (viewerId, target) => service.unendorse(ctx, viewerId, target.id));

  const suggestions = async (request: Request) => {
    const auth = await requireUser(ctx, request, "read:accounts");
    const limit = int(requestParams(request, undefined).limit, "limit", { min: 1, max: 80 }) ?? 40;
    return service.suggestAccounts(ctx, auth.user.accountId, limit);
  };

  return new Elysia({ name: "relationships" })
    // --- Following -------------------------------------------------------
    .post("/api/v1/accounts/:id/follow", async ({ request, body, params }) => {
      const auth = await requireUser(ctx, request, "write:follows");
      const target = await requireTargetAccount(ctx, params.id);
      const options = followOptions(requestParams(request, body));
      await service.follow(ctx, auth.user.accountId, target, options);
      return relationship(auth.user.accountId, target.id);
    })
    .post("/api/v1/accounts/:id/unfollow", accountAction("write:follows", (viewerId, target) => service.unfollow(ctx, viewerId, target.id)))
    .post(
      "/api/v1/accounts/:id/remove_from_followers",
      accountAction("write:follows", (viewerId, target) => service.removeFromFollowers(ctx, viewerId, target.id)),
    )
    .get("/api/v1/accounts/:id/followers", graphList("followers"))
    .get("/api/v1/accounts/:id/following", graphList("following"))

    // --- Blocks and mutes --------------------------------------------------
    .post("/api/v1/accounts/:id/block", accountAction("write:blocks", (viewerId, target) => service.block(ctx, viewerId, target.id)))
    .post("/api/v1/accounts/:id/unblock", accountAction("write:blocks", (viewerId, target) => service.unblock(ctx, viewerId, target.id)))
    .post(
      "/api/v1/accounts/:id/mute",
      accountAction("write:mutes", (viewerId, target, p) =>
        service.mute(ctx, viewerId, target.id, {
          notifications: bool(p.notifications, true),
          durationSeconds: int(p.duration, "duration", { min: 0 }) ?? 0,
        }),
      ),
    )
    .post("/api/v1/accounts/:id/unmute", accountAction("write:mutes", (viewerId, target) => service.unmute(ctx, viewerId, target.id)))
    .get("/api/v1/blocks", async ({ request, set }) => {
      const auth = await requireUser(ctx, request, "read:blocks");
      const query = requestParams(request, undefined);
      const rows = await selectBlocks(ctx.sql, auth.user.accountId, readPage(query, ACCOUNTS_PAGE));
      return accountPage(set.headers, "/api/v1/blocks", query, rows);
    })
    .get("/api/v1/mutes", async ({ request, set }) => {
      const auth = await requireUser(ctx, request, "read:mutes");
      const query = requestParams(request, undefined);
      const rows = await selectMutes(ctx.sql, auth.user.accountId, readPage(query, ACCOUNTS_PAGE));
      const expiries = new Map(rows.map((r) => [r.accountId, r.expiresAt]));
      const accounts = await accountPage(set.headers, "/api/v1/mutes", query, rows);
      return accounts.map((a) => serializeMutedAccount(a, expiries.get(a.id) ?? null));
    })

    // --- Domain blocks ------------------------------------------------------
    .get("/api/v1/domain_blocks", async ({ request, set }) => {
      const auth = await requireUser(ctx, request, "read:blocks");
      const query = requestParams(request, undefined);
      const rows = await selectDomainBlocks(ctx.sql, auth.user.accountId, readPage(query, DOMAINS_PAGE));
      const link = linkHeader(ctx.config, "/api/v1/domain_blocks", query, rows, (r) => r.cursor);
      if (link) set.headers.link = link;
      return rows.map((r) => r.domain);
    })
    .post("/api/v1/domain_blocks", async ({ request, body }) => {
      const auth = await requireUser(ctx, request, "write:blocks");
      await service.blockDomain(ctx, auth.user.accountId, str(requestParams(request, body).domain));
      return {};
    })
    .delete("/api/v1/domain_blocks", async ({ request, body }) => {
      const auth = await requireUser(ctx, request, "write:blocks");
      await service.unblockDomain(ctx, auth.user.accountId, str(requestParams(request, body).domain));
      return {};
    })

    // --- Follow requests ------------------------------------------------------
    .get("/api/v1/follow_requests", async ({ request, set }) => {
      const auth = await requireUser(ctx, request, "read:follows");
      const query = requestParams(request, undefined);
      const rows = await selectIncomingFollowRequests(ctx.sql, auth.user.accountId, readPage(query, ACCOUNTS_PAGE));
      return accountPage(set.headers, "/api/v1/follow_requests", query, rows);
    })
    .post("/api/v1/follow_requests/:id/authorize", async ({ request, params }) => {
      const auth = await requireUser(ctx, request, "write:follows");
      const requester = await requireTargetAccount(ctx, params.id);
      await service.authorizeFollowRequest(ctx, auth.user.accountId, requester.id);
      return relationship(auth.user.accountId, requester.id);
    })
    .post("/api/v1/follow_requests/:id/reject", async ({ request, params }) => {
      const auth = await requireUser(ctx, request, "write:follows");
      const requester = await requireTargetAccount(ctx, params.id);
      await service.rejectFollowRequest(ctx, auth.user.accountId, requester.id);
      return relationship(auth.user.accountId, requester.id);
    })

    // --- Endorsements and notes -------------------------------------------------
    .post("/api/v1/accounts/:id/pin", endorse)
    .post("/api/v1/accounts/:id/unpin", unendorse)
    // Mastodon 4.4 names.
    .post("/api/v1/accounts/:id/endorse", endorse)
    .post("/api/v1/accounts/:id/unendorse", unendorse)
    .get("/api/v1/endorsements", async ({ request, set }) => {
      const auth = await requireUser(ctx, request, "read:accounts");
      const query = requestParams(request, undefined);
      const rows = await selectEndorsements(ctx.sql, auth.user.accountId, readPage(query, ACCOUNTS_PAGE));
      return accountPage(set.headers, "/api/v1/endorsements", query, rows);
    })
    .get("/api/v1/accounts/:id/endorsements", async ({ request, params, set }) => {
      await optionalViewer(request, "read:accounts");
      const target = await requireTargetAccount(ctx, params.id);
      const query = requestParams(request, undefined);
      const page = readPage(query, ACCOUNTS_PAGE);
      if (target.suspended) return [];
      const rows = await selectEndorsements(ctx.sql, target.id, page);
      return accountPage(set.headers, `/api/v1/accounts/${target.id}/endorsements`, query, rows);
    })
    .post(
      "/api/v1/accounts/:id/note",
      accountAction("write:accounts", (viewerId, target, p) => service.setNote(ctx, viewerId, target.id, str(p.comment) ?? "")),
    )

    // --- Relationship maps ----------------------------------------------------------
    .get("/api/v1/accounts/relationships", async ({ request }) => {
      const auth = await requireUser(ctx, request, "read:follows");
      const query = requestParams(request, undefined);
      const wanted = ids(query.id);
      const present = await existingAccountIds(ctx.sql, wanted, bool(query.with_suspended, false));
      const relationships = await loadRelationships(ctx.sql, auth.user.accountId, wanted.filter((i) => present.has(i)));
      return wanted.map((i) => relationships.get(i)).filter((r): r is Relationship => r !== undefined);
    })
    .get("/api/v1/accounts/familiar_followers", async ({ request }) => {
      const auth = await requireUser(ctx, request, "read:follows");
      const wanted = ids(requestParams(request, undefined).id);
      const present = await existingAccountIds(ctx.sql, wanted);
      const targets = wanted.filter((i) => present.has(i));
      const pairs = await selectFamiliarFollowers(ctx.sql, auth.user.accountId, targets);
      const accounts = await loadAccounts(ctx.sql, ctx.config, pairs.map((p) => p.accountId));
      return targets.map((targetId): FamiliarFollowers => ({
        id: targetId,
        accounts: pairs
          .filter((p) => p.targetId === targetId)
          .map((p) => accounts.get(p.accountId))
          .filter((a): a is Account => a !== undefined),
      }));
    })

    // --- Suggestions -----------------------------------------------------------------
    .get("/api/v2/suggestions", async ({ request }) => {
      const found = await suggestions(request);
      const accounts = await loadAccounts(ctx.sql, ctx.config, found.map((s) => s.accountId));
      return found.flatMap((s) => {
        const account = accounts.get(s.accountId);
        return account ? [serializeSuggestion(account, s.sources)] : [];
      });
    })
    .get("/api/v1/suggestions", async ({ request }) => {
      const found = await suggestions(request);
      return accountsInOrder(ctx, found.map((s) => s.accountId));
    })
    .delete("/api/v1/suggestions/:id", async ({ request, params }) => {
      const auth = await requireUser(ctx, request, "write:accounts");
      const target = await requireTargetAccount(ctx, params.id);
      await service.dismissSuggestion(ctx, auth.user.accountId, target.id);
      return {};
    });
};
