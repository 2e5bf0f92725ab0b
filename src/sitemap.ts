/**
 * Sitemaps (sitemaps.org): reading `urlset` and `sitemapindex` files, plain or
 * gzip-compressed, under the protocol's limits, to seed the frontier.
 *
 * @module
 */

import * as cheerio from "cheerio";
import { classifyFetchError } from "./fetch_error.ts";
import { deadline } from "./deadline.ts";

/** The protocol's most URLs in one sitemap file. */
export const SITEMAP_MAX_ENTRIES = 50_000;
/** The protocol's largest sitemap file, uncompressed: 50 MiB. */
export const SITEMAP_MAX_BYTES = 50 * 1024 * 1024;

/** What a sitemap file's root element says it is. */
export type SitemapKind = "urlset" | "sitemapindex" | "unknown";

/** One `<url>` or `<sitemap>` entry. */
export interface SitemapEntry {
  /** The absolute http(s) URL from `<loc>`, serialized by the URL parser. */
  loc: string;
  /** `<lastmod>` as written, trimmed; absent when empty or missing. */
  lastmod?: string;
}

/** The result of {@linkcode parseSitemap}. */
export interface ParsedSitemap {
  /** The root element's kind. */
  kind: SitemapKind;
  /** The kept entries, in document order. */
  entries: SitemapEntry[];
  /** Whether entries past `maxEntries` were dropped. */
  truncated: boolean;
  /** The root element's name (`null` when there is none), for error messages. */
  root: string | null;
}

/** Options for {@linkcode parseSitemap}. */
export interface ParseSitemapOptions {
  /** Most entries kept. Default {@linkcode SITEMAP_MAX_ENTRIES}. */
  maxEntries?: number;
}

type Bytes = Uint8Array<ArrayBuffer>;

type XmlElement = ReturnType<ReturnType<cheerio.CheerioAPI["root"]>["children"]>[number];

function positiveInteger(what: string, name: string, value: number, least = 1): number {
  if (!Number.isInteger(value) || value < least) {
    const kind = least === 0 ? "non-negative" : "positive";
    throw new RangeError(
      `Cannot ${what} as '${name}' must be a ${kind} integer: received ${value}`,
    );
  }
  return value;
}

function splitName(tagName: string): { prefix: string; local: string } {
  const colon = tagName.indexOf(":");
  return {
    prefix: colon === -1 ? "" : tagName.slice(0, colon),
    local: tagName.slice(colon + 1).toLowerCase(),
  };
}

/**
 * Parses a sitemap leniently: any namespace prefix on the root, tag names in
 * any case, whitespace trimmed, XML entities and CDATA decoded. Entries
 * without a `<loc>` or whose `<loc>` is not an absolute http(s) URL are
 * skipped. Only direct `<loc>` children count, so an extension's nested
 * `<image:loc>` is never taken for the page.
 *
 * @param xml The document text.
 * @param options The entry limit.
 * @returns The kind, the entries and whether the limit cut them.
 * @throws {RangeError} If `maxEntries` is not a positive integer.
 *
 * @example Usage
 * ```ts
 * import { parseSitemap } from "./sitemap.ts";
 * import assert from "node:assert/strict";
 *
 * const parsed = parseSitemap(
 *   `<urlset><url><loc> https://example.org/a?x=1&amp;y=2 </loc><lastmod>2024-05-01</lastmod></url></urlset>`,
 * );
 * assert.equal(parsed.kind, "urlset");
 * assert.deepEqual(parsed.entries, [{ loc: "https://example.org/a?x=1&y=2", lastmod: "2024-05-01" }]);
 * ```
 */
export function parseSitemap(xml: string, options: ParseSitemapOptions = {}): ParsedSitemap {
  const maxEntries = positiveInteger(
    "parse sitemap",
    "maxEntries",
    options.maxEntries ?? SITEMAP_MAX_ENTRIES,
  );
  const $ = cheerio.load(xml, { xml: true });
  const root: XmlElement | undefined = $.root().children().toArray()[0];
  const result: ParsedSitemap = { kind: "unknown", entries: [], truncated: false, root: null };
  if (!root) return result;
  result.root = root.tagName;
  const { prefix: rootPrefix, local: rootLocal } = splitName(root.tagName);
  if (rootLocal !== "urlset" && rootLocal !== "sitemapindex") return result;
  result.kind = rootLocal;
  // Children share the root's prefix; unprefixed ones are accepted too, as
  // some generators only prefix the root. Other prefixes are extensions.
  const named = (el: XmlElement, local: string) => {
    const { prefix, local: name } = splitName(el.tagName);
    return name === local && (prefix === rootPrefix || prefix === "");
  };
  const childText = (el: XmlElement, local: string): string | undefined => {
    const child = $(el).children().toArray().find((c) => named(c, local));
    const text = child === undefined ? "" : $(child).text().trim();
    return text === "" ? undefined : text;
  };
  const entryName = rootLocal === "urlset" ? "url" : "sitemap";
  for (const el of $(root).children().toArray()) {
    if (!named(el, entryName)) continue;
    const loc = URL.parse(childText(el, "loc") ?? "");
    if (loc === null || (loc.protocol !== "http:" && loc.protocol !== "https:")) continue;
    if (result.entries.length === maxEntries) {
      result.truncated = true;
      break;
    }
    const lastmod = childText(el, "lastmod");
    result.entries.push(lastmod === undefined ? { loc: loc.href } : { loc: loc.href, lastmod });
  }
  return result;
}

/** Thrown by {@linkcode readSitemapBody} when the decompressed body passes the cap. */
export class SitemapTooLargeError extends Error {
  /** The cap that was passed, in bytes. */
  readonly maxBytes: number;

  /** @param maxBytes The cap that was passed, in bytes. */
  constructor(maxBytes: number) {
    super(`Cannot read sitemap as it exceeds ${maxBytes} bytes uncompressed`);
    this.name = "SitemapTooLargeError";
    this.maxBytes = maxBytes;
  }
}

class InvalidGzipError extends TypeError {}

/** Options for {@linkcode readSitemapBody}. */
export interface ReadSitemapBodyOptions {
  /** Most bytes read, counted after decompression. Default {@linkcode SITEMAP_MAX_BYTES}. */
  maxBytes?: number;
  /** Aborting it cancels the body; the read rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * Deno's DecompressionStream inflates a whole input chunk in one go (64 KiB
 * of zeros becomes a 64 MiB chunk), so compressed input is fed in slices this
 * small: deflate expands at most ~1032:1, so no output chunk passes ~1 MiB.
 */
const GZIP_SLICE_BYTES = 1024;

/** Re-streams `prefix` then the rest of `reader`, in pieces of at most `slice` bytes, on demand. */
function resliced(
  reader: ReadableStreamDefaultReader<Bytes>,
  prefix: Bytes,
  slice: number,
  onSourceError: () => void,
): ReadableStream<Bytes> {
  let pending = prefix;
  return new ReadableStream<Bytes>({
    async pull(controller) {
      while (pending.byteLength === 0) {
        let next: ReadableStreamReadResult<Bytes>;
        try {
          next = await reader.read();
        } catch (error) {
          onSourceError();
          throw error;
        }
        if (next.done) return controller.close();
        pending = next.value;
      }
      controller.enqueue(pending.subarray(0, slice));
      pending = pending.subarray(slice);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}

/**
 * Reads a sitemap response's body, gunzipping it when it starts with the gzip
 * magic bytes (`1f 8b`). The bytes decide, not the `.gz` name: when the server
 * sent `Content-Encoding: gzip`, fetch has already inflated them. The cap
 * counts decompressed bytes and the streams are cancelled as soon as it is
 * passed, so a gzip bomb costs at most the cap plus one ~1 MiB chunk.
 *
 * @param response The response whose body to read.
 * @param options The byte cap and a signal.
 * @returns The (decompressed) body.
 * @throws {SitemapTooLargeError} If the body passes `maxBytes`.
 * @throws {TypeError} If the gzip data is invalid.
 * @throws {RangeError} If `maxBytes` is not a positive integer.
 *
 * @example Usage
 * ```ts
 * import { readSitemapBody } from "./sitemap.ts";
 * import assert from "node:assert/strict";
 *
 * const gzipped = new Blob(["<urlset/>"]).stream().pipeThrough(new CompressionStream("gzip"));
 * const body = await readSitemapBody(new Response(gzipped), { maxBytes: 1024 });
 * assert.equal(new TextDecoder().decode(body), "<urlset/>");
 * ```
 */
export async function readSitemapBody(
  response: Response,
  options: ReadSitemapBodyOptions = {},
): Promise<Bytes> {
  const maxBytes = positiveInteger(
    "read sitemap",
    "maxBytes",
    options.maxBytes ?? SITEMAP_MAX_BYTES,
  );
  const { signal } = options;
  if (response.body === null) return new Uint8Array();
  const source = response.body.getReader();
  let reader: ReadableStreamDefaultReader<Bytes> = source;
  const onAbort = () => void reader.cancel(signal!.reason).catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  let gzip = false;
  let sourceFailed = false;
  const chunks: Bytes[] = [];
  let total = 0;
  try {
    signal?.throwIfAborted();
    // Gather the two magic bytes, however the first chunks are split.
    let head: Bytes = new Uint8Array();
    while (head.byteLength < 2) {
      const { done, value } = await source.read();
      if (done) break;
      head = head.byteLength === 0
        ? value
        : concat([head, value], head.byteLength + value.byteLength);
    }
    gzip = head[0] === 0x1f && head[1] === 0x8b;
    if (gzip) {
      const markFailed = () => void (sourceFailed = true);
      reader = resliced(source, head, GZIP_SLICE_BYTES, markFailed)
        .pipeThrough(new DecompressionStream("gzip"))
        .getReader();
    } else if (head.byteLength > 0) {
      chunks.push(head);
      total = head.byteLength;
    }
    while (total <= maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.byteLength;
    }
    signal?.throwIfAborted();
    if (total > maxBytes) throw new SitemapTooLargeError(maxBytes);
  } catch (error) {
    // Cancelling stops the download (and, through the pipe, the inflating).
    await reader.cancel(error).catch(() => {});
    if (signal?.aborted) throw signal.reason;
    if (gzip && !sourceFailed && error instanceof TypeError) {
      throw new InvalidGzipError(
        `Cannot read sitemap as its gzip data is invalid: ${error.message}`,
      );
    }
    throw error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  return concat(chunks, total);
}

function concat(chunks: Bytes[], total: number): Bytes {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

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
  /** The `fetch` to use; defaults to the global one. */
  fetch?: typeof fetch;
  /** The crawl's signal: aborting it rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Deadline of each sitemap request, body included, in ms. */
  timeoutMs: number;
  /** Most bytes of one sitemap, uncompressed (the protocol allows {@linkcode SITEMAP_MAX_BYTES}). */
  maxBytes: number;
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
   * Checked for every sitemap URL and redirect target before it is fetched
   * (SSRF guard, robots, scope); `false` skips it with an error entry.
   */
  allow?: (url: string) => boolean | Promise<boolean>;
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

class SitemapFetchError extends Error {}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function httpUrl(raw: string, base?: string): string | undefined {
  const url = URL.parse(raw, base);
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) return undefined;
  url.hash = "";
  return url.href;
}

function describe(error: unknown, timeoutMs: number): string {
  if (
    error instanceof SitemapFetchError || error instanceof SitemapTooLargeError ||
    error instanceof InvalidGzipError
  ) return error.message;
  const { code, message } = classifyFetchError(error);
  return code === "timeout" ? `timed out after ${timeoutMs} ms` : `${code}: ${message}`;
}

/**
 * Fetches one sitemap under its own deadline, following redirects by hand so
 * that `allow` sees every hop.
 */
async function fetchSitemap(
  url: string,
  options: CollectSitemapsOptions & { maxRedirects: number },
): Promise<ParsedSitemap> {
  // Cleared when the request ends: a timeout signal would live on for the whole timeout.
  using limit = deadline(options.timeoutMs, options.signal);
  const signal = limit.signal;
  const doFetch = options.fetch ?? fetch;
  let current = url;
  for (let hops = 0;; hops++) {
    let allowed = true;
    try {
      allowed = (await options.allow?.(current)) ?? true;
    } catch (error) {
      throw new SitemapFetchError(`allow failed for ${current}: ${error}`);
    }
    if (!allowed) throw new SitemapFetchError(`not allowed: ${current}`);
    signal.throwIfAborted();
    const response = await doFetch(current, {
      signal,
      redirect: "manual",
      headers: {
        "user-agent": options.userAgent,
        accept: "application/xml, text/xml;q=0.9, */*;q=0.5",
      },
    });
    if (REDIRECTS.has(response.status) && response.headers.has("location")) {
      await response.body?.cancel();
      const next = httpUrl(response.headers.get("location")!, current);
      if (next === undefined) throw new SitemapFetchError(`bad redirect from ${current}`);
      if (hops === options.maxRedirects) {
        throw new SitemapFetchError(`more than ${options.maxRedirects} redirects`);
      }
      current = next;
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new SitemapFetchError(`HTTP ${response.status}`);
    }
    const body = await readSitemapBody(response, { maxBytes: options.maxBytes, signal });
    return parseSitemap(new TextDecoder().decode(body), { maxEntries: options.maxEntries });
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
 * @param options Limits, deadline, user agent and the `allow` hook.
 * @returns The page URLs with their lastmod, the errors, and whether a limit cut the result.
 * @throws {RangeError} If a limit is not a positive integer (`maxDepth`: non-negative).
 * @throws The reason of `options.signal` when it aborts.
 *
 * @example Usage
 * ```ts ignore
 * import { collectSitemapUrls, defaultSitemapUrl } from "./sitemap.ts";
 * const { urls, errors } = await collectSitemapUrls([defaultSitemapUrl("https://example.org")], {
 *   timeoutMs: 10_000,
 *   maxBytes: 50 * 1024 * 1024,
 *   maxUrls: 10_000,
 *   maxSitemaps: 100,
 *   userAgent: "crawler/0.1",
 * });
 * console.log(urls.length, errors);
 * ```
 */
export async function collectSitemapUrls(
  sitemapUrls: readonly string[],
  options: CollectSitemapsOptions,
): Promise<CollectedSitemaps> {
  const what = "collect sitemap URLs";
  positiveInteger(what, "timeoutMs", options.timeoutMs);
  positiveInteger(what, "maxBytes", options.maxBytes);
  const maxUrls = positiveInteger(what, "maxUrls", options.maxUrls);
  const maxSitemaps = positiveInteger(what, "maxSitemaps", options.maxSitemaps);
  positiveInteger(what, "maxEntries", options.maxEntries ?? SITEMAP_MAX_ENTRIES);
  const maxDepth = positiveInteger(what, "maxDepth", options.maxDepth ?? 2, 0);
  const maxRedirects = positiveInteger(what, "maxRedirects", options.maxRedirects ?? 5, 0);
  const { signal } = options;
  const result: CollectedSitemaps = { urls: [], errors: [], truncated: false };
  const queue: { url: string; depth: number }[] = [];
  const seenSitemaps = new Set<string>();
  const seenUrls = new Set<string>();
  let overflow = 0;
  let firstOverflow = "";
  const enqueue = (raw: string, depth: number) => {
    const url = httpUrl(raw);
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
    let parsed: ParsedSitemap;
    try {
      parsed = await fetchSitemap(url, { ...options, maxRedirects });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      result.errors.push({ sitemap: url, error: describe(error, options.timeoutMs) });
      continue;
    }
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
      const skipped = entries.filter((e) => !seenSitemaps.has(httpUrl(e.loc)!)).length;
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
