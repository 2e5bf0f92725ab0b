/**
 * Group commit: calls to Redis that can share a round trip wait while one
 * is in flight and then go out together, so a busy crawl sends a few large
 * calls instead of one per page, and an idle one sends at once (a microtask
 * later, so the calls of one tick share one). No timer: the batch is
 * whatever came in during the previous round trip.
 *
 * Items may depend on the ones before them (a page's finish on the adds of
 * its links, pushed first), so a call is never sent after an earlier one
 * failed: the failure ends the group, rejecting what waits and what comes.
 *
 * @module
 */

interface Pending<I, R> {
  item: I;
  resolve(result: R): void;
  reject(error: unknown): void;
}

/**
 * One call in flight at a time, carrying every item queued meanwhile (up
 * to `max`), in push order. A failed call ends the group: its items, the
 * items queued behind them and every later push reject with its error.
 *
 * @example Usage
 * No Redis needed: in a job, `send` runs one script for the whole batch.
 *
 * ```ts
 * import { GroupCommit } from "./group_commit.ts";
 * import assert from "node:assert/strict";
 *
 * const calls: number[][] = [];
 * const commit = new GroupCommit<number, number>((items) => {
 *   calls.push(items);
 *   return Promise.resolve(items.map((n) => n * 2));
 * }, 100);
 * const answers = await Promise.all([1, 2, 3].map((n) => commit.push(n)));
 * assert.deepEqual(answers, [2, 4, 6]);
 * assert.deepEqual(calls, [[1, 2, 3]]); // one call for the tick's three items
 * ```
 */
export class GroupCommit<I, R> {
  #send: (items: I[]) => Promise<R[]>;
  #max: number;
  #queue: Pending<I, R>[] = [];
  #running = false;
  /** The failure that ended the group, once a call failed. */
  #failure: { error: unknown } | undefined;

  /**
   * Creates an empty group.
   *
   * @param send Sends a batch; resolves with one result per item, in order.
   * @param max Most items per call.
   */
  constructor(send: (items: I[]) => Promise<R[]>, max: number) {
    this.#send = send;
    this.#max = max;
  }

  /**
   * Queues an item for the next call.
   *
   * @param item The item.
   * @returns Its result, once its call is answered.
   * @throws The failure of its call or of an earlier one.
   */
  push(item: I): Promise<R> {
    if (this.#failure) return Promise.reject(this.#failure.error);
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (!this.#running) {
        this.#running = true;
        queueMicrotask(() => this.#run());
      }
    });
  }

  async #run(): Promise<void> {
    while (this.#queue.length > 0) await this.#sendBatch();
    this.#running = false;
  }

  async #sendBatch(): Promise<void> {
    const batch = this.#queue.splice(0, this.#max);
    try {
      const results = await this.#send(batch.map((p) => p.item));
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (error) {
      // Nothing queued behind a failed call is sent: it may depend on what failed.
      this.#failure = { error };
      for (const p of [...batch, ...this.#queue.splice(0)]) p.reject(error);
    }
  }
}
