/** `domains …`: instance-level domain blocks (federation/domain-blocks.ts). */
import { clearDomainBlockCache, listDomainBlocks, type DomainBlockSeverity } from "../../../federation/domain-blocks.ts";
import { nudgeEventWorker } from "../../events/worker.ts";
import type { Db } from "../../db/index.ts";
import { normalizeDomain } from "../../../modules/relationships/services/domain-block.ts";
import { cancelFollowRequestInTx, removeFollowInTx } from "../../../modules/relationships/services/graph.ts";
import { bumpStats, type StatsDelta } from "../../../modules/relationships/storage.ts";
import { CommandError, type Command } from "./command.ts";

/** Accounts of `domain` or its subdomains (a stored domain may carry a port). */
function ofDomain(db: Db, column: string, domain: string) {
  const host = db`split_part(lower(${db(column)}), ':', 1)`;
  return db`(lower(${db(column)}) = ${domain} OR ${host} = ${domain} OR ${host} LIKE ${`%.${domain}`})`;
}

const block: Command = {
  name: "domains block",
  summary: "Block a remote domain (and its subdomains): suspend or silence it",
  details:
    "suspend (the default): activities from the domain are dropped, nothing is\n" +
    "delivered to or fetched from it, and every follow and follow request between\n" +
    "local accounts and its accounts is removed. silence: its accounts are hidden\n" +
    "from public timelines. Blocking a blocked domain again changes its severity.",
  positionals: ["domain"],
  options: {
    severity: { type: "string", value: "suspend|silence", description: "what the block does (default suspend)" },
    "reject-media": { type: "boolean", description: "also mark the domain's media as rejected" },
  },
  async run(ctx, args, out) {
    const domain = normalizeDomain(args.positionals.domain);
    const severity = (args.values.severity ?? "suspend") as string;
    if (severity !== "suspend" && severity !== "silence") throw new CommandError(`--severity must be suspend or silence, got "${severity}"`, 2);
    const localHosts = [ctx.config.localDomain.toLowerCase(), ctx.config.publicUrl.host.toLowerCase()];
    if (localHosts.includes(domain)) throw new CommandError(`${domain} is this server`, 2);
    const rejectMedia = args.values["reject-media"] === true;
    const { severed, silenced } = await ctx.sql.begin(async (tx) => {
      await tx`
        INSERT INTO instance_domain_blocks (domain, severity, reject_media) VALUES (${domain}, ${severity as DomainBlockSeverity}, ${rejectMedia})
        ON CONFLICT (domain) DO UPDATE SET severity = EXCLUDED.severity, reject_media = EXCLUDED.reject_media`;
      if (severity === "silence") {
        const rows = await tx`
          UPDATE accounts SET silenced_at = now() WHERE domain IS NOT NULL AND silenced_at IS NULL AND ${ofDomain(tx, "domain", domain)}
          RETURNING id`;
        return { severed: 0, silenced: rows.length };
      }
      const follows = await tx`
        SELECT f.account_id, f.target_account_id FROM follows f
        JOIN accounts a ON a.id = f.account_id JOIN accounts t ON t.id = f.target_account_id
        WHERE (a.domain IS NOT NULL AND ${ofDomain(tx, "a.domain", domain)}) OR (t.domain IS NOT NULL AND ${ofDomain(tx, "t.domain", domain)})`;
      const requests = await tx`
        SELECT r.account_id, r.target_account_id FROM follow_requests r
        JOIN accounts a ON a.id = r.account_id JOIN accounts t ON t.id = r.target_account_id
        WHERE (a.domain IS NOT NULL AND ${ofDomain(tx, "a.domain", domain)}) OR (t.domain IS NOT NULL AND ${ofDomain(tx, "t.domain", domain)})`;
      const deltas: StatsDelta[] = [];
      let changed = 0;
      for (const f of follows) if (await removeFollowInTx(tx, f.account_id as string, f.target_account_id as string, deltas)) changed++;
      await bumpStats(tx, deltas);
      for (const r of requests) if (await cancelFollowRequestInTx(tx, r.account_id as string, r.target_account_id as string)) changed++;
      return { severed: changed, silenced: 0 };
    });
    clearDomainBlockCache();
    if (severed > 0) nudgeEventWorker();
    const effect = severity === "suspend" ? `${severed} follows and requests removed` : `${silenced} accounts silenced`;
    out.line(`Blocked ${domain} (${severity}): ${effect}`);
  },
};

const unblock: Command = {
  name: "domains unblock",
  summary: "Lift the block of a domain (follows removed by a suspension stay removed)",
  positionals: ["domain"],
  options: {},
  async run(ctx, args, out) {
    const domain = normalizeDomain(args.positionals.domain);
    const removed = await ctx.sql.begin(async (tx) => {
      const [row] = await tx`DELETE FROM instance_domain_blocks WHERE domain = ${domain} RETURNING severity, created_at`;
      if (!row) return null;
      // Lift the silence this block set (not one set before it).
      if (row.severity === "silence") {
        await tx`
          UPDATE accounts SET silenced_at = NULL
          WHERE domain IS NOT NULL AND silenced_at >= ${row.created_at} AND ${ofDomain(tx, "domain", domain)}`;
      }
      return row;
    });
    clearDomainBlockCache();
    if (!removed) throw new CommandError(`${domain} is not blocked`);
    out.line(`Unblocked ${domain}`);
  },
};

const list: Command = {
  name: "domains list",
  summary: "List blocked domains",
  positionals: [],
  options: {},
  async run(ctx, _args, out) {
    const rows = await listDomainBlocks(ctx.sql);
    if (rows.length === 0) {
      out.line("No blocked domains.");
      return;
    }
    const width = Math.max(6, ...rows.map((r) => r.domain.length));
    out.line(`${"DOMAIN".padEnd(width)}  SEVERITY  REJECT_MEDIA  CREATED`);
    for (const r of rows) {
      out.line(`${r.domain.padEnd(width)}  ${r.severity.padEnd(8)}  ${(r.reject_media ? "yes" : "no").padEnd(12)}  ${r.created_at.toISOString().slice(0, 10)}`);
    }
  },
};

export const domainCommands: Command[] = [block, unblock, list];
