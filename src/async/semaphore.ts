/**
 * A counting semaphore with strict FIFO fairness and abortable waits, in the
 * shape of `@std/async/unstable-semaphore` (`using _permit = await
 * sem.acquire()`), plus an options object with a `signal`.
 *
 * @module
 */

import { WaitQueue } from "./wait_queue.ts";

/** Options for {@linkcode Semaphore.acquire}. */
export interface AcquireOptions {
  /** Aborting it removes the waiter from the queue; `acquire()` rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * A permit held from a {@linkcode Semaphore}. Release it once, by
 * `release()` or by disposal (`using`).
 */
export interface Permit extends Disposable {
  /**
   * Returns the permit to the semaphore.
   *
   * @throws {Error} If the permit was already released.
   */
  release(): void;
}

/**
 * Caps how many holders run at once. Waiters are served in strict FIFO
 * order, like Go's `x/sync/semaphore`: a released permit goes straight to
 * the oldest waiter, so no late arrival can overtake it.
 *
 * @example Usage
 * ```ts
 * import { Semaphore } from "./semaphore.ts";
 *
 * const sem = new Semaphore(2);
 * async function task() {
 *   using _permit = await sem.acquire();
 *   // at most two tasks run this part at once
 * }
 * await Promise.all([task(), task(), task()]);
 * ```
 */
export class Semaphore {
  #max: number;
  #available: number;
  #waiters = new WaitQueue<Permit>();
  /** Permits handed out and not released, oldest first. */
  #held = new Set<Permit>();

  /**
   * Creates a semaphore with `max` permits, all free.
   *
   * @param max How many permits exist, a positive integer. Default 1 (a mutex).
   * @throws {RangeError} If `max` is not a positive integer.
   */
  constructor(max = 1) {
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(
        `Cannot create semaphore as 'max' must be a positive integer: received ${max}`,
      );
    }
    this.#max = max;
    this.#available = max;
  }

  /** The total number of permits. */
  get max(): number {
    return this.#max;
  }

  /** Permits free right now. */
  get available(): number {
    return this.#available;
  }

  /** Callers waiting in `acquire()`. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Waits for a permit.
   *
   * @param options An optional signal that aborts the wait.
   * @returns A permit to release (or dispose) exactly once.
   * @throws The signal's reason if it aborts before a permit is granted.
   */
  acquire(options: AcquireOptions = {}): Promise<Permit> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const permit = this.tryAcquire();
    if (permit) return Promise.resolve(permit);
    return this.#waiters.wait({ signal });
  }

  /**
   * Takes a permit only if one is free and nobody is waiting.
   *
   * @returns A permit, or `undefined` if none could be taken at once.
   */
  tryAcquire(): Permit | undefined {
    if (this.#available === 0 || this.#waiters.length > 0) return undefined;
    this.#available--;
    return this.#permit();
  }

  /**
   * Releases the oldest permit still held, for code written against std's
   * `sem.release()` (which keeps no handle). Its handle can no longer be released.
   *
   * @throws {Error} If no permit is held.
   *
   * @example Usage
   * ```ts
   * import { Semaphore } from "./semaphore.ts";
   * import assert from "node:assert/strict";
   *
   * const sem = new Semaphore(1);
   * await sem.acquire();
   * sem.release();
   * assert.equal(sem.available, 1);
   * assert.throws(() => sem.release(), /no permit is held/);
   * ```
   */
  release(): void {
    const oldest = this.#held.values().next();
    if (oldest.done) throw new Error("Cannot release a permit as no permit is held");
    oldest.value.release();
  }

  #permit(): Permit {
    let released = false;
    const release = () => {
      if (released) {
        throw new Error("Cannot release permit as it was already released");
      }
      released = true;
      this.#held.delete(permit);
      const next = this.#waiters.shift();
      if (next) {
        // Hand the permit over directly: `available` never rises, so a
        // concurrent tryAcquire() cannot jump the queue.
        next.resolve(this.#permit());
      } else {
        this.#available++;
      }
    };
    const permit: Permit = { release, [Symbol.dispose]: release };
    this.#held.add(permit);
    return permit;
  }
}
