/**
 * Sitemaps (sitemaps.org) as seeds: reading sitemaps and, breadth-first, the
 * sitemaps their indexes list, under limits, into page URLs for the
 * frontier. One file is read and parsed by `sitemap_file.ts`.
 *
 * @module
 */

import {
  type ExchangeRecorder,
  type FetchedPage,
  type HopCheck,
  request,
  resolveHttpUrl,
} from "../http/request.ts";
import {
  type ParsedSitemap,
  parseSitemap,
  readSitemapBody,
  SITEMAP_MAX_BYTES,
  SITEMAP_MAX_ENTRIES,
} from "./sitemap_file.ts";
import { checkInteger } from "../validate/integer.ts";
import type { HttpClient } from "../http/client.ts";

/**
 * The conventional sitemap location of a site.
 *
 * @param origin The site's origin (any URL on it works).
 * @returns `<origin>/sitemap.xml`.
 * @throws {TypeError} If `origin` is not an absolute URL.
 *
 * @example Usage
 * ```ts
 * import { defaultSitemapUrl } from "./sitemap.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(defaultSitemapUrl("https://example.org"), "https://example.org/sitemap.xml");
 * ```
 */
export function defaultSitemapUrl(origin: string | URL): string {
  return new URL("/sitemap.xml", origin).href;
}

/** A page URL found in a sitemap. */
export interface SitemapUrl {
  /** The absolute http(s) URL from `<loc>`. */
  url: string;
  /** The entry's `<lastmod>`, as written. */
  lastmod?: string;
  /** The sitemap (`urlset`) that listed it. */
  sitemap: string;
}

/** A sitemap that could not be read, or a limit that cut what was read. */
export interface SitemapError {
  /** The sitemap URL concerned. */
  sitemap: string;
  /** One line for humans. */
  error: string;
}

/** Options for {@linkcode collectSitemapUrls}. */
export interface CollectSitemapsOptions {
  /** The crawl's signal: aborting it rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Deadline of each sitemap request, hop checks, redirects and body included, in ms. */
  timeoutMs: number;
  /** Most bytes of one sitemap, uncompressed. Default {@linkcode SITEMAP_MAX_BYTES}, the protocol's cap. */
  maxBytes?: number;
  /** Most page URLs returned in all. */
  maxUrls: number;
  /** Most sitemap URLs tried, indexes included. */
  maxSitemaps: number;
  /** Most levels of sitemap index below the given sitemaps (those are level 0). Default 2. */
  maxDepth?: number;
  /** Most entries read from one sitemap. Default {@linkcode SITEMAP_MAX_ENTRIES}. */
  maxEntries?: number;
  /** The `User-Agent` header sent. */
  userAgent: string;
  /** Most redirects followed per sitemap. Default 5. */
  maxRedirects?: number;
  /**
   * Checks every sitemap URL and redirect target before it is requested
   * (address guard, robots.txt, scope); an error code skips that sitemap
   * with an error entry (`not allowed: URL` for `robots`).
   */
  checkHop?: HopCheck;
  /** The HTTP client to send with (the crawl's connections, its proxy); default: `fetch()` alone. */
  client?: HttpClient;
  /** Archives each exchange (`warc`). */
  recorder?: ExchangeRecorder;
}

/** The result of {@linkcode collectSitemapUrls}. */
export interface CollectedSitemaps {
  /** Page URLs, deduplicated, in discovery order (breadth-first over indexes). */
  urls: SitemapUrl[];
  /** Per-sitemap failures and limit notices; they never make the call throw. */
  errors: SitemapError[];
  /** Whether a limit (`maxUrls`, `maxSitemaps`, `maxDepth`, `maxEntries`) left something unread. */
  truncated: boolean;
}

const DECODER = new TextDecoder();
const ACCEPT = "application/xml, text/xml;q=0.9, */*;q=0.5";

/** A 2xx body, plain or gzipped, within the cap; other statuses are not read. */
function readSitemap(
  response: Response,
  signal: AbortSignal,
  maxBytes: number,
): Promise<Uint8Array | null> {
  if (!response.ok) return Promise.resolve(null);
  return readSitemapBody(response, { maxBytes, signal });
}

/** One line for a sitemap that could not be read. */
function describe(page: FetchedPage, timeoutMs: number): string {
  const { error, errorMessage } = page;
  switch (error) {
    case undefined:
      return `HTTP ${page.status}`;
    case "robots":
      return `not allowed: ${page.url}`;
    case "timeout":
      return `timed out after ${timeoutMs} ms`;
    // Their messages say it all (`Cannot read sitemap as...`, `more than 5 redirects`).
    case "too_large":
    case "decode":
    case "too_many_redirects":
      return errorMessage!;
    default:
      return `${error}: ${errorMessage}`;
  }
}

/**
 * Reads sitemaps and the sitemap indexes' children, breadth-first, one
 * request at a time (they are usually few and on the crawled host). Each
 * sitemap URL is fetched at most once, so an index loop ends. One sitemap's
 * failure (HTTP error, timeout, bad gzip, not a sitemap, too large) becomes an
 * entry in `errors`; only the crawl's own signal makes the call reject.
 *
 * It returns arrays rather than an async generator: `maxUrls` bounds the
 * memory anyway, the caller gets the errors next to the URLs, and there is
 * no half-consumed iterator holding a request open to clean up.
 *
 * @param sitemapUrls The sitemaps to start from (robots.txt's and
 * {@linkcode defaultSitemapUrl}'s).
 * @param options Limits, deadline, user agent and the `checkHop` hook.
 * @returns The page URLs with their lastmod, the errors, and whether a limit cut the result.
 * @throws {RangeError} If a limit is not a positive integer (`maxDepth`: non-negative).
 * @throws The reason of `options.signal` when it aborts.
 *
 * @example Usage
 * ```ts
 * import { collectSitemapUrls, defaultSitemapUrl } from "./sitemap.ts";
 * import assert from "node:assert/strict";
 *
 * // /sitemap.xml is an index of /pages.xml, which lists one page; the rest is 404.
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
 *   const { origin, pathname } = new URL(req.url);
 *   if (pathname === "/sitemap.xml") {
 *     return new Response(`<sitemapindex><sitemap><loc>${origin}/pages.xml</loc></sitemap></sitemapindex>`);
 *   }
 *   if (pathname === "/pages.xml") {
 *     return new Response(`<urlset><url><loc>${origin}/a</loc><lastmod>2026-01-02</lastmod></url></urlset>`);
 *   }
 *   return new Response("not found", { status: 404 });
 * });
 * const origin = `http://127.0.0.1:${server.addr.port}`;
 * const { urls, errors } = await collectSitemapUrls([defaultSitemapUrl(origin), `${origin}/news.xml`], {
 *   timeoutMs: 10_000,
 *   maxBytes: 50 * 1024 * 1024,
 *   maxUrls: 10_000,
 *   maxSitemaps: 100,
 *   userAgent: "crawler/0.1",
 * });
 * assert.deepEqual(urls.map((u) => [u.url, u.lastmod]), [[`${origin}/a`, "2026-01-02"]]);
 * assert.deepEqual(errors, [{ sitemap: `${origin}/news.xml`, error: "HTTP 404" }]);
 * ```
 */
export async function collectSitemapUrls(
  sitemapUrls: readonly string[],
  options: CollectSitemapsOptions,
): Promise<CollectedSitemaps> {
  const what = "collect sitemap URLs";
  checkInteger(what, "timeoutMs", options.timeoutMs);
  const maxBytes = checkInteger(what, "maxBytes", options.maxBytes ?? SITEMAP_MAX_BYTES);
  const maxUrls = checkInteger(what, "maxUrls", options.maxUrls);
  const maxSitemaps = checkInteger(what, "maxSitemaps", options.maxSitemaps);
  checkInteger(what, "maxEntries", options.maxEntries ?? SITEMAP_MAX_ENTRIES);
  const maxDepth = checkInteger(what, "maxDepth", options.maxDepth ?? 2, { least: 0 });
  const maxRedirects = checkInteger(what, "maxRedirects", options.maxRedirects ?? 5, { least: 0 });
  const { signal, timeoutMs, maxEntries, checkHop } = options;
  const headers = { "user-agent": options.userAgent, accept: ACCEPT };
  const result: CollectedSitemaps = { urls: [], errors: [], truncated: false };
  const queue: { url: string; depth: number }[] = [];
  const seenSitemaps = new Set<string>();
  const seenUrls = new Set<string>();
  let overflow = 0;
  let firstOverflow = "";
  const enqueue = (raw: string, depth: number) => {
    const url = resolveHttpUrl(raw);
    if (url === undefined) {
      result.errors.push({ sitemap: raw, error: "not an absolute http(s) URL" });
    } else if (!seenSitemaps.has(url)) {
      seenSitemaps.add(url);
      // The queue never holds more than can be fetched, whatever an index lists.
      if (queue.length < maxSitemaps) queue.push({ url, depth });
      else if (overflow++ === 0) firstOverflow = url;
    }
  };
  for (const raw of sitemapUrls) enqueue(raw, 0);
  for (let i = 0; i < queue.length; i++) {
    signal?.throwIfAborted();
    const { url, depth } = queue[i]!;
    if (result.urls.length === maxUrls) {
      result.truncated = true;
      result.errors.push({
        sitemap: url,
        error: `not read: ${maxUrls} URLs (maxUrls) reached; ${queue.length - i} sitemaps skipped`,
      });
      break;
    }
    const page = await request(url, {
      signal,
      timeoutMs,
      maxBytes,
      maxRedirects,
      headers,
      client: options.client,
      recorder: options.recorder,
      checkHop,
      checkFirst: true,
      readBody: readSitemap,
    });
    if (signal?.aborted) throw signal.reason;
    if (page.error !== undefined || page.body === null) {
      result.errors.push({ sitemap: url, error: describe(page, timeoutMs) });
      continue;
    }
    const parsed: ParsedSitemap = parseSitemap(DECODER.decode(page.body), { maxEntries });
    const { kind, entries } = parsed;
    if (kind === "unknown") {
      const root = parsed.root === null ? "no root element" : `root element is <${parsed.root}>`;
      result.errors.push({ sitemap: url, error: `not a sitemap: ${root}` });
      continue;
    }
    if (parsed.truncated) {
      result.truncated = true;
      result.errors.push({
        sitemap: url,
        error: `more entries than maxEntries; kept ${entries.length}`,
      });
    }
    if (kind === "sitemapindex") {
      if (depth < maxDepth) {
        for (const entry of entries) enqueue(entry.loc, depth + 1);
        continue;
      }
      // Children already read elsewhere are no loss.
      const skipped = entries.filter((e) => !seenSitemaps.has(resolveHttpUrl(e.loc)!)).length;
      if (skipped > 0) {
        result.truncated = true;
        result.errors.push({
          sitemap: url,
          error: `index nested deeper than maxDepth ${maxDepth}; ${skipped} sitemaps skipped`,
        });
      }
      continue;
    }
    for (const { loc, lastmod } of entries) {
      if (seenUrls.has(loc)) continue;
      if (result.urls.length === maxUrls) {
        result.truncated = true;
        result.errors.push({
          sitemap: url,
          error: `maxUrls ${maxUrls} reached; the rest was dropped`,
        });
        break;
      }
      seenUrls.add(loc);
      result.urls.push(
        lastmod === undefined ? { url: loc, sitemap: url } : { url: loc, lastmod, sitemap: url },
      );
    }
  }
  if (overflow > 0) {
    result.truncated = true;
    result.errors.push({
      sitemap: firstOverflow,
      error: `maxSitemaps ${maxSitemaps} reached; ${overflow} more sitemaps not read`,
    });
  }
  return result;
}
