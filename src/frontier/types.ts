/**
 * What the crawl pipeline needs of a frontier ({@linkcode CrawlFrontier}),
 * the limits it applies ({@linkcode FrontierLimits}), and the entries, seen
 * sets and queues frontiers and stores share. The in-process frontier is
 * `local.ts`; `../redis/frontier.ts` is shared by processes.
 *
 * @module
 */

import type { ErrorCode } from "../output/record.ts";

/** A URL in the frontier. */
export interface FrontierEntry {
  /** The normalized absolute URL. */
  url: string;
  /** Links followed from a seed to reach it (seeds are 0). */
  depth: number;
  /** The page it was found on, or `null` for a seed. */
  parent: string | null;
  /** Fetch attempts already made. */
  attempts: number;
  /** The politeness key (`host:port`). */
  host: string;
  /** Anything the caller wants to carry along (e.g. a sitemap's lastmod). */
  extra?: Record<string, string>;
  /** Why the last attempt failed, for an entry queued again to be retried. */
  failure?: { status: number | null; error: ErrorCode; message?: string };
}

/**
 * What {@linkcode CrawlFrontier.add} did with a URL: queued it (`added`), or
 * why not (`seen` before, its host's `max_pages_per_host` reached, or the
 * frontier `closed`).
 */
export type AddOutcome = "added" | "seen" | "max_pages_per_host" | "closed";

/** A set of seen keys; the in-memory default is a `Set<string>`. */
export interface SeenSet {
  /** Whether `key` was seen. */
  has(key: string): boolean;
  /** Marks `key` seen. */
  add(key: string): unknown;
}

/**
 * The crawl's limits a frontier applies: its slice of the crawl options
 * (each default is the options schema's).
 */
export interface FrontierLimits {
  /**
   * Most URLs handed out for a first fetch in the whole crawl (every run of
   * a durable one); `undefined` is unlimited.
   */
  maxPages?: number;
  /** Most URLs handed out for a first fetch by this process; `undefined` is unlimited. */
  maxPagesPerRun?: number;
  /** Most URLs admitted per host; `undefined` is unlimited. */
  maxPagesPerHost?: number;
  /** Most requests in flight per host. */
  perHost: number;
  /** Least interval between request starts to one host, in ms. */
  delayMs: number;
}

/**
 * A seen set and a FIFO queue of entries: what a store keeps for the
 * in-process frontier (`local.ts`), which applies the crawl's limits and
 * per-host politeness over it.
 */
export interface UrlQueue {
  /** Every URL ever admitted, for dedupe. */
  readonly seen: SeenSet;
  /** Entries stored and not yet taken (resumed ones included). */
  readonly backlog: number;
  /**
   * Stores a newly admitted entry (already marked seen).
   *
   * @param entry The entry.
   */
  push(entry: FrontierEntry): void;
  /**
   * Takes up to `limit` entries not taken yet, oldest first.
   *
   * @param limit How many at most.
   * @returns The entries.
   */
  take(limit: number): FrontierEntry[];
}

/** Which page budget closed a frontier. */
export type PageBudget = "max_pages" | "max_pages_per_run";

/** Options for {@linkcode CrawlFrontier.next}. */
export interface NextOptions {
  /** Aborting it stops the wait; `next()` rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * What the pipeline needs of a frontier: the URL queue with dedupe, limits,
 * per-host politeness and the crawl's unfinished-work count. The in-process
 * one runs over a {@linkcode UrlQueue}; one shared by several processes
 * (Redis) implements the same, answering `add()` and `markSeen()`
 * asynchronously.
 */
export interface CrawlFrontier {
  /**
   * `true` when admissions and finishes are answered over the network (a
   * frontier shared by processes): the parse stage then keeps several pages
   * between their parse and their finish, so their round trips overlap and
   * share calls. Absent or `false` for a frontier in this process.
   */
  readonly roundTrips?: boolean;
  /** URLs waiting to be fetched. */
  readonly queued: number;
  /** Requests in flight (handed out by `next()`, not released). */
  readonly fetching: number;
  /** The budget whose first fetches were all handed out (the frontier then closed), if any. */
  readonly limitReached: PageBudget | undefined;
  /**
   * A fast, local pre-check: `true` means surely seen; `false` may still be
   * refused by `add()` (e.g. seen by another process).
   */
  has(url: string): boolean;
  /** Marks a URL seen without queuing it; `false` if it already was. */
  markSeen(url: string): boolean | Promise<boolean>;
  /**
   * Queues a URL unless seen or refused by a limit; the authoritative dedupe.
   * The URL counts as queued from the call, even when the answer comes later:
   * a finish (through the store) called after it is applied no earlier than
   * it (in the same atomic step or a later one), and never if it fails. Only
   * finishes are ordered so; other calls are not.
   */
  add(
    entry: Omit<FrontierEntry, "attempts" | "host"> & { attempts?: number },
  ): AddOutcome | Promise<AddOutcome>;
  /** The next URL whose host is ready, or `undefined` once the crawl is over. */
  next(options?: NextOptions): Promise<FrontierEntry | undefined>;
  /** Ends an entry's request: frees its host slot. */
  release(entry: FrontierEntry): void;
  /**
   * Takes a host's per-host slot for a redirect hop to it, waiting for a
   * free slot and the host's delay as a queued URL would.
   *
   * @param host The redirect target's host key.
   * @param signal Aborts the wait.
   * @returns A handle whose disposal gives the slot back.
   */
  acquireHost(host: string, signal?: AbortSignal): Promise<Disposable>;
  /** Queues an entry again after a transient failure; `false` when closed. */
  retry(entry: FrontierEntry, delayMs?: number): boolean;
  /**
   * Once closed, takes back the entries waiting for a retry that will not be
   * made in this run: each was fetched and failed, so it still owes a record
   * (its last failure). The pipeline asks only when its store is not
   * durable; a frontier whose retries wait elsewhere (Redis) returns none.
   */
  takeRetries(): FrontierEntry[];
  /** Marks an entry finished (its record handed to the store). */
  done(entry: FrontierEntry): void;
  /** Holds the crawl open without a URL (e.g. while reading sitemaps). */
  hold(): Disposable;
  /** Pauses a host (e.g. for `Retry-After`). */
  pauseHost(host: string, ms: number): void;
  /** Sets a host's least interval between request starts (e.g. `Crawl-delay`). */
  setHostDelay(host: string, delayMs: number): void;
  /** Stops handing out URLs. */
  close(): void;
}
