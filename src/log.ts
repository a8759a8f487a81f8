/**
 * Logging through LogTape, the library Fedify logs with, so our lines and
 * Fedify's share one configuration and format.
 */
import { configure, getConsoleSink, getLogger, type Logger } from "@logtape/logtape";
import type { Config } from "./config.ts";

let configured = false;

export async function configureLogging(level: Config["logLevel"]): Promise<void> {
  if (configured) return;
  configured = true;
  await configure({
    sinks: { console: getConsoleSink() },
    loggers: [
      { category: "fedisky", lowestLevel: level, sinks: ["console"] },
      { category: "fedify", lowestLevel: level === "debug" ? "debug" : "warning", sinks: ["console"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
    ],
  });
}

export function logger(...category: string[]): Logger {
  return getLogger(["fedisky", ...category]);
}
