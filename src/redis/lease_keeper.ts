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
 * ```ts ignore
 * const keeper = new LeaseKeeper({ extend, leaseMs: 30_000, onError });
 * keeper.keep("17", entryJson);
 * keeper.drop("17");
 * keeper.stop();
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
