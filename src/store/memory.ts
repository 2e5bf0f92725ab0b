/**
 * The default {@linkcode CrawlStore}: everything in memory, for one run of
 * one process.
 *
 * @module
 */

import { FingerprintSet } from "../frontier/fingerprint_set.ts";
import { LocalFrontier } from "../frontier/local.ts";
import { MemoryQueue } from "../frontier/memory_queue.ts";
import type { CrawlFrontier, FrontierEntry, FrontierLimits } from "../frontier/types.ts";
import type { CrawlRecord } from "../output/record.ts";
import type { CrawlStore, Deliver } from "./types.ts";

/**
 * Keeps a crawl in memory: a fingerprint seen set (16–32 bytes a URL) and a
 * FIFO queue under the in-process frontier. Records are delivered at once.
 *
 * @example Usage
 * ```ts
 * import { MemoryStore } from "./memory.ts";
 * import assert from "node:assert/strict";
 *
 * const store = new MemoryStore();
 * const frontier = await store.openFrontier({ perHost: 2, delayMs: 0 });
 * assert.equal(frontier.add({ url: "https://a.test/", depth: 0, parent: null }), "added");
 * await store.close();
 * ```
 */
export class MemoryStore implements CrawlStore {
  /** Always false: a stopped crawl's unfinished work is recorded as it stands. */
  readonly durable = false;

  /**
   * Opens an in-process frontier over a fresh in-memory queue.
   *
   * @param limits The crawl's limits and politeness.
   * @returns The frontier.
   */
  openFrontier(limits: FrontierLimits): Promise<CrawlFrontier> {
    const queue = new MemoryQueue(new FingerprintSet());
    return Promise.resolve(new LocalFrontier(limits, { queue }));
  }

  /**
   * Delivers the record at once.
   *
   * @param _entry The finished entry.
   * @param record Its record, if any.
   * @param deliver The output.
   */
  async finish(
    _entry: FrontierEntry,
    record: CrawlRecord | undefined,
    deliver: Deliver,
  ): Promise<void> {
    if (record) await deliver(record);
  }

  /** Nothing to flush. */
  flush(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Adds nothing to the summary.
   *
   * @returns No fields.
   */
  describe(): Record<string, unknown> {
    return {};
  }

  /** Nothing to close. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
