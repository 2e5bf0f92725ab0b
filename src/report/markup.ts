/**
 * The building blocks of the `--report` HTML: the {@linkcode markup} tag,
 * which escapes everything interpolated into it unless it is already
 * {@linkcode Html}, and how the report writes numbers, durations, dates and
 * sizes.
 *
 * @module
 */

/**
 * Markup that is already safe; everything else interpolated into
 * {@linkcode markup} is escaped.
 *
 * @example Usage
 * ```ts
 * import { Html, markup } from "./markup.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(markup`<p>${new Html("<b>kept</b>")}</p>`.text, "<p><b>kept</b></p>");
 * ```
 */
export class Html {
  /**
   * Wraps markup that needs no escaping.
   *
   * @param text The markup, safe as it is.
   */
  constructor(readonly text: string) {}

  /**
   * The markup.
   *
   * @returns The wrapped text.
   */
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Everything shown comes from the web or the command line, so escaping is the default. */
function part(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(part).join("");
  if (value === null || value === undefined || value === false) return "";
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/**
 * The template tag that builds the report: interpolated values are escaped,
 * except {@linkcode Html}; arrays are joined; `null`, `undefined` and `false`
 * add nothing, so a `cond && markup` guard leaves no trace when `cond` fails.
 *
 * @param strings The template's literal parts.
 * @param values The interpolated values.
 * @returns The markup.
 *
 * @example Usage
 * ```ts
 * import { markup } from "./markup.ts";
 * import assert from "node:assert/strict";
 *
 * const title = "<script>";
 * assert.equal(markup`<h1>${title}</h1>${false}`.text, "<h1>&lt;script&gt;</h1>");
 * ```
 */
export function markup(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += part(values[i]) + strings[i + 1]!;
  return new Html(out);
}

const nf = new Intl.NumberFormat("en-US");

/**
 * A count with thousands separators.
 *
 * @param n The number.
 * @returns It in `en-US` form.
 *
 * @example Usage
 * ```ts
 * import { num } from "./markup.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(num(1234567), "1,234,567");
 * ```
 */
export const num = (n: number): string => nf.format(n);

/**
 * A duration as people read it: ms, s, min or h.
 *
 * @param ms The duration, in ms.
 * @returns E.g. `42 ms`, `1.50 s`, `1 min 30 s`.
 *
 * @example Usage
 * ```ts
 * import { fmtMs } from "./markup.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(fmtMs(42), "42 ms");
 * assert.equal(fmtMs(90_000), "1 min 30 s");
 * ```
 */
export function fmtMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor(s / 60) % 60} min`;
}

/**
 * `2025-01-01 10:00:00 UTC` from an ISO date; anything else as given.
 *
 * @param iso An ISO 8601 date.
 * @returns The date in UTC, to the second.
 *
 * @example Usage
 * ```ts
 * import { fmtDate } from "./markup.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(fmtDate("2025-01-01T10:00:00.000Z"), "2025-01-01 10:00:00 UTC");
 * ```
 */
export function fmtDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/**
 * A size in B, KB, MB, GB or TB (powers of 1024).
 *
 * @param n The size, in bytes.
 * @returns E.g. `512 B`, `1.5 KB`.
 *
 * @example Usage
 * ```ts
 * import { fmtBytes } from "./markup.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(fmtBytes(1536), "1.5 KB");
 * ```
 */
export function fmtBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  for (; n >= 1024 && i < units.length - 1; i++) n /= 1024;
  return `${i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
}
