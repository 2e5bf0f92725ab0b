/**
 * Fetching one URL: a whole-request deadline, redirects followed by hand so
 * every hop can be checked, a body-size cap that counts decompressed bytes,
 * and bodies read only for HTML.
 *
 * @module
 */

import { classifyFetchError } from "./errors.ts";
import type { ErrorCode } from "../output/record.ts";
import { deadline } from "./deadline.ts";
import { BodyTooLargeError, readBody as readStream } from "./body.ts";

/** Options for {@linkcode fetchPage}. */
export interface FetchPageOptions {
  /** The crawl's signal; aborting it aborts the request. */
  signal?: AbortSignal;
  /** Deadline for the whole request, redirects and body included, in ms. */
  timeoutMs: number;
  /** Most body bytes read (after decompression); past it the fetch fails `too_large`. */
  maxBytes: number;
  /** Most redirects followed. */
  maxRedirects: number;
  /** Request headers (User-Agent among them). */
  headers?: Record<string, string>;
  /**
   * Extra headers for one request of the chain (e.g. a Cookie or an
   * Authorization header that belongs to that origin only).
   */
  headersFor?: (url: string) => Promise<Record<string, string>> | Record<string, string>;
  /** Sees every response of the chain (e.g. to store its cookies). */
  onResponse?: (url: string, response: Response) => Promise<void> | void;
  /**
   * Checks a redirect target before it is requested; returning an error
   * code stops the chain there with that error.
   */
  checkRedirect?: (url: string) => Promise<ErrorCode | undefined> | ErrorCode | undefined;
  /** Normalizes a Location against the current URL; defaults to plain resolution. */
  resolve?: (location: string, base: string) => string | undefined;
  /** The `fetch` to use; defaults to the global one. */
  fetch?: typeof fetch;
}

/** One redirect hop: the URL that answered and its status. */
export interface RedirectHop {
  /** The URL that answered with a redirect. */
  url: string;
  /** Its 3xx status. */
  status: number;
}

/** The outcome of {@linkcode fetchPage}, successful or not. */
export interface FetchedPage {
  /** The URL asked for. */
  requestedUrl: string;
  /** The final URL after redirects. */
  url: string;
  /** The final status, or `null` when no response came. */
  status: number | null;
  /** The final response headers, or `null`. */
  headers: Headers | null;
  /** The media type, lower-case, without parameters. */
  contentType: string | null;
  /** The body, read only for successful HTML responses. */
  body: Uint8Array | null;
  /** Body bytes read, or the declared length when the body was not read. */
  bytes: number;
  /** From request start to the end of the body, in ms. */
  durationMs: number;
  /** When the request started, ISO 8601. */
  fetchedAt: string;
  /** The redirect hops before `url`. */
  redirects: RedirectHop[];
  /** The short error code, if the fetch failed. */
  error?: ErrorCode;
  /** A detail for `error`. */
  errorMessage?: string;
}

const HTML_TYPES = new Set(["text/html", "application/xhtml+xml"]);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Whether a media type is one the crawler parses.
 *
 * @param contentType A media type without parameters.
 * @returns `true` for `text/html` and `application/xhtml+xml`.
 */
export function isHtmlType(contentType: string | null): boolean {
  return contentType !== null && HTML_TYPES.has(contentType);
}

function mediaType(header: string | null): string | null {
  if (!header) return null;
  const type = header.split(";", 1)[0]!.trim().toLowerCase();
  return type === "" ? null : type;
}

/**
 * Reads a body within the cap. When the server declares an uncompressed
 * length under the cap, the body is read in one call (no per-chunk JS);
 * otherwise, or for compressed bodies, chunk by chunk so the cap holds on
 * decompressed bytes.
 */
async function readBody(response: Response, maxBytes: number): Promise<Uint8Array> {
  const length = Number(response.headers.get("content-length") ?? NaN);
  const encoding = response.headers.get("content-encoding");
  if (length <= maxBytes && (encoding === null || encoding === "identity")) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    // A server that sent more than it declared gets the same answer as any overlong body.
    if (bytes.byteLength > maxBytes) throw new BodyTooLargeError(maxBytes);
    return bytes;
  }
  return await readStream(response.body!, { limit: maxBytes });
}

/**
 * What is known of a URL before any response: nothing but the URL and the time.
 *
 * @param url The URL.
 * @param failure An error code and message, for a URL that will not be requested.
 * @returns A page with no response.
 *
 * @example Usage
 * ```ts
 * import { unfetchedPage } from "./request.ts";
 * unfetchedPage("https://a.test/", { error: "robots", message: "disallowed" }).status; // null
 * ```
 */
export function unfetchedPage(
  url: string,
  failure?: { error: ErrorCode; message: string },
): FetchedPage {
  const page: FetchedPage = {
    requestedUrl: url,
    url,
    status: null,
    headers: null,
    contentType: null,
    body: null,
    bytes: 0,
    durationMs: 0,
    fetchedAt: new Date().toISOString(),
    redirects: [],
  };
  if (failure) {
    page.error = failure.error;
    page.errorMessage = failure.message;
  }
  return page;
}

/**
 * Fetches a URL, never throwing for network or HTTP failures: they come
 * back as `error` codes.
 *
 * @param url The absolute URL to fetch.
 * @param options Deadline, size cap, redirect policy and headers.
 * @returns The page, or what is known of it with an `error`.
 * @throws Only the crawl signal's reason is never swallowed: when
 * `options.signal` aborts, the result has `error: "aborted"`.
 *
 * @example Usage
 * ```ts ignore
 * import { fetchPage } from "./request.ts";
 * const page = await fetchPage("https://example.org/", {
 *   timeoutMs: 10_000,
 *   maxBytes: 10 * 1024 * 1024,
 *   maxRedirects: 10,
 * });
 * console.log(page.status, page.bytes);
 * ```
 */
export async function fetchPage(url: string, options: FetchPageOptions): Promise<FetchedPage> {
  const started = performance.now();
  const result = unfetchedPage(url);
  // Cleared when the request ends: a timeout signal would live on for the whole timeout.
  using limit = deadline(options.timeoutMs, options.signal);
  const signal = limit.signal;
  const doFetch = options.fetch ?? fetch;
  const fail = (error: ErrorCode, message: string): FetchedPage => {
    result.error = error;
    result.errorMessage = message;
    result.durationMs = performance.now() - started;
    return result;
  };
  try {
    const visited = new Set([url]);
    let current = url;
    while (true) {
      const extra = await options.headersFor?.(current);
      const response = await doFetch(current, {
        signal,
        redirect: "manual",
        headers: extra ? { ...options.headers, ...extra } : options.headers,
      });
      await options.onResponse?.(current, response);
      result.url = current;
      result.status = response.status;
      result.headers = response.headers;
      result.contentType = mediaType(response.headers.get("content-type"));
      if (REDIRECTS.has(response.status) && response.headers.has("location")) {
        await response.body?.cancel();
        const location = response.headers.get("location")!;
        const resolve = options.resolve ??
          ((loc: string, base: string) => URL.parse(loc, base)?.href);
        const next = resolve(location, current);
        result.redirects.push({ url: current, status: response.status });
        if (next === undefined) {
          return fail("bad_redirect", `redirect to a non-http(s) or invalid URL: ${location}`);
        }
        if (visited.has(next)) return fail("redirect_loop", `redirect loop back to ${next}`);
        if (result.redirects.length > options.maxRedirects) {
          return fail("too_many_redirects", `more than ${options.maxRedirects} redirects`);
        }
        const refused = await options.checkRedirect?.(next);
        if (refused) {
          result.url = next;
          return fail(refused, `redirect target refused: ${next}`);
        }
        visited.add(next);
        current = next;
        continue;
      }
      const ok = response.status >= 200 && response.status < 300;
      const sniffable = result.contentType === null;
      if (ok && (isHtmlType(result.contentType) || sniffable) && response.body) {
        const body = await readBody(response, options.maxBytes);
        result.bytes = body.byteLength;
        if (sniffable && !looksLikeHtml(body)) {
          result.durationMs = performance.now() - started;
          return result;
        }
        if (sniffable) result.contentType = "text/html";
        result.body = body;
      } else {
        // Not parsed: do not read past what is needed.
        await response.body?.cancel();
        result.bytes = Number(response.headers.get("content-length")) || 0;
      }
      result.durationMs = performance.now() - started;
      if (response.status >= 500) return fail("http_5xx", `HTTP ${response.status}`);
      if (response.status >= 400) return fail("http_4xx", `HTTP ${response.status}`);
      return result;
    }
  } catch (error) {
    if (error instanceof BodyTooLargeError) return fail("too_large", error.message);
    const { code, message } = classifyFetchError(error, options.signal);
    return fail(code, message);
  }
}

function looksLikeHtml(body: Uint8Array): boolean {
  const head = new TextDecoder().decode(body.subarray(0, 512)).trimStart().toLowerCase();
  return head.startsWith("<!doctype html") || head.startsWith("<html") ||
    /<(head|body|title)\b/.test(head);
}
