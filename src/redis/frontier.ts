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
 * Round trips are shared (`group_commit.ts`): what the process has for
 * Redis (released slots, finished records, new URLs, a lease request) waits
 * while its previous call is in flight and goes out in one call of the
 * job's sync script, which applies it in that order, so a lease sees the
 * slots and URLs just freed and added. (A second call in flight for lease
 * requests alone made more calls and was no faster on the benchmark.)
 *
 * Waiting never polls: see `lease_pump.ts`.
 *
 * @module
 */

import { FingerprintSet } from "../frontier/fingerprint_set.ts";
import type {
  AddOutcome,
  CrawlFrontier,
  FrontierEntry,
  NextOptions,
  PageBudget,
} from "../frontier/types.ts";
import { hostKey } from "../frontier/host_slot.ts";
import type { CrawlRecord } from "../output/record.ts";
import { recordJson } from "../output/record_json.ts";
import { WaitQueue } from "../async/wait_queue.ts";
import { LeaseKeeper } from "./lease_keeper.ts";
import { LeasePump } from "./lease_pump.ts";
import { GroupCommit } from "./group_commit.ts";
import type { AddItem, FinishItem, JobScripts, LeaseResult } from "./scripts.ts";
import type { JobSettings } from "./job_settings.ts";

/** Where an entry handed out by {@linkcode RedisFrontier.next} keeps its lease token. */
export const LEASE: unique symbol = Symbol("redis lease");

/** A frontier entry holding a lease (the token survives `{ ...entry }`). */
export type LeasedEntry = FrontierEntry & { [LEASE]?: string };

/** The events of a connection the frontier listens to (an ioredis client has them). */
export interface RedisEvents {
  /** Adds a listener (`ready` after a reconnect, `message` for pub/sub). */
  on(event: "ready" | "message", listener: () => void): unknown;
  /** Removes a listener. */
  off(event: "ready" | "message", listener: () => void): unknown;
}

/** What {@linkcode RedisFrontier} works with. */
export interface RedisFrontierDeps {
  /** The job's scripts, on the command connection. */
  scripts: JobScripts;
  /** The job's settings (from {@linkcode JobScripts.init}). */
  settings: JobSettings;
  /** The command connection (its `ready` event means: re-check after a reconnect). */
  client: RedisEvents;
  /** A connection subscribed to the job's channel (`<prefix>ev`). */
  subscriber: RedisEvents;
  /** Rewrites connection failures into clear errors. */
  explain?: (error: unknown) => unknown;
  /** Most first fetches this process may take (its `maxPagesPerRun`); unlimited when absent. */
  maxPagesPerRun?: number;
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

/** Most items (releases, finishes, URLs, lease requests) per sync call. */
const SYNC_BATCH = 256;

/** One thing for the next sync call; answered with a boolean, an outcome or a lease result. */
type SyncItem =
  | { release: string }
  | { finish: FinishItem }
  | { add: AddItem }
  | { lease: number };
type SyncAnswer = boolean | AddOutcome | LeaseResult;

/** What the lease keeper holds for a redirect hop's host slot (no entry to give back). */
const HOP_SLOT = "hop slot";

/** The add script's answers, by number. */
const OUTCOMES: AddOutcome[] = ["seen", "added", "max_pages_per_host", "closed"];

/**
 * The JSON of a queued entry: `attempts` first so the lease script can spot
 * first fetches; no `host`, which the queue's key already says.
 */
function entryJson(entry: FrontierEntry): string {
  const { attempts, url, depth, parent, extra } = entry;
  return JSON.stringify({ attempts, url, depth, parent, extra });
}

/**
 * The Redis-backed frontier of one process in a shared job. A job opens it
 * (`RedisJob.openFrontier()` in `job.ts`).
 *
 * @example Usage
 * Not run as a test: it needs a Redis server.
 *
 * ```ts ignore
 * import { connectJob } from "./job.ts";
 * const job = await connectJob("redis://127.0.0.1:6379/0", "shop");
 * const frontier = await job.openFrontier({ perHost: 2, delayMs: 0 });
 * await job.close();
 * ```
 */
export class RedisFrontier implements CrawlFrontier {
  /** Admissions and finishes are calls to Redis: the parse stage overlaps them. */
  readonly roundTrips = true;
  /** A local cache of URLs known seen, for the fast `has()` pre-check. */
  readonly seen: FingerprintSet = new FingerprintSet();
  #deps: RedisFrontierDeps;
  #pump: LeasePump;
  #keeper: LeaseKeeper;
  #fetching = 0;
  #startedHere = 0;
  #ops = new Set<Promise<unknown>>();
  #sync: GroupCommit<SyncItem, SyncAnswer>;
  #stats: RedisFrontierStats = { leased: 0, finished: 0, lost: 0 };
  /** Redirect hops waiting for a host slot: woken by the job's events. */
  #hopWaiters = new WaitQueue<void>();
  #onEvent = () => {
    this.#pump.wake();
    for (const waiter of this.#hopWaiters.drain()) waiter.resolve();
  };

  /**
   * Creates the frontier over a connected job.
   *
   * @param deps The job's scripts, settings and connections.
   */
  constructor(deps: RedisFrontierDeps) {
    this.#deps = deps;
    const { scripts, settings } = deps;
    this.#keeper = new LeaseKeeper({
      extend: (tokens) => scripts.extend(tokens),
      leaseMs: settings.leaseMs,
      onError: (error) => this.#fail(error),
    });
    this.#pump = new LeasePump({
      lease: (n) => this.#sync.push({ lease: n }) as Promise<LeaseResult>,
      handOut: (token, json) => {
        const parsed = JSON.parse(json);
        this.#stats.leased++;
        this.#fetching++;
        if (parsed.attempts === 0) this.#startedHere++;
        this.#keeper.keep(token, json);
        return { ...parsed, host: hostKey(parsed.url), [LEASE]: token } as LeasedEntry;
      },
      giveBack: (token, json) => this.#background(scripts.requeue(token, 0, json, true)),
      maxWaitMs: settings.leaseMs / 2,
      remaining: deps.maxPagesPerRun === undefined
        ? undefined
        : () => deps.maxPagesPerRun! - this.#startedHere,
    });
    this.#sync = new GroupCommit((items) => this.#call(this.#send(items)), SYNC_BATCH);
    deps.subscriber.on("message", this.#onEvent);
    deps.client.on("ready", this.#onEvent);
  }

  /** URLs queued in the whole job, as of the last answer from Redis. */
  get queued(): number {
    return this.#pump.queued;
  }

  /** This process's requests in flight. */
  get fetching(): number {
    return this.#fetching;
  }

  /** The budget reached: the job's `maxPages`, or this process's `maxPagesPerRun`. */
  get limitReached(): PageBudget | undefined {
    return this.#pump.limitReached;
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
   * Queues a URL in the job unless seen; calls made while the previous sync
   * call is in flight share the next round trip. Also once this process
   * takes no more work (stopped, or its `maxPagesPerRun` spent): the job
   * goes on without it, and the links of the pages it still finishes are
   * the job's (Redis answers `closed` when the job itself reached
   * `maxPages`).
   *
   * @param entry The URL (normalized), its depth and its parent.
   * @returns What happened to it.
   */
  add(
    entry: Omit<FrontierEntry, "attempts" | "host"> & { attempts?: number },
  ): Promise<AddOutcome> {
    const full = { ...entry, attempts: entry.attempts ?? 0, host: hostKey(entry.url) };
    const add = { url: full.url, host: full.host, entry: entryJson(full) };
    return this.#sync.push({ add }) as Promise<AddOutcome>;
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
    return this.#pump.take(options.signal);
  }

  /**
   * Frees the entry's host slot, job-wide (with the next sync call: see
   * {@linkcode RedisFrontier.finish}).
   *
   * @param entry An entry from `next()`.
   * @throws {Error} If the entry holds no lease.
   */
  release(entry: FrontierEntry): void {
    this.#fetching--;
    this.#background(this.#sync.push({ release: this.#token(entry) }));
  }

  /**
   * Queues an entry again (its lease ends).
   *
   * @param entry The entry, `attempts` counted up.
   * @param delayMs Backoff before it may be leased again.
   * @returns `false` when closed: the caller records the failure.
   */
  retry(entry: FrontierEntry, delayMs = 0): boolean {
    if (this.#pump.closed) return false;
    const token = this.#token(entry);
    this.#keeper.drop(token);
    this.#background(this.#deps.scripts.requeue(token, delayMs, entryJson(entry), false));
    return true;
  }

  /**
   * Returns none: retries wait in Redis, where the job's other processes (or
   * the next one to join) make them.
   *
   * @returns An empty list.
   */
  takeRetries(): FrontierEntry[] {
    return [];
  }

  /**
   * Appends the entry's record to the job and ends its lease, atomically.
   * The store calls this. Releases, finishes and adds made while the
   * previous sync call is in flight go out together in the next one.
   *
   * @param entry An entry from `next()`.
   * @param record Its record, or `undefined` for a skip.
   * @returns `false` if the lease had been taken over: nothing was appended.
   */
  async finish(entry: FrontierEntry, record: CrawlRecord | undefined): Promise<boolean> {
    const token = this.#token(entry);
    const ok = record !== undefined && !record.error && record.status !== null &&
      record.status >= 200 && record.status < 300;
    const finished = this.#sync.push({
      finish: {
        token,
        record: record ? recordJson(record) : "",
        ok,
        error: record?.error ?? "",
        bytes: record?.bytes ?? 0,
      },
    }) as Promise<boolean>;
    this.#track(finished);
    const kept = await finished;
    this.#keeper.drop(token);
    this.#stats[kept ? "finished" : "lost"]++;
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
      this.#keeper.keep(t, undefined);
      return t;
    });
    this.#background(token);
    let held = true;
    return {
      [Symbol.dispose]: () => {
        if (!held) throw new Error("Cannot end the hold as it already ended");
        held = false;
        this.#background(token.then((t) => {
          this.#keeper.drop(t);
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

  /**
   * Takes a host's slot for a redirect hop, job-wide: the hop waits, like a
   * queued URL of that host, for a free slot and the host's delay. The slot
   * is a lease of its own, extended while held and reclaimed if this process
   * dies. Waiting never polls: a slot given back anywhere publishes an event;
   * a timer covers the host's delay (and, at most half a lease, a missed event).
   *
   * @param host The redirect target's host key.
   * @param signal Aborts the wait.
   * @returns A handle whose disposal gives the slot back.
   * @throws The signal's reason, or a Redis failure.
   */
  async acquireHost(host: string, signal?: AbortSignal): Promise<Disposable> {
    const { scripts, settings } = this.#deps;
    for (;;) {
      signal?.throwIfAborted();
      if (this.#pump.failure) throw this.#pump.failure;
      // Listening before asking: an event between the answer and the wait is not missed.
      const stop = new AbortController();
      const woken = this.#hopWaiters.wait({
        signal: signal ? AbortSignal.any([signal, stop.signal]) : stop.signal,
      });
      woken.catch(() => {});
      let answer;
      try {
        answer = await this.#call(scripts.hop(host));
      } catch (error) {
        stop.abort();
        throw error;
      }
      if (answer.token !== undefined) {
        stop.abort();
        return this.#hopSlot(answer.token);
      }
      const untilReady = answer.readyAt === undefined ? Infinity : answer.readyAt - answer.now + 1;
      const timer = setTimeout(() => stop.abort(), Math.min(untilReady, settings.leaseMs / 2));
      try {
        await woken;
      } catch (error) {
        if (signal?.aborted || this.#pump.failure) throw error;
      } finally {
        clearTimeout(timer);
      }
    }
  }

  #hopSlot(token: string): Disposable {
    this.#keeper.keep(token, HOP_SLOT);
    let held = true;
    return {
      [Symbol.dispose]: () => {
        if (!held) throw new Error("Cannot give back the host slot as it was given back already");
        held = false;
        this.#keeper.drop(token);
        this.#background(this.#deps.scripts.hopEnd(token));
      },
    };
  }

  /** Stops this process taking URLs; other processes go on. */
  close(): void {
    this.#pump.close();
  }

  /**
   * Waits for every call sent in the background (releases, retries, holds).
   *
   * @returns A promise that resolves when they are answered.
   * @throws The first Redis failure, if any.
   */
  async settled(): Promise<void> {
    while (this.#ops.size > 0) await Promise.allSettled([...this.#ops]);
    if (this.#pump.failure) throw this.#pump.failure;
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
    this.#keeper.stop();
    this.#deps.subscriber.off("message", this.#onEvent);
    this.#deps.client.off("ready", this.#onEvent);
    if (this.#pump.failure) return;
    const { scripts } = this.#deps;
    await Promise.allSettled(
      this.#keeper.entries.map(([token, json]) =>
        json === undefined
          ? scripts.unhold(token)
          : json === HOP_SLOT
          ? scripts.hopEnd(token)
          : scripts.requeue(token, 0, json, true)
      ),
    );
    await scripts.forget().catch(() => {});
  }

  #token(entry: FrontierEntry): string {
    const token = (entry as LeasedEntry)[LEASE];
    if (token === undefined) throw new Error(`Cannot use '${entry.url}' as it holds no lease`);
    return token;
  }

  /** One sync call for a batch: releases, finishes, adds, then the lease requests. */
  async #send(items: SyncItem[]): Promise<SyncAnswer[]> {
    const releases: string[] = [];
    const finishes: FinishItem[] = [];
    const adds: AddItem[] = [];
    let lease = 0;
    for (const item of items) {
      if ("release" in item) releases.push(item.release);
      else if ("finish" in item) finishes.push(item.finish);
      else if ("add" in item) adds.push(item.add);
      else lease += item.lease;
    }
    const result = await this.#deps.scripts.sync({ releases, finishes, adds, lease });
    this.#pump.queued = result.lease.queued;
    // The leases go to the lease requests in order (the pump sends one at a time).
    let leases = result.lease.leases;
    let finished = 0, added = 0;
    const answers = items.map((item): SyncAnswer => {
      if ("release" in item) return true;
      if ("finish" in item) return result.finished[finished++]!;
      if ("add" in item) {
        const outcome = OUTCOMES[result.outcomes[added++]!]!;
        if (outcome === "added" || outcome === "seen") this.seen.add(item.add.url);
        return outcome;
      }
      const mine = leases.slice(0, item.lease);
      leases = leases.slice(item.lease);
      return { ...result.lease, leases: mine };
    });
    // Slots freed or URLs added may let a waiting next() lease, unless this call leased after them.
    if (lease === 0 && items.length > 0) this.#pump.wake();
    return answers;
  }

  /** Counts a call in {@linkcode RedisFrontier.settled} without taking its failure (the caller does). */
  #track(promise: Promise<unknown>): void {
    const op = promise.catch(() => {});
    this.#ops.add(op);
    op.finally(() => this.#ops.delete(op));
  }

  #background(promise: Promise<unknown>): void {
    const op = promise.then(() => this.#pump.wake(), (error) => this.#fail(error));
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
    this.#keeper.stop();
    const explained = this.#deps.explain?.(error) ?? error;
    this.#pump.fail(explained);
    for (const waiter of this.#hopWaiters.drain()) waiter.reject(explained);
  }
}
