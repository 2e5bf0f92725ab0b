/**
 * Keeps a process's leases (and holds) alive: while it has any, one timer
 * extends them all every `leaseMs / 3`. A process that dies, freezes or is
 * cut off stops extending, and its leases expire in Redis.
 *
 * @module
 */

/** What a {@linkcode LeaseKeeper} works with. */
export interface LeaseKeeperOptions {
  /** Extends leases; resolves with the tokens no longer leased. */
  extend(tokens: string[]): Promise<string[]>;
  /** The lease length, in ms. */
  leaseMs: number;
  /** Receives a failed extension. */
  onError(error: unknown): void;
}

/**
 * The live leases of one process: token → entry JSON (`undefined` for a hold).
 *
 * @example Usage
 * No Redis needed: in a job, `extend` runs the job's extend script; this
 * stand-in reports lease "18" as lost.
 *
 * ```ts
 * import { LeaseKeeper } from "./lease_keeper.ts";
 * import assert from "node:assert/strict";
 *
 * const asked: string[][] = [];
 * const keeper = new LeaseKeeper({
 *   extend: (tokens) => {
 *     asked.push(tokens);
 *     return Promise.resolve(["18"]);
 *   },
 *   leaseMs: 30, // extended every 10 ms
 *   onError: console.error,
 * });
 * keeper.keep("17", '{"url":"https://a.test/"}');
 * keeper.keep("18", '{"url":"https://a.test/b"}');
 * await new Promise((resolve) => setTimeout(resolve, 15));
 * keeper.stop();
 * assert.deepEqual(asked[0], ["17", "18"]);
 * assert.deepEqual(keeper.entries, [["17", '{"url":"https://a.test/"}']]); // "18" was dropped
 * ```
 */
export class LeaseKeeper {
  #options: LeaseKeeperOptions;
  #live = new Map<string, string | undefined>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  /**
   * Creates a keeper with no leases.
   *
   * @param options How to extend, how often, and where errors go.
   */
  constructor(options: LeaseKeeperOptions) {
    this.#options = options;
  }

  /** The live leases: token and entry JSON (`undefined` for a hold). */
  get entries(): [string, string | undefined][] {
    return [...this.#live];
  }

  /**
   * Starts keeping a lease.
   *
   * @param token The lease's token.
   * @param json Its entry's JSON, or `undefined` for a hold.
   */
  keep(token: string, json: string | undefined): void {
    this.#live.set(token, json);
    this.#arm();
  }

  /**
   * Stops keeping a lease (finished, requeued, or lost).
   *
   * @param token The lease's token.
   */
  drop(token: string): void {
    this.#live.delete(token);
  }

  /** Stops extending (at exit, or after a failure). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#stopped || this.#live.size === 0) return;
    this.#timer = setTimeout(async () => {
      try {
        const lost = await this.#options.extend([...this.#live.keys()]);
        for (const token of lost) this.#live.delete(token);
      } catch (error) {
        this.#options.onError(error);
        return;
      } finally {
        this.#timer = undefined;
      }
      this.#arm();
    }, this.#options.leaseMs / 3);
  }
}
