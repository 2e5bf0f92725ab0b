/**
 * What a crawl keeps: its seen set, its queue beyond the in-memory window,
 * and its finished records. The pipeline talks to this narrow interface
 * only; {@linkcode MemoryStore} keeps everything in memory for one run, and
 * durable stores keep it across runs and crashes.
 *
 * @module
 */

import type { FrontierEntry, SeenSet } from "../frontier/types.ts";
import type { CrawlRecord } from "../output/record.ts";

/** Where a finished record goes once it is durable (the output sink). */
export type Deliver = (record: CrawlRecord) => Promise<void>;

/** The storage behind a crawl. */
export interface CrawlStore {
  /** Every URL ever admitted, for dedupe. */
  readonly seen: SeenSet;
  /** Entries stored and not yet taken (resumed ones included). */
  readonly backlog: number;
  /**
   * Stores a newly admitted entry (already marked seen).
   *
   * @param entry The entry.
   */
  push(entry: FrontierEntry): void;
  /**
   * Takes up to `limit` entries not taken yet, oldest first.
   *
   * @param limit How many at most.
   * @returns The entries.
   */
  take(limit: number): FrontierEntry[];
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
}

/**
 * Keeps a crawl in memory: a fingerprint seen set and a FIFO queue. Records
 * are delivered at once.
 *
 * @example Usage
 * ```ts
 * import { MemoryStore } from "./types.ts";
 * import { FingerprintSet } from "../frontier/fingerprint_set.ts";
 * const store = new MemoryStore(new FingerprintSet());
 * store.backlog; // 0
 * ```
 */
export class MemoryStore implements CrawlStore {
  /** The seen set. */
  readonly seen: SeenSet;
  #queue: FrontierEntry[] = [];
  #head = 0;

  /**
   * Creates an empty store.
   *
   * @param seen The seen set to use (a `FingerprintSet` by default in the crawler).
   */
  constructor(seen: SeenSet) {
    this.seen = seen;
  }

  /** Entries not taken yet. */
  get backlog(): number {
    return this.#queue.length - this.#head;
  }

  /**
   * Queues an entry.
   *
   * @param entry The entry.
   */
  push(entry: FrontierEntry): void {
    this.#queue.push(entry);
  }

  /**
   * Takes entries in FIFO order.
   *
   * @param limit How many at most.
   * @returns The entries.
   */
  take(limit: number): FrontierEntry[] {
    const out = this.#queue.slice(this.#head, this.#head + limit);
    this.#head += out.length;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return out;
  }

  /**
   * Delivers the record at once.
   *
   * @param _entry The finished entry.
   * @param record Its record, if any.
   * @param deliver The sink.
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
}
