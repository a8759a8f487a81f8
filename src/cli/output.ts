/**
 * Where admin commands write. A command never touches process.stdout itself:
 * the same implementation runs in the CLI process (writing to the terminal)
 * and inside the server (streaming events over the control socket to a CLI
 * that renders them), so it only sees this interface.
 */

export interface Output {
  /** A line of the command's result (stdout). */
  line(text: string): void;
  /** A message for the operator: warnings and errors (stderr). */
  error(text: string): void;
  /**
   * `done` of `total` units finished; `label` says what is happening now.
   * Call it as often as convenient: renderers throttle.
   */
  progress(done: number, total: number, label?: string): void;
}

interface Stream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** How often a non-terminal gets a progress line when the label stays the same. */
const PLAIN_INTERVAL_MS = 2_000;
/** How often a terminal's progress line is redrawn. */
const TTY_INTERVAL_MS = 80;

/**
 * Renders an Output on a terminal or into a log. Progress goes to stderr so
 * stdout stays what a script would parse: on a TTY one line redrawn in place,
 * otherwise plain `[done/total] label` lines (each new label, the end, and at
 * most one every couple of seconds in between).
 */
export function terminalOutput(stdout: Stream = process.stdout, stderr: Stream = process.stderr): Output & {
  /** Ends a progress line left open (before exiting). */
  finish(): void;
} {
  const tty = Boolean(stderr.isTTY);
  let open = false;
  let lastLabel: string | undefined;
  let lastAt = 0;

  const clear = () => {
    if (open) stderr.write("\r\x1b[2K");
    open = false;
  };

  return {
    line(text) {
      clear();
      stdout.write(`${text}\n`);
    },
    error(text) {
      clear();
      stderr.write(`${text}\n`);
    },
    progress(done, total, label) {
      const now = Date.now();
      const finished = total > 0 && done >= total;
      const changed = label !== lastLabel;
      if (!finished && !changed && now - lastAt < (tty ? TTY_INTERVAL_MS : PLAIN_INTERVAL_MS)) return;
      lastAt = now;
      lastLabel = label;
      const text = renderProgress(done, total, label, tty ? stderr.columns || 80 : Infinity, tty);
      if (tty) {
        stderr.write(`\r\x1b[2K${text}`);
        open = !finished;
        if (finished) stderr.write("\n");
      } else {
        stderr.write(`${text}\n`);
      }
    },
    finish() {
      if (open) stderr.write("\n");
      open = false;
    },
  };
}

export function renderProgress(done: number, total: number, label: string | undefined, width: number, bar: boolean): string {
  const count = `[${done}/${total}]`;
  let text = count;
  if (bar && total > 0) {
    const size = 20;
    const filled = Math.min(size, Math.round((done / total) * size));
    text = `${"#".repeat(filled)}${".".repeat(size - filled)} ${count}`;
  }
  if (label) text += ` ${label}`;
  return text.length > width - 1 ? text.slice(0, Math.max(0, width - 2)) + "…" : text;
}

