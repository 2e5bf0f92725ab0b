/**
 * Requesting one URL, the one request loop of the crawler (pages,
 * robots.txt and sitemaps alike): a whole-request deadline, redirects
 * followed by hand so every hop can be checked, a body read by the caller's
 * {@linkcode BodyReader} under a byte cap, and one classification of
 * failures into error codes. {@linkcode fetchPage} is the page policy on top
 * of it: only HTML bodies are read, 4xx and 5xx are errors.
 *
 * @module
 */

import { classifyFetchError } from "./errors.ts";
import type { ErrorCode } from "../output/record.ts";
import { startDeadline } from "./deadline.ts";
import { type BodyReader, readCappedBody, readLentBody, readRawBody } from "./body.ts";
import { HttpClient } from "./client.ts";

/**
 * One HTTP exchange as it went over the wire, for an archive (a WARC file):
 * {@linkcode request} hands one to its `recorder` for every response it
 * gets, each redirect hop included.
 */
export interface HttpExchange {
  /** The URL requested. */
  url: string;
  /** The request method. */
  method: string;
  /** When the request was sent, ISO 8601. */
  startedAt: string;
  /**
   * The request headers as sent, lower-case, in order: the caller's, then
   * those `fetch` adds (`accept`, `accept-language`, `host`).
   */
  requestHeaders: [string, string][];
  /** The response status. */
  status: number;
  /** Its reason phrase as `fetch` gives it (the standard one for the status). */
  statusText: string;
  /** The response headers, lower-case, as `fetch` gives them (repeated ones joined but Set-Cookie). */
  responseHeaders: [string, string][];
  /**
   * The body bytes as they arrived (de-chunked, still encoded when the
   * server encoded them anyway), at most `maxBytes` of them.
   */
  body: Uint8Array;
  /** Why the body is not whole: cut at `maxBytes` (`length`), by the deadline (`time`), or the connection failed (`disconnect`). */
  truncated?: "length" | "time" | "disconnect";
}

/**
 * Receives each exchange {@linkcode request} makes. Called before the
 * response is judged (a refused redirect target still gets its redirect
 * archived); it must not throw.
 */
export type ExchangeRecorder = (exchange: HttpExchange) => void;

/**
 * Checks one URL of a chain before it is requested (an address guard,
 * robots.txt, the scope...).
 *
 * @param url The URL about to be requested.
 * @param signal The request's deadline signal: the check runs inside the
 * deadline, so a slow one (a DNS lookup) should stop when it aborts.
 * @returns An error code to refuse the URL, which ends the request with that
 * error, or `undefined` to let it be requested.
 */
export type HopCheck = (
  url: string,
  signal: AbortSignal,
) => Promise<ErrorCode | undefined> | ErrorCode | undefined;

/** Options for {@linkcode request}. */
export interface RequestOptions {
  /** The request method; default `GET`. */
  method?: "GET" | "HEAD";
  /** The crawl's signal; aborting it aborts the request, which ends with `error: "aborted"`. */
  signal?: AbortSignal;
  /** Deadline for the whole request (hop checks, redirects and body included), in ms. */
  timeoutMs: number;
  /**
   * Most body bytes kept, passed to the body reader; the standard one fails
   * `too_large` past it, counting decompressed bytes.
   */
  maxBytes: number;
  /** Most redirects followed; one more ends the request `too_many_redirects`. */
  maxRedirects: number;
  /** Request headers (User-Agent among them), sent to every URL of the chain. */
  headers?: Record<string, string>;
  /**
   * The client to send with (the crawl's own HTTP/1.1 connections for
   * `http:`, its proxy); default: `fetch()` alone.
   */
  client?: HttpClient;
  /**
   * Extra headers for one request of the chain (e.g. a Cookie or an
   * Authorization header that belongs to that origin only).
   */
  headersFor?: (url: string) => Promise<Record<string, string>> | Record<string, string>;
  /** Sees every response of the chain (e.g. to store its cookies). */
  onResponse?: (url: string, response: Response) => Promise<void> | void;
  /**
   * Checks each redirect target before it is requested, and the first URL
   * too with `checkFirst`; returning an error code stops the chain there
   * with that error.
   */
  checkHop?: HopCheck;
  /**
   * Whether `checkHop` vets the first URL too. Off by default: a caller that
   * checked it already (the fetch stage does, around its semaphore) need not
   * pay twice.
   */
  checkFirst?: boolean;
  /**
   * Waits, once `checkHop` let a redirect target through, for whatever the
   * request must queue for before it is sent (its host's politeness slot
   * and delay). The deadline's clock stops meanwhile: queueing is not the
   * request's own time. Its signal is the crawl's.
   */
  waitHop?: (url: string, signal: AbortSignal) => Promise<void>;
  /**
   * Turns a Location into the next URL, `undefined` refusing it as
   * `bad_redirect`. Defaults to {@linkcode resolveHttpUrl}.
   */
  resolve?: (location: string, base: string) => string | undefined;
  /**
   * Reads the final (non-redirect) response's body, whatever its status,
   * under the deadline; `null` leaves it unread. Defaults to
   * {@linkcode readCappedBody}: the whole body within `maxBytes`.
   */
  readBody?: BodyReader;
  /**
   * Archives every response of the chain: with one, each body is read in
   * full (within `maxBytes`, whatever the body reader wants of it) and
   * `accept-encoding: identity` is asked for, so the stored headers and
   * body agree.
   */
  recorder?: ExchangeRecorder;
}

/** Statuses from `from` to `to`, both included. */
export interface StatusRange {
  /** The first status. */
  from: number;
  /** The last status. */
  to: number;
}

/**
 * Options for {@linkcode fetchPage}: those of {@linkcode request} but the
 * method, the body reader and `checkFirst`, and the statuses accepted.
 */
export type FetchPageOptions = Omit<RequestOptions, "method" | "readBody" | "checkFirst"> & {
  /** 4xx and 5xx statuses that count as fine, not as `http_4xx`/`http_5xx`. */
  accept?: readonly StatusRange[];
};

/** The request headers fetch adds when the caller sets none of its own. */
const FETCH_DEFAULTS: readonly [string, string][] = [["accept", "*/*"], ["accept-language", "*"]];

/** One redirect hop: the URL that answered and its status. */
export interface RedirectHop {
  /** The URL that answered with a redirect. */
  url: string;
  /** Its 3xx status. */
  status: number;
}

/**
 * The outcome of {@linkcode request} or {@linkcode fetchPage}, successful or
 * not: it describes any fetched resource (a page, a robots.txt, a sitemap).
 */
export interface FetchedPage {
  /** The URL asked for. */
  requestedUrl: string;
  /** The final URL after redirects (the refused one when a hop check refused it). */
  url: string;
  /** The final status, or `null` when no response came. */
  status: number | null;
  /** The final response headers, or `null`. */
  headers: Headers | null;
  /** The media type, lower-case, without parameters. */
  contentType: string | null;
  /** The body, when the body reader read it (for pages: successful HTML responses). */
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
  /** A fingerprint of the body (see `fingerprintBody()`), when the caller asked for one. */
  contentHash?: string;
  /** True when the page was rendered in a browser; `body` is then the serialized DOM. */
  rendered?: boolean;
  /** Requests a rendered page made that were refused, with the reason. */
  blockedRequests?: { url: string; error: ErrorCode }[];
}

/** The media types the crawler parses. */
const HTML_TYPES = new Set(["text/html", "application/xhtml+xml"]);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** A signal that never aborts, for a wait given no crawl signal. */
const NEVER = new AbortController().signal;
/** What a body reader answers for a body it leaves alone; shared, as it never changes. */
const NOT_READ: Promise<null> = Promise.resolve(null);
const DECODER = new TextDecoder();
/** The client of a request given none: `fetch()` alone, which holds no connections of its own. */
const FETCH = new HttpClient({ http1: false });

// No split(): for the usual "text/html" header this allocates nothing.
function mediaType(header: string | null): string | null {
  if (!header) return null;
  const semicolon = header.indexOf(";");
  const type = (semicolon === -1 ? header : header.slice(0, semicolon)).trim().toLowerCase();
  return type === "" ? null : type;
}

/**
 * Resolves a URL (e.g. a Location) against a base, keeping only http(s)
 * URLs; the fragment is dropped, as it is never sent. The default `resolve`
 * of {@linkcode request}.
 *
 * @param location The URL, absolute or relative.
 * @param base The URL it is relative to.
 * @returns The absolute URL, or `undefined` when it is invalid or not http(s).
 *
 * @example Usage
 * ```ts
 * import { resolveHttpUrl } from "./request.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(resolveHttpUrl("/b#top", "https://a.test/x/"), "https://a.test/b");
 * assert.equal(resolveHttpUrl("ftp://a.test/file", "https://a.test/"), undefined);
 * ```
 */
export function resolveHttpUrl(location: string, base?: string): string | undefined {
  const url = URL.parse(location, base);
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) return undefined;
  url.hash = "";
  return url.href;
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
 * import assert from "node:assert/strict";
 *
 * const page = unfetchedPage("https://a.test/", { error: "robots", message: "disallowed" });
 * assert.equal(page.status, null);
 * assert.equal(page.error, "robots");
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
 * Requests a URL, never throwing for network or HTTP failures: they come back
 * as `error` codes. Everything happens under one deadline, cleared when the
 * request ends: the hop checks, each response of the chain and the body.
 * Redirects (301, 302, 303, 307, 308 with a Location) are followed by hand:
 * each target is resolved, checked for a loop (`redirect_loop`), counted
 * (`too_many_redirects`) and passed to `checkHop` before it is requested;
 * an unusable Location is `bad_redirect`. The final response's body is read
 * by `readBody`, whatever the status; the status itself is the caller's to
 * judge (no `http_4xx` here).
 *
 * @param url The absolute URL to request.
 * @param options Deadline, size cap, redirect policy, hop check, headers and body reader.
 * @returns The resource, or what is known of it with an `error`.
 * @throws {RangeError} If `timeoutMs` is not a positive number, `maxBytes`
 * is negative, or `maxRedirects` is not a non-negative integer.
 *
 * @example Usage
 * ```ts
 * import { request } from "./request.ts";
 * import assert from "node:assert/strict";
 *
 * // /feed.xml is a feed; /old redirects off the site.
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) =>
 *   new URL(req.url).pathname === "/old"
 *     ? Response.redirect("https://elsewhere.test/feed.xml", 301)
 *     : new Response("<rss/>", { headers: { "content-type": "application/rss+xml" } }));
 * const site = `http://127.0.0.1:${server.addr.port}/`;
 * const options = {
 *   timeoutMs: 10_000,
 *   maxBytes: 1024 * 1024,
 *   maxRedirects: 5,
 *   checkHop: (url: string) => url.startsWith(site) ? undefined : "out_of_scope" as const,
 * };
 * const feed = await request(`${site}feed.xml`, options);
 * assert.equal(new TextDecoder().decode(feed.body!), "<rss/>");
 * const moved = await request(`${site}old`, options);
 * assert.equal(moved.error, "out_of_scope");
 * assert.equal(moved.url, "https://elsewhere.test/feed.xml");
 * ```
 */
export async function request(url: string, options: RequestOptions): Promise<FetchedPage> {
  const { timeoutMs, maxBytes, maxRedirects, checkHop } = options;
  if (!(timeoutMs > 0)) {
    throw new RangeError(
      `Cannot request a URL as 'timeoutMs' must be a positive number: received ${timeoutMs}`,
    );
  }
  if (!(maxBytes >= 0)) {
    throw new RangeError(
      `Cannot request a URL as 'maxBytes' must be a non-negative number: received ${maxBytes}`,
    );
  }
  if (!Number.isInteger(maxRedirects) || maxRedirects < 0) {
    throw new RangeError(
      `Cannot request a URL as 'maxRedirects' must be a non-negative integer: received ${maxRedirects}`,
    );
  }
  const started = performance.now();
  const result = unfetchedPage(url);
  // Cleared when the request ends: a timeout signal would live on for the whole timeout.
  using limit = startDeadline(timeoutMs, options.signal);
  const signal = limit.signal;
  try {
    if (checkHop !== undefined && options.checkFirst) {
      // A check with side effects (marking a URL seen) must not run for a request already over.
      signal.throwIfAborted();
      const refused = await checkHop(url, signal);
      if (refused) return fail(result, started, refused, `request refused: ${url}`);
    }
    let current = url;
    const { recorder } = options;
    while (true) {
      const extra = await options.headersFor?.(current);
      let headers = extra ? { ...options.headers, ...extra } : options.headers;
      // An archive keeps the bytes as sent: ask for them unencoded, so headers and body agree.
      if (recorder) headers = { "accept-encoding": "identity", ...headers };
      const startedAt = recorder && new Date().toISOString();
      let response = await (options.client ?? FETCH).send(current, {
        method: options.method,
        signal,
        headers,
      });
      await options.onResponse?.(current, response);
      result.url = current;
      result.status = response.status;
      result.headers = response.headers;
      result.contentType = mediaType(response.headers.get("content-type"));
      if (recorder) {
        const exchange = { method: options.method ?? "GET", url: current, startedAt: startedAt! };
        response = await record(recorder, exchange, headers, response, signal, maxBytes);
      }
      if (REDIRECTS.has(response.status) && response.headers.has("location")) {
        await response.body?.cancel();
        const location = response.headers.get("location")!;
        const next = (options.resolve ?? resolveHttpUrl)(location, current);
        result.redirects.push({ url: current, status: response.status });
        if (next === undefined) {
          return fail(
            result,
            started,
            "bad_redirect",
            `redirect to a non-http(s) or invalid URL: ${location}`,
          );
        }
        // Every URL requested so far is in `redirects`: it answered with one.
        if (requested(result.redirects, next)) {
          return fail(result, started, "redirect_loop", `redirect loop back to ${next}`);
        }
        if (result.redirects.length > maxRedirects) {
          return fail(result, started, "too_many_redirects", `more than ${maxRedirects} redirects`);
        }
        if (checkHop !== undefined) {
          signal.throwIfAborted();
          const refused = await checkHop(next, signal);
          if (refused) {
            result.url = next;
            return fail(result, started, refused, `redirect target refused: ${next}`);
          }
        }
        if (options.waitHop !== undefined) {
          signal.throwIfAborted();
          using _paused = limit.pause();
          await options.waitHop(next, options.signal ?? NEVER);
        }
        current = next;
        continue;
      }
      let body: Uint8Array | null;
      try {
        body = await (options.readBody ?? readCappedBody)(response, signal, maxBytes);
      } catch (error) {
        // A reader that gave up before reading must not leave the download running.
        if (!response.bodyUsed) await response.body?.cancel().catch(() => {});
        throw error;
      }
      if (body === null) {
        // Not wanted: do not download past what was needed.
        await response.body?.cancel();
        result.bytes = Number(response.headers.get("content-length")) || 0;
      } else {
        result.body = body;
        result.bytes = body.byteLength;
      }
      result.durationMs = performance.now() - started;
      return result;
    }
  } catch (error) {
    const { code, message } = classifyFetchError(error, options.signal);
    return fail(result, started, code, message);
  }
}

/**
 * Reads a response's whole body (within `maxBytes`) for the recorder, hands
 * it the exchange, and returns an unread copy of the response for the
 * caller's reader. A body cut by the deadline or the connection is recorded
 * as far as it came, then the failure goes on as the request's.
 */
async function record(
  recorder: ExchangeRecorder,
  { method, url, startedAt }: { method: string; url: string; startedAt: string },
  sent: Record<string, string> | undefined,
  response: Response,
  signal: AbortSignal,
  maxBytes: number,
): Promise<Response> {
  const requestHeaders: [string, string][] = Object.entries(sent ?? {}).map((
    [name, value],
  ) => [name.toLowerCase(), value]);
  for (const [name, value] of FETCH_DEFAULTS) {
    if (!requestHeaders.some(([n]) => n === name)) requestHeaders.push([name, value]);
  }
  requestHeaders.push(["host", new URL(url).host]);
  // One byte past the cap tells the caller's reader the body is too large, as it would have seen.
  const read = await readRawBody(response.body, maxBytes + 1, signal);
  const body = read.bytes.subarray(0, maxBytes);
  const truncated = read.bytes.byteLength > maxBytes ? "length" : read.truncated;
  recorder({
    url,
    method,
    startedAt,
    requestHeaders,
    status: response.status,
    statusText: response.statusText,
    responseHeaders: [...response.headers],
    body,
    ...(truncated ? { truncated } : {}),
  });
  if (read.error !== undefined) throw read.error;
  // A null-body status (204, 304) cannot be given a body, even an empty one.
  const nullBody = response.body === null || [101, 103, 204, 205, 304].includes(response.status);
  return new Response(nullBody ? null : decoded(read.bytes, response.headers), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

/**
 * The body as the caller's reader expects it: `fetch` leaves an encoded
 * body encoded when the caller named the encodings it accepts (as a
 * recorder does, with `identity`), so one a server encoded anyway is
 * decoded here, as `fetch` would have done.
 */
function decoded(bytes: Uint8Array, headers: Headers): BodyInit {
  const body = bytes as Uint8Array<ArrayBuffer>;
  const encoding = headers.get("content-encoding")?.trim().toLowerCase();
  const format = encoding === "gzip" || encoding === "x-gzip"
    ? "gzip"
    : encoding === "deflate"
    ? "deflate"
    : encoding === "br"
    ? "brotli"
    : undefined;
  if (format === undefined) return body;
  return new Blob([body]).stream().pipeThrough(
    new DecompressionStream(format as CompressionFormat),
  );
}

function requested(redirects: readonly RedirectHop[], url: string): boolean {
  for (const hop of redirects) if (hop.url === url) return true;
  return false;
}

function fail(
  result: FetchedPage,
  started: number,
  error: ErrorCode,
  message: string,
): FetchedPage {
  result.error = error;
  result.errorMessage = message;
  result.durationMs = performance.now() - started;
  return result;
}

/**
 * Fetches a page: {@linkcode request} under the page policy. A 2xx body is
 * read only when it is HTML, or has no Content-Type and looks like HTML (a
 * sniffed body gets `text/html`); other bodies are not downloaded and
 * `bytes` is their Content-Length. 4xx and 5xx are `http_4xx` and `http_5xx`
 * errors. Never throws for network or HTTP failures.
 *
 * @param url The absolute URL to fetch; `checkHop` sees only its redirect
 * targets (the caller has checked it).
 * @param options Deadline, size cap, redirect policy, hop check and headers.
 * @returns The page, or what is known of it with an `error`; when
 * `options.signal` aborts, `error: "aborted"`.
 * @throws {RangeError} For an invalid `timeoutMs`, `maxBytes` or `maxRedirects`.
 *
 * @example Usage
 * ```ts
 * import { fetchPage } from "./request.ts";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) =>
 *   new URL(req.url).pathname === "/"
 *     ? new Response("<title>Home</title>", { headers: { "content-type": "text/html" } })
 *     : new Response("gone", { status: 404 }));
 * const options = { timeoutMs: 10_000, maxBytes: 10 * 1024 * 1024, maxRedirects: 10 };
 * const page = await fetchPage(`http://127.0.0.1:${server.addr.port}/`, options);
 * assert.equal(page.status, 200);
 * assert.equal(page.bytes, 19);
 * const missing = await fetchPage(`http://127.0.0.1:${server.addr.port}/old`, options);
 * assert.equal(missing.error, "http_4xx");
 * ```
 */
export async function fetchPage(url: string, options: FetchPageOptions): Promise<FetchedPage> {
  const page = await request(url, {
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    maxBytes: options.maxBytes,
    maxRedirects: options.maxRedirects,
    headers: options.headers,
    client: options.client,
    headersFor: options.headersFor,
    onResponse: options.onResponse,
    checkHop: options.checkHop,
    waitHop: options.waitHop,
    resolve: options.resolve,
    recorder: options.recorder,
    readBody: readPageBody,
  });
  if (page.error !== undefined) return page;
  if (page.body !== null && page.contentType === null) {
    if (looksLikeHtml(page.body)) page.contentType = "text/html";
    else page.body = null; // read only to sniff; `bytes` keeps its length
  }
  return withStatusError(page, options.accept);
}

/**
 * Marks a response's 4xx or 5xx status as its error (`http_4xx`,
 * `http_5xx`) unless `accept` lists it: the one place a status becomes an
 * error.
 *
 * @param page A result with a response.
 * @param accept Statuses that count as fine.
 * @returns The same result.
 *
 * @example Usage
 * ```ts
 * import { unfetchedPage, withStatusError } from "./request.ts";
 * import assert from "node:assert/strict";
 *
 * const page = { ...unfetchedPage("https://a.test/"), status: 403 };
 * assert.equal(withStatusError({ ...page }).error, "http_4xx");
 * assert.equal(withStatusError({ ...page }, [{ from: 403, to: 403 }]).error, undefined);
 * ```
 */
export function withStatusError(page: FetchedPage, accept?: readonly StatusRange[]): FetchedPage {
  const status = page.status;
  if (status === null || status < 400) return page;
  if (accept?.some(({ from, to }) => status >= from && status <= to)) return page;
  page.error = status >= 500 ? "http_5xx" : "http_4xx";
  page.errorMessage = `HTTP ${status}`;
  return page;
}

/** The page policy's reader: 2xx HTML bodies, and untyped ones to sniff. */
function readPageBody(
  response: Response,
  signal: AbortSignal,
  maxBytes: number,
): Promise<Uint8Array | null> {
  if (!response.ok || response.body === null) return NOT_READ;
  const type = mediaType(response.headers.get("content-type"));
  if (type !== null && !HTML_TYPES.has(type)) return NOT_READ;
  // The crawl's parse stage releases what it parses: the body may stay where it was read.
  return readLentBody(response, signal, maxBytes);
}

function looksLikeHtml(body: Uint8Array): boolean {
  const head = DECODER.decode(body.subarray(0, 512)).trimStart().toLowerCase();
  return head.startsWith("<!doctype html") || head.startsWith("<html") ||
    /<(head|body|title)\b/.test(head);
}
