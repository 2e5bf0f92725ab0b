/**
 * The storage seam: what a crawl needs of where it is kept
 * ({@linkcode CrawlStore}). The pipeline sees this interface only; the
 * in-memory store (`memory.ts`), the SQLite store (`../sqlite/store.ts`) and
 * the Redis job (`../redis/job.ts`) each implement it, and so can a user's
 * own storage.
 *
 * @module
 */

import type { CrawlFrontier, FrontierEntry, FrontierLimits } from "../frontier/types.ts";
import type { CrawlRecord } from "../output/record.ts";
import type { CrawlSummary } from "../output/stats.ts";
import type { RobotsStore } from "../robots/cache.ts";

/** Where a finished record goes once it is durable (the output). */
export type Deliver = (record: CrawlRecord) => Promise<void>;

/**
 * What a store keeps of earlier runs of the same crawl, for outputs that
 * must hold them too (a resumed run's JSON or CSV file, its report).
 */
export interface CrawlHistory {
  /** The run this process continues or starts (1 for the first). */
  readonly runId: number;
  /** Whether the run had already ended when the store was opened: nothing is left to crawl. */
  readonly ended: boolean;
  /**
   * The run's records, earlier processes' included, in the order they were
   * finished.
   *
   * @returns The records.
   */
  records(): Iterable<CrawlRecord>;
  /**
   * The latest record of each URL across the crawl's runs, a page that
   * answered 304 Not Modified (not parsed again) carrying the links of its
   * latest parsed record: what a link check of the site as last seen reads.
   * Optional: without it the link check reads `records()`.
   *
   * @returns The records, in the order they were finished.
   */
  linkRecords?(): Iterable<CrawlRecord>;
  /**
   * Counts the run's records.
   *
   * @returns How many.
   */
  countRecords(): number;
  /**
   * Makes an append-only JSON Lines output agree with what the store
   * committed: a torn last line is cut and committed records missing from
   * it are appended, so appending from here on writes each record once.
   *
   * @param path The output file.
   * @returns A promise that resolves once the file is repaired (with what
   * was done to it, in a form of the store's own).
   */
  repairOutput(path: string): Promise<unknown>;
}

/**
 * How a store keeps track of files a crawl writes ahead of the store's
 * commits (the WARC files of `warc`): records reach those files before the
 * commit that finishes their URL, so after a crash they may hold more than
 * the store kept. A store that resumes runs saves a mark of how far the
 * files went with every commit, and the files are cut back to it when the
 * run resumes.
 */
export interface ArchiveLedger {
  /**
   * When the run started, in ms since the epoch, for a store whose runs
   * outlive a process: every process of the run names its files by it and
   * continues them. `undefined`: each process starts files of its own.
   */
  readonly runStartedAt?: number;
  /** Whether several processes write the crawl at once (each then names its files after itself). */
  readonly perProcess: boolean;
  /** The mark the run's last commit saved, if any. */
  readonly mark: string | undefined;
  /**
   * Saves `read()`'s value with every commit from now on.
   *
   * @param read Says how far the files go now.
   */
  follow(read: () => string): void;
  /**
   * Notes a file this process started, for `export` to list.
   *
   * @param path The file.
   * @returns Nothing, or a promise that settles once it is noted.
   */
  noteFile(path: string): Promise<void> | void;
}

/**
 * The storage behind a crawl: its seen set and queue (through the frontier
 * it opens), its robots.txt results where they are shared, and its finished
 * records. A store is opened by its owner, handed to the crawl, and closed
 * by its owner afterwards.
 */
export interface CrawlStore {
  /**
   * Whether what it holds outlives this process: work a stop leaves
   * unfinished is then kept (for the next run, or for the job's other
   * processes) instead of being recorded as it stands.
   */
  readonly durable: boolean;
  /** robots.txt results shared beyond this process; `undefined` keeps them in the process. */
  readonly robots?: RobotsStore;
  /** Runs kept by the store, for resumable outputs; `undefined` when it keeps no history. */
  readonly history?: CrawlHistory;
  /** Where the store keeps track of the crawl's WARC files; `undefined` when it does not. */
  readonly archive?: ArchiveLedger;
  /**
   * Opens the crawl's frontier (its seen set and queue) under the crawl's
   * limits. Called once per crawl.
   *
   * @param limits The crawl's limits and politeness.
   * @returns The frontier.
   */
  openFrontier(limits: FrontierLimits): Promise<CrawlFrontier>;
  /**
   * Marks an entry finished and hands its record to `deliver` once that is
   * durable. A durable store may batch: the promise then resolves before
   * delivery, and waits only when the batch is full (back-pressure).
   *
   * @param entry The finished entry.
   * @param record Its record, or `undefined` when it gets none (a skip).
   * @param deliver Receives the record after it is durable.
   */
  finish(entry: FrontierEntry, record: CrawlRecord | undefined, deliver: Deliver): Promise<void>;
  /**
   * Makes everything durable and delivers every pending record.
   *
   * @returns A promise that resolves when all is written.
   */
  flush(): Promise<void>;
  /**
   * What the store adds to the crawl's summary line (its run id, its share
   * of a shared job), or nothing.
   *
   * @returns Fields to merge into the summary.
   */
  describe(): Record<string, unknown>;
  /**
   * Ends this process's use of the store: commits what is pending, gives
   * back what it holds, closes files and connections. Given the summary of a
   * crawl that ran to its end (`stoppedBy: "done"`) or spent its whole page
   * budget (`"max_pages"`), a store with a history records the run as ended;
   * a run stopped early otherwise stays open to be resumed.
   *
   * @param summary The crawl's summary, when a crawl ran.
   * @returns A promise that resolves once closed.
   */
  close(summary?: CrawlSummary): Promise<void>;
}
