/**
 * The crawl's options: one zod schema, validated once at the edge.
 *
 * @module
 */

import { z } from "zod";

const positiveInt = z.number({ error: "must be a positive integer" })
  .int({ error: "must be a positive integer" })
  .positive({ error: "must be a positive integer" });
const nonNegativeInt = z.number({ error: "must be a non-negative integer" })
  .int({ error: "must be a non-negative integer" })
  .nonnegative({ error: "must be a non-negative integer" });

const httpUrl = z.string({ error: "must be an http(s) URL" }).refine((value) => {
  const url = URL.parse(value);
  return url !== null && (url.protocol === "http:" || url.protocol === "https:");
}, { error: "must be an http(s) URL" });

const regex = z.string({ error: "must be a regular expression" }).refine((value) => {
  try {
    new RegExp(value);
    return true;
  } catch {
    return false;
  }
}, { error: "must be a valid regular expression" });

/** The default User-Agent: names the project and where to reach its operator. */
export const DEFAULT_USER_AGENT = "deno-crawler/0.1 (+https://example.invalid/crawler-contact)";

/** The zod schema of the crawl options; `CrawlOptions` is inferred from it. */
export const CrawlOptionsSchema = z.object({
  /** Where the crawl starts: absolute http(s) URLs. */
  seeds: z.array(httpUrl, { error: "must be a list of http(s) URLs" })
    .min(1, { error: "must name at least one URL" }),
  /** Most URLs fetched (seeds included). */
  maxPages: positiveInt.optional(),
  /** Most links followed from a seed (seeds are depth 0). */
  maxDepth: nonNegativeInt.optional(),
  /** `host` (default), `domain` or `any`. */
  scope: z.enum(["host", "domain", "any"], { error: "must be one of host, domain, any" })
    .default("host"),
  /** Regular expressions: a URL must match one (when any are given). */
  include: z.array(regex).default([]),
  /** Regular expressions: a URL matching one is skipped. */
  exclude: z.array(regex).default([]),
  /** Global cap on requests in flight (the Semaphore). */
  concurrency: positiveInt.default(16),
  /** Fetcher (producer) workers; default: `concurrency`. */
  fetchers: positiveInt.optional(),
  /** Parser (consumer) workers. */
  parsers: positiveInt.default(2),
  /** Capacity of the bounded page channel between fetchers and parsers. */
  queueSize: positiveInt.default(32),
  /** Whole-request deadline (headers, redirects and body), in ms. */
  timeoutMs: positiveInt.default(30_000),
  /** Stop taking new URLs after this long, in ms. */
  maxDurationMs: positiveInt.optional(),
  /** Most body bytes read per response (decompressed). */
  maxBytes: positiveInt.default(10 * 1024 * 1024),
  /** Most redirects followed per URL. */
  maxRedirects: nonNegativeInt.default(10),
  /** How consumers learn the crawl is over: `count` of live producers, or a `sentinel` each. */
  shutdown: z.enum(["count", "sentinel"], { error: "must be one of count, sentinel" })
    .default("count"),
  /** Follow `rel=nofollow` links too. */
  followNofollow: z.boolean({ error: "must be true or false" }).default(false),
  /** The User-Agent header sent. */
  userAgent: z.string().min(1, { error: "must not be empty" }).default(DEFAULT_USER_AGENT),
  /** `htmlparser2` (fast) or `parse5` (spec-exact). */
  parser: z.enum(["htmlparser2", "parse5"], { error: "must be one of htmlparser2, parse5" })
    .default("htmlparser2"),
  /** Query parameters removed for dedupe; a trailing `*` is a wildcard. */
  stripParams: z.array(z.string().min(1)).default([]),
  /** Sort query parameters for dedupe. */
  sortQuery: z.boolean({ error: "must be true or false" }).default(false),
}).strict();

/** Options as a caller may write them (defaults optional). */
export type CrawlOptionsInput = z.input<typeof CrawlOptionsSchema>;
/** Options after validation, defaults filled in. */
export type CrawlOptions = z.output<typeof CrawlOptionsSchema>;

/**
 * Bad options: names the option, says what it must be and what it got.
 */
export class OptionsError extends TypeError {
  /** The option's name (dotted path for nested ones). */
  readonly option: string;
  /** What it must be. */
  readonly expected: string;
  /** The value received, when there was one. */
  readonly received: unknown;

  /**
   * @param option The option's name.
   * @param expected What it must be, e.g. "must be a positive integer".
   * @param received The value received.
   */
  constructor(option: string, expected: string, received: unknown) {
    super(
      `Cannot crawl as '${option}' ${expected}` +
        (received === undefined ? "" : `: received ${JSON.stringify(received)}`),
    );
    this.name = "OptionsError";
    this.option = option;
    this.expected = expected;
    this.received = received;
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/**
 * Validates options and fills in defaults.
 *
 * @param input Options as written by the caller.
 * @returns The validated options.
 * @throws {OptionsError} Naming the first bad option.
 *
 * @example Usage
 * ```ts
 * import { parseCrawlOptions } from "./options.ts";
 * import assert from "node:assert/strict";
 *
 * const options = parseCrawlOptions({ seeds: ["https://example.org/"] });
 * assert.equal(options.concurrency, 16);
 * assert.throws(() => parseCrawlOptions({ seeds: [], concurrency: 0 }));
 * ```
 */
export function parseCrawlOptions(input: CrawlOptionsInput): CrawlOptions {
  const result = CrawlOptionsSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === "unrecognized_keys") {
    throw new OptionsError(issue.keys[0]!, "is not a known option", undefined);
  }
  const [key, ...rest] = issue.path;
  const option = [String(key), ...rest.map((k) => `[${String(k)}]`)].join("");
  throw new OptionsError(option, issue.message, valueAt(input, issue.path));
}
