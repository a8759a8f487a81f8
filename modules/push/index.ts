/**
 * Web Push: the per-token subscription (/api/v1/push/subscription) and the
 * server's VAPID key (vapid.ts), which the instance and application
 * entities advertise. Delivering pushes is not implemented yet.
 */
import { Elysia } from "elysia";
import type { AppContext } from "../../src/context.ts";
import { requireUser } from "../../src/http/auth.ts";
import { requestParams } from "../../src/http/request.ts";
import { changeSubscription, showSubscription, subscribe, unsubscribe } from "./service.ts";

export { vapidPublicKey } from "./vapid.ts";

const PATH = "/api/v1/push/subscription";

export const pushModule = (ctx: AppContext) =>
  new Elysia({ name: "push" })
    .post(PATH, async ({ request, body }) => {
      const auth = await requireUser(ctx, request, "push");
      return subscribe(ctx, auth, requestParams(request, body));
    })
    .get(PATH, async ({ request }) => showSubscription(ctx, await requireUser(ctx, request, "push")))
    .put(PATH, async ({ request, body }) => {
      const auth = await requireUser(ctx, request, "push");
      return changeSubscription(ctx, auth, requestParams(request, body));
    })
    .delete(PATH, async ({ request }) => {
      await unsubscribe(ctx, await requireUser(ctx, request, "push"));
      return {};
    });
