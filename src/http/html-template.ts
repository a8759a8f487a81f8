/**
 * Server-rendered HTML (the sign-in pages, the public web pages): an `html`
 * tagged template that escapes every interpolation unless it is already-built
 * Html, so user-controlled text can never inject markup. HTML we produced
 * ourselves (formatter output, sanitised remote content) enters only through
 * an explicit `raw()`.
 */
import { escapeHtml } from "../text/html.ts";

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Marks trusted, already-safe HTML (our formatter's output, sanitised remote HTML). */
export function raw(value: string): Html {
  return new Html(value);
}

function render(value: unknown): string {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}

/** Tagged template: `html\`<p>${name}</p>\`` escapes `name`; nested Html and arrays of Html pass through. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => (out += render(value) + strings[i + 1]!));
  return new Html(out);
}
