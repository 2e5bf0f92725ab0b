/**
 * Resolving a page's hrefs to normalized absolute URLs, with a cache shared
 * across pages: sites repeat the same navigation on every page, so most
 * hrefs were already resolved against an equivalent base, and parsing a URL
 * costs more than a map lookup.
 *
 * @module
 */

import { type NormalizeOptions, normalizeParsedUrl } from "./url.ts";

/** Resolves hrefs against one page's base URL. */
export interface PageResolver {
  /**
   * @param href An href as written in the page.
   * @returns The normalized absolute http(s) URL, or `null`.
   */
  (href: string): string | null;
}

const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/;

/**
 * A bounded cache of href resolutions. The cache key is what the result
 * depends on: an absolute href alone; a scheme-relative one with the
 * scheme; an absolute path with the origin; a relative path with the base's
 * directory; a query or fragment with the whole base.
 *
 * @example Usage
 * ```ts
 * import { LinkResolver } from "./link_resolver.ts";
 * import assert from "node:assert/strict";
 *
 * const resolver = new LinkResolver({});
 * const resolve = resolver.forBase("http://a.test/docs/page.html");
 * assert.equal(resolve("../x#top"), "http://a.test/x");
 * assert.equal(resolve("mailto:me@a.test"), null);
 * ```
 */
export class LinkResolver {
  #cache = new Map<string, string | null>();
  #capacity: number;
  #options: NormalizeOptions;

  /**
   * Creates an empty cache for one set of normalization options.
   *
   * @param options Normalization options applied to every result.
   * @param capacity Most cached resolutions (oldest dropped first).
   */
  constructor(options: NormalizeOptions, capacity = 50_000) {
    this.#options = options;
    this.#capacity = capacity;
  }

  /**
   * A resolver for one page.
   *
   * @param base The page's base URL (its URL or its `<base href>`), absolute.
   * @returns A function resolving that page's hrefs.
   */
  forBase(base: string): PageResolver {
    const url = URL.parse(base);
    if (!url) return () => null;
    const origin = url.origin;
    const scheme = url.protocol;
    const path = url.pathname;
    const dir = origin + path.slice(0, path.lastIndexOf("/") + 1);
    return (raw) => {
      const href = raw.trim();
      const key = SCHEME.test(href)
        ? href
        : href.startsWith("//")
        ? scheme + href
        : href.startsWith("/")
        ? origin + href
        : href === "" || href.startsWith("?") || href.startsWith("#")
        ? `${base} ${href}`
        : dir + href;
      let result = this.#cache.get(key);
      if (result === undefined) {
        const parsed = URL.parse(href, base);
        result = (parsed && normalizeParsedUrl(parsed, this.#options)) ?? null;
        if (this.#cache.size >= this.#capacity) {
          this.#cache.delete(this.#cache.keys().next().value!);
        }
        this.#cache.set(key, result);
      }
      return result;
    };
  }
}
