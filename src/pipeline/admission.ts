/**
 * Link admission: which discovered URLs the crawl queues, and the one place
 * that counts each kind of link it does not. A URL passes, in order, the
 * scope (seed hosts or domains, include/exclude patterns; a link out of scope
 * is dropped without a count), the depth limit (`max_depth`), the trap guards
 * (`url_too_long`, `repeated_path`), the user's filter hook (`filtered`), and
 * the frontier's per-host page limit (`max_pages_per_host`) and dedupe.
 * Canonical dedupe (`--dedupe-canonical`) is decided here too.
 *
 * @module
 */

import type { CrawlFrontier, FrontierEntry } from "../frontier/types.ts";
import type { AddOutcome } from "../frontier/types.ts";
import type { CheckScope } from "../frontier/scope.ts";
import { checkTrap } from "../frontier/trap_guard.ts";
import { normalizeUrl } from "../frontier/url.ts";
import type { FetchedPage } from "../http/request.ts";
import type { LinkRef } from "../parse/page.ts";
import type { CrawlStats } from "../output/stats.ts";
import type { CrawlOptions } from "./options.ts";

/** The options link admission reads. */
export type AdmissionSettings = Pick<
  CrawlOptions,
  "maxDepth" | "maxUrlLength" | "dedupeCanonical" | "stripParams" | "sortQuery" | "check"
>;

/** What a {@linkcode LinkFilter} knows of a link. */
export interface LinkContext {
  /** The depth the link would be crawled at. */
  depth: number;
  /** The page it was found on (`null` for seeds). */
  parent: string | null;
}

/** Decides whether a discovered link is queued; `false` skips it (counted as `filtered`). */
export type LinkFilter = (url: string, context: LinkContext) => boolean;

/** What link admission works with. */
export interface AdmissionDeps {
  /** The crawl's options. */
  settings: AdmissionSettings;
  /** The frontier links are queued in (the authority on dedupe and per-host limits). */
  frontier: CrawlFrontier;
  /** Where skips are counted. */
  stats: CrawlStats;
  /** The crawl's scope test. */
  inScope: (href: string) => boolean;
  /** The user's filter hook, for discovered links (not seeds). */
  filter?: LinkFilter;
  /**
   * What is off the site, and what the user excluded, for `check`: default
   * the scope test alone (off the site = out of scope; nothing excluded).
   */
  checkScope?: CheckScope;
}

/**
 * Admits URLs into the frontier. A shared frontier answers `add()` later, so
 * each method returns a promise only when it has one to wait for.
 *
 * @example Usage
 * ```ts
 * import { LinkAdmission } from "./admission.ts";
 * import { parseCrawlOptions } from "./options.ts";
 * import { LocalFrontier } from "../frontier/local.ts";
 * import { CrawlStats } from "../output/stats.ts";
 * import assert from "node:assert/strict";
 *
 * const frontier = new LocalFrontier({ perHost: 2, delayMs: 0 });
 * const stats = new CrawlStats();
 * const admission = new LinkAdmission({
 *   settings: await parseCrawlOptions({ seeds: ["https://a.test/"] }),
 *   frontier,
 *   stats,
 *   inScope: (url) => url.startsWith("https://a.test/"),
 *   filter: (url) => !url.endsWith("/login"),
 * });
 * await admission.admitSeed("https://a.test/");
 * const home = (await frontier.next())!;
 * await admission.admitLinks(home, home.url, ["https://a.test/about", "https://a.test/login", "https://b.test/"]);
 * assert.equal(frontier.queued, 1); // /about only; b.test is out of scope
 * assert.deepEqual(stats.skipped, { filtered: 1 });
 * ```
 */
export class LinkAdmission {
  #deps: AdmissionDeps;
  #counted = (outcome: AddOutcome) => {
    const { stats, frontier } = this.#deps;
    if (outcome === "added") stats.queueDepth(frontier.queued);
    // "closed": the crawl is stopping (stoppedBy says why), not a property of the URL.
    else if (outcome !== "seen" && outcome !== "closed") stats.skip(outcome);
  };

  /**
   * Creates the admission of a crawl.
   *
   * @param deps The crawl's options, frontier, stats, scope and filter.
   */
  constructor(deps: AdmissionDeps) {
    this.#deps = deps;
  }

  /**
   * Queues a seed (normalized; it defines the scope, so only the trap guards
   * and dedupe apply).
   *
   * @param url The normalized seed.
   * @returns A promise when the frontier answers later.
   */
  admitSeed(url: string): Promise<void> | void {
    return this.#admit(url, 0, null);
  }

  /**
   * Queues a page URL listed in a sitemap, at depth 0, keeping its `lastmod`.
   *
   * @param url The URL as listed.
   * @param sitemap The sitemap that listed it (the entry's parent).
   * @param lastmod The entry's `<lastmod>`, if any.
   * @returns A promise when the frontier answers later.
   */
  admitSitemapUrl(url: string, sitemap: string, lastmod?: string): Promise<void> | void {
    const href = normalizeUrl(url, undefined, this.#deps.settings);
    if (href === undefined || !this.#deps.inScope(href)) return;
    return this.#admit(href, 0, sitemap, lastmod === undefined ? undefined : { lastmod });
  }

  /**
   * Queues the links a page leads to, one level deeper.
   *
   * @param entry The page's frontier entry.
   * @param pageUrl The page's final URL (the links' parent).
   * @param links Its followable links, normalized.
   * @returns A promise once every link was answered, when any answer comes later.
   */
  admitLinks(
    entry: FrontierEntry,
    pageUrl: string,
    links: readonly string[],
  ): Promise<void> | void {
    const { frontier, inScope, stats, settings } = this.#deps;
    const tooDeep = settings.maxDepth !== undefined && entry.depth >= settings.maxDepth;
    const adding: Promise<void>[] = [];
    for (const link of links) {
      if (frontier.has(link) || !inScope(link)) continue;
      if (tooDeep) stats.skip("max_depth");
      else {
        const added = this.#admit(link, entry.depth + 1, pageUrl);
        if (added) adding.push(added);
      }
    }
    if (adding.length > 0) return Promise.all(adding).then(() => {});
  }

  /**
   * With `check`: queues the URLs a page refers to that are checked, not
   * crawled: its resources (`assets`: any host) and its links off the site
   * (`external`), never one the exclude patterns name. Each is marked `check` in its entry, gets one request, is
   * never parsed. The depth limit does not apply (they are links of a page
   * that was crawled); the trap guards, the filter hook, the per-host limit
   * and dedupe do. Call it after {@linkcode LinkAdmission.admitLinks}, so a
   * URL that is also a followed link is crawled as a page.
   *
   * @param entry The page's frontier entry.
   * @param pageUrl The page's final URL (the targets' parent).
   * @param refs The page's link and resource references.
   * @returns A promise once every URL was answered, when any answer comes later.
   */
  admitChecks(
    entry: FrontierEntry,
    pageUrl: string,
    refs: readonly LinkRef[] | undefined,
  ): Promise<void> | void {
    const { frontier, inScope, settings, checkScope } = this.#deps;
    const assets = settings.check.includes("assets");
    const external = settings.check.includes("external");
    if (!refs || (!assets && !external)) return;
    const offSite = checkScope
      ? (url: string) => !checkScope.onSite(url)
      : (url: string) => !inScope(url);
    const adding: Promise<void>[] = [];
    for (const { url, tag } of refs) {
      const link = tag === "a[href]" || tag === "area[href]";
      const check = link
        ? (external && offSite(url) ? "external" : undefined)
        : assets
        ? "asset"
        : undefined;
      // What the user excluded is never requested, not even to check it.
      if (check === undefined || frontier.has(url) || checkScope?.excluded(url)) continue;
      const added = this.#admit(url, entry.depth + 1, pageUrl, { check });
      if (added) adding.push(added);
    }
    if (adding.length > 0) return Promise.all(adding).then(() => {});
  }

  /**
   * With `dedupeCanonical`: marks a page's canonical URL seen, and tells
   * whether it already was (the page then duplicates a page crawled before).
   *
   * @param canonical The page's `<link rel=canonical>`, if any.
   * @param page The fetched page.
   * @returns A message for the duplicate's record, or `undefined` when the page is kept.
   */
  async canonicalDuplicate(
    canonical: string | null | undefined,
    page: FetchedPage,
  ): Promise<string | undefined> {
    const { settings, frontier } = this.#deps;
    if (!settings.dedupeCanonical || !canonical) return undefined;
    const href = normalizeUrl(canonical, undefined, settings);
    if (!href || href === page.url || href === page.requestedUrl) return undefined;
    return (await frontier.markSeen(href)) ? undefined : `canonical ${canonical} was already seen`;
  }

  /** The trap guards, the filter hook, then the frontier's own limits and dedupe. */
  #admit(
    url: string,
    depth: number,
    parent: string | null,
    extra?: FrontierEntry["extra"],
  ): Promise<void> | void {
    const { settings, stats, filter, frontier } = this.#deps;
    const trap = checkTrap(url, { maxUrlLength: settings.maxUrlLength });
    if (trap) return stats.skip(trap);
    if (filter && parent !== null && !filter(url, { depth, parent })) return stats.skip("filtered");
    const outcome = frontier.add({ url, depth, parent, extra });
    if (typeof outcome === "string") return this.#counted(outcome);
    return outcome.then(this.#counted);
  }
}
