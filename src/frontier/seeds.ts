/**
 * Seeds as the crawl uses them: normalized, with any credentials split off
 * into an Authorization header for their own origin.
 *
 * @module
 */

import { type NormalizeOptions, normalizeUrl } from "./url.ts";

/** Seeds ready to queue, and the headers their credentials became. */
export interface PreparedSeeds {
  /** The normalized seeds, without credentials. */
  seeds: string[];
  /** `Basic ...` Authorization headers by origin. */
  authorization: Map<string, string>;
}

/**
 * Splits credentials off the seeds: URLs never carry them (so records,
 * reports and logs never show them), and each origin's Authorization header
 * goes to that origin only.
 *
 * @param seeds Absolute http(s) URLs, validated.
 * @param options Normalization options.
 * @returns The normalized seeds and the headers.
 *
 * @example Usage
 * ```ts
 * import { prepareSeeds } from "./seeds.ts";
 * import assert from "node:assert/strict";
 *
 * const { seeds, authorization } = prepareSeeds(["https://ann:pw@a.test/x"], {});
 * assert.deepEqual(seeds, ["https://a.test/x"]);
 * assert.equal(authorization.get("https://a.test"), "Basic YW5uOnB3");
 * ```
 */
export function prepareSeeds(seeds: readonly string[], options: NormalizeOptions): PreparedSeeds {
  const authorization = new Map<string, string>();
  const normalized: string[] = [];
  for (const seed of seeds) {
    const url = new URL(seed);
    if (url.username || url.password) {
      const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      // UTF-8 bytes, as browsers send them; btoa alone only takes Latin-1.
      const bytes = new TextEncoder().encode(credentials);
      authorization.set(url.origin, `Basic ${btoa(String.fromCharCode(...bytes))}`);
    }
    normalized.push(normalizeUrl(url, undefined, options)!);
  }
  return { seeds: normalized, authorization };
}

/**
 * A seed as shown in reports and logs: a password never leaves the process.
 *
 * @param seed An absolute URL.
 * @returns The URL with its password as `***`.
 *
 * @example Usage
 * ```ts
 * import { redactSeed } from "./seeds.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(redactSeed("https://ann:pw@a.test/"), "https://ann:***@a.test/");
 * ```
 */
export function redactSeed(seed: string): string {
  const url = new URL(seed);
  if (url.password) url.password = "***";
  return url.href;
}

/**
 * A seed without its credentials (they become a header, never part of a URL).
 *
 * @param seed An absolute URL.
 * @returns The URL without user name and password.
 *
 * @example Usage
 * ```ts
 * import { withoutCredentials } from "./seeds.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(withoutCredentials("https://ann:pw@a.test/"), "https://a.test/");
 * ```
 */
export function withoutCredentials(seed: string): string {
  const url = new URL(seed);
  url.username = "";
  url.password = "";
  return url.href;
}
