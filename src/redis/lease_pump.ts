/**
 * Waiting for leases without polling: the `next()` calls of one process
 * queue here, and one lease call at a time asks Redis for as many entries
 * as there are waiters.
 *
 * When Redis has nothing ready, the pump sleeps until one of:
 * - {@linkcode LeasePump.wake}: a pub/sub event (a host became ready,
 *   nothing is pending any more), a local release or finish, a reconnect;
 * - one timer for the next moment Redis knows of (a host's delay or pause
 *   ending, a retry's backoff ending, the earliest lease expiry), capped at
 *   `maxWaitMs` as a safety re-check for a missed pub/sub message.
 *
 * @module
 */

import { WaitQueue } from "../async/wait_queue.ts";
import type { FrontierEntry, PageBudget } from "../frontier/types.ts";
import type { LeaseResult } from "./scripts.ts";

/** Most leases one call asks for (the script hands them over in a few Lua calls of bounded size). */
const MAX_LEASES = 1000;

/** What a {@linkcode LeasePump} works with. */
export interface LeasePumpOptions {
  /** Asks Redis for up to `n` leases. */
  lease(n: number): Promise<LeaseResult>;
  /** Turns a lease into the entry handed to a waiter (and starts keeping it). */
  handOut(token: string, json: string): FrontierEntry;
  /** Gives back a lease no waiter wants any more (its `next()` was aborted meanwhile). */
  giveBack(token: string, json: string): void;
  /** The longest sleep without a re-check, in ms. */
  maxWaitMs: number;
  /**
   * How many more leases this process may take (its `maxPagesPerRun`
   * budget); unlimited when absent. At 0 the pump closes.
   */
  remaining?: () => number;
}

/**
 * The waiting side of a Redis frontier.
 *
 * @example Usage
 * No Redis needed: in a job, `lease` runs the job's lease script (and a
 * pub/sub message calls `wake()`); this stand-in job holds one URL.
 *
 * ```ts
 * import { LeasePump } from "./lease_pump.ts";
 * import assert from "node:assert/strict";
 *
 * const job = [{ token: "1", entry: '{"url":"https://a.test/","depth":0,"parent":null}' }];
 * const pump = new LeasePump({
 *   lease: (n) => {
 *     const pending = job.length;
 *     const leases = job.splice(0, n);
 *     return Promise.resolve({ closed: false, pending, queued: 0, now: 0, wakeAt: undefined, leases });
 *   },
 *   handOut: (_token, json) => ({ ...JSON.parse(json), attempts: 0, host: "a.test" }),
 *   giveBack: () => {},
 *   maxWaitMs: 15_000,
 * });
 * assert.equal((await pump.take())?.url, "https://a.test/");
 * assert.equal(await pump.take(), undefined); // nothing pending: the job is over
 * ```
 */
export class LeasePump {
  #options: LeasePumpOptions;
  #waiters = new WaitQueue<FrontierEntry | undefined>();
  #pumping = false;
  #again = false;
  #scheduled = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #finished = false;
  #limitReached: PageBudget | undefined;
  #failure: unknown;
  /** URLs queued in the whole job, as of the last answer. */
  queued = 0;

  /**
   * Creates a pump.
   *
   * @param options How to lease, hand out and give back.
   */
  constructor(options: LeasePumpOptions) {
    this.#options = options;
  }

  /** The budget that closed the pump: the job's `maxPages`, or this process's `maxPagesPerRun`. */
  get limitReached(): PageBudget | undefined {
    return this.#limitReached;
  }

  /** Whether the pump hands out nothing more (closed, job over, or failed). */
  get closed(): boolean {
    return this.#closed || this.#finished || this.#failure !== undefined;
  }

  /** The failure that stopped the pump, if any. */
  get failure(): unknown {
    return this.#failure;
  }

  /**
   * Waits for a lease.
   *
   * @param signal Aborting it stops the wait.
   * @returns The entry, or `undefined` once the job is over, reached `maxPages`, or the pump closed.
   * @throws The signal's reason, or the pump's failure.
   */
  take(signal?: AbortSignal): Promise<FrontierEntry | undefined> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closed || this.#finished) return Promise.resolve(undefined);
    const waiting = this.#waiters.wait({ signal });
    this.wake();
    return waiting;
  }

  /** Something may have changed: lease again (now, or after the call in flight). */
  wake(): void {
    if (this.#pumping) {
      this.#again = true;
    } else if (!this.#scheduled && this.#waiters.length > 0) {
      // A microtask later, so the next() calls of one tick share one lease call.
      this.#scheduled = true;
      queueMicrotask(() => {
        this.#scheduled = false;
        this.#pump();
      });
    }
  }

  /** Hands out nothing more: waiting and later `take()` calls get `undefined`. */
  close(): void {
    this.#closed = true;
    this.#settle();
  }

  /**
   * Stops the pump with an error: waiting and later `take()` calls reject with it.
   *
   * @param error The failure.
   */
  fail(error: unknown): void {
    if (this.#failure) return;
    this.#failure = error;
    clearTimeout(this.#timer);
    for (const waiter of this.#waiters.drain()) waiter.reject(error);
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#waiters.length > 0 && !this.closed) {
        this.#again = false;
        clearTimeout(this.#timer);
        this.#timer = undefined;
        const budget = this.#options.remaining?.() ?? Infinity;
        if (budget <= 0) {
          this.#limitReached = "max_pages_per_run";
          this.#closed = true;
          break;
        }
        const wanted = Math.min(this.#waiters.length, budget, MAX_LEASES);
        const result = await this.#options.lease(wanted);
        this.queued = result.queued;
        for (const { token, entry } of result.leases) this.#handOut(token, entry);
        if (result.closed) {
          this.#limitReached = "max_pages";
          this.#closed = true;
        } else if (result.leases.length === 0 && result.pending <= 0) {
          this.#finished = true;
        } else if (result.leases.length < wanted && !this.#again && this.#waiters.length > 0) {
          const wait = result.wakeAt === undefined ? Infinity : result.wakeAt - result.now + 1;
          this.#timer = setTimeout(() => {
            this.#timer = undefined;
            this.wake();
          }, Math.max(0, Math.min(wait, this.#options.maxWaitMs)));
          break;
        }
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.#pumping = false;
    }
    if (this.#closed || this.#finished) this.#settle();
    else if (this.#again) this.wake();
  }

  #handOut(token: string, json: string): void {
    const waiter = this.#waiters.shift();
    if (!waiter) return this.#options.giveBack(token, json);
    waiter.resolve(this.#options.handOut(token, json));
  }

  #settle(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const waiter of this.#waiters.drain()) waiter.resolve(undefined);
  }
}
