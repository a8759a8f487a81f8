/**
 * An exclusive claim on a directory of embedded state, held for the life of
 * the process. PGlite does not lock its data directory, and two processes
 * writing one PGlite database corrupt it, so the process that opens it
 * first writes its pid here and any other refuses to start.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";

export class DataDirLockedError extends Error {
  constructor(dir: string, pid: number) {
    super(`${dir} is in use by process ${pid}; stop it, or reach it through its control socket`);
    this.name = "DataDirLockedError";
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Claims `dir`; returns the release function. Throws DataDirLockedError when a live process holds it. */
export function lockDataDir(dir: string): () => void {
  const path = join(dir, "owner.pid");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      // "wx" creates atomically: of two processes starting together, one wins.
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number(readFileSync(path, "utf8").trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new DataDirLockedError(dir, owner);
      }
      // The owner died without releasing: the claim is stale.
      rmSync(path, { force: true });
    }
  }
  throw new Error(`could not claim ${dir}`);
}
