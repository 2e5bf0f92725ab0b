/**
 * The fetch stage: producers that take URLs from the frontier, fetch them
 * under the global Semaphore and the request policy (permission, address
 * guard, robots.txt, redirect hops), retry transient failures, honour
 * `Retry-After`, and put HTML pages into the bounded channel for the parse
 * stage. Everything else is finished here with its record.
 *
 * @module
 */

import type { Semaphore } from "../async/semaphore.ts";
import type { CrawlFrontier, FrontierEntry } from "../frontier/types.ts";
import { hostKey } from "../frontier/host_slot.ts";
import { normalizeUrl } from "../frontier/url.ts";
import { fingerprintBody } from "../http/body.ts";
import { checkUrl } from "../http/check.ts";
import {
  type ExchangeRecorder,
  type FetchedPage,
  fetchPage,
  unfetchedPage,
} from "../http/request.ts";
import type { ErrorCode } from "../output/record.ts";
import type { CrawlStats } from "../output/stats.ts";
import { buildRecord } from "./build_record.ts";
import type { Finisher } from "./finisher.ts";
import { type CrawlOptions, SECRET_HEADERS } from "./options.ts";
import type { PageChannel } from "./parse_stage.ts";
import type { RequestPolicy } from "./request_policy.ts";
import type { Renderer } from "../render/renderer.ts";
import { retryAfterOf, retryDelayOf, type RetrySettings } from "./retry.ts";
import type { HttpClient } from "../http/client.ts";

/** The options the fetch stage reads. */
export type FetchSettings =
  & RetrySettings
  & Pick<
    CrawlOptions,
    | "timeoutMs"
    | "maxBytes"
    | "maxRedirects"
    | "userAgent"
    | "logSkipped"
    | "stripParams"
    | "sortQuery"
    | "headers"
    | "seeds"
    | "accept"
    | "linkRefs"
    | "check"
  >;

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
  /** The crawl's options. */
  settings: FetchSettings;
  /** The frontier (next URL, host slots, retries, pauses). */
  frontier: CrawlFrontier;
  /** The global cap on requests in flight. */
  semaphore: Semaphore;
  /** Which requests may be made. */
  policy: RequestPolicy;
  /** Counters. */
  stats: CrawlStats;
  /** The channel the parse stage drains. */
  pages: PageChannel;
  /** Finishes URLs that are not parsed. */
  finisher: Finisher;
  /** Authorization headers by origin, from credentials in the seeds. */
  authorization: ReadonlyMap<string, string>;
  /** The cookie jar, with `cookies` on. */
  cookies: CookieStore | undefined;
  /** The HTTP client to send with (the crawl's connections, its proxy); default: `fetch()` alone. */
  client?: HttpClient;
  /** Fingerprint each response's content (for a store that keeps history: change detection). */
  fingerprint?: boolean;
  /** Archives a URL's exchanges (`warc`): the recorder for one frontier URL. */
  recorderFor?: (url: string) => ExchangeRecorder;
  /** Renders the URLs it wants in headless Chromium (`--render`, `--render-match`). */
  renderer?: Pick<Renderer, "wants" | "render">;
}

const ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5";

/**
 * The fetch stage of one crawl.
 *
 * @example Usage
 * ```ts
 * import { FetchStage } from "./fetch_stage.ts";
 * import { Finisher } from "./finisher.ts";
 * import { parseCrawlOptions } from "./options.ts";
 * import { RequestPolicy } from "./request_policy.ts";
 * import { Channel } from "../async/channel.ts";
 * import { Semaphore } from "../async/semaphore.ts";
 * import { CrawlStats } from "../output/stats.ts";
 * import { MemoryStore } from "../store/memory.ts";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
 *   new Response("<title>Home</title>", { headers: { "content-type": "text/html" } }));
 * const site = `http://127.0.0.1:${server.addr.port}/`;
 * const settings = await parseCrawlOptions({ seeds: [site], allowPrivate: true, ignoreRobots: true });
 * const store = new MemoryStore();
 * const frontier = await store.openFrontier(settings);
 * const stats = new CrawlStats();
 * const { signal } = new AbortController();
 * const stage = new FetchStage({
 *   settings,
 *   frontier,
 *   stats,
 *   semaphore: new Semaphore(settings.concurrency),
 *   policy: new RequestPolicy({ settings, frontier, inScope: () => true, signal }),
 *   pages: new Channel({ capacity: 8 }), // what stage.run() sends HTML pages to
 *   finisher: new Finisher({ stats, store, frontier, onRecord() {} }),
 *   authorization: new Map(),
 *   cookies: undefined,
 * });
 * frontier.add({ url: site, depth: 0, parent: null });
 * const outcome = await stage.fetch((await frontier.next())!, signal);
 * assert.equal(outcome.kind, "page"); // an HTML page, for the parse stage
 * ```
 */
export class FetchStage {
  #deps: FetchStageDeps;
  #sending = 0;
  /** The user's headers sent everywhere, and those sent to the seeds' origins only. */
  #headers: { open: Record<string, string>; secret: [string, string][] } = { open: {}, secret: [] };
  #seedOrigins: Set<string>;
  /** Whether links are checked (`linkRefs`, `check`): every refused target then gets a record. */
  #linkCheck: boolean;

  /**
   * Creates the stage over the crawl's shared parts.
   *
   * @param deps The crawl's shared parts.
   */
  constructor(deps: FetchStageDeps) {
    this.#deps = deps;
    this.#seedOrigins = new Set(deps.settings.seeds.map((seed) => new URL(seed).origin));
    this.#linkCheck = deps.settings.linkRefs || deps.settings.check.length > 0;
    for (const [name, value] of Object.entries(deps.settings.headers ?? {})) {
      const lower = name.toLowerCase();
      if (SECRET_HEADERS.has(lower)) this.#headers.secret.push([lower, value]);
      else this.#headers.open[lower] = value;
    }
  }

  /** Fetched pages waiting for room in the channel. */
  get sending(): number {
    return this.#sending;
  }

  /**
   * One producer: fetches URLs until the frontier is idle or closed.
   *
   * @param signal The crawl's signal.
   * @param producer This producer's registration with the live-producer
   * count (`--shutdown count`), disposed when it leaves.
   * @returns A promise that resolves when the producer stops.
   * @throws The signal's reason when the crawl is aborted.
   */
  async run(signal: AbortSignal, producer?: Disposable): Promise<void> {
    using _producer = producer;
    const { frontier, pages, stats, finisher, semaphore } = this.#deps;
    while (true) {
      let entry: FrontierEntry | undefined;
      let outcome: FetchOutcome;
      {
        // The permit comes before the URL: a fetcher waiting for the global cap holds no host
        // slot, so it cannot hold up a request whose redirect hop waits for that host.
        using _permit = await semaphore.acquire({ signal });
        entry = await frontier.next({ signal });
        if (!entry) return;
        outcome = await this.fetch(entry, signal);
      }
      if (outcome.kind === "retry") continue;
      if (outcome.kind === "page") {
        this.#sending++;
        try {
          await pages.send({ entry, page: outcome.page }, { signal });
        } catch (error) {
          // A hard abort closes the channel under a blocked send: report the abort, not the close.
          signal.throwIfAborted();
          throw error;
        } finally {
          this.#sending--;
        }
      } else if (outcome.kind === "skip" && !outcome.record) {
        stats.skip(outcome.page.error!);
        await finisher.finish(entry);
      } else {
        await finisher.finish(entry, buildRecord(entry, outcome.page));
      }
    }
  }

  /**
   * Once the producers stopped early (a limit, a stop), records the retries
   * the frontier will not make: each gets its last failure.
   *
   * @returns A promise that resolves once they are finished.
   */
  async recordRetries(): Promise<void> {
    const { frontier, finisher } = this.#deps;
    for (const entry of frontier.takeRetries()) {
      const { error, message, status } = entry.failure!;
      const page = unfetchedPage(entry.url, { error, message: message ?? error });
      page.status = status;
      await finisher.finish(entry, buildRecord({ ...entry, attempts: entry.attempts - 1 }, page));
    }
  }

  /**
   * Fetches one entry. The host slots its request held (its own, and those
   * its redirect hops took) are released before this returns.
   *
   * @param entry An entry from `frontier.next()`.
   * @param signal The crawl's signal.
   * @returns What became of it.
   * @throws The signal's reason when the crawl is aborted.
   */
  async fetch(entry: FrontierEntry, signal: AbortSignal): Promise<FetchOutcome> {
    const { frontier, policy } = this.#deps;
    const slots = new HostSlots(frontier, entry);
    let outcome: FetchOutcome;
    try {
      outcome = await this.#attempt(entry, slots, signal);
    } finally {
      slots.release();
    }
    // An unreachable robots.txt is as transient as an unreachable page: retried the same way.
    if (outcome.kind === "record" && this.#retry(entry, outcome.page)) return { kind: "retry" };
    if (outcome.kind === "skip" && outcome.transient && this.#retry(entry, outcome.page, true)) {
      return { kind: "retry" };
    }
    policy.settled(entry.url);
    return outcome;
  }

  async #attempt(
    entry: FrontierEntry,
    slots: HostSlots,
    signal: AbortSignal,
  ): Promise<FetchOutcome> {
    const { settings, policy } = this.#deps;
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
    const unreachable = await policy.reachable(entry.url, signal);
    if (unreachable === "permission") {
      return refused("permission", `Deno's --allow-net does not include ${entry.host}`);
    }
    if (unreachable === "blocked_address") {
      return refused("blocked_address", `${entry.host} is or resolves to a private address`);
    }
    if (unreachable === "dns") {
      // A transient failure (retried): the name may resolve later, and an address the guard
      // could not vet is not fetched.
      return {
        kind: "record",
        page: unfetchedPage(entry.url, { error: "dns", message: `cannot resolve ${entry.host}` }),
      };
    }
    const robots = await policy.robotsAllow(entry.url, entry.host, signal);
    // A URL only checked (a link checker's target) is reported whatever refused it.
    const checking = entry.extra?.check !== undefined;
    if (!robots.allowed) {
      // A rule is a policy skip; an unreachable robots.txt is a failure worth a record (and a
      // retry when transient).
      const rule = robots.error === "robots" && !robots.transient;
      return refused(
        robots.error,
        robots.message,
        // A link check reports every target robots.txt kept it from: the page gets its record.
        rule ? settings.logSkipped || checking || this.#linkCheck : true,
        robots.transient,
      );
    }
    // Each hop (a redirect, or a rendered page sending itself elsewhere) is checked like a new
    // link, then queues for its host's slot and delay (the deadline's clock stopped: a
    // Crawl-delay is no reason for a timeout). A checked URL's hops pass the guard and
    // robots.txt, not the scope (an external link's target is out of scope by definition) nor
    // the seen set.
    const checkHop = checking
      ? (url: string, hopSignal: AbortSignal) => policy.checkSitemap(url, hopSignal)
      : (url: string, hopSignal: AbortSignal) => policy.checkRedirect(url, entry.url, hopSignal);
    const waitHop = (url: string, crawlSignal: AbortSignal) => slots.enter(url, crawlSignal);
    const headersFor = (url: string) => this.#headersFor(url, entry);
    const { renderer } = this.#deps;
    const request = {
      signal,
      timeoutMs: settings.timeoutMs,
      maxBytes: settings.maxBytes,
      maxRedirects: settings.maxRedirects,
      headers: { "user-agent": settings.userAgent, "accept": ACCEPT, ...this.#headers.open },
      client: this.#deps.client,
      recorder: this.#deps.recorderFor?.(entry.url),
      // A recrawl revalidates: the stored validators go with the first request only.
      headersFor,
      onResponse: (url: string, response: Response) => this.#storeCookies(url, response),
      resolve: (location: string, base: string) => normalizeUrl(location, base, settings),
      checkHop,
      waitHop,
      accept: settings.accept,
    };
    // A checked URL is asked for its status only, never rendered.
    const page = checking
      ? await checkUrl(entry.url, request)
      : renderer?.wants(entry.url)
      ? await renderer.render(entry.url, {
        signal,
        checkHop,
        waitHop,
        // No validators: a browser shown a 304 has no page to render.
        headersFor: async (url) => {
          const { "if-none-match": _, "if-modified-since": __, ...headers } = await headersFor(url);
          return headers;
        },
        // Everything the page loads goes only where the crawler itself may connect.
        checkRequest: (url, requestSignal) => policy.reachable(url, requestSignal),
      })
      : await fetchPage(entry.url, request);
    if (page.error === "aborted") signal.throwIfAborted();
    if (this.#deps.fingerprint && page.status !== null && page.error !== "too_large") {
      page.contentHash = await fingerprintBody(page.body, page.bytes);
    }
    const pause = retryAfterOf(page, settings.maxRetryAfterMs);
    if (pause !== undefined && pause > 0) this.#deps.frontier.pauseHost(entry.host, pause);
    return page.body && !page.error ? { kind: "page", page } : { kind: "record", page };
  }

  /** Re-queues a transient failure while attempts remain (the retry policy decides). */
  #retry(entry: FrontierEntry, page: FetchedPage, transient = false): boolean {
    const { settings, frontier, stats } = this.#deps;
    const attempts = entry.attempts + 1;
    const delay = retryDelayOf(page, attempts, settings, transient);
    if (delay === undefined) return false;
    // A closed frontier (stopping, or maxPages reached) takes no retry: the failure is recorded.
    const failure = { status: page.status, error: page.error!, message: page.errorMessage };
    if (!frontier.retry({ ...entry, attempts, failure }, delay)) return false;
    stats.retries++;
    return true;
  }

  async #headersFor(url: string, entry: FrontierEntry): Promise<Record<string, string>> {
    const headers: Record<string, string> = {};
    const extra = url === entry.url ? entry.extra : undefined;
    if (extra?.etag) headers["if-none-match"] = extra.etag;
    if (extra?.lastModified) headers["if-modified-since"] = extra.lastModified;
    const { authorization, cookies } = this.#deps;
    // Without secret headers or credentials (most crawls) no URL needs parsing here.
    if (this.#headers.secret.length > 0 || authorization.size > 0) {
      // The user's Authorization and Cookie headers go to the seeds' origins only (which hold
      // the authorization map's keys), and only while a redirect chain stays on the origin it
      // began at.
      const origin = new URL(url).origin;
      if (
        this.#headers.secret.length > 0 && this.#seedOrigins.has(origin) &&
        origin === new URL(entry.url).origin
      ) {
        for (const [name, value] of this.#headers.secret) headers[name] = value;
      }
      // Credentials from a seed go to that origin only, never to a redirect target elsewhere.
      const auth = authorization.get(origin);
      if (auth) headers.authorization = auth;
    }
    if (cookies) {
      const cookie = await cookies.getCookieString(url);
      if (cookie) headers.cookie = headers.cookie ? `${headers.cookie}; ${cookie}` : cookie;
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

/**
 * The per-host slot one request holds along its redirect chain: its entry's
 * own slot first; at a hop to another host, the slot held is given back and
 * the target host's taken (waiting for a free slot and the host's delay), so
 * every host's politeness counts the hops to it too.
 */
class HostSlots {
  #frontier: CrawlFrontier;
  #entry: FrontierEntry;
  #host: string;
  #own = true;
  #hop: Disposable | undefined;

  constructor(frontier: CrawlFrontier, entry: FrontierEntry) {
    this.#frontier = frontier;
    this.#entry = entry;
    this.#host = entry.host;
  }

  /** Holds the slot of `url`'s host before it is requested. */
  async enter(url: string, signal: AbortSignal): Promise<void> {
    const host = hostKey(url);
    if (host === this.#host) return;
    this.release();
    this.#hop = await this.#frontier.acquireHost(host, signal);
    this.#host = host;
  }

  /** Gives back the slot held now. */
  release(): void {
    if (this.#hop) {
      this.#hop[Symbol.dispose]();
      this.#hop = undefined;
    } else if (this.#own) {
      this.#own = false;
      this.#frontier.release(this.#entry);
    }
  }
}
