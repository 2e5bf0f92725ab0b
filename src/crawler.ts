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

import { Channel } from "./channel.ts";
import { type FetchedPage, fetchPage } from "./fetch_page.ts";
import { Frontier, type FrontierEntry } from "./frontier.ts";
import { type CrawlOptions, type CrawlOptionsInput, parseCrawlOptions } from "./options.ts";
import { type ParsedPage, parsePage } from "./parse_page.ts";
import type { CrawlRecord } from "./record.ts";
import { createScope } from "./scope.ts";
import { Semaphore } from "./semaphore.ts";
import { CrawlStats, type CrawlSummary } from "./stats.ts";
import { TaskGroup } from "./task_group.ts";
import { normalizeUrl } from "./url.ts";

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
}

/** What a fetcher hands a parser. */
interface FetchedItem {
  entry: FrontierEntry;
  page: FetchedPage;
}

/** The end marker of the sentinel shutdown: one per parser. */
const END = Symbol("end of pages");

function toRecord(entry: FrontierEntry, page: FetchedPage, parsed?: ParsedPage): CrawlRecord {
  const record: CrawlRecord = {
    url: page.url,
    requestedUrl: page.requestedUrl,
    status: page.status,
    depth: entry.depth,
    parent: entry.parent,
    fetchedAt: page.fetchedAt,
    contentType: page.contentType,
    bytes: page.bytes,
    durationMs: Math.round(page.durationMs * 10) / 10,
    attempts: entry.attempts + 1,
    title: parsed?.title ?? null,
    description: parsed?.description ?? null,
    canonical: parsed?.canonical ?? null,
    h1: parsed?.h1 ?? [],
    links: parsed?.links ?? [],
  };
  if (page.redirects.length > 0) record.redirects = page.redirects;
  if (page.error) {
    record.error = page.error;
    if (page.errorMessage) record.errorMessage = page.errorMessage;
  }
  return record;
}

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
 * import { runCrawl } from "./crawler.ts";
 * const summary = await runCrawl(
 *   { seeds: ["https://example.org/"], maxPages: 10 },
 *   { onRecord: (record) => console.log(record.url) },
 * );
 * console.log(summary.pagesOk);
 * ```
 */
export async function runCrawl(
  input: CrawlOptionsInput | CrawlOptions,
  context: RunCrawlContext,
): Promise<CrawlSummary> {
  const options = parseCrawlOptions(input);
  const normalize = { stripParams: options.stripParams, sortQuery: options.sortQuery };
  const stats = new CrawlStats();
  const frontier = new Frontier({ maxPages: options.maxPages });
  const seeds = options.seeds.map((s) => normalizeUrl(s, undefined, normalize)!);
  const inScope = createScope(seeds.map((s) => new URL(s)), {
    mode: options.scope,
    include: options.include.map((re) => new RegExp(re)),
    exclude: options.exclude.map((re) => new RegExp(re)),
  });
  const pages = new Channel<FetchedItem | typeof END>(options.queueSize);
  const semaphore = new Semaphore(options.concurrency);
  const group = new TaskGroup({ signal: context.signal });
  const fetcherCount = options.fetchers ?? options.concurrency;
  let parsing = 0;

  const emit = async (record: CrawlRecord) => {
    await context.onRecord(record);
    stats.record(record);
  };

  const enqueue = (url: string, depth: number, parent: string | null) => {
    const outcome = frontier.add({ url, depth, parent });
    if (outcome === "added") stats.queueDepth(frontier.queued);
    else if (outcome !== "seen") stats.skip(outcome);
  };

  for (const seed of seeds) enqueue(seed, 0, null);

  const stop = (reason: string) => {
    if (stats.stoppedBy === "done") stats.stoppedBy = reason;
    frontier.close();
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
      let page: FetchedPage;
      {
        using _permit = await semaphore.acquire({ signal });
        try {
          page = await fetchPage(entry.url, {
            signal,
            timeoutMs: options.timeoutMs,
            maxBytes: options.maxBytes,
            maxRedirects: options.maxRedirects,
            headers: { "user-agent": options.userAgent },
            resolve: (location, base) => normalizeUrl(location, base, normalize),
          });
        } finally {
          frontier.release(entry);
        }
      }
      if (page.error === "aborted") signal.throwIfAborted();
      if (page.url !== page.requestedUrl) frontier.markSeen(page.url);
      if (page.body && !page.error) {
        parsing++;
        await pages.send({ entry, page }, { signal });
      } else {
        await emit(toRecord(entry, page));
        frontier.done(entry);
      }
    }
  };

  const parser = async (signal: AbortSignal) => {
    for await (const item of pages) {
      if (item === END) return;
      const { entry, page } = item;
      let parsed: ParsedPage | undefined;
      try {
        parsed = parsePage(page.body!, page.headers?.get("content-type") ?? null, page.url, {
          ...normalize,
          followNofollow: options.followNofollow,
          parser: options.parser,
        });
      } catch (error) {
        page.error = "parse";
        page.errorMessage = error instanceof Error ? error.message : String(error);
      }
      page.body = null;
      if (parsed && (options.maxDepth === undefined || entry.depth < options.maxDepth)) {
        for (const link of parsed.follow) {
          if (inScope(link)) enqueue(link, entry.depth + 1, page.url);
        }
      }
      signal.throwIfAborted();
      await emit(toRecord(entry, page, parsed));
      parsing--;
      frontier.done(entry);
    }
  };

  const fetchers = new TaskGroup({ signal: group.signal });
  const producers = Array.from(
    { length: fetcherCount },
    () => (options.shutdown === "count" ? pages.addProducer() : undefined),
  );
  for (const producer of producers) fetchers.go((signal) => fetcher(signal, producer));
  group.go(async (signal) => {
    await fetchers.wait();
    if (options.shutdown === "sentinel") {
      for (let i = 0; i < options.parsers; i++) await pages.send(END, { signal });
    }
  });
  for (let i = 0; i < options.parsers; i++) group.go(parser);

  try {
    await group.wait();
  } catch (error) {
    if (!(context.signal?.aborted && error === context.signal.reason)) throw error;
    stats.stoppedBy = "aborted";
  } finally {
    clearTimeout(durationTimer);
    context.stopSignal?.removeEventListener("abort", onStop);
    group.signal.removeEventListener("abort", onAbort);
    frontier.close();
    stats.end();
  }
  return stats.summary();
}
