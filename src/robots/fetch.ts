/**
 * Fetching a robots.txt under RFC 9309's policy for each status class: 2xx
 * is parsed, 4xx allows everything, and an unreachable file (5xx, 429, a
 * timeout or a network error) disallows everything.
 *
 * @module
 */

import { classifyFetchError } from "../http/errors.ts";
import { deadline } from "../http/deadline.ts";
import { ALLOW_ALL, DISALLOW_ALL, parseRobots, type Robots, ROBOTS_MAX_BYTES } from "./rules.ts";
import { readBody } from "../http/body.ts";

/** The most redirects followed to reach a robots.txt. */
export const ROBOTS_MAX_REDIRECTS = 5;

/** Options for {@linkcode fetchRobots}. */
export interface FetchRobotsOptions {
  /** The crawl's signal; aborting it makes `fetchRobots` reject with its reason. */
  signal?: AbortSignal;
  /** Deadline for the whole fetch, redirects and body included, in ms. */
  timeoutMs: number;
  /** Sent as the User-Agent header; its product token selects the group. */
  userAgent: string;
  /** The `fetch` to use; defaults to the global one. */
  fetch?: typeof fetch;
}

/**
 * What a robots.txt fetch decided: `parsed` (2xx), `allow_all` (4xx, or more
 * than {@linkcode ROBOTS_MAX_REDIRECTS} redirects) or `disallow_all` (the file
 * is unreachable: 5xx, 429, timeout or network error; worth a retry later).
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
  /** Why the policy is not `parsed`: `HTTP 503`, `timeout`, `refused`... */
  reason?: string;
  /** The bytes read, for `parsed` results (what a shared cache stores). */
  body?: Uint8Array;
}

/**
 * Fetches and parses `${origin}/robots.txt` under RFC 9309's policy: 2xx is
 * parsed (first 500 KiB only); 4xx (and a 3xx without Location) allows
 * everything; 5xx, 429, a timeout or a network error disallows everything;
 * up to 5 redirects are followed, and more allow everything. 429 counts as
 * unreachable (as at Google) so that rate limiting never opens the whole site.
 *
 * @param origin The site's origin, e.g. `https://example.org` (a path is ignored).
 * @param options Deadline, User-Agent, crawl signal.
 * @returns The policy and rules; never rejects for HTTP or network failures.
 * @throws {TypeError} If `origin` is not an http(s) URL.
 * @throws {RangeError} If `timeoutMs` is not a positive number.
 * @throws The crawl signal's reason when `options.signal` aborts.
 *
 * @example Usage
 * ```ts ignore
 * import { fetchRobots } from "./fetch.ts";
 * const result = await fetchRobots("https://example.org", {
 *   timeoutMs: 10_000,
 *   userAgent: "deno-crawler/0.1",
 * });
 * if (result.robots.isAllowed("https://example.org/page")) console.log("fetch it");
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
  // Cleared when the request ends: a timeout signal would live on for the whole timeout.
  using limit = deadline(options.timeoutMs, options.signal);
  const signal = limit.signal;
  const doFetch = options.fetch ?? fetch;
  let url = `${base.origin}/robots.txt`;
  let status: number | null = null;
  const result = (kind: RobotsResult["kind"], reason: string): RobotsResult => ({
    kind,
    robots: kind === "allow_all" ? ALLOW_ALL : DISALLOW_ALL,
    url,
    status,
    reason,
  });
  try {
    for (let redirects = 0;; redirects++) {
      const response = await doFetch(url, {
        signal,
        redirect: "manual",
        headers: { "user-agent": options.userAgent },
      });
      status = response.status;
      if (status >= 200 && status < 300) {
        // One byte past the limit tells parseRobots the last line may be cut.
        const body = response.body
          ? await readBody(response.body, { limit: ROBOTS_MAX_BYTES + 1, overflow: "cut" })
          : new Uint8Array();
        const robots = parseRobots(body, options.userAgent, { baseUrl: url });
        return { kind: "parsed", robots, url, status, body };
      }
      const location = status >= 300 && status < 400 ? response.headers.get("location") : null;
      await response.body?.cancel();
      if (location !== null) {
        if (redirects === ROBOTS_MAX_REDIRECTS) {
          return result("allow_all", `more than ${ROBOTS_MAX_REDIRECTS} redirects`);
        }
        const next = URL.parse(location, url);
        if (!next || (next.protocol !== "http:" && next.protocol !== "https:")) {
          return result("allow_all", `redirect to a non-http(s) URL: ${location}`);
        }
        url = next.href;
        continue;
      }
      if (status >= 500 || status === 429) return result("disallow_all", `HTTP ${status}`);
      return result("allow_all", `HTTP ${status}`);
    }
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    return result("disallow_all", classifyFetchError(error).code);
  }
}
