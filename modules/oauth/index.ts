import { Elysia } from "elysia";
import type { AppContext } from "../../src/context.ts";

export const oauthModule = (ctx: AppContext) => new Elysia({ name: "oauth" });
