/**
 * The {@linkcode CrawlStore} side of a shared crawl job: records go to the
 * job's results in Redis, appended in the same script that ends their
 * lease, and only then to this process's own output.
 *
 * @module
 */

import type { CrawlStore, Deliver } from "../store/types.ts";
import type { FrontierEntry, SeenSet } from "../frontier/types.ts";
import type { CrawlRecord } from "../output/record.ts";
import type { RedisFrontier } from "./frontier.ts";

/**
 * A crawl store over a {@linkcode RedisFrontier}: the frontier keeps the
 * queue and the seen set in Redis, so `push`/`take` are not used.
 *
 * @example Usage
 * ```ts ignore
 * const store = new RedisStore(frontier);
 * await runCrawl(options, { frontier: () => frontier, store, onRecord });
 * ```
 */
export class RedisStore implements CrawlStore {
  #frontier: RedisFrontier;

  /**
   * Creates the store of a job's frontier.
   *
   * @param frontier The frontier whose leases the records end.
   */
  constructor(frontier: RedisFrontier) {
    this.#frontier = frontier;
  }

  /** This process's cache of URLs known seen (Redis holds the job's seen set). */
  get seen(): SeenSet {
    return this.#frontier.seen;
  }

  /** Always 0: queued entries wait in Redis, not here. */
  get backlog(): number {
    return 0;
  }

  /**
   * Not used: {@linkcode RedisFrontier.add} queues entries in Redis.
   *
   * @param entry The entry.
   * @throws {Error} Always.
   */
  push(entry: FrontierEntry): void {
    throw new Error(`Cannot push '${entry.url}' to a RedisStore: RedisFrontier.add() queues it`);
  }

  /**
   * Not used: {@linkcode RedisFrontier.next} leases entries.
   *
   * @param _limit Ignored.
   * @returns No entries.
   */
  take(_limit: number): FrontierEntry[] {
    return [];
  }

  /**
   * Appends the record to the job and ends the entry's lease in one step,
   * then hands the record to `deliver`, exactly once. When the lease had
   * expired and another process took the URL over, nothing is appended or
   * delivered here (that process does both).
   *
   * @param entry The finished entry (from `next()`).
   * @param record Its record, or `undefined` for a skip.
   * @param deliver This process's output.
   */
  async finish(
    entry: FrontierEntry,
    record: CrawlRecord | undefined,
    deliver: Deliver,
  ): Promise<void> {
    const kept = await this.#frontier.finish(entry, record);
    if (kept && record) await deliver(record);
  }

  /**
   * Waits until every release, retry and hold sent in the background is
   * answered by Redis.
   *
   * @returns A promise that resolves when they are.
   * @throws The first Redis failure, if any.
   */
  flush(): Promise<void> {
    return this.#frontier.settled();
  }
}
