/**
 * `bun run admin <command>`: the operator's CLI. Commands live in
 * ./commands; this file only decides where they run. When the server on this
 * configuration keeps state no other process may open (the embedded
 * defaults) and it is running, the command goes to it over the control
 * socket (./control.ts); otherwise this process opens the context itself.
 */
import { ConfigError, loadConfig, type Config } from "../config.ts";
import { configureLogging } from "../log.ts";
import { closeContext, openContext } from "../bootstrap.ts";
import { answerWithoutContext, resolve, runResolved } from "./commands/index.ts";
import { CommandError } from "./commands/command.ts";
import { hasEmbeddedState, runOnServer } from "./control.ts";
import { terminalOutput } from "./output.ts";

const out = terminalOutput();

async function main(argv: string[]): Promise<number> {
  const resolution = resolve(argv);
  if (resolution.kind !== "command") return answerWithoutContext(resolution, out);

  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    out.error(`Configuration error: ${error.message}`);
    return 2;
  }
  // Library chatter would drown the command's own output; warnings still show.
  await configureLogging(config.logLevel === "debug" ? "debug" : "warning");

  if (hasEmbeddedState(config)) {
    try {
      const code = await runOnServer(config.dataDir, argv, out);
      if (code !== null) return code;
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      out.error(`error: ${error.message}`);
      return error.exitCode;
    }
  }

  let ctx;
  try {
    ctx = await openContext(config, { migrate: !resolution.command.migrates });
  } catch (error) {
    out.error(`error: cannot open the server's data: ${(error as Error).message}`);
    return 1;
  }
  try {
    return await runResolved(ctx, resolution.command, resolution.args, out);
  } finally {
    await closeContext(ctx);
  }
}

const code = await main(process.argv.slice(2));
out.finish();
// Embedded engines may keep threads alive after close; the exit code is what matters.
process.exit(code);
