/**
 * The admin commands and their dispatcher. `resolve` only parses (no
 * database), so help and usage errors answer at once; `execute` runs a
 * command against an AppContext, either the CLI's own or, through the
 * control socket, the running server's.
 */
import { parseArgs } from "node:util";
import type { AppContext } from "../../context.ts";
import { ApiError } from "../../http/errors.ts";
import { logger } from "../../log.ts";
import type { Output } from "../output.ts";
import { accountCommands } from "./accounts.ts";
import { announcementCommands } from "./announcements.ts";
import { dbCommands } from "./db.ts";
import { domainCommands } from "./domains.ts";
import { shardCommands } from "./shards.ts";
import { CommandError, type Args, type Command } from "./command.ts";

const log = logger("cli");

export const commands: Command[] = [...accountCommands, ...announcementCommands, ...dbCommands, ...domainCommands, ...shardCommands];

export type Resolution =
  | { kind: "help"; text: string }
  | { kind: "usage"; message: string; text: string }
  | { kind: "command"; command: Command; args: Args };

export function synopsis(command: Command): string {
  const parts = [command.name, ...command.positionals.map((p) => `<${p}>`)];
  for (const [name, option] of Object.entries(command.options)) {
    const flag = option.type === "string" ? `--${name} ${option.value ?? "VALUE"}` : `--${name}`;
    parts.push(option.required ? flag : `[${flag}]`);
  }
  return parts.join(" ");
}

export function generalHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "Usage: bun run admin <command> [arguments] [options]",
    "",
    "Administers this server. With the embedded database (no DATABASE_URL) a running",
    "server owns DATA_DIR, so commands are sent to it through DATA_DIR/control.sock;",
    "otherwise they run in this process with the same configuration as the server.",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run `bun run admin <command> --help` for a command's arguments and options.",
  ].join("\n");
}

export function commandHelp(command: Command): string {
  const lines = [`Usage: bun run admin ${synopsis(command)}`, "", command.summary];
  if (command.details) lines.push("", command.details);
  const options = Object.entries(command.options);
  if (options.length > 0) {
    const flags = options.map(([name, o]) => (o.type === "string" ? `--${name} ${o.value ?? "VALUE"}` : `--${name}`));
    const width = Math.max(...flags.map((f) => f.length));
    lines.push("", "Options:");
    options.forEach(([, o], i) => lines.push(`  ${flags[i]!.padEnd(width)}  ${o.description}`));
  }
  return lines.join("\n");
}

export function resolve(argv: string[]): Resolution {
  if (argv.length === 0) return { kind: "usage", message: "No command given.", text: generalHelp() };
  const wantsHelp = argv.some((a) => a === "--help" || a === "-h");
  const [group, action] = argv;
  if (group === "help" || group === "--help" || group === "-h") return { kind: "help", text: generalHelp() };
  // A command may be a single word (`shards`): its arguments start right after it.
  const single = commands.find((c) => c.name === group);
  const inGroup = single ? [single] : commands.filter((c) => c.name.startsWith(`${group} `));
  if (inGroup.length === 0) return { kind: "usage", message: `Unknown command "${group}".`, text: generalHelp() };
  const command = single ?? inGroup.find((c) => c.name === `${group} ${action}`);
  if (!command) {
    const text = [`Commands:`, ...inGroup.map((c) => `  ${synopsis(c)}\n      ${c.summary}`)].join("\n");
    if (wantsHelp) return { kind: "help", text };
    const message = action === undefined ? `"${group}" needs a subcommand.` : `Unknown command "${group} ${action}".`;
    return { kind: "usage", message, text };
  }
  if (wantsHelp) return { kind: "help", text: commandHelp(command) };

  const rest = argv.slice(single ? 1 : 2);
  const options = Object.fromEntries(
    Object.entries(command.options).map(([name, o]) => [name, o.short ? { type: o.type, short: o.short } : { type: o.type }]),
  );
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
  } catch (error) {
    return { kind: "usage", message: (error as Error).message, text: commandHelp(command) };
  }
  if (parsed.positionals.length !== command.positionals.length) {
    const message =
      parsed.positionals.length < command.positionals.length
        ? `Missing <${command.positionals[parsed.positionals.length]}>.`
        : `Unexpected argument "${parsed.positionals[command.positionals.length]}".`;
    return { kind: "usage", message, text: commandHelp(command) };
  }
  for (const [name, option] of Object.entries(command.options)) {
    if (option.required && parsed.values[name] === undefined) {
      return { kind: "usage", message: `Missing --${name}.`, text: commandHelp(command) };
    }
  }
  return {
    kind: "command",
    command,
    args: {
      positionals: Object.fromEntries(command.positionals.map((name, i) => [name, parsed.positionals[i]!])),
      values: parsed.values as Args["values"],
    },
  };
}

/** Exit code for a resolution that is not a command (help, usage error), after printing it. */
export function answerWithoutContext(resolution: Exclude<Resolution, { kind: "command" }>, out: Output): number {
  if (resolution.kind === "help") {
    out.line(resolution.text);
    return 0;
  }
  out.error(`${resolution.message}\n\n${resolution.text}`);
  return 2;
}

/** Resolves and runs argv against ctx; every failure becomes a message and an exit code. */
export async function execute(ctx: AppContext, argv: string[], out: Output): Promise<number> {
  const resolution = resolve(argv);
  if (resolution.kind !== "command") return answerWithoutContext(resolution, out);
  return runResolved(ctx, resolution.command, resolution.args, out);
}

export async function runResolved(ctx: AppContext, command: Command, args: Args, out: Output): Promise<number> {
  try {
    return (await command.run(ctx, args, out)) ?? 0;
  } catch (error) {
    if (error instanceof CommandError) {
      out.error(`error: ${error.message}`);
      return error.exitCode;
    }
    if (error instanceof ApiError) {
      out.error(`error: ${error.message}`);
      return 1;
    }
    log.error("Admin command {command} failed: {error}", { command: command.name, error });
    out.error(`error: ${command.name} failed: ${(error as Error)?.message ?? String(error)}`);
    return 1;
  }
}
