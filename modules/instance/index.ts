import { Elysia } from "elysia";
import type { AppContext } from "../../src/context.ts";

export const instanceModule = (ctx: AppContext) => new Elysia({ name: "instance" });
