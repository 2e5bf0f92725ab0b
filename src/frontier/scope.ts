/**
 * Which URLs a crawl may follow, decided from its seeds.
 *
 * @module
 */

import { hostKey } from "./host_slot.ts";

/** How far from the seeds' hosts a crawl may go. */
export type ScopeMode = "host" | "domain" | "any";

/** The crawl options that decide its scope. */
export interface ScopeSettings {
  /**
   * `host`: exactly a seed's host (and port); `domain`: a seed's host
   * without a leading `www.`, or any subdomain of it; `any`: every http(s) URL.
   */
  scope: ScopeMode;
  /** Regular expressions: when any are given, a URL must match one. */
  include: readonly string[];
  /** Regular expressions: a URL matching one is out of scope. */
  exclude: readonly string[];
}

/**
 * Builds the scope test for a crawl.
 *
 * @param seeds The crawl's seed URLs (absolute).
 * @param settings The scope mode and the include/exclude patterns.
 * @returns A function telling whether a normalized absolute URL (a string,
 * so the hot path parses nothing twice) is in scope.
 *
 * @example Usage
 * ```ts
 * import { createScope } from "./scope.ts";
 * import assert from "node:assert/strict";
 *
 * const inScope = createScope(["https://www.example.org/"], {
 *   scope: "domain",
 *   include: [],
 *   exclude: ["\\.pdf$"],
 * });
 * assert.ok(inScope("https://blog.example.org/post"));
 * assert.ok(!inScope("https://example.com/"));
 * assert.ok(!inScope("https://example.org/report.pdf"));
 * ```
 */
export function createScope(
  seeds: readonly string[],
  settings: ScopeSettings,
): (href: string) => boolean {
  const { onSite, matched } = scopeParts(seeds, settings);
  return (href) => onSite(href) && matched(href);
}

/** The two halves of a crawl's scope, for what is checked, not crawled. */
export interface CheckScope {
  /** Whether a URL is on the seeds' hosts (or domains) by the scope mode alone. */
  onSite(href: string): boolean;
  /** Whether the exclude patterns name a URL: it is never requested, not even checked. */
  excluded(href: string): boolean;
}

/**
 * The scope split in its halves: a link checker checks links off the
 * site (`--check external`), but never one the user excluded.
 *
 * @param seeds The crawl's seed URLs (absolute).
 * @param settings The scope mode and the include/exclude patterns.
 * @returns The two tests.
 *
 * @example Usage
 * ```ts
 * import { createCheckScope } from "./scope.ts";
 * import assert from "node:assert/strict";
 *
 * const scope = createCheckScope(["https://example.org/"], {
 *   scope: "host",
 *   include: [],
 *   exclude: ["/logout"],
 * });
 * assert.ok(!scope.onSite("https://other.test/"));
 * assert.ok(scope.excluded("https://example.org/logout"));
 * ```
 */
export function createCheckScope(seeds: readonly string[], settings: ScopeSettings): CheckScope {
  const { onSite, exclude } = scopeParts(seeds, settings);
  return { onSite, excluded: (href) => exclude.some((re) => re.test(href)) };
}

function scopeParts(seeds: readonly string[], settings: ScopeSettings) {
  const include = settings.include.map((re) => new RegExp(re));
  const exclude = settings.exclude.map((re) => new RegExp(re));
  const urls = seeds.map((s) => new URL(s));
  const hosts = new Set(urls.map((s) => s.host));
  const domains = [...new Set(urls.map((s) => s.hostname.replace(/^www\./, "")))];
  const onSite: (href: string) => boolean = settings.scope === "any"
    ? () => true
    : settings.scope === "host"
    ? (href) => hosts.has(hostKey(href))
    : (href) => {
      const hostname = hostnameOf(hostKey(href));
      return domains.some((d) => hostname === d || hostname.endsWith(`.${d}`));
    };
  const matched = (href: string) => {
    if (include.length > 0 && !include.some((re) => re.test(href))) return false;
    return !exclude.some((re) => re.test(href));
  };
  return { onSite, matched, exclude };
}

/** The host without its port; IPv6 literals keep their brackets. */
function hostnameOf(host: string): string {
  const colon = host.lastIndexOf(":");
  return colon === -1 || host.endsWith("]") ? host : host.slice(0, colon);
}
