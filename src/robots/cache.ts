/**
 * The crawl's robots.txt per origin: {@linkcode RobotsCache} fetches each
 * origin's file once (`fetch.ts`) and keeps its rules
 * (`rules.ts`) for the crawl, optionally sharing them with other
 * processes through a {@linkcode RobotsStore}.
 *
 * @module
 */

import { abortable } from "../async/abortable.ts";
import { ALLOW_ALL, parseRobots } from "./rules.ts";
import { fetchRobots, type RobotsResult } from "./fetch.ts";
import type { ExchangeRecorder, HopCheck } from "../http/request.ts";
import type { HttpClient } from "../http/client.ts";

/** A robots.txt result as a shared cache keeps it: plain data, parsed again on load. */
export interface StoredRobots {
  /** The policy. */
  kind: "parsed" | "allow_all";
  /** The robots.txt URL read (after redirects). */
  url: string;
  /** Its HTTP status. */
  status: number | null;
  /** Why the policy is `allow_all`. */
  reason?: string;
  /** The bytes read, for `parsed`. */
  body?: Uint8Array;
}

/**
 * Where several crawler processes share their robots.txt results (one
 * fetch per origin per job). Unreachable results are not shared: each
 * process retries those itself.
 */
export interface RobotsStore {
  /** The stored result for an origin, if any. */
  get(origin: string): Promise<StoredRobots | undefined>;
  /** Stores a result for an origin. */
  set(origin: string, value: StoredRobots): Promise<void>;
}

/** Options for {@linkcode RobotsCache}. */
export interface RobotsCacheOptions {
  /** Sent as the User-Agent header; its product token selects the group. */
  userAgent: string;
  /** Deadline for each robots.txt fetch, in ms. */
  timeoutMs: number;
  /**
   * How long an unreachable origin (`disallow_all`) stays cached before the
   * next `get()` fetches it again, in ms. Default 60 000.
   */
  retryAfterMs?: number;
  /** The crawl's signal: aborting it aborts the fetches in flight. */
  signal?: AbortSignal;
  /**
   * Checks each robots.txt URL and redirect target before it is requested
   * (e.g. the address guard); a refused origin is unreachable (`disallow_all`).
   */
  checkHop?: HopCheck;
  /** Archives each robots.txt exchange (`warc`). */
  recorder?: ExchangeRecorder;
  /** A cache shared with other processes of the same crawl, consulted before fetching. */
  shared?: RobotsStore;
  /** The HTTP client to send with (the crawl's connections, its proxy); default: `fetch()` alone. */
  client?: HttpClient;
}

/** Options for {@linkcode RobotsCache.get}. */
export interface RobotsGetOptions {
  /** Aborting it stops this caller's wait only; the shared fetch goes on. */
  signal?: AbortSignal;
}

interface CacheEntry {
  promise: Promise<RobotsResult>;
  /** Set once settled with `disallow_all`: when a retry becomes due. */
  retryAt?: number;
}

/**
 * The crawl's robots.txt per origin: fetched once, shared by concurrent
 * callers, kept for the crawl. An unreachable origin is fully disallowed
 * until a retry, made by the first `get()` after `retryAfterMs`, succeeds.
 *
 * @example Usage
 * ```ts
 * import { RobotsCache } from "./cache.ts";
 * import assert from "node:assert/strict";
 *
 * let fetches = 0;
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
 *   fetches++;
 *   return new Response("User-agent: *\nDisallow: /private/\nCrawl-delay: 2\n");
 * });
 * const origin = `http://127.0.0.1:${server.addr.port}`;
 * const cache = new RobotsCache({ userAgent: "deno-crawler/0.1", timeoutMs: 10_000 });
 * const { robots } = await cache.get(origin);
 * assert.equal(robots.isAllowed(`${origin}/private/page`), false);
 * assert.equal(robots.crawlDelayMs, 2000);
 * await cache.get(`${origin}/any/path`); // same origin: from the cache
 * assert.equal(fetches, 1);
 * ```
 */
export class RobotsCache {
  #entries = new Map<string, CacheEntry>();
  #options: RobotsCacheOptions;
  #retryAfterMs: number;

  /**
   * Creates an empty cache.
   *
   * @param options User-Agent, fetch deadline, retry interval and crawl signal.
   * @throws {RangeError} If `timeoutMs` is not positive or `retryAfterMs` is negative.
   */
  constructor(options: RobotsCacheOptions) {
    if (!(options.timeoutMs > 0)) {
      throw new RangeError(
        `Cannot create robots cache as 'timeoutMs' must be a positive number: received ${options.timeoutMs}`,
      );
    }
    this.#retryAfterMs = options.retryAfterMs ?? 60_000;
    if (!(this.#retryAfterMs >= 0)) {
      throw new RangeError(
        `Cannot create robots cache as 'retryAfterMs' must be a non-negative number: received ${this.#retryAfterMs}`,
      );
    }
    this.#options = options;
  }

  /**
   * The robots.txt result for an origin, fetching it if not cached, or if
   * cached as unreachable for `retryAfterMs` or longer.
   *
   * @param origin An http(s) URL; only its origin counts.
   * @param options A signal that stops this caller's wait.
   * @returns The result shared by every caller for that origin.
   * @throws {TypeError} If `origin` is not an http(s) URL.
   * @throws The caller's or the crawl's signal reason when either aborts.
   */
  get(origin: string, options: RobotsGetOptions = {}): Promise<RobotsResult> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const url = URL.parse(origin);
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
      return Promise.reject(
        new TypeError(
          `Cannot get robots.txt as 'origin' must be an http(s) URL: received ${origin}`,
        ),
      );
    }
    const key = url.origin;
    let entry = this.#entries.get(key);
    if (!entry || (entry.retryAt !== undefined && performance.now() >= entry.retryAt)) {
      entry = this.#fetch(key);
    }
    return signal ? abortable(entry.promise, signal) : entry.promise;
  }

  #fetch(key: string): CacheEntry {
    const { userAgent, timeoutMs, signal, checkHop, shared, client, recorder } = this.#options;
    const load = async (): Promise<RobotsResult> => {
      // A shared cache that fails is only a missed saving: fetch as if it were not there.
      const stored = await shared?.get(key).catch(() => undefined);
      if (stored) {
        const robots = stored.kind === "parsed"
          ? parseRobots(stored.body ?? new Uint8Array(), userAgent, { baseUrl: stored.url })
          : ALLOW_ALL;
        return { ...stored, robots };
      }
      const result = await fetchRobots(key, {
        userAgent,
        timeoutMs,
        signal,
        checkHop,
        client,
        recorder,
      });
      if (shared && result.kind !== "disallow_all") {
        const { robots: _, ...value } = result;
        await shared.set(key, value as StoredRobots).catch(() => {});
      }
      return result;
    };
    const entry: CacheEntry = { promise: load() };
    this.#entries.set(key, entry);
    entry.promise.then(
      (result) => {
        if (result.kind === "disallow_all") entry.retryAt = performance.now() + this.#retryAfterMs;
      },
      // Only the crawl being aborted rejects: forget the entry, cache nothing.
      () => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      },
    );
    return entry;
  }
}
