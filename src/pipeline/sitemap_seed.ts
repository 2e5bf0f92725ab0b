/**
 * `--sitemaps`: seeding a crawl from the sitemaps its seed origins publish
 * (robots.txt `Sitemap:` lines and `/sitemap.xml`), while the crawl runs.
 *
 * @module
 */

import type { CrawlFrontier } from "../frontier/types.ts";
import type { CrawlStats } from "../output/stats.ts";
import type { LinkAdmission } from "./admission.ts";
import type { CrawlOptions } from "./options.ts";
import type { RequestPolicy } from "./request_policy.ts";
import type { ExchangeRecorder } from "../http/request.ts";
import type { HttpClient } from "../http/client.ts";

/** The options sitemap seeding reads. */
export type SitemapSettings = Pick<CrawlOptions, "timeoutMs" | "userAgent" | "maxSitemapUrls">;

/** What {@linkcode seedFromSitemaps} works with. */
export interface SitemapSeedDeps {
  /** The crawl's options. */
  settings: SitemapSettings;
  /** The crawl's normalized seeds: their origins' sitemaps are read. */
  seeds: readonly string[];
  /** Checks every sitemap request; its robots.txt cache lists the `Sitemap:` lines. */
  policy: RequestPolicy;
  /** Queues the listed URLs (in scope, depth 0, the sitemap as parent). */
  admission: LinkAdmission;
  /** Held open while sitemaps are read: the seeds may finish first. */
  frontier: CrawlFrontier;
  /** Counts each unreadable sitemap (`sitemap_error`). */
  stats: CrawlStats;
  /** Aborted when the crawl stops early: reading ends, the crawl goes on ending. */
  stopping: AbortSignal;
  /** The HTTP client to send with (the crawl's connections, its proxy); default: `fetch()` alone. */
  client?: HttpClient;
  /** Archives each sitemap exchange (`warc`). */
  recorder?: ExchangeRecorder;
}

/**
 * Reads the seed origins' sitemaps and queues the in-scope URLs they list.
 *
 * @param deps The crawl's parts.
 * @param signal The crawl's signal.
 * @returns A promise that resolves once every listed URL was offered to admission.
 * @throws The crawl signal's reason when it aborts, or a failure of the frontier.
 *
 * @example Usage
 * ```ts
 * import { seedFromSitemaps } from "./sitemap_seed.ts";
 * import { LinkAdmission } from "./admission.ts";
 * import { parseCrawlOptions } from "./options.ts";
 * import { RequestPolicy } from "./request_policy.ts";
 * import { LocalFrontier } from "../frontier/local.ts";
 * import { CrawlStats } from "../output/stats.ts";
 * import assert from "node:assert/strict";
 *
 * // A site on loopback whose /sitemap.xml lists one page.
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) =>
 *   new URL(req.url).pathname === "/sitemap.xml"
 *     ? new Response(`<urlset><url><loc>${new URL("/a", req.url)}</loc></url></urlset>`)
 *     : new Response("not found", { status: 404 }));
 * const site = `http://127.0.0.1:${server.addr.port}/`;
 * const settings = await parseCrawlOptions({ seeds: [site], allowPrivate: true });
 * const frontier = new LocalFrontier(settings);
 * const stats = new CrawlStats();
 * const { signal } = new AbortController();
 * const inScope = (url: string) => url.startsWith(site);
 * const policy = new RequestPolicy({ settings, frontier, inScope, signal });
 * const admission = new LinkAdmission({ settings, frontier, stats, inScope });
 * const deps = { settings, seeds: [site], policy, admission, frontier, stats, stopping: signal };
 * await seedFromSitemaps(deps, signal);
 * assert.equal(frontier.queued, 1); // /a, from the sitemap
 * ```
 */
export async function seedFromSitemaps(deps: SitemapSeedDeps, signal: AbortSignal): Promise<void> {
  // Holds the crawl open: seeds may finish before the sitemaps are read.
  using _hold = deps.frontier.hold();
  const reading = AbortSignal.any([signal, deps.stopping]);
  try {
    await readSitemaps(deps, reading);
  } catch (error) {
    // Stopped on purpose: the crawl goes on ending; any other failure fails it.
    if (!deps.stopping.aborted || signal.aborted) throw error;
  }
}

async function readSitemaps(deps: SitemapSeedDeps, signal: AbortSignal): Promise<void> {
  const { settings, policy, admission, stats } = deps;
  // The sitemap reader (and its XML parser) loads only for crawls that read sitemaps.
  const { collectSitemapUrls, defaultSitemapUrl } = await import("../robots/sitemap.ts");
  const origins = [...new Set(deps.seeds.map((s) => new URL(s).origin))];
  const sitemapUrls = new Set<string>();
  for (const origin of origins) {
    const found = policy.robots
      ? (await policy.robots.get(origin, { signal })).robots.sitemaps
      : [];
    for (const url of [...found, defaultSitemapUrl(origin)]) sitemapUrls.add(url);
  }
  const { urls, errors } = await collectSitemapUrls([...sitemapUrls], {
    signal,
    timeoutMs: settings.timeoutMs,
    maxUrls: settings.maxSitemapUrls,
    maxSitemaps: 1000,
    userAgent: settings.userAgent,
    client: deps.client,
    recorder: deps.recorder,
    checkHop: (url, hopSignal) => policy.checkSitemap(url, hopSignal),
  });
  for (const _ of errors) stats.skip("sitemap_error");
  for (const { url, lastmod, sitemap } of urls) {
    await admission.admitSitemapUrl(url, sitemap, lastmod);
  }
}
