/**
 * A frontier shared by many crawler processes through Redis: one queue, one
 * seen set and one set of per-host limits for a whole job.
 *
 * Work is leased, not popped: `next()` takes a lease that lives `leaseMs`
 * and is extended every `leaseMs / 3` while this process holds it. A
 * process that dies stops extending; once its leases expire the next
 * `next()` anywhere puts their URLs back at the front of their hosts'
 * queues. The record and the end of the lease go to Redis in one script
 * ({@linkcode RedisFrontier.finish}), so a process whose lease was taken
 * over appends nothing.
 *
 * Waiting never polls: a waiting `next()` wakes on the job's pub/sub
 * channel (a host became ready, nothing is pending any more), on a local
 * release, on reconnection, and on one timer for the next moment known to
 * Redis (a host's delay or pause ending, a retry's backoff ending, the
 * earliest lease expiry). The timer is capped at `leaseMs / 2` as a safety
 * re-check for a missed pub/sub message.
 *
 * @module
 */

import type { Redis } from "ioredis";
import { FingerprintSet } from "./fingerprint_set.ts";
import type { AddOutcome, CrawlFrontier, FrontierEntry, NextOptions } from "./frontier.ts";
import { hostKey } from "./host_slot.ts";
import type { CrawlRecord } from "./record.ts";
import type { AddItem, JobScripts, JobSettings } from "./redis_scripts.ts";

/** Where an entry handed out by {@linkcode RedisFrontier.next} keeps its lease token. */
export const LEASE: unique symbol = Symbol("redis lease");

/** A frontier entry holding a lease (the token survives `{ ...entry }`). */
export type LeasedEntry = FrontierEntry & { [LEASE]?: string };

/** What {@linkcode RedisFrontier} works with. */
export interface RedisFrontierDeps {
  /** The job's scripts, on the command connection. */
  scripts: JobScripts;
  /** The job's settings (from {@linkcode JobScripts.init}). */
  settings: JobSettings;
  /** The command connection (its `ready` event means: re-check after a reconnect). */
  client: Redis;
  /** A connection subscribed to the job's channel (`<prefix>ev`). */
  subscriber: Redis;
  /** Rewrites connection failures into clear errors. */
  explain?: (error: unknown) => unknown;
}

/** This process's share of the job. */
export interface RedisFrontierStats {
  /** Leases taken. */
  leased: number;
  /** Records appended to the job by this process. */
  finished: number;
  /** Finishes refused because the lease had expired and moved on. */
  lost: number;
}

interface Waiter {
  resolve(entry: FrontierEntry | undefined): void;
  reject(reason: unknown): void;
  cleanup(): void;
}

const ADD_BATCH = 256;

/** The JSON of a queued entry; `attempts` first so the lease script can spot first fetches. */
function entryJson(entry: FrontierEntry): string {
  const { attempts, url, depth, parent, host, extra } = entry;
  return JSON.stringify({ attempts, url, depth, parent, host, extra });
}

/**
 * The Redis-backed frontier of one process in a shared job. Build it with
 * `connectJob()` from `redis_cli.ts`.
 *
 * @example Usage
 * ```ts ignore
 * const job = await connectJob("redis://127.0.0.1:6379/0", "shop", { crawl: options });
 * await runCrawl(options, { frontier: () => job.frontier, store: job.store, onRecord });
 * await job.close();
 * ```
 */
export class RedisFrontier implements CrawlFrontier {
  /** A local cache of URLs known seen, for the fast `has()` pre-check. */
  readonly seen: FingerprintSet = new FingerprintSet();
  #deps: RedisFrontierDeps;
  #leaseMs: number;
  #waiters: Waiter[] = [];
  #pumping = false;
  #again = false;
  #scheduled = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #heartbeat: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #finished = false;
  #limitReached = false;
  #failure: unknown;
  #queued = 0;
  #fetching = 0;
  /** This process's live leases (token → entry JSON) and holds (token → `undefined`). */
  #live = new Map<string, string | undefined>();
  #ops = new Set<Promise<unknown>>();
  #batch: { item: AddItem; resolve(o: AddOutcome): void; reject(e: unknown): void }[] = [];
  #stats: RedisFrontierStats = { leased: 0, finished: 0, lost: 0 };
  #onEvent = () => this.#wake();

  /**
   * Creates the frontier over a connected job.
   *
   * @param deps The job's scripts, settings and connections.
   */
  constructor(deps: RedisFrontierDeps) {
    this.#deps = deps;
    this.#leaseMs = deps.settings.leaseMs;
    deps.subscriber.on("message", this.#onEvent);
    deps.client.on("ready", this.#onEvent);
  }

  /** URLs queued in the whole job, as of the last answer from Redis. */
  get queued(): number {
    return this.#queued;
  }

  /** This process's requests in flight. */
  get fetching(): number {
    return this.#fetching;
  }

  /** Whether the job reached its `maxPages`. */
  get limitReached(): boolean {
    return this.#limitReached;
  }

  /** This process's share of the job so far. */
  get stats(): RedisFrontierStats {
    return { ...this.#stats };
  }

  /**
   * Whether this process already knows a URL is seen.
   *
   * @param url A normalized URL.
   * @returns `true` if surely seen; `false` means "ask Redis".
   */
  has(url: string): boolean {
    return this.seen.has(url);
  }

  /**
   * Marks a URL seen in the job without queuing it.
   *
   * @param url A normalized URL.
   * @returns `false` if it already was seen.
   */
  async markSeen(url: string): Promise<boolean> {
    if (this.seen.has(url)) return false;
    const added = await this.#call(this.#deps.scripts.mark(url));
    this.seen.add(url);
    return added;
  }

  /**
   * Queues a URL in the job unless seen; calls within one tick share one
   * round trip.
   *
   * @param entry The URL (normalized), its depth and its parent.
   * @returns What happened to it.
   */
  add(
    entry: Omit<FrontierEntry, "attempts" | "host"> & { attempts?: number },
  ): Promise<AddOutcome> {
    if (this.#closed) return Promise.resolve("closed");
    const full = { ...entry, attempts: entry.attempts ?? 0, host: hostKey(entry.url) };
    return new Promise((resolve, reject) => {
      const item = { url: full.url, host: full.host, entry: entryJson(full) };
      this.#batch.push({ item, resolve, reject });
      if (this.#batch.length === 1) queueMicrotask(() => this.#flushAdds());
    });
  }

  /**
   * Leases the next URL whose host is ready, job-wide.
   *
   * @param options An optional signal that aborts the wait.
   * @returns The entry, or `undefined` once nothing is pending in the whole
   * job, the job reached `maxPages`, or this frontier was closed.
   * @throws The signal's reason, or a Redis failure.
   */
  next(options: NextOptions = {}): Promise<FrontierEntry | undefined> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closed || this.#finished) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const i = this.#waiters.indexOf(waiter);
        if (i !== -1) this.#waiters.splice(i, 1);
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener("abort", onAbort),
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
      this.#wake();
    });
  }

  /**
   * Frees the entry's host slot, job-wide.
   *
   * @param entry An entry from `next()`.
   * @throws {Error} If the entry holds no lease.
   */
  release(entry: FrontierEntry): void {
    this.#fetching--;
    this.#background(this.#deps.scripts.release(this.#token(entry)));
  }

  /**
   * Queues an entry again (its lease ends).
   *
   * @param entry The entry, `attempts` counted up.
   * @param delayMs Backoff before it may be leased again.
   * @returns `false` when closed: the caller records the failure.
   */
  retry(entry: FrontierEntry, delayMs = 0): boolean {
    if (this.#closed) return false;
    const token = this.#token(entry);
    this.#live.delete(token);
    this.#background(this.#deps.scripts.requeue(token, delayMs, entryJson(entry), false));
    return true;
  }

  /**
   * Appends the entry's record to the job and ends its lease, atomically.
   * The store calls this.
   *
   * @param entry An entry from `next()`.
   * @param record Its record, or `undefined` for a skip.
   * @returns `false` if the lease had been taken over: nothing was appended.
   */
  async finish(entry: FrontierEntry, record: CrawlRecord | undefined): Promise<boolean> {
    const token = this.#token(entry);
    const ok = record !== undefined && !record.error && record.status !== null &&
      record.status >= 200 && record.status < 300;
    const kept = await this.#call(this.#deps.scripts.finish(
      token,
      record ? JSON.stringify(record) : "",
      ok,
      record?.error ?? "",
      record?.bytes ?? 0,
    ));
    this.#live.delete(token);
    this.#stats[kept ? "finished" : "lost"]++;
    this.#wake();
    return kept;
  }

  /** Nothing to do: {@linkcode RedisFrontier.finish} ended the lease. */
  done(_entry: FrontierEntry): void {}

  /**
   * Holds the whole job open without a URL (e.g. while reading sitemaps).
   *
   * @returns A handle whose disposal ends the hold; disposing twice throws.
   */
  hold(): Disposable {
    const token = this.#deps.scripts.hold().then((t) => {
      this.#live.set(t, undefined);
      this.#beat();
      return t;
    });
    this.#background(token);
    let held = true;
    return {
      [Symbol.dispose]: () => {
        if (!held) throw new Error("Cannot end the hold as it already ended");
        held = false;
        this.#background(token.then((t) => {
          this.#live.delete(t);
          return this.#deps.scripts.unhold(t);
        }));
      },
    };
  }

  /**
   * Pauses a host for every process (e.g. `Retry-After`).
   *
   * @param host The host key.
   * @param ms How long.
   */
  pauseHost(host: string, ms: number): void {
    this.#background(this.#deps.scripts.politeness(host, "pause", ms));
  }

  /**
   * Sets a host's start interval for every process (e.g. `Crawl-delay`).
   *
   * @param host The host key.
   * @param delayMs The interval.
   */
  setHostDelay(host: string, delayMs: number): void {
    this.#background(this.#deps.scripts.politeness(host, "delay", delayMs));
  }

  /** Stops this process taking URLs; other processes go on. */
  close(): void {
    this.#closed = true;
    this.#settleWaiters();
  }

  /**
   * Waits for every call sent in the background (releases, retries, holds).
   *
   * @returns A promise that resolves when they are answered.
   * @throws The first Redis failure, if any.
   */
  async settled(): Promise<void> {
    while (this.#ops.size > 0) await Promise.allSettled([...this.#ops]);
    if (this.#failure) throw this.#failure;
  }

  /**
   * Stops for good: gives back leases never finished (so another process
   * takes them at once), ends holds, drops timers and listeners.
   *
   * @returns A promise that resolves when Redis has been told.
   */
  async dispose(): Promise<void> {
    this.close();
    await this.settled().catch(() => {});
    clearTimeout(this.#heartbeat);
    this.#heartbeat = undefined;
    this.#deps.subscriber.off("message", this.#onEvent);
    this.#deps.client.off("ready", this.#onEvent);
    if (this.#failure) return;
    const { scripts } = this.#deps;
    await Promise.allSettled(
      [...this.#live].map(([token, json]) =>
        json === undefined ? scripts.unhold(token) : scripts.requeue(token, 0, json, true)
      ),
    );
    this.#live.clear();
    await scripts.forget().catch(() => {});
  }

  #token(entry: FrontierEntry): string {
    const token = (entry as LeasedEntry)[LEASE];
    if (token === undefined) throw new Error(`Cannot use '${entry.url}' as it holds no lease`);
    return token;
  }

  async #flushAdds(): Promise<void> {
    while (this.#batch.length > 0) {
      const batch = this.#batch.splice(0, ADD_BATCH);
      try {
        const { queued, outcomes } = await this.#call(
          this.#deps.scripts.add(batch.map((b) => b.item)),
        );
        this.#queued = queued;
        batch.forEach(({ item, resolve }, i) => {
          const outcome = outcomes[i];
          if (outcome === 0 || outcome === 1) this.seen.add(item.url);
          resolve(
            outcome === 1
              ? "added"
              : outcome === 0
              ? "seen"
              : outcome === 2
              ? "max_pages_per_host"
              : "closed",
          );
        });
        this.#wake();
      } catch (error) {
        for (const { reject } of batch) reject(error);
      }
    }
  }

  #wake(): void {
    if (this.#pumping) {
      this.#again = true;
    } else if (!this.#scheduled && this.#waiters.length > 0) {
      this.#scheduled = true;
      queueMicrotask(() => {
        this.#scheduled = false;
        this.#pump();
      });
    }
  }

  /** Leases for the waiting `next()` calls until they are served or must wait. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#waiters.length > 0 && !this.#closed && !this.#finished && !this.#failure) {
        this.#again = false;
        clearTimeout(this.#timer);
        this.#timer = undefined;
        const wanted = this.#waiters.length;
        const result = await this.#call(this.#deps.scripts.lease(wanted));
        this.#queued = result.queued;
        for (const { token, entry } of result.leases) this.#handOut(token, entry);
        if (result.closed) {
          this.#limitReached = true;
          this.#closed = true;
        } else if (result.leases.length === 0 && result.pending <= 0) {
          this.#finished = true;
        } else if (result.leases.length < wanted && !this.#again && this.#waiters.length > 0) {
          const wait = result.wakeAt === undefined ? Infinity : result.wakeAt - result.now + 1;
          this.#timer = setTimeout(() => {
            this.#timer = undefined;
            this.#wake();
          }, Math.max(0, Math.min(wait, this.#leaseMs / 2)));
          break;
        }
      }
    } catch (error) {
      this.#fail(error);
    } finally {
      this.#pumping = false;
    }
    if (this.#closed || this.#finished) this.#settleWaiters();
    else if (this.#again) this.#wake();
  }

  #handOut(token: string, json: string): void {
    const entry: LeasedEntry = { ...JSON.parse(json), [LEASE]: token };
    const waiter = this.#waiters.shift();
    if (!waiter) {
      // Its next() was aborted while the lease was on its way: give it back.
      this.#background(this.#deps.scripts.requeue(token, 0, json, true));
      return;
    }
    this.#stats.leased++;
    this.#fetching++;
    this.#live.set(token, json);
    this.#beat();
    waiter.cleanup();
    waiter.resolve(entry);
  }

  /** Extends this process's leases every leaseMs / 3 while it holds any. */
  #beat(): void {
    if (this.#heartbeat !== undefined || this.#live.size === 0 || this.#failure) return;
    this.#heartbeat = setTimeout(() => {
      const extending = this.#deps.scripts.extend([...this.#live.keys()]).then((lost) => {
        for (const token of lost) this.#live.delete(token);
        this.#heartbeat = undefined;
        this.#beat();
      });
      this.#background(extending);
    }, this.#leaseMs / 3);
  }

  #settleWaiters(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const waiter of this.#waiters.splice(0)) {
      waiter.cleanup();
      waiter.resolve(undefined);
    }
  }

  #background(promise: Promise<unknown>): void {
    const op = promise.then(() => this.#wake(), (error) => this.#fail(error));
    this.#ops.add(op);
    op.finally(() => this.#ops.delete(op));
  }

  async #call<T>(promise: Promise<T>): Promise<T> {
    try {
      return await promise;
    } catch (error) {
      throw this.#deps.explain?.(error) ?? error;
    }
  }

  #fail(error: unknown): void {
    if (this.#failure) return;
    this.#failure = this.#deps.explain?.(error) ?? error;
    clearTimeout(this.#timer);
    clearTimeout(this.#heartbeat);
    for (const waiter of this.#waiters.splice(0)) {
      waiter.cleanup();
      waiter.reject(this.#failure);
    }
  }
}
