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
 * Values are converted by `convert.ts`, whose module docs list the
 * conversions; HTML boolean attributes and `<base href>` are handled here.
 *
 * @module
 */

import type { CheerioAPI } from "cheerio";
import { convert } from "./convert.ts";
import { compilePattern, type FieldType, type Rule, type RulesFile } from "./schema.ts";
import { detach } from "../output/detach.ts";

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
 * import { compileRules } from "./apply.ts";
 * import { parseRules } from "./rules.ts";
 * import assert from "node:assert/strict";
 *
 * const rules = compileRules(await parseRules({
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
    // Kept in the record: not a view on the page's text (see ../output/detach.ts).
    values.push(detach(value));
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
 * import { compileRules, extractFields } from "./apply.ts";
 * import { parseRules } from "./rules.ts";
 * import assert from "node:assert/strict";
 *
 * const [rule] = compileRules(await parseRules({
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
 * import { linksFromSelector } from "./apply.ts";
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
