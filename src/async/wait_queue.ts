/**
 * The one abortable wait behind the crawler's primitives: a FIFO queue of
 * callers, each waiting for a value, each removable by its own signal.
 * {@linkcode Channel} (senders and receivers), {@linkcode Semaphore}, the
 * in-process frontier and the Redis lease pump queue their callers here.
 *
 * @module
 */

/** A queued caller, as {@linkcode WaitQueue.shift} hands it out. */
export interface Waiter<T, P> {
  /** What the caller left with its wait (a channel sender's value, say). */
  readonly payload: P;
  /** Settles the caller's promise with a value. */
  resolve(value: T): void;
  /** Settles the caller's promise with an error. */
  reject(reason: unknown): void;
}

/** Options for {@linkcode WaitQueue.wait}. */
export interface WaitOptions<P> {
  /** Aborting it removes the caller from the queue; the wait rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Left with the wait, for whoever serves it. */
  payload?: P;
  /** Called after an aborted caller left the queue (e.g. to re-plan a timer). */
  onAbort?: () => void;
}

interface Entry<T, P> extends Waiter<T, P> {
  signal: AbortSignal | undefined;
  listener: (() => void) | undefined;
}

/**
 * Callers waiting in arrival order. A caller leaves the queue when it is
 * served ({@linkcode WaitQueue.shift}, {@linkcode WaitQueue.drain}) or when
 * its signal aborts, whichever comes first; its abort listener goes with it.
 *
 * @typeParam T What a waiting caller receives.
 * @typeParam P What a caller leaves with its wait.
 *
 * @example Usage
 * ```ts
 * import { WaitQueue } from "./wait_queue.ts";
 * import assert from "node:assert/strict";
 *
 * const queue = new WaitQueue<string>();
 * const first = queue.wait();
 * const controller = new AbortController();
 * const second = queue.wait({ signal: controller.signal });
 * controller.abort(new Error("gave up"));
 * await assert.rejects(second, /gave up/);
 * queue.shift()?.resolve("served");
 * assert.equal(await first, "served");
 * assert.equal(queue.length, 0);
 * ```
 */
export class WaitQueue<T, P = undefined> {
  #entries: Entry<T, P>[] = [];

  /** Callers waiting now. */
  get length(): number {
    return this.#entries.length;
  }

  /**
   * Queues the caller.
   *
   * @param options Its signal, payload and abort hook.
   * @returns A promise settled by whoever serves the caller.
   * @throws The signal's reason (as a rejection) if it is already aborted.
   */
  wait(options: WaitOptions<P> = {}): Promise<T> {
    const { signal, onAbort } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    const entry: Entry<T, P> = {
      payload: options.payload as P,
      signal,
      listener: undefined,
      resolve,
      reject,
    };
    if (signal) {
      entry.listener = () => {
        const i = this.#entries.indexOf(entry);
        if (i !== -1) this.#entries.splice(i, 1);
        reject(signal.reason);
        onAbort?.();
      };
      signal.addEventListener("abort", entry.listener, { once: true });
    }
    this.#entries.push(entry);
    return promise;
  }

  /**
   * Takes the oldest caller out of the queue, to be served.
   *
   * @returns The caller, or `undefined` when none waits.
   */
  shift(): Waiter<T, P> | undefined {
    const entry = this.#entries.shift();
    if (entry) release(entry);
    return entry;
  }

  /**
   * Takes every caller out of the queue, oldest first.
   *
   * @returns The callers.
   */
  drain(): Waiter<T, P>[] {
    const entries = this.#entries.splice(0);
    for (const entry of entries) release(entry);
    return entries;
  }
}

function release<T, P>(entry: Entry<T, P>): void {
  if (entry.listener) entry.signal!.removeEventListener("abort", entry.listener);
}
