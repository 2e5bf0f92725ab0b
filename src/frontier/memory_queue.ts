/**
 * The in-memory {@linkcode UrlQueue}: a seen set and a FIFO array, for one
 * run of one process.
 *
 * @module
 */

import type { FrontierEntry, SeenSet, UrlQueue } from "./types.ts";

/**
 * Keeps a crawl's seen set and queue in memory.
 *
 * @example Usage
 * ```ts
 * import { MemoryQueue } from "./memory_queue.ts";
 * import assert from "node:assert/strict";
 *
 * const queue = new MemoryQueue(new Set());
 * queue.push({ url: "https://a.test/", depth: 0, parent: null, attempts: 0, host: "a.test" });
 * assert.equal(queue.backlog, 1);
 * assert.equal(queue.take(10)[0]?.url, "https://a.test/");
 * ```
 */
export class MemoryQueue implements UrlQueue {
  /** The seen set. */
  readonly seen: SeenSet;
  #queue: FrontierEntry[] = [];
  #head = 0;

  /**
   * Creates an empty queue over a seen set.
   *
   * @param seen The seen set (the crawler passes a `FingerprintSet`).
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
}
