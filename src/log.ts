/**
 * Logging through LogTape, the library Fedify logs with, so our lines and
 * Fedify's share one configuration and format.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { configure, getConsoleSink, getLogger, type Logger } from "@logtape/logtape";
import type { Config } from "./config.ts";

let configured = false;

export async function configureLogging(level: Config["logLevel"]): Promise<void> {
  if (configured) return;
  configured = true;
  await configure({
    sinks: { console: getConsoleSink() },
    // Fedify tags its log records with request/trace ids through this; without it LogTape warns on every request.
    contextLocalStorage: new AsyncLocalStorage(),
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
