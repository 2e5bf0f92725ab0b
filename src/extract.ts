/**
 * Applying `--extract` rules to a parsed page: picking the rule for a URL,
 * reading and converting its fields, and the links a rule allows.
 *
 * A field's values are those of the elements its selector matches, in
 * document order, skipping blank ones (an empty `<span class="price">` is
 * as good as none). Without `all` the first non-blank value is taken; a
 * field with none is `null`, plus a `missing` data error when required.
 * With `all: true` the field is a list (empty when nothing matched); an item
 * that fails its type is `null` in the list and a data error names it by
 * index, e.g. `price[2]`. Nothing here throws for bad page data: problems go
 * to `dataErrors`.
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

import type { CheerioAPI } from "cheerio";
import { compilePattern, type FieldType, type Rule, type RulesFile } from "./extract_rules.ts";

/** How a field reads an element. */
export type ValueReader =
  | { kind: "text" }
  | { kind: "html" }
  | { kind: "attr"; name: string };

/** A field ready to apply. */
export interface CompiledField {
  /** The key in the record's `data`. */
  name: string;
  /** The CSS selector. */
  selector: string;
  /** What is read from each matched element. */
  read: ValueReader;
  /** A list of every match instead of the first. */
  all: boolean;
  /** The conversion applied. */
  type: FieldType;
  /** Whether a missing value is a data error. */
  required: boolean;
}

/** A rule ready to apply. */
export interface CompiledRule {
  /** Its position in the file. */
  index: number;
  /** Its `name`, or `rules[index]`. */
  name: string;
  /** The compiled `match`. */
  pattern: URLPattern;
  /** The fields, in file order. */
  fields: CompiledField[];
  /** Only links inside (or matching) this selector are followed; `undefined` follows all. */
  linksFrom: string | undefined;
}

/** A field that could not be filled. */
export interface DataError {
  /** The field's name, with `[i]` for an item of an `all` field. */
  field: string;
  /** `missing`, or why the value failed its type. */
  error: string;
}

/** What extraction yields for one page. */
export interface ExtractResult {
  /** Field name → value (`null` when missing or invalid). */
  data: Record<string, unknown>;
  /** The fields that were missing although required, or failed their type. */
  dataErrors: DataError[];
}

/** Compiled rules: the rule for a URL, and extraction. */
export interface CompiledRules {
  /** The rules, in file order. */
  readonly rules: readonly CompiledRule[];
  /**
   * The first rule matching a URL.
   *
   * @param url An absolute URL.
   * @returns The rule, or `undefined` when none matches.
   */
  match(url: string): CompiledRule | undefined;
  /**
   * Applies a rule to a page (see {@linkcode extractFields}).
   *
   * @param $ The parsed page.
   * @param pageUrl The page's final URL.
   * @param rule The rule, usually from `match()`.
   * @returns The data and its errors.
   */
  extract($: CheerioAPI, pageUrl: string, rule: CompiledRule): ExtractResult;
}

function compileRule(rule: Rule, index: number): CompiledRule {
  const fields = Object.entries(rule.fields).map(([name, field]): CompiledField => {
    const read: ValueReader = field.value.startsWith("attr:")
      // htmlparser2 lower-cases attribute names, so the rule must too.
      ? { kind: "attr", name: field.value.slice(5).toLowerCase() }
      : { kind: field.value as "text" | "html" };
    return {
      name,
      selector: field.selector,
      read,
      all: field.all,
      type: field.type,
      required: field.required,
    };
  });
  return {
    index,
    name: rule.name ?? `rules[${index}]`,
    pattern: compilePattern(rule.match),
    fields,
    linksFrom: rule.linksFrom,
  };
}

/**
 * Compiles validated rules.
 *
 * @param rules The rules file from `loadRules`/`parseRules`, or its `rules`.
 * @returns The compiled rules.
 * @throws {TypeError} If a `match` does not compile (validated rules always do).
 *
 * @example Usage
 * ```ts
 * import * as cheerio from "cheerio";
 * import { compileRules } from "./extract.ts";
 * import { parseRules } from "./extract_rules.ts";
 * import assert from "node:assert/strict";
 *
 * const rules = compileRules(parseRules({
 *   rules: [{ match: "/p/*", fields: { price: { selector: ".price", type: "number" } } }],
 * }));
 * const url = "https://shop.test/p/1";
 * const rule = rules.match(url)!;
 * const $ = cheerio.load('<p class="price">$1,299.00</p>', { xml: { xmlMode: false } });
 * assert.deepEqual(rules.extract($, url, rule), { data: { price: 1299 }, dataErrors: [] });
 * ```
 */
export function compileRules(rules: RulesFile | readonly Rule[]): CompiledRules {
  const list = ("rules" in rules ? rules.rules : rules).map(compileRule);
  return {
    rules: list,
    match(url) {
      for (const rule of list) if (rule.pattern.test(url)) return rule;
      return undefined;
    },
    extract: extractFields,
  };
}

/** The document's base URL: `<base href>` resolved against the page URL. */
function documentBase($: CheerioAPI, pageUrl: string): string {
  const href = $("base[href]").first().attr("href");
  return (href !== undefined && URL.parse(href.trim(), pageUrl)?.href) || pageUrl;
}

function readValues($: CheerioAPI, field: CompiledField, limit: number): string[] {
  const values: string[] = [];
  const { read } = field;
  const booleanAttr = read.kind === "attr" && field.type === "boolean";
  for (const el of $.root().find(field.selector)) {
    let value: string | undefined;
    if (read.kind === "text") value = $(el).text().replace(/\s+/g, " ");
    else if (read.kind === "html") value = $(el).html() ?? undefined;
    else value = el.attribs[read.name];
    if (booleanAttr) {
      // HTML boolean attributes: present means true, absent means false.
      if (value === undefined) value = "false";
      else if (value.trim() === "" || value.trim().toLowerCase() === read.name) value = "true";
    }
    value = value?.trim();
    if (value === undefined || value === "") continue;
    values.push(value);
    if (values.length === limit) break;
  }
  return values;
}

/**
 * Reads and converts a rule's fields from a page.
 *
 * @param $ The parsed page.
 * @param pageUrl The page's final URL, the base for `url` fields.
 * @param rule The compiled rule.
 * @returns The data (every field present, `null` when missing) and the data errors.
 *
 * @example Usage
 * ```ts
 * import * as cheerio from "cheerio";
 * import { compileRules, extractFields } from "./extract.ts";
 * import { parseRules } from "./extract_rules.ts";
 * import assert from "node:assert/strict";
 *
 * const [rule] = compileRules(parseRules({
 *   rules: [{ match: "/*", fields: { sku: { selector: ".sku", required: true } } }],
 * })).rules;
 * const $ = cheerio.load("<h1>Tent</h1>", { xml: { xmlMode: false } });
 * assert.deepEqual(extractFields($, "https://a.test/", rule!), {
 *   data: { sku: null },
 *   dataErrors: [{ field: "sku", error: "missing" }],
 * });
 * ```
 */
export function extractFields($: CheerioAPI, pageUrl: string, rule: CompiledRule): ExtractResult {
  const data: Record<string, unknown> = {};
  const dataErrors: DataError[] = [];
  let base: string | undefined;
  const convertOne = (raw: string, field: CompiledField, label: string): unknown => {
    if (field.type === "url") base ??= documentBase($, pageUrl);
    const result = convert(raw, field.type, base ?? pageUrl);
    if ("error" in result) {
      dataErrors.push({ field: label, error: result.error });
      return null;
    }
    return result.value;
  };
  for (const field of rule.fields) {
    const values = readValues($, field, field.all ? Infinity : 1);
    if (values.length === 0 && field.required) {
      dataErrors.push({ field: field.name, error: "missing" });
    }
    if (field.all) {
      data[field.name] = values.map((raw, i) => convertOne(raw, field, `${field.name}[${i}]`));
    } else {
      data[field.name] = values.length === 0 ? null : convertOne(values[0]!, field, field.name);
    }
  }
  return { data, dataErrors };
}

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
 * import { convert } from "./extract.ts";
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
 * import { parseNumber } from "./extract.ts";
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

/**
 * The links under a selector, for rules that limit which links are followed:
 * the `a[href]` and `area[href]` elements matching it or inside an element
 * matching it, resolved against `<base href>` and the page URL, in document
 * order, deduplicated, not normalized (the crawler normalizes them).
 * Unparsable hrefs are dropped.
 *
 * @param $ The parsed page.
 * @param selector A CSS selector, e.g. `"a.next, .product a"`.
 * @param baseUrl The page's final URL.
 * @returns The absolute link URLs.
 * @throws {Error} If the selector does not compile (validated rules always do).
 *
 * @example Usage
 * ```ts
 * import * as cheerio from "cheerio";
 * import { linksFromSelector } from "./extract.ts";
 * import assert from "node:assert/strict";
 *
 * const $ = cheerio.load('<a href="/x">x</a><nav><a href="p/2">next</a></nav>', {
 *   xml: { xmlMode: false },
 * });
 * assert.deepEqual(linksFromSelector($, "nav", "https://a.test/list/"), [
 *   "https://a.test/list/p/2",
 * ]);
 * ```
 */
export function linksFromSelector($: CheerioAPI, selector: string, baseUrl: string): string[] {
  const roots = new Set<unknown>($.root().find(selector).toArray());
  if (roots.size === 0) return [];
  const base = documentBase($, baseUrl);
  const out: string[] = [];
  const seen = new Set<string>();
  type TreeNode = { parent: TreeNode | null };
  for (const link of $.root().find("a[href], area[href]")) {
    // Walking up is cheaper than a `closest()` per link: pages have many links.
    let node: TreeNode | null = link;
    while (node !== null && !roots.has(node)) node = node.parent;
    if (node === null) continue;
    const href = URL.parse(link.attribs.href!.trim(), base)?.href;
    if (href === undefined || seen.has(href)) continue;
    seen.add(href);
    out.push(href);
  }
  return out;
}
