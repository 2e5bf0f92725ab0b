/**
 * Finishing a URL: the last step of both stages. Its record (if it gets one)
 * is counted and handed to the store, which delivers it to the output once
 * it is durable; then the frontier learns the URL is done, which is what
 * lets the crawl end.
 *
 * @module
 */

import type { CrawlFrontier, FrontierEntry } from "../frontier/types.ts";
import type { CrawlRecord } from "../output/record.ts";
import type { CrawlStats } from "../output/stats.ts";
import type { CrawlStore } from "../store/types.ts";

/** What a {@linkcode Finisher} works with. */
export interface FinisherDeps {
  /** Where records are counted. */
  stats: CrawlStats;
  /** Where records are kept; it delivers them once durable. */
  store: CrawlStore;
  /** Told each URL is done. */
  frontier: CrawlFrontier;
  /** The output: receives each delivered record; the crawl waits on it (back-pressure). */
  onRecord: (record: CrawlRecord) => void | Promise<void>;
  /**
   * The archive (`warc`): a URL's exchanges are prepared (compressed), then
   * written right before the store takes its finish, with nothing awaited
   * between, so the archive holds URLs in the order the store commits them.
   */
  archive?: { prepare(entry: FrontierEntry): Promise<void>; finish(entry: FrontierEntry): void };
}

/**
 * Finishes URLs.
 *
 * @example Usage
 * ```ts
 * import { Finisher } from "./finisher.ts";
 * import { buildRecord } from "./build_record.ts";
 * import { unfetchedPage } from "../http/request.ts";
 * import { CrawlStats } from "../output/stats.ts";
 * import type { CrawlRecord } from "../output/record.ts";
 * import { MemoryStore } from "../store/memory.ts";
 * import assert from "node:assert/strict";
 *
 * const store = new MemoryStore();
 * const frontier = await store.openFrontier({ perHost: 1, delayMs: 0 });
 * const output: CrawlRecord[] = [];
 * const onRecord = (record: CrawlRecord) => void output.push(record);
 * const finisher = new Finisher({ stats: new CrawlStats(), store, frontier, onRecord });
 * frontier.add({ url: "https://a.test/", depth: 0, parent: null });
 * const entry = (await frontier.next())!;
 * frontier.release(entry);
 * await finisher.finish(entry, buildRecord(entry, unfetchedPage(entry.url)));
 * assert.equal(output[0]?.url, "https://a.test/");
 * assert.equal(await frontier.next(), undefined); // nothing unfinished: the crawl is over
 * ```
 */
export class Finisher {
  #deps: FinisherDeps;
  #deliver = async (record: CrawlRecord): Promise<void> => {
    await this.#deps.onRecord(record);
    this.#deps.stats.written();
  };

  /**
   * Creates the finisher of a crawl.
   *
   * @param deps The crawl's stats, store, frontier and output.
   */
  constructor(deps: FinisherDeps) {
    this.#deps = deps;
  }

  /**
   * Finishes one URL.
   *
   * @param entry The frontier entry.
   * @param record Its record, or `undefined` when it gets none (a policy skip).
   * @returns A promise that resolves once the store took the record.
   */
  async finish(entry: FrontierEntry, record?: CrawlRecord): Promise<void> {
    const { stats, store, frontier, archive } = this.#deps;
    if (archive) {
      await archive.prepare(entry);
      archive.finish(entry);
    }
    if (record) stats.record(record);
    await store.finish(entry, record, this.#deliver);
    frontier.done(entry);
  }
}
