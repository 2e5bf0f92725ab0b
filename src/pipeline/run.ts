/**
 * The crawl pipeline, wired: fetcher producers feed a bounded channel,
 * parser consumers drain it and feed links back to the frontier.
 *
 * ```
 * frontier ──next()──▶ fetchers ──send()──▶ [bounded channel] ──▶ parsers ──▶ records
 *    ▲          (Semaphore caps requests)                            │
 *    └─────────────────────────── add(links) ────────────────────────┘
 * ```
 *
 * This module only wires: each stage owns its loop (`fetch_stage.ts`,
 * `parse_stage.ts`), link admission and the request policy are modules of
 * their own, and storage sits behind the store's interface. Parsers never
 * wait on the channel when they add links (the frontier is unbounded), so
 * the cycle cannot deadlock. The crawl ends when the frontier is idle: every
 * URL is pending from `add()` until its record is written.
 *
 * @module
 */

import { Channel } from "../async/channel.ts";
import { ProducerCount } from "../async/producer_count.ts";
import { Semaphore } from "../async/semaphore.ts";
import { TaskGroup } from "../async/task_group.ts";
import { createCheckScope, createScope } from "../frontier/scope.ts";
import { prepareSeeds } from "../frontier/seeds.ts";
import type { CrawlRecord } from "../output/record.ts";
import { CrawlStats, type CrawlSummary } from "../output/stats.ts";
import type { ExtractHook } from "../parse/job.ts";
import { MemoryStore } from "../store/memory.ts";
import type { CrawlStore } from "../store/types.ts";
import { LinkAdmission, type LinkFilter } from "./admission.ts";
import { FetchStage } from "./fetch_stage.ts";
import { Finisher } from "./finisher.ts";
import { type CrawlOptions, shownOptions } from "./options.ts";
import { type END, type PageItem, ParseStage } from "./parse_stage.ts";
import { RequestPolicy } from "./request_policy.ts";
import { seedFromSitemaps } from "./sitemap_seed.ts";
import { watchStop } from "./stop.ts";
import type { WarcArchive } from "../warc/archive.ts";
import denoJson from "../../deno.json" with { type: "json" };
import { renderChoice } from "../render/match.ts";
import type { Renderer } from "../render/renderer.ts";
import { SECRET_HEADERS } from "./options.ts";
import { HttpClient } from "../http/client.ts";

/** Live counters of a running crawl, for a status line. */
export interface CrawlProgress {
  /** Records without an error so far. */
  pagesOk: number;
  /** Records with an error so far. */
  errors: number;
  /** Milliseconds since the crawl started. */
  elapsedMs: number;
  /** URLs waiting in the frontier. */
  queued: number;
  /** Requests in flight. */
  fetching: number;
  /** Pages fetched and not finished yet: waiting for the channel, in it, or being parsed. */
  parsing: number;
}

/** How a caller drives {@linkcode runCrawl}: signals, the output, hooks, the store. */
export interface RunContext {
  /** Hard cancellation: in-flight requests abort, nothing more is written. */
  signal?: AbortSignal;
  /** Soft stop: no new URL is taken; in-flight pages finish and are written. */
  stopSignal?: AbortSignal;
  /** Receives each record; the pipeline waits on it (back-pressure). */
  onRecord: (record: CrawlRecord) => void | Promise<void>;
  /** Called when the crawl starts, with a function reading live counters. */
  onStart?: (progress: () => CrawlProgress) => void;
  /** Reads data out of each parsed page (forces parsing in this isolate). */
  extract?: ExtractHook;
  /** Decides whether a discovered link is queued. */
  filter?: LinkFilter;
  /** Where the crawl is kept; opened and closed by the caller. Default: in memory. */
  store?: CrawlStore;
}

/**
 * Runs a crawl to its end and returns its summary.
 *
 * @param options The validated crawl options (`parseCrawlOptions()`).
 * @param context Signals, the record sink, hooks and the store.
 * @returns The summary once every record was handed to `onRecord`.
 * @throws The first error of `onRecord` or of the pipeline itself.
 *
 * @example Usage
 * ```ts
 * import { runCrawl } from "./run.ts";
 * import { parseCrawlOptions } from "./options.ts";
 * import type { CrawlRecord } from "../output/record.ts";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) =>
 *   new URL(req.url).pathname === "/"
 *     ? new Response(`<a href="/about">About</a>`, { headers: { "content-type": "text/html" } })
 *     : new Response("not found", { status: 404 }));
 * const seeds = [`http://127.0.0.1:${server.addr.port}/`];
 * const records: CrawlRecord[] = [];
 * const options = await parseCrawlOptions({ seeds, allowPrivate: true, parsers: 0 });
 * const summary = await runCrawl(options, { onRecord: (record) => void records.push(record) });
 * assert.deepEqual(records.map((r) => r.status).sort(), [200, 404]);
 * assert.equal(summary.pagesOk, 1);
 * ```
 */
export async function runCrawl(options: CrawlOptions, context: RunContext): Promise<CrawlSummary> {
  const stats = new CrawlStats();
  // One client for every request of the crawl (its connections, its proxy); closed at the end.
  using client = new HttpClient({ proxy: options.proxy });
  // The browser starts first: one that cannot start fails the crawl before any request.
  await using renderer = await startRenderer(options, context.signal);
  const store: CrawlStore = context.store ?? new MemoryStore();
  const frontier = await store.openFrontier(options);
  const { seeds, authorization } = prepareSeeds(options.seeds, options);
  const inScope = createScope(seeds, options);
  const group = new TaskGroup({ signal: context.signal });
  // The archive asks the policy's address guard, which exists by the time anything is fetched.
  const archive = options.warc === undefined
    ? undefined
    : await openArchive(options, store, (url): string | undefined => policy.addressOf(url));
  const policy: RequestPolicy = new RequestPolicy({
    settings: options,
    frontier,
    inScope,
    sharedRobots: store.robots,
    client,
    recorder: archive?.recorder,
    signal: group.signal,
  });
  const { filter, extract } = context;
  const checkScope = createCheckScope(seeds, options);
  const admission = new LinkAdmission({
    settings: options,
    frontier,
    stats,
    inScope,
    filter,
    checkScope,
  });
  const finisher = new Finisher({ stats, store, frontier, onRecord: context.onRecord, archive });
  const pages = new Channel<PageItem | typeof END>({ capacity: options.queueSize });
  const fetchStage = new FetchStage({
    settings: options,
    frontier,
    semaphore: new Semaphore(options.concurrency),
    policy,
    stats,
    pages,
    finisher,
    authorization,
    client,
    // Loaded only when asked for: a cookie jar is a large module most crawls never need.
    cookies: options.cookies ? new (await import("tough-cookie")).CookieJar() : undefined,
    // A store that keeps earlier runs compares each page with its last content.
    fingerprint: store.history !== undefined,
    recorderFor: archive && ((url) => archive.recorderFor(url)),
    renderer,
  });
  const parseStage = await ParseStage.create(options, {
    pages,
    admission,
    finisher,
    frontier,
    stats,
    extract,
  });
  try {
    for (const seed of seeds) await admission.admitSeed(seed);
  } catch (error) {
    // A shared frontier can fail here (its store unreachable): stop the parser workers too.
    parseStage.close();
    await archive?.close();
    throw error;
  }

  // Stopping (a signal, --max-duration) also ends sitemap reading, which may take long.
  const stopping = new AbortController();
  using _stop = watchStop({
    stopSignal: context.stopSignal,
    maxDurationMs: options.maxDurationMs,
    onStop: (reason) => {
      stats.stopped(reason);
      frontier.close();
      stopping.abort(new Error(`crawl ${reason}`));
    },
  });
  // A hard abort ends the parsers too, even in sentinel mode.
  const onAbort = () => pages.close();
  group.signal.addEventListener("abort", onAbort, { once: true });
  context.onStart?.(() => ({
    pagesOk: stats.pagesOk,
    errors: stats.errorCount,
    elapsedMs: stats.elapsedMs,
    queued: frontier.queued,
    fetching: frontier.fetching,
    parsing: fetchStage.sending + parseStage.pending,
  }));

  if (options.sitemaps) {
    const deps = {
      settings: options,
      seeds,
      policy,
      admission,
      frontier,
      stats,
      client,
      recorder: archive?.recorder,
    };
    group.go((signal) => seedFromSitemaps({ ...deps, stopping: stopping.signal }, signal));
  }
  // Every producer registers before any starts: the count reaches 0 only when all have left.
  const producers = new ProducerCount(() => pages.close());
  const registrations = Array.from(
    { length: options.fetchers ?? options.concurrency },
    () => (options.shutdown === "count" ? producers.add() : undefined),
  );
  const fetchers = new TaskGroup({ signal: group.signal });
  for (const producer of registrations) fetchers.go((signal) => fetchStage.run(signal, producer));
  group.go(async (signal) => {
    await fetchers.wait();
    // Retries a stop cut short: a durable store keeps them for the next run, else they get
    // records. A spent crawl-wide page budget means no next run: they get records then too.
    if (!store.durable || frontier.limitReached === "max_pages") await fetchStage.recordRetries();
    if (options.shutdown === "sentinel") await parseStage.end(signal);
  });
  for (let i = 0; i < parseStage.consumers; i++) group.go((signal) => parseStage.run(signal));

  try {
    await group.wait();
    await store.flush();
    if (frontier.limitReached) stats.stopped(frontier.limitReached);
  } catch (error) {
    if (!(context.signal?.aborted && error === context.signal.reason)) throw error;
    stats.stoppedBy = "aborted";
  } finally {
    group.signal.removeEventListener("abort", onAbort);
    frontier.close();
    parseStage.close();
    await archive?.close();
    stats.end();
  }
  return stats.summary();
}

/**
 * Opens the crawl's WARC archive; its `warcinfo` says who crawled, how, and
 * under which options. The WARC code is loaded only for a crawl that archives.
 */
async function openArchive(
  options: CrawlOptions,
  store: CrawlStore,
  addressOf: (url: string) => string | undefined,
): Promise<WarcArchive> {
  const { WarcArchive } = await import("../warc/archive.ts");
  const shown = shownOptions(options);
  return WarcArchive.open({
    path: options.warc!,
    maxSize: options.warcMaxSize,
    cdx: options.warcCdx,
    software: `${denoJson.name}/${denoJson.version} (Deno ${Deno.version.deno})`,
    info: [
      ["robots", options.ignoreRobots ? "ignore" : "obey"],
      ["http-header-user-agent", options.userAgent],
      ["isPartOf", options.warc!.replace(/^.*[\\/]/, "").replace(/\.warc\.gz$/, "")],
      ["description", `crawl of ${shown.seeds.join(" ")}`],
      ["crawl-options", JSON.stringify(shown)],
    ],
    addressOf,
    ledger: store.archive,
  });
}

/** The renderer of a crawl that renders pages (`--render`, `--render-match`), started. */
async function startRenderer(
  options: CrawlOptions,
  signal: AbortSignal | undefined,
): Promise<Renderer | undefined> {
  const match = renderChoice(options);
  if (match === undefined) return undefined;
  // The user's secret headers go with the navigation to the seeds' origins only (the fetch
  // stage adds them there); the rest go with every request the browser makes.
  const headers = Object.fromEntries(
    Object.entries(options.headers ?? {}).filter(([name]) =>
      !SECRET_HEADERS.has(name.toLowerCase())
    ),
  );
  // Loaded only for a crawl that renders: others start no part of it.
  const { Renderer } = await import("../render/renderer.ts");
  return await Renderer.start({
    match,
    tabs: options.renderTabs,
    userAgent: options.userAgent,
    headers,
    idleMs: options.renderIdleMs,
    waitFor: options.waitFor,
    allowHeavy: options.renderResources,
    timeoutMs: options.timeoutMs,
    maxBytes: options.maxBytes,
    maxRedirects: options.maxRedirects,
  }, signal);
}
