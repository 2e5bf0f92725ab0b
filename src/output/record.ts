/**
 * The output record: one JSON object per fetched (or failed) URL.
 *
 * @module
 */

/**
 * What an error code says of the link: `broken` (nothing usable at the other
 * end), `refused` (a policy refused the URL before any request), `failed`
 * (the request was made but the page could not be used as it came).
 */
export type ErrorKind = "broken" | "refused" | "failed";

/**
 * Every error code a record's `error` can carry, with its kind: the one
 * list of them.
 */
export const ERROR_KINDS = {
  /** The whole-request deadline passed. */
  timeout: "broken",
  /** The host name did not resolve. */
  dns: "broken",
  /** The connection was refused. */
  refused: "broken",
  /** The connection was reset or closed early. */
  reset: "broken",
  /** TLS failed (certificate, handshake). */
  tls: "broken",
  /** Another transport failure. */
  network: "broken",
  /** The server answered 4xx. */
  http_4xx: "broken",
  /** The server answered 5xx. */
  http_5xx: "broken",
  /** The page could not be parsed. */
  parse: "failed",
  /** Parsing the page ran past `parseTimeoutMs`: its parser worker was stopped and replaced. */
  parse_timeout: "failed",
  /** Deno's permissions forbid the host. */
  permission: "refused",
  /** The crawl was cancelled while the URL was in flight. */
  aborted: "failed",
  /** The body passed `maxBytes` (decompressed). */
  too_large: "failed",
  /** robots.txt disallows the URL, or was unreachable. */
  robots: "refused",
  /** The host is or resolves to a private, loopback or link-local address. */
  blocked_address: "refused",
  /** The redirect chain came back on itself. */
  redirect_loop: "broken",
  /** The redirect chain ran past `maxRedirects`. */
  too_many_redirects: "broken",
  /** A redirect pointed at a non-http(s) or invalid URL. */
  bad_redirect: "broken",
  /** A redirect left the crawl's scope. */
  out_of_scope: "refused",
  /** A redirect target or the page's canonical URL was crawled already under another URL. */
  duplicate: "refused",
  /** A body could not be decoded (e.g. invalid gzip). */
  decode: "failed",
  /**
   * A link's `#fragment` names no element `id` (or `<a name>`) in its target
   * page (`--check fragments`): an error of the link, not of a record.
   */
  fragment_missing: "broken",
  /** The headless browser, or the page's tab, crashed or went away while rendering it. */
  render_crash: "failed",
} as const satisfies Record<string, ErrorKind>;

/** A short error code; {@linkcode ERROR_CODES} lists them, each explained in README. */
export type ErrorCode = keyof typeof ERROR_KINDS;

/**
 * Short error codes a record's `error` can carry: `timeout`, `dns`,
 * `refused`, `reset`, `tls`, `network`, `http_4xx`, `http_5xx`, `parse`,
 * `parse_timeout`, `permission`, `aborted`, `too_large`, `robots`, `blocked_address`,
 * `redirect_loop`, `too_many_redirects`, `bad_redirect`, `out_of_scope`,
 * `duplicate`, `decode`, `render_crash`, `fragment_missing` (links only).
 */
export const ERROR_CODES: readonly [ErrorCode, ...ErrorCode[]] = Object.keys(ERROR_KINDS) as [
  ErrorCode,
  ...ErrorCode[],
];

/**
 * The codes of one kind.
 *
 * @param kind The kind.
 * @returns Its codes.
 *
 * @example Usage
 * ```ts
 * import { errorsOfKind } from "./record.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(errorsOfKind("refused").has("robots"));
 * assert.ok(!errorsOfKind("broken").has("robots"));
 * ```
 */
export function errorsOfKind(kind: ErrorKind): ReadonlySet<ErrorCode> {
  return new Set(ERROR_CODES.filter((code) => ERROR_KINDS[code] === kind));
}

/** The elements and attributes a link is found in (see {@linkcode LinkTag}). */
export const LINK_TAGS = [
  "a[href]",
  "area[href]",
  "img[src]",
  "img[srcset]",
  "script[src]",
  "link[href]",
  "iframe[src]",
  "video[src]",
  "audio[src]",
  "source[src]",
  "source[srcset]",
] as const;

/**
 * Where a link was found: the element and attribute, as a selector names
 * them. `a[href]` and `area[href]` are links; the others are resources.
 */
export type LinkTag = (typeof LINK_TAGS)[number];

/** What a check-only URL was checked as: a page's resource, or a link out of scope. */
export const CHECK_KINDS = ["asset", "external"] as const;

/** What a check-only URL was checked as: `asset` or `external`. */
export type CheckKind = (typeof CHECK_KINDS)[number];

/**
 * One output record. Its zod schema, `CrawlRecordSchema` in
 * `record_schema.ts`, fails type checking whenever the two disagree.
 */
export interface CrawlRecord {
  /** The final URL, after redirects. */
  url: string;
  /** The URL as queued (normalized). */
  requestedUrl: string;
  /** The HTTP status, or `null` when no response came. */
  status: number | null;
  /** Links followed from a seed (seeds are 0). */
  depth: number;
  /** The page this URL was found on, or `null` for a seed. */
  parent: string | null;
  /** When the fetch started, ISO 8601. */
  fetchedAt: string;
  /** The response's media type without parameters, or `null`. */
  contentType: string | null;
  /** Body bytes received (after decompression). */
  bytes: number;
  /** From request start to the end of the body, in milliseconds. */
  durationMs: number;
  /** Fetch attempts made (1 unless retried). */
  attempts: number;
  /** `<title>` text, trimmed; `null` when absent or not HTML. */
  title: string | null;
  /** `<meta name=description>` content. */
  description: string | null;
  /** `<link rel=canonical>` href, absolute. */
  canonical: string | null;
  /** Text of every `<h1>`, trimmed. */
  h1: string[];
  /** Every http(s) link on the page, absolute, without fragment, deduplicated. */
  links: string[];
  /**
   * With link checking: every link and resource reference on the page, one
   * per distinct target, fragment, tag and text.
   */
  refs?: {
    url: string;
    tag: LinkTag;
    text?: string;
    fragment?: string;
  }[];
  /** With `--check fragments`: the fragments the page defines (element ids, `<a name>`). */
  anchors?: string[];
  /** Set when the URL was only checked, not crawled: a page's `asset`, or an `external` link. */
  check?: CheckKind;
  /** Fields extracted by the matching `--extract` rule and the extract hook. */
  data?: Record<string, unknown>;
  /** Fields missing although required, or failing their type. */
  dataErrors?: { field: string; error: string }[];
  /** The `<lastmod>` of the sitemap entry the URL came from. */
  lastmod?: string;
  /** The response's ETag, kept to revalidate on a recrawl. */
  etag?: string;
  /** The response's Last-Modified, kept to revalidate on a recrawl. */
  lastModified?: string;
  /**
   * True when a recrawl found the page as it was: a 304 Not Modified (not
   * re-parsed), or the same status and content fingerprint as last time.
   */
  unchanged?: boolean;
  /**
   * A fingerprint of the body as received (`sha256:` and 32 hex digits) or,
   * for a body not read, of its declared length (`length:N`). Kept by
   * durable crawls to tell unchanged pages by content.
   */
  contentHash?: string;
  /** Redirect hops from `requestedUrl` to `url`, when there were any. */
  redirects?: { url: string; status: number }[];
  /** True when the page was rendered in headless Chromium (`--render`, `--render-match`). */
  rendered?: boolean;
  /**
   * Requests a rendered page's scripts or markup made that the crawler
   * refused (a blocked address, a host Deno may not reach), with the reason.
   */
  blockedRequests?: { url: string; error: ErrorCode }[];
  /** The short error code when the URL failed. */
  error?: ErrorCode;
  /** A human-readable detail for `error`. */
  errorMessage?: string;
}
