/**
 * Converting a field's raw text to its type, for `--extract` rules. Nothing
 * here throws for bad page data: a value that does not convert is an error
 * result saying what was expected and received.
 *
 * Conversions:
 * - `number`: one number in the value, with any currency or unit text around
 *   it (`"$1,299.00"`, `"1.249,50 €"`, `"CHF 1'299.50"`, `"12 reviews"`).
 *   When both `.` and `,` appear, the last one is the decimal separator. A
 *   lone `,` followed by exactly three digits groups thousands (`"1,299"` is
 *   1299) and otherwise is a decimal comma (`"12,50"`); a lone `.` is always
 *   a decimal point (`"1.299"` is 1.299). Spaces and `'` group thousands.
 *   Groups must be well formed (`1,299,000` or Indian `1,29,999`), and two
 *   numbers in one value (`"4.5 out of 5"`) are an error, not a guess.
 * - `integer`: a `number` that is a safe integer (`"1,299.00"` passes).
 * - `boolean`: `true`/`false`, `yes`/`no`, `1`/`0`, any case. From
 *   `attr:NAME`, an HTML boolean attribute also works: present and empty
 *   (or equal to its name) is `true`, absent on a matched element `false`.
 * - `url`: resolved against `<base href>` and the page URL.
 * - `date`: anything `Date.parse` reads that holds a four-digit year (V8
 *   reads `"Item 7"` as 2001), as an ISO 8601 UTC string. Like `Date.parse`,
 *   date-only ISO forms are UTC and other forms without an offset are local
 *   time.
 *
 * @module
 */

import type { FieldType } from "./schema.ts";

/** A converted value or why it could not be. */
export type Converted = { value: string | number | boolean } | { error: string };

function received(raw: string): string {
  const text = JSON.stringify(raw);
  return `received ${text.length > 60 ? `${text.slice(0, 59)}…"` : text}`;
}

/**
 * Converts one raw value to a field type (rules in the module docs).
 *
 * @param raw The value read from the page, trimmed and non-empty.
 * @param type The field type.
 * @param base The base URL for `url` values.
 * @returns `{ value }`, or `{ error }` saying what was expected and received.
 *
 * @example Usage
 * ```ts
 * import { convert } from "./convert.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(convert("1.249,50 €", "number", "https://a.test/"), { value: 1249.5 });
 * assert.deepEqual(convert("maybe", "boolean", "https://a.test/"), {
 *   error: 'expected a boolean (true/false, yes/no, 1/0): received "maybe"',
 * });
 * ```
 */
export function convert(raw: string, type: FieldType, base: string): Converted {
  switch (type) {
    case "string":
      return { value: raw };
    case "number": {
      const value = parseNumber(raw);
      return value === undefined || !Number.isFinite(value)
        ? { error: `expected a number: ${received(raw)}` }
        : { value };
    }
    case "integer": {
      const value = parseNumber(raw);
      return value !== undefined && Number.isSafeInteger(value)
        ? { value }
        : { error: `expected an integer: ${received(raw)}` };
    }
    case "boolean": {
      const word = raw.toLowerCase();
      if (word === "true" || word === "yes" || word === "1") return { value: true };
      if (word === "false" || word === "no" || word === "0") return { value: false };
      return { error: `expected a boolean (true/false, yes/no, 1/0): ${received(raw)}` };
    }
    case "url": {
      const url = URL.parse(raw, base);
      return url ? { value: url.href } : { error: `expected a URL: ${received(raw)}` };
    }
    case "date": {
      const ms = /(?:^|\D)\d{4}(?:\D|$)/.test(raw) ? Date.parse(raw) : NaN;
      return Number.isNaN(ms)
        ? { error: `expected a date: ${received(raw)}` }
        : { value: new Date(ms).toISOString() };
    }
  }
}

const PLAIN_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;
const NUMBER_RUN = /[.,]?\d(?:[\d.,' \u00a0\u2009\u202f]*\d)?/g;
const GROUP_SEPARATORS = /[.,' \u00a0\u2009\u202f]/;
const NEGATIVE_PREFIX = /(?:^|[\s\p{Sc}])[-\u2212]\s*\p{Sc}?\s*$/u;

/**
 * Reads the one number in a price-like text (rules in the module docs).
 *
 * @param raw The text, e.g. `"$1,299.00"`.
 * @returns The number, or `undefined` when the text holds none, several, or
 * a badly grouped one.
 *
 * @example Usage
 * ```ts
 * import { parseNumber } from "./convert.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseNumber("$1,299.00"), 1299);
 * assert.equal(parseNumber("1.249,50 €"), 1249.5);
 * assert.equal(parseNumber("4.5 out of 5"), undefined);
 * ```
 */
export function parseNumber(raw: string): number | undefined {
  const text = raw.trim();
  if (PLAIN_NUMBER.test(text)) return Number(text);
  const runs = [...text.matchAll(NUMBER_RUN)];
  if (runs.length !== 1) return undefined;
  const run = runs[0]![0];
  const negative = NEGATIVE_PREFIX.test(text.slice(0, runs[0]!.index));
  const dots = run.split(".").length - 1;
  const commas = run.split(",").length - 1;
  let decimal: "." | "," | undefined;
  if (dots > 0 && commas > 0) decimal = run.lastIndexOf(".") > run.lastIndexOf(",") ? "." : ",";
  else if (dots === 1) decimal = ".";
  else if (commas === 1) decimal = /^[1-9][^,]*,\d{3}$/.test(run) ? undefined : ",";
  let intPart = run;
  let fraction = "";
  if (decimal !== undefined) {
    const at = run.lastIndexOf(decimal);
    if (run.indexOf(decimal) !== at) return undefined;
    intPart = run.slice(0, at);
    fraction = run.slice(at + 1);
    if (!/^\d*$/.test(fraction)) return undefined;
  }
  const groups = intPart === "" ? ["0"] : intPart.split(GROUP_SEPARATORS);
  if (groups.length > 1 && !wellGrouped(groups)) return undefined;
  const digits = groups.join("");
  const value = Number(fraction === "" ? digits : `${digits}.${fraction}`);
  return negative ? -value : value;
}

/** Thousands (`1,299,000`) or Indian lakh/crore (`1,29,99,999`) grouping. */
function wellGrouped(groups: string[]): boolean {
  const last = groups.length - 1;
  if (!/^\d{3}$/.test(groups[last]!)) return false;
  const middle = groups.slice(1, last);
  if (/^\d{1,3}$/.test(groups[0]!) && middle.every((g) => /^\d{3}$/.test(g))) return true;
  return /^\d{1,2}$/.test(groups[0]!) && middle.every((g) => /^\d{2}$/.test(g));
}
