/**
 * The crawl's options: one zod schema, the source of every default and of
 * the validated type, {@linkcode CrawlOptions}. Options are validated once,
 * at the edge (`crawl()`, or the CLI's argument parser), by
 * {@linkcode parseCrawlOptions}; the pipeline takes the validated type and
 * each component declares the slice of it that it reads.
 *
 * @module
 */

import { z } from "zod";
import { AddressGuard } from "../http/address_guard.ts";
import { RulesFileSchema, selectorProblem } from "../extract/schema.ts";
import { redactSeed, withoutCredentials } from "../frontier/seeds.ts";
import { compileRenderMatch } from "../render/match.ts";
import { valueAt } from "../validate/value_at.ts";
import type { CrawlOptionsInput } from "./options_input.ts";

const positiveInt = z.number({ error: "must be a positive integer" })
  .int({ error: "must be a positive integer" })
  .positive({ error: "must be a positive integer" });
const nonNegativeInt = z.number({ error: "must be a non-negative integer" })
  .int({ error: "must be a non-negative integer" })
  .nonnegative({ error: "must be a non-negative integer" });
/** Timers hold at most 2^31 - 1 ms (about 24.8 days); longer ones would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;
const timerError = { error: `must be at most ${MAX_TIMER_MS} ms (about 24.8 days)` };
const positiveMs = positiveInt.max(MAX_TIMER_MS, timerError);
const nonNegativeMs = nonNegativeInt.max(MAX_TIMER_MS, timerError);

/** A refinement that accepts a value when `check` does not throw on it. */
function passes(check: (value: string) => unknown): (value: string) => boolean {
  return (value) => {
    try {
      check(value);
      return true;
    } catch {
      return false;
    }
  };
}

const httpUrl = z.string({ error: "must be an http(s) URL" }).refine(
  passes((value) => {
    const url = new URL(value);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError("not http(s)");
    // Credentials become a header: their escapes must decode.
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
  }),
  { error: "must be an http(s) URL" },
);

const regex = z.string({ error: "must be a regular expression" })
  .refine(passes((value) => new RegExp(value)), { error: "must be a valid regular expression" });

const cidr = z.string({ error: "must be a CIDR range" }).refine(
  passes((value) => new AddressGuard({ allowCidrs: [value] })),
  { error: "must be a CIDR range such as 10.0.0.0/8 or ::1/128" },
);

const flag = z.boolean({ error: "must be true or false" });

const renderPattern = z.string({ error: "must be a URL pattern or regular expression" }).refine(
  passes(compileRenderMatch),
  { error: "must be a URL pattern (/path/*, https://host/*) or a valid regular expression" },
);
const cssSelector = z.string({ error: "must be a CSS selector" })
  .refine(async (value) => (await selectorProblem(value)) === undefined, {
    error: "must be a valid CSS selector",
  });

/** Header names are RFC 9110 tokens. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers whose values are secrets: never shown, sent to the seeds' origins only. */
export const SECRET_HEADERS: ReadonlySet<string> = new Set([
  "authorization",
  "cookie",
  "proxy-authorization",
]);
/** The header object: names are tokens (not User-Agent), values single lines. */
const headers = z.record(z.string(), z.string(), {
  error: "must be an object of header names and string values",
}).superRefine((value, context) => {
  for (const [name, text] of Object.entries(value)) {
    // Named in the message, never repeated as the value: a header may hold a secret.
    const problem = !HEADER_NAME.test(name)
      ? `must hold header names (letters, digits and !#$%&'*+.^_\`|~-): ${
        JSON.stringify(name)
      } is not one`
      : name.toLowerCase() === "user-agent"
      // The User-Agent also picks the robots.txt group: one option sets both.
      ? "must not set User-Agent: use userAgent (--user-agent)"
      : /[\r\n\0]/.test(text)
      ? `must hold values without line breaks: ${name}'s has one`
      : undefined;
    if (problem) context.addIssue({ code: "custom", message: problem, path: [name] });
  }
});
const proxyUrl = z.string({ error: "must be a proxy URL" }).refine(
  passes((value) => {
    if (!PROXY_PROTOCOLS.includes(new URL(value).protocol)) throw new TypeError("not a proxy URL");
  }),
  { error: "must be an http://, https://, socks5:// or socks5h:// URL" },
);
const PROXY_PROTOCOLS = ["http:", "https:", "socks5:", "socks5h:"];

/** What `check` may list. */
const CHECKS = ["assets", "external", "fragments"] as const;
const CHECKS_ERROR = { error: `must list some of ${CHECKS.join(", ")}` };

/** A 4xx or 5xx status, or a range of them (`400..403`). */
const STATUS_RANGE = /^([45][0-9][0-9])(?:\.\.([45][0-9][0-9]))?$/;
const STATUS_ERROR = "must hold 4xx or 5xx statuses (400-599) or ranges such as 400..403";
const statusRange = z.union([z.number(), z.string()], { error: STATUS_ERROR })
  .transform((value, context) => {
    const match = STATUS_RANGE.exec(String(value).trim());
    const from = match ? Number(match[1]) : NaN;
    const to = match?.[2] === undefined ? from : Number(match[2]);
    if (!(from <= to)) {
      context.addIssue({ code: "custom", message: STATUS_ERROR });
      return z.NEVER;
    }
    return { from, to };
  });

/** The default User-Agent: names the project and where to reach its operator. */
export const DEFAULT_USER_AGENT = "deno-crawler/0.1 (+https://example.invalid/crawler-contact)";

/**
 * The zod schema of the crawl options; `CrawlOptions` is inferred from it.
 * Its CSS selector checks are asynchronous: {@linkcode parseCrawlOptions}
 * parses with `safeParseAsync`.
 */
export const CrawlOptionsSchema = z.object({
  /** Where the crawl starts: absolute http(s) URLs. */
  seeds: z.array(httpUrl, { error: "must be a list of http(s) URLs" })
    .min(1, { error: "must name at least one URL" }),
  /** Most URLs fetched (seeds included), in the whole crawl: every run of a durable one. */
  maxPages: positiveInt.optional(),
  /** Most URLs fetched by one invocation (seeds included). */
  maxPagesPerRun: positiveInt.optional(),
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
  /** The longest one page may take to parse in a parser worker, in ms. */
  parseTimeoutMs: positiveMs.default(5_000),
  /** Parser Web Workers; 0 parses in the crawler's own isolate. Default: see {@linkcode parserWorkers}. */
  parsers: nonNegativeInt.optional(),
  /**
   * Capacity of the bounded page channel between fetchers and parsers, and how many pages
   * each parser worker may hold at once.
   */
  queueSize: positiveInt.default(32),
  /** Whole-request deadline (headers, redirects and body), in ms. */
  timeoutMs: positiveMs.default(30_000),
  /** Stop taking new URLs after this long, in ms. */
  maxDurationMs: positiveMs.optional(),
  /** Most body bytes read per response (decompressed). */
  maxBytes: positiveInt.default(10 * 1024 * 1024),
  /** Most redirects followed per URL. */
  maxRedirects: nonNegativeInt.default(10),
  /** How consumers learn the crawl is over: `count` of live producers, or a `sentinel` each. */
  shutdown: z.enum(["count", "sentinel"], { error: "must be one of count, sentinel" })
    .default("count"),
  /** Follow `rel=nofollow` links too. */
  followNofollow: flag.default(false),
  /** The User-Agent header sent. */
  userAgent: z.string().min(1, { error: "must not be empty" }).default(DEFAULT_USER_AGENT),
  /** `htmlparser2` (fast) or `parse5` (spec-exact). */
  parser: z.enum(["htmlparser2", "parse5"], { error: "must be one of htmlparser2, parse5" })
    .default("htmlparser2"),
  /** Query parameters removed for dedupe; a trailing `*` is a wildcard. */
  stripParams: z.array(z.string().min(1)).default([]),
  /** Sort query parameters for dedupe. */
  sortQuery: flag.default(false),
  /** Treat `<link rel=canonical>` targets as seen, and skip pages whose canonical was seen. */
  dedupeCanonical: flag.default(false),
  /** Longest URL queued, in characters. */
  maxUrlLength: positiveInt.default(2048),
  /** Most URLs admitted per host. */
  maxPagesPerHost: positiveInt.optional(),
  /** Most requests in flight per host, on top of `concurrency`. */
  perHost: positiveInt.default(2),
  /** Least interval between request starts to one host, in ms. */
  delayMs: nonNegativeMs.default(0),
  /** Extra attempts after a transient failure. */
  retries: nonNegativeInt.default(2),
  /** The first retry's backoff before jitter, in ms; it doubles per attempt. */
  retryDelayMs: nonNegativeMs.default(500),
  /** The longest retry backoff, in ms. */
  maxRetryDelayMs: nonNegativeMs.default(30_000),
  /** The longest `Retry-After` pause honoured, in ms; longer ones are cut to it. */
  maxRetryAfterMs: nonNegativeMs.default(300_000),
  /** Do not fetch or obey robots.txt. */
  ignoreRobots: flag.default(false),
  /** Write records for URLs skipped by robots.txt (`error: "robots"`). */
  logSkipped: flag.default(false),
  /** Allow hosts that are or resolve to private, loopback or link-local addresses. */
  allowPrivate: flag.default(false),
  /** CIDR ranges allowed despite the private-address guard. */
  allowAddresses: z.array(cidr).default([]),
  /** Keep cookies across requests (off by default). */
  cookies: flag.default(false),
  /** Extra request headers for pages; `Authorization` and `Cookie` go to the seeds' origins only. */
  headers: headers.optional(),
  /** Every request goes through this proxy: an http://, https://, socks5:// or socks5h:// URL. */
  proxy: proxyUrl.optional(),
  /** Seed the frontier from robots.txt `Sitemap:` lines and `/sitemap.xml`. */
  sitemaps: flag.default(false),
  /** Most URLs taken from sitemaps. */
  maxSitemapUrls: positiveInt.default(100_000),
  /** Declarative extraction rules (the `--extract` file's content). */
  rules: RulesFileSchema.optional(),
  /** Follow only links inside (or matching) this CSS selector, where no rule says otherwise. */
  linksFrom: cssSelector.optional(),
  /** A module specifier whose `extract($, page)` export fills the record's `data`. */
  extractModule: z.string().min(1, { error: "must be a module specifier" }).optional(),
  /** Check besides pages: `assets`, `external` links, link `fragments`; checked, never crawled. */
  check: z.array(z.enum(CHECKS, CHECKS_ERROR), CHECKS_ERROR).min(1, CHECKS_ERROR).optional()
    .transform((value) => value ?? []),
  /** Keep each link's tag and text in records (`refs`); always on with `check`. */
  linkRefs: flag.default(false),
  /** HTTP statuses counted as fine although 4xx or 5xx: numbers or ranges like `400..403`. */
  accept: z.array(statusRange, { error: STATUS_ERROR }).min(1, { error: STATUS_ERROR }).optional()
    .transform((value) => value ?? []),
  /** Archive every exchange as WARC/1.1 in files named after this `FILE.warc.gz`. */
  warc: z.string({ error: "must be a file name ending in .warc.gz" })
    .regex(/[^/\\]\.warc\.gz$/, { error: "must be a file name ending in .warc.gz" })
    .optional(),
  /** Start a new WARC file before one would grow past this many bytes. */
  warcMaxSize: positiveInt.default(1_000_000_000),
  /** Write a CDXJ index beside each WARC file. */
  warcCdx: flag.default(false),
  /** Render every page in headless Chromium. */
  render: flag.default(false),
  /** Render only URLs matching one of these (URL patterns or regular expressions). */
  renderMatch: z.array(renderPattern, { error: "must be a list of patterns" }).default([]),
  /** Tabs rendering at once, in one browser. */
  renderTabs: positiveInt.default(2 * (navigator.hardwareConcurrency || 1)),
  /** How long the network must be idle after the load event before a page is done, in ms. */
  renderIdleMs: positiveMs.default(500),
  /** A rendered page is done when this CSS selector matches (instead of network idle). */
  waitFor: cssSelector.optional(),
  /** Let rendered pages load images, fonts and media. */
  renderResources: flag.default(false),
}).strict().superRefine((options, context) => {
  // Render settings without rendering would be silently ignored: say so instead.
  if (!options.render && options.renderMatch.length === 0) {
    for (const key of ["waitFor", "renderResources"] as const) {
      if (options[key] !== undefined && options[key] !== false) {
        context.addIssue({
          code: "custom",
          message: "needs render or renderMatch (--render, --render-match)",
          path: [key],
        });
      }
    }
  }
  // An index without an archive would be silently ignored too.
  if (options.warcCdx && options.warc === undefined) {
    context.addIssue({
      code: "custom",
      message: "needs warc (--warc FILE.warc.gz)",
      path: ["warcCdx"],
    });
  }
  // The browser connects by itself: a proxy the crawler was told to use would not see it.
  if (options.proxy !== undefined && (options.render || options.renderMatch.length > 0)) {
    context.addIssue({
      code: "custom",
      message: "does not reach the browser: --render with --proxy is refused",
      path: ["proxy"],
    });
  }
  // A rendered page comes from the browser, not the request client the archive records.
  if (options.warc !== undefined && (options.render || options.renderMatch.length > 0)) {
    context.addIssue({
      code: "custom",
      message: "does not archive rendered pages: crawl without --render/--render-match to archive",
      path: ["warc"],
    });
  }
});

/** True when two types are identical. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;
// Fails type checking when the interface and the schema drift apart.
const _inputMatchesSchema: Equal<CrawlOptionsInput, z.input<typeof CrawlOptionsSchema>> = true;
/** Options after validation, defaults filled in. */
export type CrawlOptions = z.output<typeof CrawlOptionsSchema>;

/**
 * Every option's default, as the schema fills it in (for help texts and
 * documentation; `seeds` has none).
 *
 * @example Usage
 * ```ts
 * import { OPTION_DEFAULTS } from "./options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(OPTION_DEFAULTS.perHost, 2);
 * ```
 */
export const OPTION_DEFAULTS: Readonly<Omit<CrawlOptions, "seeds">> = (() => {
  // A synchronous parse holds only while no default is a CSS selector: zod refuses an
  // asynchronous check (a selector's) under parse(). tests/pipeline/options_test.ts compares
  // these with parseCrawlOptions()'s.
  const { seeds: _, ...defaults } = CrawlOptionsSchema.parse({ seeds: ["http://example.org/"] });
  return defaults;
})();

/**
 * How many parser Web Workers a crawl starts: `parsers` when given, else
 * none when pages are only scanned (the streaming scan costs about 0.05 ms
 * a page, less than moving the page to another isolate and the links back),
 * and one per core when pages are loaded into a DOM (extraction rules, an
 * extract module, `linksFrom`, the parse5 parser: 0.5-5 ms a page).
 *
 * @param options The validated options.
 * @returns The number of workers; 0 parses in the crawler's own isolate.
 *
 * @example Usage
 * ```ts
 * import { parseCrawlOptions, parserWorkers } from "./options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parserWorkers(await parseCrawlOptions({ seeds: ["https://a.test/"] })), 0);
 * assert.equal(parserWorkers(await parseCrawlOptions({ seeds: ["https://a.test/"], parsers: 3 })), 3);
 * ```
 */
export function parserWorkers(
  options: Pick<CrawlOptions, "parsers" | "rules" | "extractModule" | "linksFrom" | "parser">,
): number {
  if (options.parsers !== undefined) return options.parsers;
  const needsDom = options.rules !== undefined || options.extractModule !== undefined ||
    options.linksFrom !== undefined || options.parser === "parse5";
  return needsDom ? navigator.hardwareConcurrency || 1 : 0;
}

/**
 * The options that decide which URLs belong to a crawl: a durable store
 * refuses to resume a crawl under others. Credentials are left out (they are
 * kept in no file, and a changed password changes no URL).
 *
 * @param options The validated options.
 * @returns A JSON object to compare.
 *
 * @example Usage
 * ```ts
 * import { identityOf, parseCrawlOptions } from "./options.ts";
 * import assert from "node:assert/strict";
 *
 * const a = identityOf(await parseCrawlOptions({ seeds: ["https://ann:pw@a.test/"] }));
 * const b = identityOf(await parseCrawlOptions({ seeds: ["https://a.test/"], concurrency: 2 }));
 * assert.deepEqual(a, b);
 * ```
 */
export function identityOf(options: CrawlOptions): Record<string, unknown> {
  return {
    seeds: options.seeds.map(withoutCredentials).sort(),
    scope: options.scope,
    include: options.include,
    exclude: options.exclude,
    stripParams: options.stripParams,
    sortQuery: options.sortQuery,
  };
}

/**
 * Options as files and reports may show them: seed passwords as `***`,
 * extraction rules left out (they have a file of their own).
 *
 * @param options The validated options.
 * @returns A copy safe to write down.
 *
 * @example Usage
 * ```ts
 * import { parseCrawlOptions, shownOptions } from "./options.ts";
 * import assert from "node:assert/strict";
 *
 * const shown = shownOptions(await parseCrawlOptions({ seeds: ["https://ann:pw@a.test/"] }));
 * assert.deepEqual(shown.seeds, ["https://ann:***@a.test/"]);
 * ```
 */
export function shownOptions(options: CrawlOptions): CrawlOptions {
  const shown = { ...options, seeds: options.seeds.map(redactSeed), rules: undefined };
  if (options.headers) {
    shown.headers = Object.fromEntries(
      Object.entries(options.headers).map((
        [name, value],
      ) => [name, SECRET_HEADERS.has(name.toLowerCase()) ? "***" : value]),
    );
  }
  if (options.proxy) shown.proxy = redactSeed(options.proxy);
  return shown;
}

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
   * Creates the error for one bad option.
   *
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

/**
 * Validates options and fills in defaults.
 *
 * @param input Options as written by the caller.
 * @returns The validated options.
 * @throws {OptionsError} Naming the first bad option (the promise rejects with it).
 *
 * @example Usage
 * ```ts
 * import { parseCrawlOptions } from "./options.ts";
 * import assert from "node:assert/strict";
 *
 * const options = await parseCrawlOptions({ seeds: ["https://example.org/"] });
 * assert.equal(options.concurrency, 16);
 * await assert.rejects(parseCrawlOptions({ seeds: [], concurrency: 0 }));
 * ```
 */
export async function parseCrawlOptions(input: CrawlOptionsInput): Promise<CrawlOptions> {
  // Asynchronous because a CSS selector's check loads the selector engine on first use.
  const result = await CrawlOptionsSchema.safeParseAsync(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === "unrecognized_keys") {
    throw new OptionsError(issue.keys[0]!, "is not a known option", undefined);
  }
  const [key, ...rest] = issue.path;
  const option = [String(key), ...rest.map((k) => `[${String(k)}]`)].join("");
  let received = valueAt(input, issue.path);
  // Header values may be secrets (their messages name the header instead).
  if (key === "headers") received = undefined;
  // A seed may hold a password: never repeat it in a message.
  if ((key === "seeds" || key === "proxy") && typeof received === "string") {
    received = received.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@]*):[^/@]*@/i, "$1:***@");
  }
  throw new OptionsError(option, issue.message, received);
}
