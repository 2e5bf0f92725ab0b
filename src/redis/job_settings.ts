/**
 * What names a Redis job and what the first process fixes for all: the
 * job's key prefix (from its name, checked) and its job-wide settings. Kept
 * apart from the scripts so the CLI checks a job name and prints the
 * defaults without loading the Redis code.
 *
 * @module
 */

/** How long a lease lives unless extended, in ms, when a job is joined without `leaseMs`. */
export const DEFAULT_LEASE_MS = 30_000;

/** The job-wide settings, fixed by the first process that starts the job. */
export interface JobSettings {
  /** Most requests in flight per host, across all processes. */
  perHost: number;
  /** Least interval between request starts to one host, in ms. */
  delayMs: number;
  /** Most first fetches in the whole job; 0 is unlimited. */
  maxPages: number;
  /** Most URLs admitted per host; 0 is unlimited. */
  maxPagesPerHost: number;
  /** How long a lease lives without being extended, in ms. */
  leaseMs: number;
}

/**
 * The key prefix of a job.
 *
 * @param job The job's name.
 * @returns `crawl:{job}:`
 * @throws {TypeError} If the name is empty, too long, or has characters other than letters, digits, `.`, `_`, `-`.
 *
 * @example Usage
 * ```ts
 * import { jobPrefix } from "./job_settings.ts";
 * import assert from "node:assert/strict";
 * assert.equal(jobPrefix("shop-2026"), "crawl:{shop-2026}:");
 * ```
 */
export function jobPrefix(job: string): string {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(job)) {
    throw new TypeError(
      `Cannot use job as 'job' must be 1 to 100 letters, digits, '.', '_' or '-': received ${
        JSON.stringify(job)
      }`,
    );
  }
  return `crawl:{${job}}:`;
}
