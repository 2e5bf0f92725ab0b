/**
 * The `--extract` rules file's schema: what a rules file is, as zod schemas
 * and as the input types they accept. Loading a file, with one-line errors
 * that name the place in it, is `rules.ts`'s.
 *
 * The file is a JSON object with one key, `rules`, a non-empty list (a bare
 * top-level array is refused, so the format can grow more keys later):
 *
 * ```json
 * {
 *   "rules": [
 *     {
 *       "name": "product",
 *       "match": "/products/*",
 *       "fields": {
 *         "name": { "selector": "h1", "required": true },
 *         "price": { "selector": ".price", "type": "number", "required": true },
 *         "image": { "selector": "img.photo", "value": "attr:src", "type": "url" },
 *         "tags": { "selector": ".tags li", "all": true }
 *       },
 *       "linksFrom": "a.next, .product a"
 *     }
 *   ]
 * }
 * ```
 *
 * A rule:
 * - `name` (optional): for messages; defaults to `rules[i]`.
 * - `match`: which pages the rule applies to. A string starting with one `/`
 *   is a pattern over the path (and query and fragment, when it names them)
 *   of any origin: `"/products/*"`, `"/search?q=*"`. Any other string is a
 *   full URL pattern (`"https://shop.test/products/:id"`), and an object is
 *   a URLPattern init (`{ "hostname": "*.shop.test", "pathname": "/p/*" }`).
 *   Components left out match anything. The syntax is URLPattern's.
 * - `fields` (optional, default none): name → field, where a field has
 *   - `selector`: a CSS selector (cheerio's, with its `:contains()` etc.);
 *   - `value`: `"text"` (default, whitespace collapsed), `"html"` (inner
 *     HTML) or `"attr:NAME"`;
 *   - `all`: `false` (default) takes the first match with a non-blank value,
 *     `true` makes a list of every match's value;
 *   - `type`: `string` (default), `number`, `integer`, `boolean`, `url`
 *     (resolved against the page) or `date` (an ISO 8601 string);
 *   - `required`: `false` (default); when `true` a missing value is a data
 *     error on the record.
 * - `linksFrom` (optional): a CSS selector; only links inside (or matching)
 *   it are followed from pages this rule matches.
 *
 * The first rule whose `match` matches a page applies to it; later rules are
 * not consulted. Unknown keys are errors, to catch typos like `selecter`.
 *
 * @module
 */

import { z } from "zod";

/** The field types, in the order messages list them. */
export const FIELD_TYPES = ["string", "number", "integer", "boolean", "url", "date"] as const;

/** One of {@linkcode FIELD_TYPES}. */
export type FieldType = (typeof FIELD_TYPES)[number];

/** The keys a URLPattern init object may have. */
const PATTERN_PARTS = [
  "protocol",
  "username",
  "password",
  "hostname",
  "port",
  "pathname",
  "search",
  "hash",
  "baseURL",
] as const;

/**
 * Checks that a CSS selector compiles.
 *
 * The selector engine is loaded on the first call, not with this module: it
 * and its CommonJS dependencies cost about 25 ms of start-up, which a crawl
 * that names no selector should not pay.
 *
 * @param selector The selector.
 * @returns `undefined` when it compiles, else the parser's complaint.
 *
 * @example Usage
 * ```ts
 * import { selectorProblem } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await selectorProblem(".price, a.next"), undefined);
 * assert.equal(await selectorProblem("a:nope"), "Unknown pseudo-class :nope");
 * ```
 */
export async function selectorProblem(selector: string): Promise<string | undefined> {
  // cheerio's own selector engine compiles (and so rejects a bad selector) even with
  // nothing to match; loading it alone spares the CLI the rest of cheerio.
  const { select } = await import("cheerio-select");
  try {
    select(selector, []);
    return undefined;
  } catch (error) {
    return firstLine(error).trim().replace(/[\s,:]+$/, "");
  }
}

/**
 * Compiles a rule's `match` into a URLPattern (see the module docs for the
 * forms it takes).
 *
 * @param match A pattern string or URLPattern init object.
 * @returns The compiled pattern.
 * @throws {TypeError} If the pattern does not compile.
 *
 * @example Usage
 * ```ts
 * import { compilePattern } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(compilePattern("/products/*").test("https://any.test/products/tent"));
 * ```
 */
export function compilePattern(match: string | URLPatternInit): URLPattern {
  if (typeof match !== "string") return new URLPattern(match);
  if (match.startsWith("/") && !match.startsWith("//")) {
    // Parse against a throwaway origin to split path, query and fragment the
    // URLPattern way, then keep only those parts so any origin matches.
    const parsed = new URLPattern(match, "https://any.invalid");
    return new URLPattern({ pathname: parsed.pathname, search: parsed.search, hash: parsed.hash });
  }
  return new URLPattern(match);
}

/**
 * The first line of an error's message, for one-line messages.
 *
 * @param error Anything thrown.
 * @returns Its message (or itself as a string) up to the first newline.
 *
 * @example Usage
 * ```ts
 * import { firstLine } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(firstLine(new Error("bad input\n  at line 2")), "bad input");
 * ```
 */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n", 1)[0]!;
}

function patternProblem(match: string | URLPatternInit): string | undefined {
  try {
    compilePattern(match);
    return undefined;
  } catch (error) {
    // Deno repeats the input in its message; the error line shows it once anyway.
    return firstLine(error).replace(/^Failed to parse \w+ from ".*?": /, "");
  }
}

const unknownKey = (allowed: readonly string[]) => (issue: { code: string }) =>
  issue.code === "unrecognized_keys"
    ? `unknown key, expected one of ${allowed.join(", ")}`
    : undefined;

const selectorSchema = z.string({ error: "expected a CSS selector string" })
  .min(1, { error: "expected a non-empty CSS selector" })
  .superRefine(async (selector, ctx) => {
    const problem = await selectorProblem(selector);
    if (problem !== undefined) {
      ctx.addIssue({ code: "custom", message: `invalid CSS selector (${problem})` });
    }
  });

const FIELD_KEYS = ["selector", "value", "all", "type", "required"] as const;

/** The zod schema of one field. */
export const FieldSchema = z.strictObject({
  selector: selectorSchema,
  value: z.string({ error: 'expected "text", "html" or "attr:NAME"' })
    .regex(/^(?:text|html|attr:[^\s"'<>/=]+)$/, { error: 'expected "text", "html" or "attr:NAME"' })
    .default("text"),
  all: z.boolean({ error: "expected true or false" }).default(false),
  type: z.enum(FIELD_TYPES, { error: `expected one of ${FIELD_TYPES.join(", ")}` }).default(
    "string",
  ),
  required: z.boolean({ error: "expected true or false" }).default(false),
}, { error: (issue) => unknownKey(FIELD_KEYS)(issue) ?? "expected a field object" });

const patternInit = z.strictObject(
  Object.fromEntries(
    PATTERN_PARTS.map((
      part,
    ) => [part, z.string({ error: "expected a pattern string" }).optional()]),
  ) as Record<(typeof PATTERN_PARTS)[number], z.ZodOptional<z.ZodString>>,
  { error: (issue) => unknownKey(PATTERN_PARTS)(issue) },
);

const matchSchema = z.union([z.string(), patternInit], {
  error: "expected a URL pattern string or URLPattern init object",
}).superRefine((match, ctx) => {
  const problem = patternProblem(match);
  if (problem !== undefined) {
    ctx.addIssue({ code: "custom", message: `invalid URL pattern: ${problem}` });
  }
});

const fieldName = z.string().min(1, { error: "expected a non-empty field name" });

const RULE_KEYS = ["name", "match", "fields", "linksFrom"] as const;

/** The zod schema of one rule. */
export const RuleSchema = z.strictObject({
  name: z.string({ error: "expected a string" }).min(1, { error: "expected a non-empty name" })
    .optional(),
  match: matchSchema,
  fields: z.record(fieldName, FieldSchema, { error: "expected an object of fields" }).default({}),
  linksFrom: selectorSchema.optional(),
}, { error: (issue) => unknownKey(RULE_KEYS)(issue) ?? "expected a rule object" });

/**
 * The zod schema of the whole rules file. Its selector checks load the
 * selector engine, so it parses with `parseAsync` or `safeParseAsync`.
 */
export const RulesFileSchema = z.strictObject({
  rules: z.array(RuleSchema, { error: "expected a list of rules" })
    .min(1, { error: "expected at least one rule" }),
}, { error: (issue) => unknownKey(["rules"])(issue) ?? 'expected an object with a "rules" list' });

/** One field as written in a rules file. */
export interface FieldInput {
  /** The CSS selector. */
  selector: string;
  /** `text` (default), `html` or `attr:NAME`. */
  value?: string;
  /** A list of every match instead of the first. Default false. */
  all?: boolean;
  /** The conversion: `string` (default), `number`, `integer`, `boolean`, `url` or `date`. */
  type?: FieldType;
  /** Whether a missing value is a data error. Default false. */
  required?: boolean;
}

/** A URLPattern given as its parts (any part left out matches anything). */
export interface PatternInput {
  /** e.g. `https` */
  protocol?: string;
  /** The user name part. */
  username?: string;
  /** The password part. */
  password?: string;
  /** e.g. `*.example.org` */
  hostname?: string;
  /** e.g. `8080` */
  port?: string;
  /** e.g. `/products/*` */
  pathname?: string;
  /** e.g. `page=*` */
  search?: string;
  /** The fragment part. */
  hash?: string;
  /** A base URL the other parts are relative to. */
  baseURL?: string;
}

/** One rule as written in a rules file. */
export interface RuleInput {
  /** A name for messages; default `rules[i]`. */
  name?: string;
  /** A pathname pattern (`/products/*`), a full URL pattern string, or its parts. */
  match: string | PatternInput;
  /** Named fields to extract. */
  fields?: Record<string, FieldInput>;
  /** Follow only links inside (or matching) this selector on matching pages. */
  linksFrom?: string;
}

/** A rules file as written (what `--extract` reads). */
export interface RulesFileInput {
  /** The rules, tried in order: the first matching rule applies. */
  rules: RuleInput[];
}

/** True when two types are identical. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;
// Fails type checking when the interfaces and the schema drift apart.
const _inputMatchesSchema: Equal<RulesFileInput, z.input<typeof RulesFileSchema>> = true;

/** One field after validation, defaults filled in. */
export type Field = z.output<typeof FieldSchema>;
/** One rule after validation, defaults filled in. */
export type Rule = z.output<typeof RuleSchema>;
/** The validated rules file. */
export type RulesFile = z.output<typeof RulesFileSchema>;
