/**
 * Which URLs a crawl may follow, decided from its seeds.
 *
 * @module
 */

import { hostKey } from "./host_slot.ts";

/** How far from the seeds' hosts a crawl may go. */
export type ScopeMode = "host" | "domain" | "any";

/** Options for {@linkcode createScope}. */
export interface ScopeOptions {
  /**
   * `host`: exactly a seed's host (and port); `domain`: a seed's host
   * without a leading `www.`, or any subdomain of it; `any`: every http(s) URL.
   */
  mode: ScopeMode;
  /** When non-empty, a URL must match at least one of these. */
  include?: readonly RegExp[];
  /** A URL matching any of these is out of scope. */
  exclude?: readonly RegExp[];
}

/**
 * Builds the scope test for a crawl.
 *
 * @param seeds The crawl's seed URLs.
 * @param options The scope mode and the include/exclude patterns.
 * @returns A function telling whether a normalized absolute URL (a string,
 * so the hot path parses nothing twice) is in scope.
 *
 * @example Usage
 * ```ts
 * import { createScope } from "./scope.ts";
 * import assert from "node:assert/strict";
 *
 * const inScope = createScope([new URL("https://www.example.org/")], { mode: "domain" });
 * assert.ok(inScope("https://blog.example.org/post"));
 * assert.ok(!inScope("https://example.com/"));
 * ```
 */
export function createScope(
  seeds: readonly URL[],
  options: ScopeOptions,
): (href: string) => boolean {
  const include = options.include ?? [];
  const exclude = options.exclude ?? [];
  const hosts = new Set(seeds.map((s) => s.host));
  const domains = [...new Set(seeds.map((s) => s.hostname.replace(/^www\./, "")))];
  const inMode: (href: string) => boolean = options.mode === "any"
    ? () => true
    : options.mode === "host"
    ? (href) => hosts.has(hostKey(href))
    : (href) => {
      const hostname = hostnameOf(hostKey(href));
      return domains.some((d) => hostname === d || hostname.endsWith(`.${d}`));
    };
  return (href) => {
    if (!inMode(href)) return false;
    if (include.length > 0 && !include.some((re) => re.test(href))) return false;
    return !exclude.some((re) => re.test(href));
  };
}

/** The host without its port; IPv6 literals keep their brackets. */
function hostnameOf(host: string): string {
  const colon = host.lastIndexOf(":");
  return colon === -1 || host.endsWith("]") ? host : host.slice(0, colon);
}
