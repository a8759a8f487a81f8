/**
 * Which SearchIndex a process uses: Typesense when configured, otherwise
 * Postgres. One instance per AppContext, created on first use, so request
 * handlers and event handlers share the Typesense client and its
 * collections-created state.
 */
import type { AppContext } from "../../src/context.ts";
import type { SearchIndex } from "./port.ts";
import { PostgresSearchIndex } from "./postgres.ts";
import { createTypesenseClient, TypesenseSearchIndex } from "./typesense.ts";

const indexes = new WeakMap<AppContext, SearchIndex>();

export function searchIndexFor(ctx: AppContext): SearchIndex {
  let index = indexes.get(ctx);
  if (!index) {
    index = ctx.config.typesense
      ? new TypesenseSearchIndex(ctx.sql, createTypesenseClient(ctx.config.typesense))
      : new PostgresSearchIndex(ctx.sql);
    indexes.set(ctx, index);
  }
  return index;
}
