/**
 * The live-producer count of the "producer-count" shutdown: producers
 * register, and when the last one leaves, the consumers' channel is closed.
 *
 * @module
 */

/**
 * Counts live producers and runs `onLast` once, when the last registered
 * producer leaves (like a Go `sync.WaitGroup` whose zero closes the channel).
 *
 * @example Usage
 * ```ts
 * import { Channel } from "./channel.ts";
 * import { ProducerCount } from "./producer_count.ts";
 * import assert from "node:assert/strict";
 *
 * const ch = new Channel<number>({ capacity: 4 });
 * const producers = new ProducerCount(() => ch.close());
 * const a = producers.add();
 * const b = producers.add();
 * a[Symbol.dispose]();
 * assert.equal(ch.closed, false);
 * b[Symbol.dispose](); // the last producer left: the channel closes
 * assert.equal(ch.closed, true);
 * ```
 */
export class ProducerCount {
  #onLast: () => void;
  #live = 0;
  #ended = false;

  /**
   * Creates the count.
   *
   * @param onLast Runs once, when the last registered producer leaves.
   */
  constructor(onLast: () => void) {
    this.#onLast = onLast;
  }

  /** Producers registered and not yet left. */
  get live(): number {
    return this.#live;
  }

  /**
   * Registers a live producer.
   *
   * @returns A handle whose disposal marks this producer as finished.
   * @throws {Error} If every producer already left (`onLast` ran).
   */
  add(): Disposable {
    if (this.#ended) throw new Error("Cannot add a producer as the last one already left");
    this.#live++;
    let left = false;
    return {
      [Symbol.dispose]: () => {
        if (left) throw new Error("Cannot leave as this producer already left");
        left = true;
        if (--this.#live === 0) {
          this.#ended = true;
          this.#onLast();
        }
      },
    };
  }
}
