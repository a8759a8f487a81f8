/** `accounts …`: local accounts, through the same use cases as the API. */
import { randomBytes } from "node:crypto";
import type { AppContext } from "../../context.ts";
import { createLocalAccount, hashPassword, validateNewAccount, type NewLocalAccount } from "../../../modules/accounts/service.ts";
import type { Output } from "../output.ts";
import { CommandError, type Command } from "./command.ts";

const ROLES = ["user", "moderator", "admin", "owner"] as const;
type Role = (typeof ROLES)[number];
const DEFAULT_LIST_LIMIT = 100;

function generatePassword(): string {
  // 144 random bits as 24 URL-safe characters: typeable, and far from the 72-character limit.
  return randomBytes(18).toString("base64url");
}

/** Accepts `alice`, `@alice` and `alice@LOCAL_DOMAIN`; anything else with a domain is not local. */
function localUsername(ctx: AppContext, input: string): string {
  const [name, domain, ...extra] = input.replace(/^@/, "").split("@");
  if (extra.length > 0 || (domain !== undefined && domain.toLowerCase() !== ctx.config.localDomain.toLowerCase())) {
    throw new CommandError(`"${input}" is not a local account of ${ctx.config.localDomain}`);
  }
  return name!;
}

interface LocalUser {
  accountId: string;
  userId: string;
  username: string;
  email: string;
  approved: boolean;
}

async function findLocalUser(ctx: AppContext, input: string): Promise<LocalUser> {
  const username = localUsername(ctx, input);
  const [row] = await ctx.sql`
    SELECT a.id AS account_id, u.id AS user_id, a.username, u.email, u.approved
    FROM accounts a JOIN users u ON u.account_id = a.id
    WHERE lower(a.username) = lower(${username}) AND a.domain IS NULL`;
  if (!row) throw new CommandError(`no local account named "${username}"`);
  return {
    accountId: row.account_id,
    userId: row.user_id,
    username: row.username,
    email: row.email,
    approved: row.approved,
  };
}

function handle(ctx: AppContext, username: string): string {
  return `@${username}@${ctx.config.localDomain}`;
}

function table(out: Output, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  out.line(format(header));
  for (const row of rows) out.line(format(row));
}

const create: Command = {
  name: "accounts create",
  summary: "Create a local account, confirmed and approved",
  details:
    "Reserved usernames (admin, support, …) are allowed here. Without --password a\n" +
    "random password is generated and printed once.",
  positionals: ["username"],
  options: {
    email: { type: "string", value: "EMAIL", description: "e-mail address (sign-in name)", required: true },
    password: { type: "string", value: "PASSWORD", description: "8 to 72 characters; generated when omitted" },
    role: { type: "string", value: "ROLE", description: `one of ${ROLES.join(", ")} (default user)` },
    "display-name": { type: "string", value: "NAME", description: "display name" },
  },
  async run(ctx, args, out) {
    const role = (args.values.role as string | undefined) ?? "user";
    if (!(ROLES as readonly string[]).includes(role)) {
      throw new CommandError(`--role must be one of ${ROLES.join(", ")}, got "${role}"`, 2);
    }
    const given = args.values.password as string | undefined;
    const input: NewLocalAccount = {
      username: localUsername(ctx, args.positionals.username!),
      email: args.values.email as string,
      password: given ?? generatePassword(),
      displayName: args.values["display-name"] as string | undefined,
      role: role as Role,
      confirmed: true,
      approved: true,
      allowReserved: true,
    };
    const created = await createLocalAccount(ctx, input);
    out.line(`Created ${handle(ctx, input.username)} (role ${role})`);
    out.line(`id: ${created.accountId}`);
    if (given === undefined) out.line(`password: ${input.password}`);
  },
};

const approve: Command = {
  name: "accounts approve",
  summary: "Approve a pending sign-up so it can sign in",
  positionals: ["username"],
  options: {},
  async run(ctx, args, out) {
    const user = await findLocalUser(ctx, args.positionals.username!);
    if (user.approved) {
      out.line(`${handle(ctx, user.username)} is already approved`);
      return;
    }
    await ctx.sql`UPDATE users SET approved = true WHERE id = ${user.userId}`;
    out.line(`Approved ${handle(ctx, user.username)}`);
  },
};

const list: Command = {
  name: "accounts list",
  summary: "List local accounts",
  positionals: [],
  options: {
    pending: { type: "boolean", description: "only sign-ups waiting for approval" },
    limit: { type: "string", value: "N", description: `at most N accounts, oldest first (default ${DEFAULT_LIST_LIMIT})` },
  },
  async run(ctx, args, out) {
    const rawLimit = (args.values.limit as string | undefined) ?? String(DEFAULT_LIST_LIMIT);
    if (!/^\d+$/.test(rawLimit) || Number(rawLimit) < 1) throw new CommandError(`--limit must be a positive number, got "${rawLimit}"`, 2);
    const limit = Number(rawLimit);
    const pending = args.values.pending === true;
    const rows = await ctx.sql`
      SELECT a.id, a.username, u.email, u.role, u.confirmed_at, u.approved, u.disabled, a.suspended_at, u.created_at
      FROM accounts a JOIN users u ON u.account_id = a.id
      WHERE a.domain IS NULL ${pending ? ctx.sql`AND NOT u.approved` : ctx.sql``}
      ORDER BY a.id
      LIMIT ${limit + 1}`;
    if (rows.length === 0) {
      out.line(pending ? "No sign-ups are waiting for approval." : "No local accounts yet.");
      return;
    }
    const shown = rows.slice(0, limit);
    const status = (r: (typeof rows)[number]) =>
      r.suspended_at ? "suspended" : r.disabled ? "disabled" : !r.approved ? "pending" : !r.confirmed_at ? "unconfirmed" : "active";
    table(
      out,
      ["ID", "USERNAME", "EMAIL", "ROLE", "STATUS", "CREATED"],
      shown.map((r) => [r.id, r.username, r.email, r.role, status(r), (r.created_at as Date).toISOString().slice(0, 10)]),
    );
    if (rows.length > limit) out.error(`(first ${limit} shown; pass --limit to see more)`);
  },
};

const setPassword: Command = {
  name: "accounts set-password",
  summary: "Set a local account's password",
  details: "Without --password a random password is generated and printed once.",
  positionals: ["username"],
  options: {
    password: { type: "string", value: "PASSWORD", description: "8 to 72 characters; generated when omitted" },
  },
  async run(ctx, args, out) {
    const user = await findLocalUser(ctx, args.positionals.username!);
    const given = args.values.password as string | undefined;
    const password = given ?? generatePassword();
    // The sign-up rules, applied to this account's real name and address so only the password can fail.
    const problems = validateNewAccount({ username: user.username, email: user.email, password, allowReserved: true }).password;
    if (problems) throw new CommandError(`password ${problems.map((p) => p.description).join(", ")}`);
    await ctx.sql`UPDATE users SET password_hash = ${await hashPassword(password)} WHERE id = ${user.userId}`;
    out.line(`Password changed for ${handle(ctx, user.username)}`);
    if (given === undefined) out.line(`password: ${password}`);
  },
};

export const accountCommands: Command[] = [create, approve, list, setPassword];
