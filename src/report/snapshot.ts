/**
 * What the `--report` HTML report is made of: the bounded state
 * {@linkcode ReportBuilder} accumulates from the records, the crawl facts
 * shown beside it, and the histogram buckets both sides agree on.
 *
 * @module
 */

/** Upper bounds (exclusive, ms) and labels of the response-time histogram's buckets. */
export const RESPONSE_TIME_BUCKETS: readonly { readonly maxMs: number; readonly label: string }[] =
  [
    { maxMs: 50, label: "<50ms" },
    { maxMs: 100, label: "50–100" },
    { maxMs: 250, label: "100–250" },
    { maxMs: 500, label: "250–500" },
    { maxMs: 1000, label: "0.5–1s" },
    { maxMs: 2000, label: "1–2s" },
    { maxMs: 5000, label: "2–5s" },
    { maxMs: Infinity, label: ">5s" },
  ];

/** Depths from this one up share the last bucket of the depth histogram. */
export const DEPTH_BUCKETS = 30;

/** A page in the slowest-pages table. */
export interface SlowPage {
  /** The final URL. */
  url: string;
  /** `<title>` text, or `null`. */
  title: string | null;
  /** The HTTP status. */
  status: number;
  /** Request time, ms. */
  durationMs: number;
  /** Body bytes. */
  bytes: number;
  /** True when the page was rendered in headless Chromium. */
  rendered?: boolean;
}

/** A failed URL and where it was found. */
export interface BrokenLink {
  /** The URL as queued. */
  url: string;
  /** The HTTP status, or `null` when no response came. */
  status: number | null;
  /** The record's error code. */
  error: string;
  /** The record's error detail, if any. */
  errorMessage: string | null;
  /** The first page the URL was found on (`null` for a seed). */
  parent: string | null;
}

/** A link target that did not work, with the pages that link to it (from the link check). */
export interface BrokenTarget {
  /** The target (with `#fragment` when the fragment is what is missing). */
  url: string;
  /** Its status, or `null` when no response came. */
  status: number | null;
  /** Why it did not work. */
  error: string;
  /** A detail for `error`. */
  errorMessage: string | null;
  /** The first referrers: the page, the element and attribute, the link's text. */
  referrers: { source: string; tag: string; text: string | null }[];
  /** Every referrer, kept or not. */
  count: number;
}

/** What the link check found, as the report shows it. */
export interface LinkSummary {
  /** Links on the crawled pages. */
  links: number;
  /** Of them, broken. */
  brokenLinks: number;
  /** Broken targets kept, most linked first. */
  broken: BrokenTarget[];
  /** Broken targets found. */
  brokenTotal: number;
  /** Targets a policy refused (robots.txt, the address guard...) kept, most linked first. */
  refused: BrokenTarget[];
  /** Refused targets found. */
  refusedTotal: number;
}

/** A redirect chain: the hops, then the final URL and its outcome. */
export interface RedirectChain {
  /** Each redirecting URL and its status, first hop first (at most 20 kept). */
  hops: { url: string; status: number }[];
  /** The final URL. */
  url: string;
  /** The final status, or `null`. */
  status: number | null;
  /** The error code when the chain failed (loop, too many, ...). */
  error: string | null;
}

/** What {@linkcode ReportBuilder} has accumulated. */
export interface ReportSnapshot {
  /** Records added. */
  records: number;
  /** Records marked `unchanged` (a recrawl's 304s and pages with the same content). */
  unchanged: number;
  /** Records of pages rendered in headless Chromium. */
  rendered: number;
  /** Requests rendered pages made that were refused (blocked addresses), all pages together. */
  blockedRequests: number;
  /** Records by outcome: the status code, or the error code when it is not an HTTP one. */
  outcomes: Record<string, number>;
  /** Records by depth; the last bucket holds depths ≥ {@linkcode DEPTH_BUCKETS} - 1. */
  depths: number[];
  /** Requests by {@linkcode RESPONSE_TIME_BUCKETS} bucket. */
  responseTimes: number[];
  /** Sum of the request times counted in `responseTimes`, ms. */
  totalResponseMs: number;
  /** The slowest pages that got a response, slowest first. */
  slowest: SlowPage[];
  /** Broken links kept, in the order seen. */
  broken: BrokenLink[];
  /** Broken links seen. */
  brokenTotal: number;
  /** Redirect chains kept, in the order seen. */
  redirects: RedirectChain[];
  /** Redirect chains seen. */
  redirectTotal: number;
  /** Robots-blocked URLs kept, with the page each was found on. */
  robots: { url: string; parent: string | null }[];
  /** Robots-blocked URLs seen. */
  robotsTotal: number;
  /** What the link check found, when it ran: the broken targets with every referrer. */
  links?: LinkSummary;
}

/** What the report says about the crawl besides its records. */
export interface ReportMeta {
  /** The seed URLs. */
  seeds: string[];
  /** When the crawl started, ISO 8601. */
  startedAt: string;
  /** The crawl's options, shown as a table. */
  options?: Record<string, unknown>;
}
