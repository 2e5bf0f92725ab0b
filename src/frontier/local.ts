/**
 * The frontier: the URL queue with dedupe, limits, per-host politeness and
 * the crawl's unfinished-work count.
 *
 * A URL counts as unfinished from the moment it is queued until `done()` is
 * called for it (its record written), like a joinable queue's
 * `task_done()`. The crawl is over exactly when that count is zero: nothing
 * queued, nothing fetching, nothing parsing.
 *
 * @module
 */

import { WaitQueue } from "../async/wait_queue.ts";
import { checkInteger } from "../validate/integer.ts";
import { type EntryList, EntryPool, newEntryList } from "./entry_pool.ts";
import { hostKey, type HostSlot, newHostSlot, slotReadyAt } from "./host_slot.ts";
import { MemoryQueue } from "./memory_queue.ts";
import type {
  AddOutcome,
  CrawlFrontier,
  FrontierEntry,
  FrontierLimits,
  NextOptions,
  PageBudget,
  UrlQueue,
} from "./types.ts";

/** Options for {@linkcode LocalFrontier} besides the crawl's limits. */
export interface LocalFrontierOptions {
  /** Where admitted URLs are kept. Default: a {@linkcode MemoryQueue} over a `Set`. */
  queue?: UrlQueue;
  /**
   * Whether the queue outlives the process (its store is durable): work that
   * arrives after `close()` (the links of pages finishing during a stop,
   * retries) is then kept in the queue for the next run instead of being
   * refused. Default false.
   */
  durable?: boolean;
  /**
   * Most URLs held in memory; the rest wait in the queue. Default: unlimited
   * (right for an in-memory queue).
   */
  window?: number;
  /**
   * What earlier processes of the same run did, for a resumed crawl: first
   * fetches already made (they count against `maxPages`) and URLs admitted
   * per host (against `maxPagesPerHost`).
   */
  resumed?: { started: number; admitted: ReadonlyMap<string, number> };
}

interface HostQueue {
  /** The host key, shared by the entries handed out. */
  host: string;
  slot: HostSlot;
  /** Its queued entries, packed in the frontier's pool. */
  entries: EntryList;
  admitted: number;
  /** Redirect hops waiting for this host's slot. */
  hops: WaitQueue<Disposable> | undefined;
}

/**
 * The in-process frontier, over a {@linkcode UrlQueue}.
 *
 * @example Usage
 * ```ts
 * import { LocalFrontier } from "./local.ts";
 * import assert from "node:assert/strict";
 *
 * const frontier = new LocalFrontier({ perHost: 2, delayMs: 0 });
 * frontier.add({ url: "http://example.org/", depth: 0, parent: null });
 * const entry = await frontier.next();
 * assert.equal(entry?.url, "http://example.org/");
 * frontier.release(entry!);
 * frontier.done(entry!);
 * assert.equal(await frontier.next(), undefined); // idle: the crawl is over
 * ```
 */
export class LocalFrontier implements CrawlFrontier {
  #queue: UrlQueue;
  #window: number;
  #started = 0;
  #durable: boolean;
  #limitReached: PageBudget | undefined;
  #startedHere = 0;
  #maxPagesPerRun: number;
  #admittedBefore: ReadonlyMap<string, number>;
  #maxPages: number;
  #maxPagesPerHost: number;
  #perHost: number;
  #delayMs: number;
  #hosts = new Map<string, HostQueue>();
  /** The entries of every host queue, packed (about 16 bytes plus the URL each). */
  #pool = new EntryPool();
  /** Hosts with queued entries, visited round-robin. */
  #rotation: HostQueue[] = [];
  #cursor = 0;
  /** Retries waiting for their backoff, sorted by due time. */
  #delayed: { at: number; entry: FrontierEntry }[] = [];
  #waiters = new WaitQueue<FrontierEntry | undefined>();
  /** Host queues with redirect hops waiting for their slot. */
  #hopQueues = new Set<HostQueue>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  #queued = 0;
  #fetching = 0;
  #pending = 0;
  #closed = false;

  /**
   * Creates a frontier over a queue (resuming what a durable queue holds).
   *
   * @param limits The crawl's limits and politeness.
   * @param options The queue and the in-memory window.
   * @throws {RangeError} If a limit is not a positive integer or the delay is negative.
   */
  constructor(limits: FrontierLimits, options: LocalFrontierOptions = {}) {
    const what = "create frontier";
    const unlimited = { infinite: true };
    this.#maxPages = checkInteger(what, "maxPages", limits.maxPages ?? Infinity, unlimited);
    this.#maxPagesPerHost = checkInteger(
      what,
      "maxPagesPerHost",
      limits.maxPagesPerHost ?? Infinity,
      unlimited,
    );
    this.#maxPagesPerRun = checkInteger(
      what,
      "maxPagesPerRun",
      limits.maxPagesPerRun ?? Infinity,
      unlimited,
    );
    this.#perHost = checkInteger(what, "perHost", limits.perHost, unlimited);
    this.#delayMs = checkInteger(what, "delayMs", limits.delayMs, { least: 0 });
    this.#queue = options.queue ?? new MemoryQueue(new Set<string>());
    this.#window = checkInteger(what, "window", options.window ?? Infinity, unlimited);
    this.#durable = options.durable ?? false;
    // Entries a durable queue resumes are unfinished work of this crawl too.
    this.#pending = this.#queue.backlog;
    this.#started = options.resumed?.started ?? 0;
    this.#admittedBefore = options.resumed?.admitted ?? new Map();
    // A budget spent by earlier runs leaves nothing to hand out.
    if (this.#started >= this.#maxPages) {
      this.#limitReached = "max_pages";
      this.#closed = true;
    }
    this.#refill();
  }

  /** URLs waiting to be fetched (retries in backoff and the queue's backlog included). */
  get queued(): number {
    return this.#queued + this.#delayed.length + this.#queue.backlog;
  }

  /** URLs handed out by `next()` and not yet released. */
  get fetching(): number {
    return this.#fetching;
  }

  /** URLs queued, fetching or parsing: the joinable queue's unfinished count. */
  get pending(): number {
    return this.#pending;
  }

  /** URLs handed out for a first fetch in the crawl, earlier runs included (what `maxPages` limits). */
  get started(): number {
    return this.#started;
  }

  /** The budget whose first fetches were all handed out (the frontier then closed), if any. */
  get limitReached(): PageBudget | undefined {
    return this.#limitReached;
  }

  /** Whether {@linkcode LocalFrontier.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The crawl's single idle check: nothing queued, nothing fetching, nothing
   * parsing. Every URL is pending from `add()` to `done()`, so one counter
   * covers all three.
   */
  get idle(): boolean {
    return this.#pending === 0;
  }

  /**
   * Whether a URL was already admitted (or marked seen).
   *
   * @param url A normalized URL.
   * @returns `true` if `add()` would refuse it as seen.
   */
  has(url: string): boolean {
    return this.#queue.seen.has(url);
  }

  /**
   * Marks a URL as seen without queuing it (e.g. a redirect target that was
   * fetched under another URL).
   *
   * @param url A normalized URL.
   * @returns `false` if it was already seen.
   */
  markSeen(url: string): boolean {
    if (this.#queue.seen.has(url)) return false;
    this.#queue.seen.add(url);
    return true;
  }

  /**
   * Queues a URL unless it was seen or a limit is reached. An added URL is
   * pending until {@linkcode LocalFrontier.done} is called for it.
   *
   * @param entry The URL (normalized), its depth and its parent.
   * @returns What happened to it.
   */
  add(entry: Omit<FrontierEntry, "attempts" | "host"> & { attempts?: number }): AddOutcome {
    if (this.#closed && !this.#durable) return "closed";
    const seen = this.#queue.seen;
    if (seen.has(entry.url)) return "seen";
    const host = hostKey(entry.url);
    const queue = this.#hostQueue(host);
    if (queue.admitted >= this.#maxPagesPerHost) return "max_pages_per_host";
    seen.add(entry.url);
    queue.admitted++;
    this.#pending++;
    this.#queue.push({ ...entry, attempts: entry.attempts ?? 0, host });
    if (this.#closed) return "closed"; // kept for the next run, not for this one
    this.#refill();
    this.#dispatch();
    return "added";
  }

  /**
   * Takes the next URL whose host is ready: under its concurrency cap and
   * past its delay and pause. Waits while none is; never sleeps while another
   * host could be served.
   *
   * @param options An optional signal that aborts the wait.
   * @returns The entry (call `release()` once its request ended), or
   * `undefined` when the crawl is idle or the frontier closed.
   * @throws The signal's reason if it aborts first.
   */
  next(options: NextOptions = {}): Promise<FrontierEntry | undefined> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#closed || this.#pending === 0) return Promise.resolve(undefined);
    if (this.#waiters.length === 0) {
      const entry = this.#take(performance.now());
      if (entry) return Promise.resolve(entry);
    }
    // An aborted waiter leaves the queue: the timer is re-planned for those left.
    const waiting = this.#waiters.wait({ signal, onAbort: () => this.#schedule() });
    this.#dispatch();
    return waiting;
  }

  /**
   * Ends the request of an entry from `next()`: frees its host slot.
   *
   * @param entry The entry `next()` returned.
   */
  release(entry: FrontierEntry): void {
    const queue = this.#hosts.get(entry.host);
    if (!queue || queue.slot.active === 0) {
      throw new Error(`Cannot release '${entry.url}' as its host has no request in flight`);
    }
    queue.slot.active--;
    this.#fetching--;
    this.#dispatch();
  }

  /**
   * Queues an entry again after a failed attempt; it stays pending.
   * Call it after `release()`.
   *
   * @param entry The entry to retry; its `attempts` should count the failure.
   * @param delayMs How long to wait before it may be fetched again.
   * @returns `false` when the frontier is closed: the caller then records the failure.
   */
  retry(entry: FrontierEntry, delayMs = 0): boolean {
    // Closed with a durable queue: the entry stays unfinished there, and the next run retries it,
    // unless the crawl's whole page budget is spent (no run follows): then it gets its record now.
    if (this.#closed) return this.#durable && this.#limitReached !== "max_pages";
    if (delayMs <= 0) {
      this.#enqueue(this.#hostQueue(entry.host), entry);
    } else {
      const at = performance.now() + delayMs;
      let i = this.#delayed.length;
      while (i > 0 && this.#delayed[i - 1]!.at > at) i--;
      this.#delayed.splice(i, 0, { at, entry });
    }
    this.#dispatch();
    return true;
  }

  /**
   * Takes back, once the frontier is closed, the entries still waiting to be
   * retried: they were fetched and failed, so each still owes a record (its
   * last failure). They stay pending until `done()`. (A durable store keeps
   * them for the next run instead, unless the crawl's `max_pages` is spent:
   * the pipeline then does not ask.)
   *
   * @returns The retries that will not be fetched again.
   */
  takeRetries(): FrontierEntry[] {
    if (!this.#closed) return [];
    const retries = this.#delayed.splice(0).map(({ entry }) => entry);
    for (const queue of this.#rotation) {
      for (const entry of this.#pool.entries(queue.entries, queue.host)) {
        if (entry.attempts > 0) retries.push(entry);
      }
    }
    return retries;
  }

  /**
   * Marks an entry finished (its record written or dropped). When the last
   * pending entry is done the crawl is idle and waiting `next()` calls
   * resolve with `undefined`.
   *
   * @param _entry The finished entry.
   * @throws {RangeError} If more entries are done than were added.
   */
  done(_entry: FrontierEntry): void {
    if (this.#pending === 0) {
      throw new RangeError("Cannot mark entry done as no entry is pending");
    }
    this.#pending--;
    if (this.#pending === 0) this.#dispatch();
  }

  /**
   * Holds the crawl open without a URL, for work that may still add URLs
   * (e.g. reading sitemaps): the frontier is not idle while a hold is live.
   *
   * @returns A handle whose disposal ends the hold; disposing twice throws.
   */
  hold(): Disposable {
    this.#pending++;
    let held = true;
    return {
      [Symbol.dispose]: () => {
        if (!held) throw new Error("Cannot end the hold as it already ended");
        held = false;
        this.#pending--;
        if (this.#pending === 0) this.#dispatch();
      },
    };
  }

  /**
   * Pauses a host (e.g. for `Retry-After`); its queued URLs wait.
   *
   * @param host The host key.
   * @param ms How long, in milliseconds.
   */
  pauseHost(host: string, ms: number): void {
    const slot = this.#hostQueue(host).slot;
    slot.pausedUntil = Math.max(slot.pausedUntil, performance.now() + ms);
    this.#dispatch();
  }

  /**
   * Sets a host's least interval between request starts (e.g. robots.txt
   * `Crawl-delay`).
   *
   * @param host The host key.
   * @param delayMs The interval in milliseconds.
   */
  setHostDelay(host: string, delayMs: number): void {
    this.#hostQueue(host).slot.delayMs = delayMs;
    this.#dispatch();
  }

  /**
   * Takes a host's slot for a redirect hop to it, as `next()` takes one for
   * a URL of the host: it waits until the host has a request slot free and
   * its delay (or pause) since the last request start has passed. Hops are
   * served before queued URLs: they belong to requests already under way.
   *
   * @param host The host key of the redirect target.
   * @param signal Aborts the wait.
   * @returns A handle whose disposal gives the slot back.
   * @throws The signal's reason if it aborts first.
   */
  acquireHost(host: string, signal?: AbortSignal): Promise<Disposable> {
    const queue = this.#hostQueue(host);
    if ((queue.hops?.length ?? 0) === 0) {
      const slot = this.#takeSlot(queue, performance.now());
      if (slot) return Promise.resolve(slot);
    }
    queue.hops ??= new WaitQueue<Disposable>();
    this.#hopQueues.add(queue);
    const waiting = queue.hops.wait({
      signal,
      onAbort: () => {
        if (queue.hops!.length === 0) this.#hopQueues.delete(queue);
        this.#schedule();
      },
    });
    this.#schedule();
    return waiting;
  }

  /**
   * Stops handing out URLs: waiting and later `next()` calls resolve with
   * `undefined`. Used to stop a crawl early (SIGINT, a time limit).
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#dispatch();
  }

  #hostQueue(host: string): HostQueue {
    let queue = this.#hosts.get(host);
    if (!queue) {
      queue = {
        host,
        slot: newHostSlot(this.#perHost, this.#delayMs),
        entries: newEntryList(),
        admitted: this.#admittedBefore.get(host) ?? 0,
        hops: undefined,
      };
      this.#hosts.set(host, queue);
    }
    return queue;
  }

  /**
   * Moves entries from the queue into the in-memory host queues, up to the
   * window, once the host queues run below half of it: a durable queue is read
   * in large batches, not once per URL.
   */
  #refill(): void {
    if (this.#queued > 0 && this.#queued >= this.#window / 2) return;
    while (this.#queued < this.#window && this.#queue.backlog > 0) {
      const batch = this.#queue.take(Math.min(1024, this.#window - this.#queued));
      if (batch.length === 0) break;
      for (const entry of batch) this.#enqueue(this.#hostQueue(entry.host), entry);
    }
  }

  #enqueue(queue: HostQueue, entry: FrontierEntry): void {
    if (queue.entries.length === 0) this.#rotation.push(queue);
    this.#pool.push(queue.entries, entry);
    this.#queued++;
  }

  /** Moves retries whose backoff ended into their host queues. */
  #promoteDelayed(now: number): void {
    while (this.#delayed.length > 0 && this.#delayed[0]!.at <= now) {
      const { entry } = this.#delayed.shift()!;
      this.#enqueue(this.#hostQueue(entry.host), entry);
    }
  }

  /** Hands out the next entry of the first ready host, round-robin. */
  #take(now: number): FrontierEntry | undefined {
    this.#promoteDelayed(now);
    const n = this.#rotation.length;
    for (let k = 0; k < n; k++) {
      const i = (this.#cursor + k) % n;
      const queue = this.#rotation[i]!;
      const slot = queue.slot;
      if (slot.active >= slot.concurrency || slotReadyAt(slot) > now) continue;
      const entry = this.#pool.shift(queue.entries, queue.host)!;
      this.#queued--;
      if (queue.entries.length === 0) {
        this.#rotation.splice(i, 1);
        this.#cursor = n > 1 ? i % (n - 1) : 0;
      } else {
        this.#cursor = (i + 1) % n;
      }
      slot.active++;
      slot.lastStartAt = now;
      this.#fetching++;
      this.#refill();
      if (entry.attempts === 0) {
        this.#started++;
        this.#startedHere++;
        if (this.#started >= this.#maxPages) this.#limitReached = "max_pages";
        else if (this.#startedHere >= this.#maxPagesPerRun) {
          this.#limitReached = "max_pages_per_run";
        }
        if (this.#limitReached) this.#closed = true;
      }
      return entry;
    }
    return undefined;
  }

  /** Takes a host's slot if it is free and ready; the handle gives it back. */
  #takeSlot(queue: HostQueue, now: number): Disposable | undefined {
    const { slot } = queue;
    if (slot.active >= slot.concurrency || slotReadyAt(slot) > now) return undefined;
    slot.active++;
    slot.lastStartAt = now;
    let held = true;
    return {
      [Symbol.dispose]: () => {
        if (!held) throw new Error("Cannot give back the host slot as it was given back already");
        held = false;
        slot.active--;
        this.#dispatch();
      },
    };
  }

  #dispatch(): void {
    const now = performance.now();
    // Redirect hops first: they belong to requests already under way, even past a close.
    for (const queue of this.#hopQueues) {
      while (queue.hops!.length > 0) {
        const slot = this.#takeSlot(queue, now);
        if (!slot) break;
        queue.hops!.shift()!.resolve(slot);
      }
      if (queue.hops!.length === 0) this.#hopQueues.delete(queue);
    }
    if (!this.#closed && this.#pending > 0) {
      // #take() may close the frontier (maxPages): re-check before each hand-out.
      while (this.#waiters.length > 0 && !this.#closed) {
        const entry = this.#take(now);
        if (!entry) break;
        this.#waiters.shift()!.resolve(entry);
      }
    }
    if (this.#closed || this.#pending === 0) {
      for (const waiter of this.#waiters.drain()) waiter.resolve(undefined);
    }
    this.#schedule();
  }

  /**
   * Arms one timer for the earliest moment a waiter could be served by the
   * passage of time alone (a delay, a pause or a retry backoff ending).
   * Hosts blocked only by their concurrency wake on `release()` instead.
   */
  #schedule(): void {
    let at = Infinity;
    if (this.#waiters.length > 0 && !this.#closed && this.#pending > 0) {
      at = this.#delayed[0]?.at ?? Infinity;
      for (const queue of this.#rotation) {
        if (queue.slot.active < queue.slot.concurrency) at = Math.min(at, slotReadyAt(queue.slot));
      }
    }
    for (const { slot } of this.#hopQueues) {
      if (slot.active < slot.concurrency) at = Math.min(at, slotReadyAt(slot));
    }
    if (at === this.#timerAt) return;
    this.#clearTimer();
    if (at === Infinity) return;
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.#dispatch();
    }, Math.min(2_147_483_647, Math.max(0, Math.ceil(at - performance.now()))));
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }
}
