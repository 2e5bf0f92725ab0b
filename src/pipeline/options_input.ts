/**
 * The crawl options as a caller writes them, every field documented with its
 * default. `options.ts`'s zod schema stays the source of truth: a check there
 * fails type checking whenever the two disagree.
 *
 * @module
 */

import type { RulesFileInput } from "../extract/schema.ts";

/**
 * Options as a caller writes them: everything but `seeds` has a default.
 * Written out so documentation can show it; {@linkcode CrawlOptionsSchema}
 * stays the source of truth, and the check below fails type checking when
 * the two disagree. All durations are in milliseconds.
 */
export interface CrawlOptionsInput {
  /** Where the crawl starts: absolute http(s) URLs (credentials become a Basic auth header). */
  seeds: string[];
  /**
   * Most URLs taken for fetching (seeds included) in the whole crawl: with a
   * durable store, every run of it counts (a resumed crawl does not start a
   * fresh budget). Default: unlimited.
   */
  maxPages?: number;
  /** Most URLs taken for fetching by one invocation, whatever earlier runs did. Default: unlimited. */
  maxPagesPerRun?: number;
  /** Most links followed from a seed (seeds are depth 0). Default: unlimited. */
  maxDepth?: number;
  /** `host` (default): the seeds' hosts; `domain`: their domains and subdomains; `any`. */
  scope?: "host" | "domain" | "any";
  /** Regular expressions: when given, a URL must match one. */
  include?: string[];
  /** Regular expressions: a URL matching one is skipped. */
  exclude?: string[];
  /** Global cap on requests in flight (the Semaphore). Default 16. */
  concurrency?: number;
  /** Fetcher (producer) workers. Default: `concurrency`. */
  fetchers?: number;
  /**
   * The longest one page may take to parse in a parser worker: past it the
   * worker is stopped and replaced, and the page recorded `parse_timeout`.
   * Only with workers (`parsers` above 0, the default for DOM parsing): a
   * page parsed in this isolate, or a hook function, cannot be interrupted
   * (the streaming scan's time is linear in the page, which `maxBytes`
   * bounds). Default 5 000.
   */
  parseTimeoutMs?: number;
  /**
   * Parser Web Workers; 0 parses in this isolate. Default: none when pages are only scanned,
   * one per core when they are loaded into a DOM (rules, an extract module, `linksFrom`, parse5).
   */
  parsers?: number;
  /** Capacity of the bounded page channel between fetchers and parsers. Default 32. */
  queueSize?: number;
  /** Whole-request deadline: headers, redirects and body. Default 30 000. */
  timeoutMs?: number;
  /** Stop taking new URLs after this long. Default: unlimited. */
  maxDurationMs?: number;
  /** Most body bytes read per response, decompressed. Default 10 MiB. */
  maxBytes?: number;
  /** Most redirects followed per URL. Default 10. */
  maxRedirects?: number;
  /** How parsers learn the crawl is over: live-producer `count` (default) or a `sentinel` each. */
  shutdown?: "count" | "sentinel";
  /** Follow `rel=nofollow` links (and ignore meta robots nofollow). Default false. */
  followNofollow?: boolean;
  /** The User-Agent header; its product token selects the robots.txt group. */
  userAgent?: string;
  /** `htmlparser2` (fast, default) or `parse5` (spec-exact). */
  parser?: "htmlparser2" | "parse5";
  /** Query parameters dropped for dedupe; a trailing `*` is a wildcard. */
  stripParams?: string[];
  /** Sort query parameters for dedupe. Default false. */
  sortQuery?: boolean;
  /** Treat rel=canonical targets as seen; a page whose canonical was seen is a duplicate. */
  dedupeCanonical?: boolean;
  /** Longest URL queued, in characters. Default 2048. */
  maxUrlLength?: number;
  /** Most URLs admitted per host. Default: unlimited. */
  maxPagesPerHost?: number;
  /** Most requests in flight per host. Default 2. */
  perHost?: number;
  /** Least interval between request starts to one host. Default 0. */
  delayMs?: number;
  /** Extra attempts after a transient failure. Default 2. */
  retries?: number;
  /** The first retry's backoff before jitter; it doubles per attempt. Default 500. */
  retryDelayMs?: number;
  /** The longest retry backoff. Default 30 000. */
  maxRetryDelayMs?: number;
  /** The longest `Retry-After` pause honoured. Default 300 000. */
  maxRetryAfterMs?: number;
  /** Do not fetch or obey robots.txt. Default false. */
  ignoreRobots?: boolean;
  /** Write records for URLs robots.txt disallows. Default false. */
  logSkipped?: boolean;
  /** Allow hosts that are or resolve to private, loopback or link-local addresses. */
  allowPrivate?: boolean;
  /** CIDR ranges allowed despite the private-address guard. */
  allowAddresses?: string[];
  /** Keep cookies across requests. Default false. */
  cookies?: boolean;
  /**
   * Extra request headers sent with every page request, e.g.
   * `{ "Accept-Language": "de" }`. `Authorization` and `Cookie` go to the
   * seeds' origins only, never to a redirect target on another origin.
   * `User-Agent` is set by `userAgent`.
   */
  headers?: Record<string, string>;
  /**
   * Sends every request (pages, robots.txt, sitemaps) through this proxy:
   * `http://`, `https://`, `socks5://` or `socks5h://`, credentials allowed.
   * Without it, Deno's fetch honours `HTTP_PROXY`, `HTTPS_PROXY` and `NO_PROXY`.
   */
  proxy?: string;
  /** Seed the frontier from robots.txt `Sitemap:` lines and `/sitemap.xml`. */
  sitemaps?: boolean;
  /** Most URLs taken from sitemaps. Default 100 000. */
  maxSitemapUrls?: number;
  /** Declarative extraction rules (what `--extract` reads from its file). */
  rules?: RulesFileInput;
  /** Follow only links inside (or matching) this CSS selector, where no rule says otherwise. */
  linksFrom?: string;
  /** A module specifier whose `extract($, page)` export fills each record's `data`. */
  extractModule?: string;
  /**
   * What is checked besides the crawled pages: `assets` (each page's images,
   * scripts, stylesheets, icons, frames and media), `external` (links out of
   * scope), `fragments` (each link's `#fragment` must name an element in its
   * target page). Checked URLs get one request each (`HEAD`, else `GET`),
   * are never parsed and never followed.
   */
  check?: ("assets" | "external" | "fragments")[];
  /** Keep each link's tag and text in records (`refs`); always on with `check`. */
  linkRefs?: boolean;
  /**
   * HTTP statuses counted as fine although 4xx or 5xx: numbers, or ranges
   * such as `"400..403"` (e.g. `[403]` for sites that answer crawlers so).
   */
  accept?: (number | string)[];
  /**
   * Archive every HTTP exchange (pages, redirects, robots.txt, sitemaps) as
   * WARC/1.1 into `FILE-TIMESTAMP-SERIAL.warc.gz` files named after this
   * `FILE.warc.gz` ([Archiving](warc.md)).
   */
  warc?: string;
  /** Start a new WARC file before one would grow past this many bytes (1 GB). Default 1 000 000 000. */
  warcMaxSize?: number;
  /** Write a CDXJ index (`.cdxj`, for pywb and other replay tools) beside each WARC file. */
  warcCdx?: boolean;
  /**
   * Render every page in headless Chromium (Debian's `chromium`; Deno needs
   * `--allow-run` for it) before parsing: for sites that build their links
   * and content with JavaScript. Default false.
   */
  render?: boolean;
  /**
   * Render only the URLs matching one of these: a URL pattern (`/app/*`,
   * `https://*.shop.test/p/:id`) or else a regular expression.
   */
  renderMatch?: string[];
  /** Tabs rendering at once, in one browser. Default: two per core. */
  renderTabs?: number;
  /** How long the network must be idle after the load event before a rendered page is done. Default 500. */
  renderIdleMs?: number;
  /** A rendered page is done when this CSS selector matches an element (instead of network idle). */
  waitFor?: string;
  /** Let rendered pages load images, fonts and media (refused by default). Default false. */
  renderResources?: boolean;
}
