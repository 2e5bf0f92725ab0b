/**
 * The fetcher's policy around one request: Deno's net permission, the SSRF
 * guard, robots.txt, the global Semaphore, redirect checks at every hop,
 * retries with backoff, and `Retry-After` pauses.
 *
 * @module
 */

import type { AddressGuard } from "../http/address_guard.ts";
import { type FetchedPage, fetchPage, unfetchedPage } from "../http/request.ts";
import type { CrawlFrontier, FrontierEntry } from "../frontier/types.ts";
import type { CrawlOptions } from "./options.ts";
import type { ErrorCode } from "../output/record.ts";
import { backoffMs, isTransient, parseRetryAfter } from "./retry.ts";
import type { RobotsCache } from "../robots/cache.ts";
import type { Semaphore } from "../async/semaphore.ts";
import type { CrawlStats } from "../output/stats.ts";
import { normalizeUrl } from "../frontier/url.ts";

/** What became of one URL at the fetch stage. */
export type FetchOutcome =
  /** A 2xx HTML page for the parsers. */
  | { kind: "page"; page: FetchedPage }
  /** A final result to record as it is (an error, or a page not to parse). */
  | { kind: "record"; page: FetchedPage }
  /** Not fetched by policy; `record` says whether it gets a record anyway. */
  | { kind: "skip"; page: FetchedPage; record: boolean; transient?: boolean }
  /** Queued again for another attempt: still pending. */
  | { kind: "retry" };

/** A cookie jar as the fetch stage uses it (tough-cookie's `CookieJar` fits). */
export interface CookieStore {
  /** The Cookie header value for a URL. */
  getCookieString(url: string): Promise<string>;
  /** Stores one Set-Cookie header received from a URL. */
  setCookie(cookie: string, url: string, options: { ignoreError: boolean }): Promise<unknown>;
}

/** What the fetch stage works with. */
export interface FetchStageDeps {
  /** The validated crawl options. */
  options: CrawlOptions;
  /** The frontier (for host slots, retries and dedupe of redirect hops). */
  frontier: CrawlFrontier;
  /** The global cap on requests in flight. */
  semaphore: Semaphore;
  /** Counters. */
  stats: CrawlStats;
  /** The SSRF guard. */
  guard: AddressGuard;
  /** robots.txt per origin; `undefined` with `ignoreRobots`. */
  robots: RobotsCache | undefined;
  /** The crawl's scope test. */
  inScope: (href: string) => boolean;
  /** Authorization headers by origin, from credentials in the seeds. */
  authorization: ReadonlyMap<string, string>;
  /** The cookie jar, with `cookies` on. */
  cookies: CookieStore | undefined;
}

/**
 * Fetches frontier entries under the crawl's policies.
 *
 * @example Usage
 * ```ts ignore
 * const stage = new FetchStage(deps);
 * const outcome = await stage.fetch(entry, signal);
 * ```
 */
export class FetchStage {
  #deps: FetchStageDeps;
  #permitted = new Map<string, boolean>();
  #delaySet = new Set<string>();
  /**
   * Redirect targets each URL marked seen on its own earlier attempts, kept
   * while it may be retried: a retry passes them instead of calling its own
   * target a duplicate.
   */
  #claimedHops = new Map<string, Set<string>>();

  /**
   * Creates the stage over the crawl's shared parts.
   *
   * @param deps The crawl's shared parts.
   */
  constructor(deps: FetchStageDeps) {
    this.#deps = deps;
  }

  /**
   * Fetches one entry. The entry's host slot is released before this returns.
   *
   * @param entry An entry from `frontier.next()`.
   * @param signal The crawl's signal.
   * @returns What became of it.
   * @throws The signal's reason when the crawl is aborted.
   */
  async fetch(entry: FrontierEntry, signal: AbortSignal): Promise<FetchOutcome> {
    const { frontier } = this.#deps;
    let outcome: FetchOutcome;
    try {
      outcome = await this.#attempt(entry, signal);
    } finally {
      frontier.release(entry);
    }
    // An unreachable robots.txt is as transient as an unreachable page: retried the same way.
    if (outcome.kind === "record" && this.#retry(entry, outcome.page)) return { kind: "retry" };
    if (outcome.kind === "skip" && outcome.transient && this.#retry(entry, outcome.page, true)) {
      return { kind: "retry" };
    }
    this.#claimedHops.delete(entry.url);
    return outcome;
  }

  async #attempt(entry: FrontierEntry, signal: AbortSignal): Promise<FetchOutcome> {
    const { options, guard, semaphore } = this.#deps;
    const refused = (
      error: ErrorCode,
      message: string,
      record = true,
      transient = false,
    ): FetchOutcome => ({
      kind: "skip",
      page: unfetchedPage(entry.url, { error, message }),
      record,
      transient,
    });
    if (!this.#netPermitted(entry.url)) {
      return refused("permission", `Deno's --allow-net does not include ${entry.host}`);
    }
    const verdict = await guard.verdict(entry.url, { signal });
    if (verdict === "blocked") {
      return refused("blocked_address", `${entry.host} is or resolves to a private address`);
    }
    if (verdict === "unresolved") {
      // A transient failure (retried): the name may resolve later, and an address the guard
      // could not vet is not fetched.
      return {
        kind: "record",
        page: unfetchedPage(entry.url, { error: "dns", message: `cannot resolve ${entry.host}` }),
      };
    }
    using _permit = await semaphore.acquire({ signal });
    const robots = await this.#robotsAllow(entry.url, entry.host, signal);
    if (robots !== true) {
      // An unreachable robots.txt is a failure worth a record; a rule is a policy skip.
      return robots === "disallowed"
        ? refused("robots", "disallowed by robots.txt", options.logSkipped)
        : refused("robots", robots, true, true);
    }
    const page = await fetchPage(entry.url, {
      signal,
      timeoutMs: options.timeoutMs,
      maxBytes: options.maxBytes,
      maxRedirects: options.maxRedirects,
      headers: { "user-agent": options.userAgent, "accept": ACCEPT },
      // A recrawl revalidates: the stored validators go with the first request only.
      headersFor: (url) => this.#headersFor(url, url === entry.url ? entry.extra : undefined),
      onResponse: (url, response) => this.#storeCookies(url, response),
      resolve: (location, base) => normalizeUrl(location, base, options),
      checkRedirect: (url) => this.#checkHop(url, entry.url, signal),
    });
    if (page.error === "aborted") signal.throwIfAborted();
    this.#pauseOnRetryAfter(entry.host, page);
    return page.body && !page.error ? { kind: "page", page } : { kind: "record", page };
  }

  /** Re-queues a transient failure while attempts remain. */
  #retry(entry: FrontierEntry, page: FetchedPage, transient = false): boolean {
    const { options, frontier, stats } = this.#deps;
    const attempts = entry.attempts + 1;
    if (attempts > options.retries || !(transient || isTransient(page.status, page.error))) {
      return false;
    }
    // A Retry-After pause already holds the host; otherwise back off this URL.
    const paused = retryAfterOf(page, options.maxRetryAfterMs) !== undefined;
    const delay = paused ? 0 : backoffMs(attempts, {
      baseMs: options.retryDelayMs,
      maxMs: options.maxRetryDelayMs,
    });
    // A closed frontier (stopping, or maxPages reached) takes no retry: the failure is recorded.
    const failure = { status: page.status, error: page.error!, message: page.errorMessage };
    if (!frontier.retry({ ...entry, attempts, failure }, delay)) return false;
    stats.retries++;
    return true;
  }

  #pauseOnRetryAfter(host: string, page: FetchedPage): void {
    const ms = retryAfterOf(page, this.#deps.options.maxRetryAfterMs);
    if (ms !== undefined && ms > 0) this.#deps.frontier.pauseHost(host, ms);
  }

  /**
   * Whether Deno lets the crawl connect to a URL's host. Deno grants
   * `host:port` pairs and a query without a port asks for every port, so the
   * scheme's default port is named when the URL leaves it implied
   * (`--allow-net=example.org:443` must admit `https://example.org/`).
   */
  #netPermitted(url: string): boolean {
    const { host, port, protocol } = new URL(url);
    const target = port ? host : `${host}:${protocol === "https:" ? 443 : 80}`;
    let ok = this.#permitted.get(target);
    if (ok === undefined) {
      ok = Deno.permissions.querySync({ name: "net", host: target }).state === "granted";
      this.#permitted.set(target, ok);
    }
    return ok;
  }

  /**
   * Whether robots.txt allows a URL: `true`, `"disallowed"` by a rule, or a
   * message when the origin's robots.txt was unreachable (RFC 9309: then
   * nothing may be fetched).
   */
  async #robotsAllow(url: string, host: string, signal: AbortSignal): Promise<true | string> {
    const { robots, options, frontier } = this.#deps;
    if (!robots) return true;
    const result = await robots.get(new URL(url).origin, { signal });
    const crawlDelayMs = result.robots.crawlDelayMs;
    if (crawlDelayMs !== undefined && !this.#delaySet.has(host)) {
      this.#delaySet.add(host);
      // A delay past a minute is a site asking not to be crawled: honour it as a minute.
      const delay = Math.min(crawlDelayMs, MAX_CRAWL_DELAY_MS);
      if (delay > options.delayMs) frontier.setHostDelay(host, delay);
    }
    if (result.robots.isAllowed(url)) return true;
    return result.kind === "disallow_all"
      ? `robots.txt unreachable (${result.reason}): the origin is treated as disallowed`
      : "disallowed";
  }

  /** Every redirect hop is checked as if it were a new link. */
  async #checkHop(url: string, from: string, signal: AbortSignal): Promise<ErrorCode | undefined> {
    const { inScope, guard, frontier } = this.#deps;
    if (!inScope(url)) return "out_of_scope";
    const verdict = await guard.verdict(url, { signal });
    if (verdict !== "allowed") return verdict === "blocked" ? "blocked_address" : "dns";
    if (!this.#netPermitted(url)) return "permission";
    const host = new URL(url).host;
    if ((await this.#robotsAllow(url, host, signal)) !== true) return "robots";
    let claimed = this.#claimedHops.get(from);
    if (!(await frontier.markSeen(url))) return claimed?.has(url) ? undefined : "duplicate";
    if (!claimed) this.#claimedHops.set(from, claimed = new Set());
    claimed.add(url);
    return undefined;
  }

  async #headersFor(url: string, extra?: FrontierEntry["extra"]): Promise<Record<string, string>> {
    const headers: Record<string, string> = {};
    if (extra?.etag) headers["if-none-match"] = extra.etag;
    if (extra?.lastModified) headers["if-modified-since"] = extra.lastModified;
    const { authorization, cookies } = this.#deps;
    // Credentials from a seed go to that origin only, never to a redirect target elsewhere.
    const auth = authorization.size > 0 ? authorization.get(new URL(url).origin) : undefined;
    if (auth) headers.authorization = auth;
    if (cookies) {
      const cookie = await cookies.getCookieString(url);
      if (cookie) headers.cookie = cookie;
    }
    return headers;
  }

  async #storeCookies(url: string, response: Response): Promise<void> {
    const { cookies } = this.#deps;
    if (!cookies) return;
    for (const cookie of response.headers.getSetCookie()) {
      await cookies.setCookie(cookie, url, { ignoreError: true });
    }
  }
}

/** The longest robots.txt `Crawl-delay` honoured, in ms. */
export const MAX_CRAWL_DELAY_MS = 60_000;

const ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5";

function retryAfterOf(page: FetchedPage, maxMs: number): number | undefined {
  if (page.status !== 429 && page.status !== 503) return undefined;
  const ms = parseRetryAfter(page.headers?.get("retry-after"));
  return ms === undefined ? undefined : Math.min(ms, maxMs);
}
