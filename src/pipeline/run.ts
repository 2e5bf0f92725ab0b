/**
 * The crawl pipeline: fetcher producers feed a bounded channel, parser
 * consumers drain it and feed links back to the frontier.
 *
 * ```
 * frontier ──next()──▶ fetchers ──send()──▶ [bounded channel] ──▶ parsers
 *    ▲          (Semaphore caps requests)                            │
 *    └───────────────────────── add(links) ──────────────────────────┘
 * ```
 *
 * Parsers never wait on the channel when they add links (the frontier is
 * unbounded), so the cycle cannot deadlock. The crawl ends when the frontier
 * is idle: every URL is pending from `add()` until its record is written.
 *
 * @module
 */

import { AddressGuard } from "../http/address_guard.ts";
import { buildRecord } from "./build_record.ts";
import { Channel } from "../async/channel.ts";
import { FetchStage } from "./fetch_stage.ts";
import { type FetchedPage, unfetchedPage } from "../http/request.ts";
import { type CrawlStore, MemoryStore } from "../store/types.ts";
import { FingerprintSet } from "../frontier/fingerprint_set.ts";
import type { AddOutcome, CrawlFrontier, FrontierEntry } from "../frontier/types.ts";
import { Frontier } from "../frontier/local.ts";
import { type CrawlOptionsInput, parseCrawlOptions } from "./options.ts";
import type { ExtractHook, ParseResult } from "../parse/job.ts";
import { createParseStage } from "./parse_stage.ts";
import type { CrawlRecord } from "../output/record.ts";
import { RobotsCache, type RobotsStore } from "../robots/cache.ts";
import { createScope } from "../frontier/scope.ts";
import { Semaphore } from "../async/semaphore.ts";
import { prepareSeeds } from "../frontier/seeds.ts";
import { seedFromSitemaps } from "./sitemap_seed.ts";
import { CrawlStats, type CrawlSummary } from "../output/stats.ts";
import { TaskGroup } from "../async/task_group.ts";
import { checkTrap } from "../frontier/trap_guard.ts";
import { normalizeUrl } from "../frontier/url.ts";

/** Live counters, for a status line. */
export interface CrawlProgress {
  /** The stats so far. */
  stats: CrawlStats;
  /** URLs waiting in the frontier. */
  queued: number;
  /** Requests in flight. */
  fetching: number;
  /** Pages in the channel or being parsed. */
  parsing: number;
}

/** How a caller drives {@linkcode runCrawl}. */
export interface RunCrawlContext {
  /** Hard cancellation: in-flight requests abort, nothing more is written. */
  signal?: AbortSignal;
  /**
   * Soft stop: no new URL is taken; in-flight pages finish and are written.
   * Abort `signal` afterwards to bound how long that may take.
   */
  stopSignal?: AbortSignal;
  /** Receives each record; the pipeline waits on it (back-pressure). */
  onRecord: (record: CrawlRecord) => void | Promise<void>;
  /** Called when the crawl starts, with a function reading live counters. */
  onStart?: (progress: () => CrawlProgress) => void;
  /**
   * Reads data out of each parsed page. A function cannot cross to a
   * worker, so with it pages are parsed in this isolate; pass
   * `extractModule` in the options to keep parser workers.
   */
  extract?: ExtractHook;
  /**
   * Where the crawl's seen set, queue and records are kept (e.g. a durable
   * SQLite store). Default: in memory, for this run only.
   */
  store?: CrawlStore;
  /** Most URLs the frontier holds in memory when a durable store keeps the rest. */
  window?: number;
  /**
   * Builds the frontier from the validated options, for a frontier shared
   * by several processes. Default: an in-process {@linkcode Frontier} over `store`.
   */
  frontier?: (options: CrawlOptionsInput) => CrawlFrontier;
  /** robots.txt results shared with the other processes of a crawl. */
  robots?: RobotsStore;
  /** Decides whether a discovered link is queued; `false` skips it (counted as `filtered`). */
  filter?: (url: string, context: LinkContext) => boolean;
}

/** What {@linkcode RunCrawlContext.filter} knows of a link. */
export interface LinkContext {
  /** The depth the link would be crawled at. */
  depth: number;
  /** The page it was found on (`null` for seeds). */
  parent: string | null;
}

/** What a fetcher hands a parser. */
interface FetchedItem {
  entry: FrontierEntry;
  page: FetchedPage;
}

/** The end marker of the sentinel shutdown: one per parser. */
const END = Symbol("end of pages");

/**
 * Runs a crawl to its end and returns its summary.
 *
 * @param input The crawl options (validated here).
 * @param context Signals, the record sink and a progress hook.
 * @returns The summary once every record was handed to `onRecord`.
 * @throws {OptionsError} If an option is invalid (before any request).
 * @throws The first error of `onRecord` or of the pipeline itself.
 *
 * @example Usage
 * ```ts ignore
 * import { runCrawl } from "./run.ts";
 * const summary = await runCrawl(
 *   { seeds: ["https://example.org/"], maxPages: 10 },
 *   { onRecord: (record) => console.log(record.url) },
 * );
 * console.log(summary.pagesOk);
 * ```
 */
export async function runCrawl(
  input: CrawlOptionsInput,
  context: RunCrawlContext,
): Promise<CrawlSummary> {
  const options = parseCrawlOptions(input);
  const stats = new CrawlStats();
  const store = context.store ?? new MemoryStore(new FingerprintSet());
  const frontier: CrawlFrontier = context.frontier?.(options) ?? new Frontier({
    maxPages: options.maxPages,
    maxPagesPerHost: options.maxPagesPerHost,
    perHost: options.perHost,
    delayMs: options.delayMs,
    store,
    window: context.window,
    // A durable store keeps what a stop leaves unfinished for the next run.
    keepAfterClose: !(store instanceof MemoryStore),
  });
  const { seeds, authorization } = prepareSeeds(options.seeds, options);
  const inScope = createScope(seeds.map((s) => new URL(s)), {
    mode: options.scope,
    include: options.include.map((re) => new RegExp(re)),
    exclude: options.exclude.map((re) => new RegExp(re)),
  });
  const group = new TaskGroup({ signal: context.signal });
  const guard = new AddressGuard({
    allowPrivate: options.allowPrivate,
    allowCidrs: options.allowAddresses,
  });
  // robots.txt and sitemap requests pass the same address guard as pages.
  const guardedFetch: typeof fetch = async (request, init) => {
    const url = request instanceof Request ? request.url : String(request);
    const verdict = await guard.verdict(url, { signal: init?.signal ?? undefined });
    if (verdict === "blocked") throw new TypeError(`blocked_address: ${url}`);
    if (verdict === "unresolved") throw new TypeError(`dns error: cannot resolve ${url}`);
    return await fetch(request, init);
  };
  const robots = options.ignoreRobots ? undefined : new RobotsCache({
    userAgent: options.userAgent,
    timeoutMs: options.timeoutMs,
    signal: group.signal,
    fetch: guardedFetch,
    shared: context.robots,
    // An unreachable robots.txt is asked again when its URLs are retried.
    retryAfterMs: options.retryDelayMs,
  });
  const fetchStage = new FetchStage({
    options,
    frontier,
    semaphore: new Semaphore(options.concurrency),
    stats,
    guard,
    robots,
    inScope,
    authorization,
    // Loaded only when asked for: a cookie jar is a large module most crawls never need.
    cookies: options.cookies ? new (await import("tough-cookie")).CookieJar() : undefined,
  });
  // Started before any request, so a bad extract module fails the crawl at once.
  const parseStage = await createParseStage(options, context.extract);
  const pages = new Channel<FetchedItem | typeof END>(options.queueSize);
  let parsing = 0;

  const counted = (outcome: AddOutcome) => {
    if (outcome === "added") stats.queueDepth(frontier.queued);
    // "closed": the crawl is stopping (stoppedBy says why), not a property of the URL.
    else if (outcome !== "seen" && outcome !== "closed") stats.skip(outcome);
  };
  /** Queues a URL through the trap guards and the filter hook; a shared frontier answers later. */
  const admit = (
    url: string,
    depth: number,
    parent: string | null,
    extra?: FrontierEntry["extra"],
  ): Promise<void> | void => {
    const trap = checkTrap(url, { maxUrlLength: options.maxUrlLength });
    if (trap) return stats.skip(trap);
    if (context.filter && parent !== null && !context.filter(url, { depth, parent })) {
      return stats.skip("filtered");
    }
    const outcome = frontier.add({ url, depth, parent, extra });
    if (typeof outcome === "string") return counted(outcome);
    return outcome.then(counted);
  };
  const deliver = async (record: CrawlRecord) => {
    await context.onRecord(record);
    stats.written();
  };
  /**
   * Finishes a URL: its record (if any) is counted and goes to the store, which delivers it
   * once durable (or not at all, when the store's output filter leaves it out).
   */
  const emit = async (entry: FrontierEntry, record: CrawlRecord | undefined) => {
    if (record) stats.record(record);
    await store.finish(entry, record, deliver);
    frontier.done(entry);
  };

  try {
    for (const seed of seeds) await admit(seed, 0, null);
  } catch (error) {
    // A shared frontier can fail here (its store unreachable): stop the parser workers too.
    parseStage.close();
    throw error;
  }

  // Stopping (a signal, --max-duration) also ends sitemap reading, which may take long.
  const stopping = new AbortController();
  const stop = (reason: string) => {
    if (stats.stoppedBy === "done") stats.stoppedBy = reason;
    frontier.close();
    stopping.abort(new Error(`crawl ${reason}`));
  };
  const onStop = () => stop("interrupted");
  context.stopSignal?.addEventListener("abort", onStop, { once: true });
  if (context.stopSignal?.aborted) onStop();
  const durationTimer = options.maxDurationMs === undefined
    ? undefined
    : setTimeout(() => stop("max_duration"), options.maxDurationMs);
  // A hard abort ends the parsers too, even in sentinel mode.
  const onAbort = () => pages.close();
  group.signal.addEventListener("abort", onAbort, { once: true });

  context.onStart?.(() => ({
    stats,
    queued: frontier.queued,
    fetching: frontier.fetching,
    parsing,
  }));

  const fetcher = async (signal: AbortSignal, producer: Disposable | undefined) => {
    using _producer = producer;
    while (true) {
      const entry = await frontier.next({ signal });
      if (!entry) return;
      const outcome = await fetchStage.fetch(entry, signal);
      if (outcome.kind === "retry") continue;
      if (outcome.kind === "page") {
        parsing++;
        try {
          await pages.send({ entry, page: outcome.page }, { signal });
        } catch (error) {
          parsing--;
          // A hard abort closes the channel under a blocked send: report the abort, not the close.
          signal.throwIfAborted();
          throw error;
        }
      } else if (outcome.kind === "skip" && !outcome.record) {
        stats.skip(outcome.page.error!);
        await emit(entry, undefined);
      } else {
        await emit(entry, buildRecord(entry, outcome.page));
      }
    }
  };

  const parser = async (signal: AbortSignal) => {
    for await (const item of pages) {
      if (item === END) return;
      const { entry, page } = item;
      let parsed: ParseResult | undefined;
      try {
        const job = {
          url: page.url,
          contentType: page.headers?.get("content-type") ?? null,
          body: page.body!,
        };
        page.body = null;
        parsed = await parseStage.parse(job, signal);
      } catch (error) {
        signal.throwIfAborted();
        page.error = "parse";
        page.errorMessage = error instanceof Error ? error.message : String(error);
      }
      if (parsed && options.dedupeCanonical && (await isDuplicateByCanonical(parsed, page))) {
        page.error = "duplicate";
        page.errorMessage = `canonical ${parsed.canonical} was already seen`;
      } else if (parsed) {
        const tooDeep = options.maxDepth !== undefined && entry.depth >= options.maxDepth;
        const adding: Promise<void>[] = [];
        for (const link of parsed.follow) {
          if (frontier.has(link) || !inScope(link)) continue;
          if (tooDeep) stats.skip("max_depth");
          else {
            const added = admit(link, entry.depth + 1, page.url);
            if (added) adding.push(added);
          }
        }
        // Links are queued before the page is done, so the crawl cannot end in between.
        if (adding.length > 0) await Promise.all(adding);
      }
      signal.throwIfAborted();
      parsing--;
      await emit(entry, buildRecord(entry, page, parsed));
    }
  };

  /** With dedupeCanonical: marks the canonical seen; true if it already was. */
  const isDuplicateByCanonical = async (parsed: ParseResult, page: FetchedPage) => {
    const canonical = parsed.canonical && normalizeUrl(parsed.canonical, undefined, options);
    if (!canonical || canonical === page.url || canonical === page.requestedUrl) return false;
    return !(await frontier.markSeen(canonical));
  };

  if (options.sitemaps) {
    group.go(async (signal) => {
      // Holds the crawl open: seeds may finish before the sitemaps are read.
      using _hold = frontier.hold();
      const sitemapSignal = AbortSignal.any([signal, stopping.signal]);
      await seedFromSitemaps({
        options,
        seeds,
        robots,
        fetch: guardedFetch,
        inScope,
        admit: (url, parent, extra) => admit(url, 0, parent, extra),
        onError: () => stats.skip("sitemap_error"),
        signal: sitemapSignal,
      }).catch((error) => {
        // Stopped on purpose: the crawl goes on ending; any other failure fails it.
        if (!stopping.signal.aborted || signal.aborted) throw error;
      });
    });
  }

  const fetchers = new TaskGroup({ signal: group.signal });
  const fetcherCount = options.fetchers ?? options.concurrency;
  const producers = Array.from(
    { length: fetcherCount },
    () => (options.shutdown === "count" ? pages.addProducer() : undefined),
  );
  for (const producer of producers) fetchers.go((signal) => fetcher(signal, producer));
  group.go(async (signal) => {
    await fetchers.wait();
    // Stopped early (--max-pages, a signal) with retries still waiting: in memory they would be
    // lost, so each gets its record now, with its last failure. A durable store keeps them for
    // the next run instead.
    if (store instanceof MemoryStore && frontier instanceof Frontier) {
      for (const entry of frontier.takeRetries()) {
        const { error, message, status } = entry.failure!;
        const page = unfetchedPage(entry.url, { error, message: message ?? error });
        page.status = status;
        await emit(entry, buildRecord({ ...entry, attempts: entry.attempts - 1 }, page));
      }
    }
    if (options.shutdown === "sentinel") {
      for (let i = 0; i < parseStage.consumers; i++) await pages.send(END, { signal });
    }
  });
  for (let i = 0; i < parseStage.consumers; i++) group.go(parser);

  try {
    await group.wait();
    await store.flush();
    if (frontier.limitReached && stats.stoppedBy === "done") stats.stoppedBy = "max_pages";
  } catch (error) {
    if (!(context.signal?.aborted && error === context.signal.reason)) throw error;
    stats.stoppedBy = "aborted";
  } finally {
    clearTimeout(durationTimer);
    context.stopSignal?.removeEventListener("abort", onStop);
    group.signal.removeEventListener("abort", onAbort);
    frontier.close();
    parseStage.close();
    stats.end();
  }
  return stats.summary();
}
