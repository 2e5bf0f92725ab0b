/**
 * The retry policy: which failures are fetched again, and after how long
 * (exponential backoff with jitter, or the server's `Retry-After`).
 *
 * @module
 */

import type { FetchedPage } from "../http/request.ts";
import type { ErrorCode } from "../output/record.ts";
import type { CrawlOptions } from "./options.ts";

/** The options the retry policy reads. */
export type RetrySettings = Pick<
  CrawlOptions,
  "retries" | "retryDelayMs" | "maxRetryDelayMs" | "maxRetryAfterMs"
>;

/** HTTP statuses worth another attempt: the server may answer differently later. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/**
 * Transport failures worth another attempt. TLS, permission and policy
 * errors are not: trying again gives the same answer.
 */
export const RETRYABLE_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "timeout",
  "dns",
  "refused",
  "reset",
  "network",
  // A crashed tab or browser is replaced: the page may well render next time.
  "render_crash",
]);

/**
 * Whether a failed fetch is transient. A transport failure is, wherever it
 * happened: before the response head or in the middle of the body (a cut
 * connection, a reset, a body that ends early or drips past the deadline).
 * An HTTP answer is when its status says "try later". A body that does not
 * decode, is too large, or a policy refusal is not: trying again gives the
 * same answer.
 *
 * @param status The HTTP status, or `null` when no response came.
 * @param error The record's error code.
 * @returns `true` for transport failures and timeouts (whatever the status
 * line said), and for 408/429/500/502/503/504 answers.
 *
 * @example Usage
 * ```ts
 * import { isTransient } from "./retry.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isTransient(503, "http_5xx"), true);
 * assert.equal(isTransient(404, "http_4xx"), false);
 * assert.equal(isTransient(200, "reset"), true); // the body was cut short
 * assert.equal(isTransient(200, "decode"), false); // a corrupt compression stream
 * ```
 */
export function isTransient(status: number | null, error: ErrorCode | undefined): boolean {
  if (error === undefined) return false;
  if (RETRYABLE_ERRORS.has(error)) return true;
  return (error === "http_4xx" || error === "http_5xx") && RETRYABLE_STATUSES.has(status!);
}

/** Options for {@linkcode backoffMs}. */
export interface BackoffOptions {
  /** The first retry's delay before jitter, in ms. */
  baseMs: number;
  /** The largest delay, in ms. */
  maxMs: number;
  /** A random source in [0, 1); `Math.random` by default. */
  random?: () => number;
}

/**
 * Exponential backoff with "equal jitter": half the exponential delay plus
 * a random share of the other half, so retries of many URLs spread out but
 * never come back sooner than half the nominal delay.
 *
 * @param attempt How many attempts already failed (1 for the first retry).
 * @param options Base and cap in ms, and the random source.
 * @returns The delay before the next attempt, in ms.
 *
 * @example Usage
 * ```ts
 * import { backoffMs } from "./retry.ts";
 * backoffMs(1, { baseMs: 500, maxMs: 30_000 }); // between 250 and 500
 * backoffMs(3, { baseMs: 500, maxMs: 30_000 }); // between 1000 and 2000
 * ```
 */
export function backoffMs(attempt: number, options: BackoffOptions): number {
  const nominal = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  const random = options.random ?? Math.random;
  return nominal / 2 + random() * (nominal / 2);
}

/**
 * Parses a `Retry-After` header: delay-seconds or an HTTP-date.
 *
 * @param value The header value.
 * @param now The current time in ms since the epoch (for HTTP-dates).
 * @returns The delay in ms (0 for a date in the past), or `undefined` when
 * absent or unparseable.
 *
 * @example Usage
 * ```ts
 * import { parseRetryAfter } from "./retry.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseRetryAfter("120"), 120_000);
 * assert.equal(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", Date.UTC(2015, 9, 21, 7, 27, 0)), 60_000);
 * ```
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP-date always names its weekday and time zone; Date.parse alone accepts too much.
  if (!/^[A-Za-z]{3},/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * The `Retry-After` pause a 429 or 503 asks for, cut to the longest one
 * honoured.
 *
 * @param page The failed attempt.
 * @param maxMs The longest pause honoured, in ms.
 * @returns The pause in ms, or `undefined` when the response asks for none.
 *
 * @example Usage
 * ```ts
 * import { retryAfterOf } from "./retry.ts";
 * import { unfetchedPage } from "../http/request.ts";
 * import assert from "node:assert/strict";
 *
 * const page = { ...unfetchedPage("https://a.test/"), status: 503, headers: new Headers({ "retry-after": "120" }) };
 * assert.equal(retryAfterOf(page, 60_000), 60_000);
 * ```
 */
export function retryAfterOf(page: FetchedPage, maxMs: number): number | undefined {
  if (page.status !== 429 && page.status !== 503) return undefined;
  const ms = parseRetryAfter(page.headers?.get("retry-after"));
  return ms === undefined ? undefined : Math.min(ms, maxMs);
}

/**
 * Decides whether a failed attempt is fetched again, and after how long.
 *
 * @param page The failed attempt.
 * @param attempts Attempts made so far, this one included.
 * @param settings The crawl's retry options.
 * @param transient Whether the failure is known to be transient whatever its
 * status (an unreachable robots.txt); otherwise {@linkcode isTransient} decides.
 * @returns The backoff in ms (0 when a `Retry-After` pause already holds the
 * host), or `undefined` when the failure is final.
 *
 * @example Usage
 * ```ts
 * import { retryDelayOf } from "./retry.ts";
 * import { unfetchedPage } from "../http/request.ts";
 * import assert from "node:assert/strict";
 *
 * const settings = { retries: 2, retryDelayMs: 500, maxRetryDelayMs: 30_000, maxRetryAfterMs: 300_000 };
 * const refused = unfetchedPage("https://a.test/", { error: "refused", message: "refused" });
 * const delay = retryDelayOf(refused, 1, settings)!;
 * assert.ok(delay >= 250 && delay <= 500);
 * assert.equal(retryDelayOf(refused, 3, settings), undefined); // attempts used up
 * ```
 */
export function retryDelayOf(
  page: FetchedPage,
  attempts: number,
  settings: RetrySettings,
  transient = false,
): number | undefined {
  if (attempts > settings.retries) return undefined;
  if (!transient && !isTransient(page.status, page.error)) return undefined;
  // A Retry-After pause already holds the host; otherwise back off this URL.
  if (retryAfterOf(page, settings.maxRetryAfterMs) !== undefined) return 0;
  return backoffMs(attempts, { baseMs: settings.retryDelayMs, maxMs: settings.maxRetryDelayMs });
}
