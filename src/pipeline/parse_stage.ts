/**
 * The parse stage: consumers that take fetched pages from the bounded
 * channel, parse them (in a pool of Web Workers when `parsers` asks for
 * some, by default when pages are loaded into a DOM; in the crawler's own
 * isolate when it is 0, workers are not
 * permitted, or a hook function must run: functions cannot cross to a
 * worker, a hook module can), hand their links to link admission and finish
 * them with their records.
 *
 * @module
 */

import type { Channel } from "../async/channel.ts";
import type { CrawlFrontier, FrontierEntry } from "../frontier/types.ts";
import type { CrawlStats } from "../output/stats.ts";
import type { FetchedPage } from "../http/request.ts";
import { releaseBody } from "../http/read_buffers.ts";
import {
  createParser,
  type ExtractHook,
  type ParserConfig,
  type ParseResult,
} from "../parse/job.ts";
import { ParserPool, ParseTimeoutError, WorkerLostError, workersPermitted } from "../parse/pool.ts";
import type { LinkAdmission } from "./admission.ts";
import { buildRecord } from "./build_record.ts";
import type { Finisher } from "./finisher.ts";
import { type CrawlOptions, parserWorkers } from "./options.ts";

/** The end marker of the sentinel shutdown: one per parse consumer. */
export const END: unique symbol = Symbol("end of pages");

/** What a fetcher hands a parser: a 2xx HTML page with its body. */
export interface PageItem {
  /** The page's frontier entry. */
  entry: FrontierEntry;
  /** The fetched page. */
  page: FetchedPage;
}

/** The channel between the stages. */
export type PageChannel = Channel<PageItem | typeof END>;

/** The options the parse stage reads. */
export type ParseSettings =
  & Pick<CrawlOptions, "parsers" | "parseTimeoutMs" | "check" | "linkRefs">
  & Pick<
    ParserConfig,
    | "parser"
    | "followNofollow"
    | "stripParams"
    | "sortQuery"
    | "rules"
    | "extractModule"
    | "linksFrom"
  >;

/** What the parse stage works with. */
export interface ParseStageDeps {
  /** The channel the fetchers fill. */
  pages: PageChannel;
  /** Where a page's links go. */
  admission: LinkAdmission;
  /** Finishes each page with its record. */
  finisher: Finisher;
  /** Takes back a page whose parser worker was lost with its body, to fetch it again. */
  frontier: CrawlFrontier;
  /** Counts those second fetches as retries. */
  stats: CrawlStats;
  /** A hook function; forces in-isolate parsing. */
  extract?: ExtractHook;
}

/** Parses one page; a worker pool or this isolate. */
type ParseFn = (
  job: { url: string; contentType: string | null; body: Uint8Array },
  signal: AbortSignal,
) => Promise<ParseResult>;

/**
 * Consumers per worker: as many as the page channel holds (`--queue-size`).
 * While a worker parses a batch, the pages its other consumers bring wait
 * and go out together as the next batch, so a busy crawl costs one message
 * (and one wake-up of each thread) each way per batch, not per page. With a
 * fixed 8, batches alternated between 1 and 7 pages and each thread waited
 * for the other's wake-up: 32 took 12 % off the wall time of `--parsers 1`
 * on Rust's documentation and 7 % on the bench site (paired runs).
 */
function consumersPerWorker(pages: PageChannel): number {
  return Math.max(1, pages.capacity);
}

/**
 * Consumers parsing in this isolate over a frontier answering over the
 * network (Redis): each waits one round trip for its page's admissions and
 * finish, and the pages waiting meanwhile share the next call. Measured on
 * the bench site with `--redis` against 8 (both waiting one round trip): a
 * quarter fewer script calls, about a fifth less Redis CPU per page, a few
 * % more pages/s; 32 did no better.
 */
const ROUND_TRIP_CONSUMERS = 16;

/**
 * The parse stage of one crawl.
 *
 * @example Usage
 * ```ts
 * import { type PageChannel, ParseStage } from "./parse_stage.ts";
 * import { LinkAdmission } from "./admission.ts";
 * import { Finisher } from "./finisher.ts";
 * import { parseCrawlOptions } from "./options.ts";
 * import { Channel } from "../async/channel.ts";
 * import { unfetchedPage } from "../http/request.ts";
 * import { CrawlStats } from "../output/stats.ts";
 * import { MemoryStore } from "../store/memory.ts";
 * import assert from "node:assert/strict";
 *
 * const settings = await parseCrawlOptions({ seeds: ["https://a.test/"], parsers: 0 });
 * const store = new MemoryStore();
 * const frontier = await store.openFrontier(settings);
 * const stats = new CrawlStats();
 * const titles: (string | null)[] = [];
 * const pages: PageChannel = new Channel({ capacity: 8 });
 * const stage = await ParseStage.create(settings, {
 *   pages,
 *   admission: new LinkAdmission({ settings, frontier, stats, inScope: () => true }),
 *   finisher: new Finisher({ stats, store, frontier, onRecord: (r) => void titles.push(r.title) }),
 *   frontier,
 *   stats,
 * });
 * frontier.add({ url: "https://a.test/", depth: 0, parent: null });
 * const entry = (await frontier.next())!; // what a fetcher would fetch, then send:
 * const body = new TextEncoder().encode(`<title>Home</title><a href="/next">next</a>`);
 * await pages.send({ entry, page: { ...unfetchedPage(entry.url), status: 200, body } });
 * pages.close();
 * await stage.run(new AbortController().signal);
 * assert.deepEqual(titles, ["Home"]);
 * assert.equal(frontier.queued, 1); // its link, admitted
 * ```
 */
export class ParseStage {
  /** How many consumer loops ({@linkcode ParseStage.run}) should drain the channel. */
  readonly consumers: number;
  #deps: ParseStageDeps;
  #parse: ParseFn;
  #close: () => void;
  #active = 0;
  /** End markers sent and not yet received. */
  #markers = 0;

  private constructor(deps: ParseStageDeps, consumers: number, parse: ParseFn, close: () => void) {
    this.#deps = deps;
    this.consumers = consumers;
    this.#parse = parse;
    this.#close = close;
  }

  /**
   * Starts the parsers the options ask for (before any request, so a bad
   * extract module fails the crawl at once).
   *
   * @param settings The crawl options (`parsers`, `parser`, rules, extract module...).
   * @param deps The channel, admission, finisher and hook.
   * @returns The stage.
   * @throws If workers fail to start or the extract module cannot be loaded.
   */
  static async create(settings: ParseSettings, deps: ParseStageDeps): Promise<ParseStage> {
    const config: ParserConfig = {
      parser: settings.parser,
      followNofollow: settings.followNofollow,
      stripParams: settings.stripParams,
      sortQuery: settings.sortQuery,
      rules: settings.rules,
      extractModule: settings.extractModule,
      linksFrom: settings.linksFrom,
      // A link checker needs each link's tag and text, and what it checks besides pages.
      details: settings.linkRefs || settings.check.length > 0,
      resources: settings.check.includes("assets"),
      ids: settings.check.includes("fragments"),
    };
    const workers = parserWorkers(settings);
    if (workers > 0 && !deps.extract && workersPermitted()) {
      const pool = await ParserPool.create(workers, config, {
        timeoutMs: settings.parseTimeoutMs,
      });
      return new ParseStage(
        deps,
        workers * consumersPerWorker(deps.pages),
        (job, signal) => pool.parse(job, { signal }),
        () => pool.close(),
      );
    }
    const parser = await createParser(config, deps.extract);
    const parse: ParseFn = (job) =>
      Promise.resolve().then(() => {
        try {
          return parser.parse(job);
        } finally {
          // Free the body at once (see ../parse/worker.ts), or give its read buffer back.
          releaseBody(job.body);
        }
      });
    // Parsing is synchronous, so one page parses at a time whatever the count. With a frontier
    // answering over the network, more consumers let the awaits after the parse (admission, the
    // finish) overlap and share round trips; with a local one they only keep more parsed pages
    // alive at once (1M queued URLs took 307 MiB instead of 213 with 8).
    // A hook function is called by one consumer, as it always was: it may not expect two calls.
    const consumers = deps.extract === undefined && deps.frontier.roundTrips === true
      ? ROUND_TRIP_CONSUMERS
      : 1;
    return new ParseStage(deps, consumers, parse, () => {});
  }

  /** Pages in the channel or being parsed (a page whose links and finish were sent is not). */
  get pending(): number {
    return this.#deps.pages.size - this.#markers + this.#active;
  }

  /**
   * One consumer: parses pages until the channel is closed and drained, or
   * until its {@linkcode END} marker.
   *
   * @param signal The crawl's signal.
   * @returns A promise that resolves when the consumer stops.
   * @throws The signal's reason when the crawl is aborted.
   */
  async run(signal: AbortSignal): Promise<void> {
    const { pages, admission, finisher } = this.#deps;
    for await (const item of pages) {
      if (item === END) {
        this.#markers--;
        return;
      }
      const { entry, page } = item;
      this.#active++;
      let parsed: ParseResult | undefined;
      try {
        const job = {
          url: page.url,
          contentType: page.headers?.get("content-type") ?? null,
          body: page.body!,
        };
        page.body = null;
        parsed = await this.#parse(job, signal);
      } catch (error) {
        signal.throwIfAborted();
        if (error instanceof WorkerLostError && this.#fetchAgain(entry, page, error)) {
          this.#active--;
          continue;
        }
        page.error = error instanceof ParseTimeoutError ? "parse_timeout" : "parse";
        page.errorMessage = error instanceof Error ? error.message : String(error);
      }
      const duplicate = parsed && await admission.canonicalDuplicate(parsed.canonical, page);
      if (duplicate) {
        page.error = "duplicate";
        page.errorMessage = duplicate;
      }
      // Nothing is sent for the page before this line: an abort or a failed record leaves no
      // admission's answer unawaited.
      signal.throwIfAborted();
      const record = buildRecord(entry, page, parsed);
      // Links are queued before the page is done, so the crawl cannot end in between: a
      // frontier takes them at the call, in order (see CrawlFrontier.add), so only their
      // answers are awaited, with the finish's, in one round trip over the network.
      const admitted = parsed && !duplicate
        ? [
          admission.admitLinks(entry, page.url, parsed.follow),
          admission.admitChecks(entry, page.url, parsed.refs),
        ]
        : [];
      this.#active--;
      await Promise.all([...admitted, finisher.finish(entry, record)]);
    }
  }

  /**
   * Sends one {@linkcode END} marker per consumer (the sentinel shutdown).
   *
   * @param signal The crawl's signal.
   * @returns A promise that resolves once every marker is in the channel.
   */
  async end(signal: AbortSignal): Promise<void> {
    for (let i = 0; i < this.consumers; i++) {
      this.#markers++;
      await this.#deps.pages.send(END, { signal });
    }
  }

  /** Stops the workers. */
  close(): void {
    this.#close();
  }

  /**
   * Queues a page again whose body went with a stopped worker (another
   * page's stuck parse or crash): not the page's fault, so it is fetched
   * again, counted as a retry. `false` when the frontier takes no retry.
   */
  #fetchAgain(entry: FrontierEntry, page: FetchedPage, error: WorkerLostError): boolean {
    const { frontier, stats } = this.#deps;
    const failure = { status: page.status, error: "parse" as const, message: error.message };
    if (!frontier.retry({ ...entry, attempts: entry.attempts + 1, failure })) return false;
    stats.retries++;
    return true;
  }
}
