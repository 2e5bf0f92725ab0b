/**
 * robots.txt per RFC 9309: parsing, group selection by product token,
 * longest-match rules with `*` and `$`, the fetch policy for each status
 * class, and a per-crawl cache.
 *
 * Written here rather than taken from npm `robots-parser` 3.0.1, which drops
 * lines without a colon, does not decode percent-escaped unreserved
 * characters, leaves relative sitemap URLs relative, has no size cap and does
 * not implicitly allow `/robots.txt`.
 *
 * @module
 */

import { classifyFetchError } from "./fetch_error.ts";
import { deadline } from "./deadline.ts";

/** The most bytes of a robots.txt considered (500 KiB); the rest is ignored. */
export const ROBOTS_MAX_BYTES = 512_000;
/** The most redirects followed to reach a robots.txt. */
export const ROBOTS_MAX_REDIRECTS = 5;

/** The rules of one robots.txt for one crawler. */
export interface Robots {
  /**
   * Whether the crawler may fetch a URL. Only the path and query count: the
   * caller checks that the URL is on the origin the robots.txt came from.
   *
   * @param url An absolute URL.
   * @returns `false` if the longest matching rule is a `Disallow`, else `true`.
   * @throws {TypeError} If `url` is not an absolute URL.
   */
  isAllowed(url: string | URL): boolean;
  /** The selected group's `Crawl-delay` in ms, if it set a valid one. */
  readonly crawlDelayMs: number | undefined;
  /** Every `Sitemap:` URL in the file, whatever the group, absolute and deduplicated. */
  readonly sitemaps: readonly string[];
}

/** Options for {@linkcode parseRobots}. */
export interface ParseRobotsOptions {
  /** The robots.txt URL, to resolve relative `Sitemap:` URLs; without it they are dropped. */
  baseUrl?: string | URL;
}

interface Rule {
  /** Normalized: `*` is a wildcard, a final `$` the end anchor, all else literal. */
  pattern: string;
  allow: boolean;
}

interface Group {
  specific: boolean;
  global: boolean;
  rules: Rule[];
  crawlDelayMs?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder(); // Replaces invalid UTF-8 rather than throwing.
const HEX = "0123456789ABCDEF";
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
const TOKEN = /^[A-Za-z_-]+/;
// Characters the URL parser escapes in some URL parts but not others: always
// escaped here, on both sides, so a raw pattern matches an escaped URL.
const ALWAYS_ESCAPED = new Set(['"', "'", "<", ">", "`", "{", "}"]);

/**
 * Brings a pattern or a URL path to one form (RFC 9309 section 2.2.2):
 * escapes of unreserved characters decoded, other escapes upper-cased,
 * non-ASCII and unsafe ASCII UTF-8 percent-encoded. In a URL `*` and `$` are
 * data, so they are escaped; in a pattern only `$` (the caller strips a final
 * anchor first).
 */
function normalize(text: string, isUrl: boolean): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    const code = char.charCodeAt(0);
    const hex = text.slice(i + 1, i + 3);
    if (char === "%" && /^[0-9a-fA-F]{2}$/.test(hex)) {
      const decoded = String.fromCharCode(parseInt(hex, 16));
      out += UNRESERVED.test(decoded) ? decoded : `%${hex.toUpperCase()}`;
      i += 2;
    } else if (
      code <= 0x20 || code >= 0x7f || ALWAYS_ESCAPED.has(char) || char === "$" ||
      (isUrl && char === "*")
    ) {
      const point = String.fromCodePoint(text.codePointAt(i)!);
      i += point.length - 1;
      for (const byte of encoder.encode(point)) out += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
    } else {
      out += char;
    }
  }
  return out;
}

function normalizePattern(value: string): string {
  const anchored = value.endsWith("$");
  return normalize(anchored ? value.slice(0, -1) : value, false) + (anchored ? "$" : "");
}

/** Google's linear-time matcher: tracks every path offset the pattern so far can end at. */
function matches(path: string, pattern: string): boolean {
  if (!pattern.includes("*") && !pattern.endsWith("$")) return path.startsWith(pattern);
  let ends = [0];
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === "$" && i === pattern.length - 1) return ends.at(-1) === path.length;
    if (char === "*") {
      const from = ends[0]!;
      ends = Array.from({ length: path.length - from + 1 }, (_, k) => from + k);
    } else {
      ends = ends.filter((end) => path[end] === char).map((end) => end + 1);
      if (ends.length === 0) return false;
    }
  }
  return true;
}

class RobotsRules implements Robots {
  readonly #rules: readonly Rule[];
  readonly crawlDelayMs: number | undefined;
  readonly sitemaps: readonly string[];

  constructor(rules: readonly Rule[], crawlDelayMs?: number, sitemaps: readonly string[] = []) {
    this.#rules = rules;
    this.crawlDelayMs = crawlDelayMs;
    this.sitemaps = sitemaps;
  }

  isAllowed(url: string | URL): boolean {
    const parsed = typeof url === "string" ? URL.parse(url) : url;
    if (!parsed) {
      throw new TypeError(
        `Cannot check robots.txt rules as 'url' must be an absolute URL: received ${url}`,
      );
    }
    // RFC 9309 section 2.2.2: the robots.txt URI is implicitly allowed.
    if (parsed.pathname === "/robots.txt") return true;
    const path = normalize(parsed.pathname + parsed.search, true);
    let best: Rule | undefined;
    for (const rule of this.#rules) {
      const longer = !best || rule.pattern.length > best.pattern.length;
      const tieToAllow = best && rule.pattern.length === best.pattern.length && rule.allow;
      if ((longer || tieToAllow) && matches(path, rule.pattern)) best = rule;
    }
    return best?.allow ?? true;
  }
}

/**
 * The RFC 9309 product token of a User-Agent: its leading run of letters,
 * `-` and `_`.
 *
 * @param userAgent The crawler's User-Agent header.
 * @returns The token as written, or `""` when the header does not start with one.
 *
 * @example Usage
 * ```ts
 * import { productToken } from "./robots.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(productToken("deno-crawler/0.1 (+https://example.org/bot)"), "deno-crawler");
 * ```
 */
export function productToken(userAgent: string): string {
  return TOKEN.exec(userAgent.trim())?.[0] ?? "";
}

/** The first 500 KiB as text; a line cut by the limit is dropped, not read as a shorter rule. */
function limitedText(body: string | Uint8Array): string {
  // A leading BOM needs no care: TextDecoder drops it, and so does trim() on the first line.
  if (typeof body === "string" && body.length * 3 <= ROBOTS_MAX_BYTES) return body;
  let bytes = typeof body === "string" ? encoder.encode(body) : body;
  if (bytes.byteLength > ROBOTS_MAX_BYTES) {
    bytes = bytes.subarray(0, ROBOTS_MAX_BYTES);
    bytes = bytes.subarray(0, Math.max(bytes.lastIndexOf(0x0a), bytes.lastIndexOf(0x0d)) + 1);
  }
  return decoder.decode(bytes);
}

/** Splits `key: value`, or Google's `key value` when the colon was forgotten. */
function keyValue(line: string): [string, string] | undefined {
  const colon = line.indexOf(":");
  if (colon !== -1) {
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
  }
  const parts = line.split(/[ \t]+/);
  return parts.length === 2 ? [parts[0]!.toLowerCase(), parts[1]!] : undefined;
}

/**
 * Parses a robots.txt and selects the rules for one crawler: the groups
 * whose `User-agent` matches its product token (case-insensitively), merged,
 * or else the `*` groups, merged; with no such group everything is allowed.
 * Merged groups keep the largest `Crawl-delay`. Only the first
 * {@linkcode ROBOTS_MAX_BYTES} bytes count.
 *
 * @param body The file, as text or as the bytes served (UTF-8).
 * @param userAgent The crawler's User-Agent; only its product token is used.
 * @param options The robots.txt URL, for relative sitemap URLs.
 * @returns The selected rules, crawl delay and sitemaps.
 *
 * @example Usage
 * ```ts
 * import { parseRobots } from "./robots.ts";
 * import assert from "node:assert/strict";
 *
 * const robots = parseRobots("User-agent: *\nDisallow: /private\nAllow: /private/ok", "bot/1.0");
 * assert.equal(robots.isAllowed("https://example.org/private/x"), false);
 * assert.equal(robots.isAllowed("https://example.org/private/ok"), true);
 * ```
 */
export function parseRobots(
  body: string | Uint8Array,
  userAgent: string,
  options: ParseRobotsOptions = {},
): Robots {
  const token = productToken(userAgent).toLowerCase();
  const groups: Group[] = [];
  const sitemaps = new Set<string>();
  let group: Group | undefined;
  // Consecutive User-agent lines share one group; a rule or Crawl-delay line closes the list.
  let inAgents = false;
  for (const raw of limitedText(body).split(/\r\n|\r|\n/)) {
    const hash = raw.indexOf("#");
    const line = (hash === -1 ? raw : raw.slice(0, hash)).trim();
    const pair = line === "" ? undefined : keyValue(line);
    if (!pair) continue;
    const [key, value] = pair;
    if (key === "user-agent") {
      if (!inAgents || !group) {
        group = { specific: false, global: false, rules: [] };
        groups.push(group);
      }
      inAgents = true;
      if (/^\*(\s|$)/.test(value)) group.global = true;
      else if (token !== "" && TOKEN.exec(value)?.[0].toLowerCase() === token) {
        group.specific = true;
      }
    } else if ((key === "allow" || key === "disallow") && group) {
      inAgents = false;
      // An empty value is no rule: `Disallow:` disallows nothing.
      if (value !== "") {
        group.rules.push({ pattern: normalizePattern(value), allow: key === "allow" });
      }
    } else if (key === "crawl-delay" && group) {
      // A group member like a rule, so it too closes the User-agent list.
      inAgents = false;
      if (!/^(\d+\.?\d*|\.\d+)$/.test(value)) continue;
      group.crawlDelayMs = Math.max(group.crawlDelayMs ?? 0, Math.round(Number(value) * 1000));
    } else if (key === "sitemap") {
      const url = URL.parse(value, options.baseUrl);
      if (url && (url.protocol === "http:" || url.protocol === "https:")) sitemaps.add(url.href);
    }
  }
  const anySpecific = groups.some((g) => g.specific);
  const selected = groups.filter((g) => anySpecific ? g.specific : g.global);
  const delays = selected.flatMap((g) => g.crawlDelayMs === undefined ? [] : [g.crawlDelayMs]);
  return new RobotsRules(
    selected.flatMap((g) => g.rules),
    delays.length === 0 ? undefined : Math.max(...delays),
    [...sitemaps],
  );
}

/** Options for {@linkcode fetchRobots}. */
export interface FetchRobotsOptions {
  /** The crawl's signal; aborting it makes `fetchRobots` reject with its reason. */
  signal?: AbortSignal;
  /** Deadline for the whole fetch, redirects and body included, in ms. */
  timeoutMs: number;
  /** Sent as the User-Agent header; its product token selects the group. */
  userAgent: string;
  /** The `fetch` to use; defaults to the global one. */
  fetch?: typeof fetch;
}

/**
 * What a robots.txt fetch decided: `parsed` (2xx), `allow_all` (4xx, or more
 * than {@linkcode ROBOTS_MAX_REDIRECTS} redirects) or `disallow_all` (the file
 * is unreachable: 5xx, 429, timeout or network error; worth a retry later).
 */
export interface RobotsResult {
  /** Which policy applies. */
  kind: "parsed" | "allow_all" | "disallow_all";
  /** The rules to apply; for `allow_all` and `disallow_all` they say just that. */
  robots: Robots;
  /** The last robots.txt URL requested (after redirects). */
  url: string;
  /** Its HTTP status, or `null` when no response came. */
  status: number | null;
  /** Why the policy is not `parsed`: `HTTP 503`, `timeout`, `refused`... */
  reason?: string;
  /** The bytes read, for `parsed` results (what a shared cache stores). */
  body?: Uint8Array;
}

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

const ALLOW_ALL: Robots = new RobotsRules([]);
const DISALLOW_ALL: Robots = new RobotsRules([{ pattern: "/", allow: false }]);

/** Reads at least `limit` bytes if there are that many, then cancels the rest. */
async function readPrefix(body: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.byteLength;
    }
    if (total >= limit) await reader.cancel().catch(() => {});
  } finally {
    reader.releaseLock();
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * Fetches and parses `${origin}/robots.txt` under RFC 9309's policy: 2xx is
 * parsed (first 500 KiB only); 4xx (and a 3xx without Location) allows
 * everything; 5xx, 429, a timeout or a network error disallows everything;
 * up to 5 redirects are followed, and more allow everything. 429 counts as
 * unreachable (as at Google) so that rate limiting never opens the whole site.
 *
 * @param origin The site's origin, e.g. `https://example.org` (a path is ignored).
 * @param options Deadline, User-Agent, crawl signal.
 * @returns The policy and rules; never rejects for HTTP or network failures.
 * @throws {TypeError} If `origin` is not an http(s) URL.
 * @throws {RangeError} If `timeoutMs` is not a positive number.
 * @throws The crawl signal's reason when `options.signal` aborts.
 *
 * @example Usage
 * ```ts ignore
 * import { fetchRobots } from "./robots.ts";
 * const result = await fetchRobots("https://example.org", {
 *   timeoutMs: 10_000,
 *   userAgent: "deno-crawler/0.1",
 * });
 * if (result.robots.isAllowed("https://example.org/page")) console.log("fetch it");
 * ```
 */
export async function fetchRobots(
  origin: string,
  options: FetchRobotsOptions,
): Promise<RobotsResult> {
  const base = URL.parse(origin);
  if (!base || (base.protocol !== "http:" && base.protocol !== "https:")) {
    throw new TypeError(
      `Cannot fetch robots.txt as 'origin' must be an http(s) URL: received ${origin}`,
    );
  }
  if (!(options.timeoutMs > 0)) {
    throw new RangeError(
      `Cannot fetch robots.txt as 'timeoutMs' must be a positive number: received ${options.timeoutMs}`,
    );
  }
  // Cleared when the request ends: a timeout signal would live on for the whole timeout.
  using limit = deadline(options.timeoutMs, options.signal);
  const signal = limit.signal;
  const doFetch = options.fetch ?? fetch;
  let url = `${base.origin}/robots.txt`;
  let status: number | null = null;
  const result = (kind: RobotsResult["kind"], reason: string): RobotsResult => ({
    kind,
    robots: kind === "allow_all" ? ALLOW_ALL : DISALLOW_ALL,
    url,
    status,
    reason,
  });
  try {
    for (let redirects = 0;; redirects++) {
      const response = await doFetch(url, {
        signal,
        redirect: "manual",
        headers: { "user-agent": options.userAgent },
      });
      status = response.status;
      if (status >= 200 && status < 300) {
        // One byte past the limit tells parseRobots the last line may be cut.
        const body = response.body
          ? await readPrefix(response.body, ROBOTS_MAX_BYTES + 1)
          : new Uint8Array();
        const robots = parseRobots(body, options.userAgent, { baseUrl: url });
        return { kind: "parsed", robots, url, status, body };
      }
      const location = status >= 300 && status < 400 ? response.headers.get("location") : null;
      await response.body?.cancel();
      if (location !== null) {
        if (redirects === ROBOTS_MAX_REDIRECTS) {
          return result("allow_all", `more than ${ROBOTS_MAX_REDIRECTS} redirects`);
        }
        const next = URL.parse(location, url);
        if (!next || (next.protocol !== "http:" && next.protocol !== "https:")) {
          return result("allow_all", `redirect to a non-http(s) URL: ${location}`);
        }
        url = next.href;
        continue;
      }
      if (status >= 500 || status === 429) return result("disallow_all", `HTTP ${status}`);
      return result("allow_all", `HTTP ${status}`);
    }
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    return result("disallow_all", classifyFetchError(error).code);
  }
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
  /** The `fetch` to use; defaults to the global one. */
  fetch?: typeof fetch;
  /** A cache shared with other processes of the same crawl, consulted before fetching. */
  shared?: RobotsStore;
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
 * ```ts ignore
 * import { RobotsCache } from "./robots.ts";
 * const cache = new RobotsCache({ userAgent: "deno-crawler/0.1", timeoutMs: 10_000 });
 * const { robots } = await cache.get("https://example.org");
 * console.log(robots.isAllowed("https://example.org/page"), robots.crawlDelayMs);
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
    return signal ? waitFor(entry.promise, signal) : entry.promise;
  }

  #fetch(key: string): CacheEntry {
    const { userAgent, timeoutMs, signal, fetch, shared } = this.#options;
    const load = async (): Promise<RobotsResult> => {
      // A shared cache that fails is only a missed saving: fetch as if it were not there.
      const stored = await shared?.get(key).catch(() => undefined);
      if (stored) {
        const robots = stored.kind === "parsed"
          ? parseRobots(stored.body ?? new Uint8Array(), userAgent, { baseUrl: stored.url })
          : ALLOW_ALL;
        return { ...stored, robots };
      }
      const result = await fetchRobots(key, { userAgent, timeoutMs, signal, fetch });
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

function waitFor<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
