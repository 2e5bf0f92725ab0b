/**
 * The request policy: which requests the crawl may make. Every URL the
 * crawler is about to request (a page, a redirect hop, a robots.txt, a
 * sitemap) is checked here, against Deno's net permission, the address guard
 * (no private, loopback or link-local targets unless allowed), robots.txt,
 * and for a page's redirect hops the crawl's scope and the seen set.
 *
 * @module
 */

import { AddressGuard } from "../http/address_guard.ts";
import type { CrawlFrontier } from "../frontier/types.ts";
import type { ErrorCode } from "../output/record.ts";
import type { ExchangeRecorder } from "../http/request.ts";
import { RobotsCache, type RobotsStore } from "../robots/cache.ts";
import type { CrawlOptions } from "./options.ts";
import { isTransient } from "./retry.ts";
import type { HttpClient } from "../http/client.ts";

/** The options the request policy reads. */
export type PolicySettings = Pick<
  CrawlOptions,
  | "allowPrivate"
  | "allowAddresses"
  | "ignoreRobots"
  | "userAgent"
  | "timeoutMs"
  | "retryDelayMs"
  | "delayMs"
>;

/** What the request policy works with. */
export interface RequestPolicyDeps {
  /** The crawl's options. */
  settings: PolicySettings;
  /** The frontier: a `Crawl-delay` sets its host's interval; redirect targets are marked seen. */
  frontier: CrawlFrontier;
  /** The crawl's scope test. */
  inScope: (href: string) => boolean;
  /** robots.txt results shared with the crawl's other processes, if any. */
  sharedRobots?: RobotsStore;
  /** The crawl's signal: aborting it aborts robots.txt fetches. */
  signal: AbortSignal;
  /** The HTTP client robots.txt is fetched with (the crawl's connections, its proxy); default: `fetch()` alone. */
  client?: HttpClient;
  /** Archives robots.txt exchanges (`warc`). */
  recorder?: ExchangeRecorder;
}

/** The longest robots.txt `Crawl-delay` honoured, in ms. */
export const MAX_CRAWL_DELAY_MS = 60_000;

/** What {@linkcode RequestPolicy.robotsAllow} decides. */
export type RobotsAnswer =
  /** Allowed. */
  | { allowed: true }
  /**
   * Not allowed: `robots` when robots.txt decided it (a rule, or a 5xx or
   * 429 answer, which RFC 9309 reads as "disallow all"), or the transport
   * failure that kept robots.txt from being fetched at all (`refused`,
   * `dns`, `timeout`...), which is the page's failure too. Either way
   * `transient` says whether a retry may answer differently.
   */
  | { allowed: false; error: ErrorCode; transient: boolean; message: string };

/**
 * Checks the requests of one crawl.
 *
 * @example Usage
 * ```ts
 * import { RequestPolicy } from "./request_policy.ts";
 * import { parseCrawlOptions } from "./options.ts";
 * import { LocalFrontier } from "../frontier/local.ts";
 * import assert from "node:assert/strict";
 *
 * // A site on loopback whose robots.txt disallows /private/.
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
 *   new Response("User-agent: *\nDisallow: /private/\n"));
 * const site = `http://127.0.0.1:${server.addr.port}/`;
 * const { signal } = new AbortController();
 * const policy = new RequestPolicy({
 *   settings: await parseCrawlOptions({ seeds: [site], allowPrivate: true }),
 *   frontier: new LocalFrontier({ perHost: 1, delayMs: 0 }),
 *   inScope: (url) => url.startsWith(site),
 *   signal,
 * });
 * assert.equal(await policy.reachable(site, signal), undefined); // undefined: go ahead
 * const answer = await policy.robotsAllow(`${site}private/a`, new URL(site).host, signal);
 * assert.equal(answer.allowed, false);
 * assert.equal(await policy.checkRedirect("https://b.test/", site, signal), "out_of_scope");
 * ```
 */
export class RequestPolicy {
  /** robots.txt per origin; `undefined` with `ignoreRobots`. */
  readonly robots: RobotsCache | undefined;
  #deps: RequestPolicyDeps;
  #guard: AddressGuard;
  #permitted = new Map<string, boolean>();
  #delaySet = new Set<string>();
  /**
   * Redirect targets each URL marked seen on its own earlier attempts, kept
   * while it may be retried: a retry passes them instead of calling its own
   * target a duplicate.
   */
  #claimedHops = new Map<string, Set<string>>();

  /**
   * Creates the policy of a crawl.
   *
   * @param deps The crawl's options, frontier, scope and signal.
   */
  constructor(deps: RequestPolicyDeps) {
    const { settings, signal } = deps;
    this.#deps = deps;
    this.#guard = new AddressGuard({
      allowPrivate: settings.allowPrivate,
      allowCidrs: settings.allowAddresses,
    });
    this.robots = settings.ignoreRobots ? undefined : new RobotsCache({
      userAgent: settings.userAgent,
      timeoutMs: settings.timeoutMs,
      signal,
      shared: deps.sharedRobots,
      client: deps.client,
      recorder: deps.recorder,
      // An unreachable robots.txt is asked again when its URLs are retried.
      retryAfterMs: settings.retryDelayMs,
      // robots.txt requests pass the same checks as pages (but robots.txt itself).
      checkHop: (url, hopSignal) => this.reachable(url, hopSignal),
    });
  }

  /**
   * Whether the crawl may connect to a URL's host at all: Deno's net
   * permission, then the address guard.
   *
   * @param url The URL.
   * @param signal Aborts the address lookup.
   * @returns `undefined` when it may, else `permission`, `blocked_address`,
   * or `dns` (the name did not resolve, so its address could not be vetted).
   */
  async reachable(url: string, signal: AbortSignal): Promise<ErrorCode | undefined> {
    if (!this.#netPermitted(url)) return "permission";
    const verdict = await this.#guard.verdict(url, { signal });
    if (verdict === "blocked") return "blocked_address";
    if (verdict === "unresolved") return "dns";
    return undefined;
  }

  /**
   * The address the guard vetted for a URL's host (for an archive).
   *
   * @param url The URL.
   * @returns The address, or `undefined` when the guard did not resolve it.
   */
  addressOf(url: string): string | undefined {
    return this.#guard.addressOf(url);
  }

  /**
   * Whether robots.txt allows a URL. Sets the host's interval from the
   * origin's `Crawl-delay` (at most a minute) the first time.
   *
   * @param url The URL.
   * @param host Its politeness key.
   * @param signal Aborts the wait for robots.txt.
   * @returns The answer.
   */
  async robotsAllow(url: string, host: string, signal: AbortSignal): Promise<RobotsAnswer> {
    const { robots } = this;
    if (!robots) return { allowed: true };
    const result = await robots.get(new URL(url).origin, { signal });
    const crawlDelayMs = result.robots.crawlDelayMs;
    if (crawlDelayMs !== undefined && !this.#delaySet.has(host)) {
      this.#delaySet.add(host);
      // A delay past a minute is a site asking not to be crawled: honour it as a minute.
      const delay = Math.min(crawlDelayMs, MAX_CRAWL_DELAY_MS);
      if (delay > this.#deps.settings.delayMs) this.#deps.frontier.setHostDelay(host, delay);
    }
    if (result.robots.isAllowed(url)) return { allowed: true };
    if (result.kind !== "disallow_all") {
      return {
        allowed: false,
        error: "robots",
        transient: false,
        message: "disallowed by robots.txt",
      };
    }
    if (result.error !== undefined) {
      // Nothing answered: the host's failure is the page's, not a robots.txt decision, and is
      // retried as the page's own would be (a timeout is; a refused address is not).
      return {
        allowed: false,
        error: result.error,
        transient: isTransient(null, result.error),
        message: `robots.txt could not be fetched (${result.error}): ${result.url}`,
      };
    }
    return {
      allowed: false,
      error: "robots",
      transient: true,
      message: `robots.txt unreachable (${result.reason}): the origin is treated as disallowed`,
    };
  }

  /**
   * Checks a redirect target of a page's fetch as if it were a new link:
   * scope, reachability, robots.txt, and the seen set (a target already
   * crawled under another URL is a duplicate, unless this URL claimed it on
   * an earlier attempt).
   *
   * @param url The redirect target.
   * @param from The URL whose fetch redirected.
   * @param signal Aborts the checks.
   * @returns An error code refusing the hop, or `undefined`.
   */
  async checkRedirect(
    url: string,
    from: string,
    signal: AbortSignal,
  ): Promise<ErrorCode | undefined> {
    if (!this.#deps.inScope(url)) return "out_of_scope";
    const unreachable = await this.reachable(url, signal);
    if (unreachable) return unreachable;
    const robots = await this.robotsAllow(url, new URL(url).host, signal);
    if (!robots.allowed) return robots.error;
    let claimed = this.#claimedHops.get(from);
    if (!(await this.#deps.frontier.markSeen(url))) {
      return claimed?.has(url) ? undefined : "duplicate";
    }
    if (!claimed) this.#claimedHops.set(from, claimed = new Set());
    claimed.add(url);
    return undefined;
  }

  /**
   * Checks a sitemap URL or redirect target, or a link checker's redirect
   * target: reachability and robots.txt.
   *
   * @param url The URL.
   * @param signal Aborts the checks.
   * @returns An error code refusing it, or `undefined`.
   */
  async checkSitemap(url: string, signal: AbortSignal): Promise<ErrorCode | undefined> {
    const unreachable = await this.reachable(url, signal);
    if (unreachable) return unreachable;
    // A sitemap on a disallowed path is not read, like any other URL.
    const robots = await this.robotsAllow(url, new URL(url).host, signal);
    return robots.allowed ? undefined : robots.error;
  }

  /**
   * Forgets the redirect targets a URL claimed: it will not be fetched again.
   *
   * @param from The URL.
   */
  settled(from: string): void {
    this.#claimedHops.delete(from);
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
}
