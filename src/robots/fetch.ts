/**
 * Fetching a robots.txt under RFC 9309's policy for each status class: 2xx
 * is parsed, 4xx allows everything, and an unreachable file (5xx, 429, a
 * timeout or a network error) disallows everything.
 *
 * @module
 */

import type { ErrorCode } from "../output/record.ts";
import { type ExchangeRecorder, type HopCheck, request } from "../http/request.ts";
import { ALLOW_ALL, DISALLOW_ALL, parseRobots, type Robots, ROBOTS_MAX_BYTES } from "./rules.ts";
import { readResponseBody } from "../http/body.ts";
import type { HttpClient } from "../http/client.ts";

/** The most redirects followed to reach a robots.txt. */
export const ROBOTS_MAX_REDIRECTS = 5;

/** Options for {@linkcode fetchRobots}. */
export interface FetchRobotsOptions {
  /** The crawl's signal; aborting it makes `fetchRobots` reject with its reason. */
  signal?: AbortSignal;
  /** Deadline for the whole fetch, hop checks, redirects and body included, in ms. */
  timeoutMs: number;
  /** Sent as the User-Agent header; its product token selects the group. */
  userAgent: string;
  /**
   * Checks the robots.txt URL and every redirect target before it is
   * requested (e.g. the address guard); a refusal makes the file
   * unreachable (`disallow_all`, the code as `reason`).
   */
  checkHop?: HopCheck;
  /** The HTTP client to send with (the crawl's connections, its proxy); default: `fetch()` alone. */
  client?: HttpClient;
  /** Archives each exchange (`warc`). */
  recorder?: ExchangeRecorder;
}

/**
 * What a robots.txt fetch decided: `parsed` (2xx), `allow_all` (4xx, or more
 * than {@linkcode ROBOTS_MAX_REDIRECTS} redirects, a redirect loop or one to
 * a non-http(s) URL) or `disallow_all` (the file is unreachable: 5xx, 429,
 * timeout, network error, or a URL refused by `checkHop`; worth a retry later).
 */
export interface RobotsResult {
  /** Which policy applies. */
  kind: "parsed" | "allow_all" | "disallow_all";
  /** The rules to apply; for `allow_all` and `disallow_all` they say just that. */
  robots: Robots;
  /** The last robots.txt URL requested (after redirects). */
  url: string;
  /** Its HTTP status, or `null` when no response came. */
  status: number | null;
  /** Why the policy is not `parsed`: `HTTP 503`, `timeout`, `refused`, `blocked_address`... */
  reason?: string;
  /**
   * For `disallow_all` when no answer came: the failure that made the file
   * unreachable (a transport failure such as `refused`, `dns`, `timeout`, or
   * a URL `checkHop` refused). Absent when the server answered (5xx, 429).
   */
  error?: ErrorCode;
  /** The bytes read, for `parsed` results (what a shared cache stores). */
  body?: Uint8Array;
}

/**
 * Fetches and parses `${origin}/robots.txt` under RFC 9309's policy: 2xx is
 * parsed (first 500 KiB only); 4xx (and a 3xx without Location) allows
 * everything; 5xx, 429, a timeout or a network error disallows everything;
 * up to 5 redirects are followed, and more (or a loop, or a redirect to a
 * non-http(s) URL) allow everything. 429 counts as unreachable (as at
 * Google) so that rate limiting never opens the whole site; so does a URL
 * `checkHop` refuses, so that a guard never opens it either.
 *
 * @param origin The site's origin, e.g. `https://example.org` (a path is ignored).
 * @param options Deadline, User-Agent, crawl signal and hop check.
 * @returns The policy and rules; never rejects for HTTP or network failures.
 * @throws {TypeError} If `origin` is not an http(s) URL.
 * @throws {RangeError} If `timeoutMs` is not a positive number.
 * @throws The crawl signal's reason when `options.signal` aborts.
 *
 * @example Usage
 * ```ts
 * import { fetchRobots } from "./fetch.ts";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
 *   new Response("User-agent: *\nDisallow: /private/\n"));
 * const origin = `http://127.0.0.1:${server.addr.port}`;
 * const result = await fetchRobots(origin, {
 *   timeoutMs: 10_000,
 *   userAgent: "deno-crawler/0.1",
 * });
 * assert.equal(result.kind, "parsed");
 * assert.equal(result.robots.isAllowed(`${origin}/page`), true);
 * assert.equal(result.robots.isAllowed(`${origin}/private/page`), false);
 * ```
 */
export async function fetchRobots(
  origin: string,
  options: FetchRobotsOptions,
): Promise<RobotsResult> {
  const base = URL.parse(origin);
  if (!base || (base.protocol !== "http:" && base.protocol !== "https:")) {
    throw new TypeError(
      `Cannot fetch robots.txt as 'origin' must be an http(s) URL: received ${origin}`,
    );
  }
  if (!(options.timeoutMs > 0)) {
    throw new RangeError(
      `Cannot fetch robots.txt as 'timeoutMs' must be a positive number: received ${options.timeoutMs}`,
    );
  }
  const page = await request(`${base.origin}/robots.txt`, {
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    // One byte past the limit tells parseRobots the last line may be cut.
    maxBytes: ROBOTS_MAX_BYTES + 1,
    maxRedirects: ROBOTS_MAX_REDIRECTS,
    headers: { "user-agent": options.userAgent },
    client: options.client,
    recorder: options.recorder,
    checkHop: options.checkHop,
    checkFirst: true,
    readBody: readRobotsBody,
  });
  const { url, status, error } = page;
  const result = (kind: RobotsResult["kind"], reason: string): RobotsResult => ({
    kind,
    robots: kind === "allow_all" ? ALLOW_ALL : DISALLOW_ALL,
    url,
    status,
    reason,
  });
  if (error !== undefined) {
    if (options.signal?.aborted) throw options.signal.reason;
    // A chain that never ends in a file is a robots.txt that is not there.
    if (error === "too_many_redirects" || error === "redirect_loop" || error === "bad_redirect") {
      return result("allow_all", page.errorMessage!);
    }
    return { ...result("disallow_all", error), error };
  }
  if (status! >= 200 && status! < 300) {
    const body = page.body ?? new Uint8Array();
    const robots = parseRobots(body, options.userAgent, { baseUrl: url });
    return { kind: "parsed", robots, url, status, body };
  }
  if (status! >= 500 || status === 429) return result("disallow_all", `HTTP ${status}`);
  // 4xx, and a 3xx without a Location.
  return result("allow_all", `HTTP ${status}`);
}

/** A 2xx body, cut after `maxBytes`; other statuses are not read. */
function readRobotsBody(
  response: Response,
  _signal: AbortSignal,
  maxBytes: number,
): Promise<Uint8Array | null> {
  if (!response.ok) return Promise.resolve(null);
  return readResponseBody(response, { limit: maxBytes, overflow: "cut" });
}
