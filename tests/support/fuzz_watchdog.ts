/**
 * A watchdog: a one-shot countdown that each report of progress starts over.
 *
 * @module
 */

/**
 * Calls `onStall` once if `limitMs` pass without a call to
 * {@linkcode Watchdog.prototype.progress}. It is a single `setTimeout`,
 * cleared and armed again on progress: nothing runs while work moves on, and
 * a stall is seen `limitMs` after the last progress, not at the next tick of
 * a polling interval. Dispose of it (or `using` it) to stop it.
 *
 * @example Usage
 * ```ts
 * import { Watchdog } from "./fuzz_watchdog.ts";
 * import assert from "node:assert/strict";
 *
 * let stalls = 0;
 * const stalled = Promise.withResolvers<void>();
 * using watchdog = new Watchdog(10, () => {
 *   stalls++;
 *   stalled.resolve();
 * });
 * watchdog.progress(); // work moved on: the 10 ms start over
 * await stalled.promise; // no progress since: it fires
 * watchdog.progress(); // too late: it stays fired
 * assert.equal(stalls, 1);
 * ```
 */
export class Watchdog implements Disposable {
  readonly #limitMs: number;
  readonly #onStall: () => void;
  /** The armed timer; `undefined` once it fired or was disposed of. */
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Creates a watchdog and starts its countdown.
   *
   * @param limitMs How long work may go without progress.
   * @param onStall Called once, when it does go that long.
   */
  constructor(limitMs: number, onStall: () => void) {
    this.#limitMs = limitMs;
    this.#onStall = onStall;
    this.#arm();
  }

  /**
   * Reports progress: the countdown starts over. Does nothing once the
   * watchdog fired or was disposed of.
   *
   * @example Usage
   * ```ts
   * import { Watchdog } from "./fuzz_watchdog.ts";
   * import assert from "node:assert/strict";
   *
   * let stalls = 0;
   * {
   *   using watchdog = new Watchdog(1000, () => stalls++);
   *   watchdog.progress();
   * }
   * assert.equal(stalls, 0); // disposed of before the limit: never fires
   * ```
   */
  progress(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#arm();
  }

  /**
   * Stops the countdown: `onStall` will not be called.
   *
   * @example Usage
   * ```ts
   * import { Watchdog } from "./fuzz_watchdog.ts";
   *
   * const watchdog = new Watchdog(1000, () => {
   *   throw new Error("never called");
   * });
   * watchdog[Symbol.dispose]();
   * ```
   */
  [Symbol.dispose](): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#onStall();
    }, this.#limitMs);
  }
}
