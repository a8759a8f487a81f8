/** What an admin command is; the commands themselves live beside this file. */
import type { AppContext } from "../../context.ts";
import type { Output } from "../output.ts";

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  /** e.g. "E" in `--email E`; strings only. */
  value?: string;
  description: string;
  required?: boolean;
}

export interface Args {
  /** Named by the command's `positionals`, all required. */
  positionals: Record<string, string>;
  values: Record<string, string | boolean | undefined>;
}

export interface Command {
  /** "group action", as typed. */
  name: string;
  summary: string;
  /** Extra paragraphs for `<command> --help`. */
  details?: string;
  positionals: string[];
  options: Record<string, OptionSpec>;
  /** The command applies migrations itself, so the CLI must not apply them while opening the database. */
  migrates?: boolean;
  /** Returns the exit code (0 when omitted). */
  run(ctx: AppContext, args: Args, out: Output): Promise<number | void>;
}

/** A failure the operator can act on: printed as `error: message`, no stack. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "CommandError";
  }
}
