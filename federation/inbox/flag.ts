/**
 * Flag: a report from another server about local accounts (and their
 * statuses), filed as a `reports` row per reported local account —
 * minimal: there is no moderation interface yet. A replayed Flag files
 * nothing twice (the Flag's id is unique per report).
 */
import { localAccountIdOf, statusByUri } from "../remote-statuses.ts";
import type { Command, InboxWork } from "./context.ts";

export async function onFlag({ ctx, actor }: InboxWork, command: Command<"report">): Promise<void> {
  const accounts = new Set<string>();
  const statuses = new Map<string, string[]>();
  for (const uri of command.objects) {
    const accountId = await localAccountIdOf(ctx, uri);
    if (accountId) {
      accounts.add(accountId);
      continue;
    }
    const status = await statusByUri(ctx, uri);
    if (status?.local) statuses.set(status.account_id, [...(statuses.get(status.account_id) ?? []), status.id]);
  }
  for (const accountId of statuses.keys()) accounts.add(accountId);
  for (const accountId of accounts) {
    // One Flag may report several accounts: each report gets its own key.
    const uri = command.id ? (accounts.size === 1 ? command.id : `${command.id}#${accountId}`) : null;
    await ctx.sql`
      INSERT INTO reports (account_id, target_account_id, status_ids, comment, uri)
      VALUES (${actor.id}, ${accountId}, ${statuses.get(accountId) ?? []}::bigint[], ${command.comment}, ${uri})
      ON CONFLICT (uri) WHERE uri IS NOT NULL DO NOTHING`;
  }
}
