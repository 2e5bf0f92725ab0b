/**
 * Redis URLs: their form, and how they are printed (never with a password).
 * Kept apart from the client so the CLI can check `--redis` without loading
 * it (the client reads the environment when it loads).
 *
 * @module
 */

/**
 * Replaces the password of a Redis URL with `***` (and a bare `user@`
 * credential too, which Redis reads as a password).
 *
 * @param url A `redis://` or `rediss://` URL.
 * @returns The URL safe to print; an unparsable input becomes `(invalid Redis URL)`.
 *
 * @example Usage
 * ```ts
 * import { redactRedisUrl } from "./url.ts";
 * import assert from "node:assert/strict";
 * assert.equal(redactRedisUrl("redis://:s3cret@db:6379/2"), "redis://:***@db:6379/2");
 * ```
 */
export function redactRedisUrl(url: string): string {
  const parsed = URL.parse(url);
  if (!parsed) return "(invalid Redis URL)";
  if (parsed.password) parsed.password = "***";
  else if (parsed.username) parsed.username = "***";
  // The client also takes credentials as query parameters (`?password=`).
  for (const key of [...parsed.searchParams.keys()]) {
    if (/pass|secret|token|auth/i.test(key)) parsed.searchParams.set(key, "***");
  }
  return parsed.href;
}

/**
 * Checks a Redis URL's form.
 *
 * @param url The URL.
 * @throws {TypeError} If it is not a `redis://` or `rediss://` URL with a host.
 */
export function checkRedisUrl(url: string): void {
  const parsed = URL.parse(url);
  if (!parsed || !/^rediss?:$/.test(parsed.protocol) || !parsed.hostname) {
    throw new TypeError(
      `Cannot connect to Redis as 'url' must be a redis:// or rediss:// URL: received ${
        JSON.stringify(redactRedisUrl(url))
      }`,
    );
  }
  if (parsed.pathname.length > 1 && !/^\/\d+$/.test(parsed.pathname)) {
    throw new TypeError(
      `Cannot connect to Redis as 'url' must end in a database number (/0): received ${
        JSON.stringify(redactRedisUrl(url))
      }`,
    );
  }
}
