/**
 * `--sitemaps`: seeding a crawl from the sitemaps its seed origins publish
 * (robots.txt `Sitemap:` lines and `/sitemap.xml`).
 *
 * @module
 */

import type { CrawlOptions } from "./options.ts";
import type { RobotsCache } from "../robots/cache.ts";
import { normalizeUrl } from "../frontier/url.ts";

/** What {@linkcode seedFromSitemaps} works with. */
export interface SitemapSeedContext {
  /** The crawl's options. */
  options: CrawlOptions;
  /** The crawl's normalized seeds. */
  seeds: readonly string[];
  /** robots.txt per origin, or `undefined` with `ignoreRobots`. */
  robots: RobotsCache | undefined;
  /** The `fetch` sitemap requests go through (the crawl's address guard). */
  fetch: typeof fetch;
  /** The crawl's scope test. */
  inScope: (href: string) => boolean;
  /** Queues a URL (depth 0, the sitemap as parent, its lastmod kept). */
  admit: (url: string, parent: string, extra?: Record<string, string>) => Promise<void> | void;
  /** Counts one unreadable sitemap. */
  onError: (sitemap: string, error: string) => void;
  /** The crawl's signal. */
  signal: AbortSignal;
}

/**
 * Reads the seed origins' sitemaps and queues the in-scope URLs they list.
 *
 * @param context The crawl's parts.
 * @returns A promise that resolves once every listed URL was offered to `admit`.
 *
 * @example Usage
 * ```ts ignore
 * await seedFromSitemaps({ options, seeds, robots, fetch, inScope, admit, onError, signal });
 * ```
 */
export async function seedFromSitemaps(context: SitemapSeedContext): Promise<void> {
  const { options, robots, signal } = context;
  // The sitemap reader (and its XML parser) loads only for crawls that read sitemaps.
  const { collectSitemapUrls, defaultSitemapUrl, SITEMAP_MAX_BYTES } = await import(
    "../robots/sitemap.ts"
  );
  const origins = [...new Set(context.seeds.map((s) => new URL(s).origin))];
  const sitemapUrls = new Set<string>();
  for (const origin of origins) {
    const found = robots ? (await robots.get(origin, { signal })).robots.sitemaps : [];
    for (const url of [...found, defaultSitemapUrl(origin)]) sitemapUrls.add(url);
  }
  const { urls, errors } = await collectSitemapUrls([...sitemapUrls], {
    fetch: context.fetch,
    signal,
    timeoutMs: options.timeoutMs,
    maxBytes: SITEMAP_MAX_BYTES,
    maxUrls: options.maxSitemapUrls,
    maxSitemaps: 1000,
    userAgent: options.userAgent,
    // A sitemap on a disallowed path is not read, like any other URL.
    allow: async (url) =>
      !robots || (await robots.get(new URL(url).origin, { signal })).robots.isAllowed(url),
  });
  for (const { sitemap, error } of errors) context.onError(sitemap, error);
  for (const { url, lastmod, sitemap } of urls) {
    const href = normalizeUrl(url, undefined, options);
    if (href && context.inScope(href)) {
      await context.admit(href, sitemap, lastmod === undefined ? undefined : { lastmod });
    }
  }
}
