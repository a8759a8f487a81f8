import type { AppContext } from "../src/context.ts";

/** Returns Fedify's response for federation routes, or undefined to let Elysia route. */
export function createFederationHandler(_ctx: AppContext) {
  return async (_request: Request): Promise<Response | undefined> => undefined;
}
