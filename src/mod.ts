/**
 * A web crawler pipeline: fetcher workers download pages into a bounded
 * channel, parsers (in the same isolate, or Web Workers for a DOM) parse them and feed
 * links back to the frontier; records stream out as an async iterable.
 *
 * ```ts
 * import { crawl } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * // A site on loopback (allowPrivate lets the crawler reach it): every page links to the next.
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
 *   const n = Number(new URL(req.url).pathname.slice(1) || 0);
 *   const html = `<title>Page ${n}</title><a href="/${n + 1}">next</a>`;
 *   return new Response(html, { headers: { "content-type": "text/html" } });
 * });
 * const seed = `http://127.0.0.1:${server.addr.port}/`;
 * const run = crawl({ seeds: [seed], maxPages: 3, allowPrivate: true, parsers: 0 });
 * const titles: (string | null)[] = [];
 * for await (const record of run) titles.push(record.title);
 * assert.deepEqual(titles, ["Page 0", "Page 1", "Page 2"]);
 * assert.equal((await run.summary).stoppedBy, "max_pages");
 * ```
 *
 * What is here: the entry point ({@linkcode crawl}), its options, records and
 * summary; the extraction hook and rule types; and the storage seam
 * ({@linkcode CrawlStore}) with the in-memory store and the building blocks
 * for a store of one's own. The async primitives the pipeline is made of are
 * offered apart, in `./async/mod.ts`.
 *
 * @module
 */

export { crawl, type CrawlContext, type CrawlRun } from "./pipeline/crawl.ts";
export type { CrawlProgress } from "./pipeline/run.ts";
export type { LinkContext, LinkFilter } from "./pipeline/admission.ts";
export { OptionsError } from "./pipeline/options.ts";
export type { CrawlOptionsInput } from "./pipeline/options_input.ts";
export {
  CHECK_KINDS,
  type CheckKind,
  type CrawlRecord,
  ERROR_CODES,
  ERROR_KINDS,
  type ErrorCode,
  type ErrorKind,
  LINK_TAGS,
  type LinkTag,
} from "./output/record.ts";
export type { CrawlSummary } from "./output/stats.ts";
export {
  checkLinks,
  type CheckLinksOptions,
  type LinkCheckResult,
  type LinkRow,
  type RecordSource,
} from "./linkcheck/check_links.ts";
export type { LinkRecord, LinkResult } from "./linkcheck/outcome.ts";
export type { Referrer, TargetReferrers } from "./linkcheck/referrers.ts";
export type { ExtractHook, PageInfo } from "./parse/job.ts";
export type { Document, LinkRef, ParsedPage } from "./parse/page.ts";
export {
  FIELD_TYPES,
  type FieldInput,
  type FieldType,
  type PatternInput,
  type RuleInput,
  type RulesFileInput,
} from "./extract/schema.ts";
export type { ArchiveLedger, CrawlHistory, CrawlStore, Deliver } from "./store/types.ts";
export { MemoryStore } from "./store/memory.ts";
export { LocalFrontier, type LocalFrontierOptions } from "./frontier/local.ts";
export type {
  AddOutcome,
  CrawlFrontier,
  FrontierEntry,
  FrontierLimits,
  NextOptions,
  PageBudget,
  SeenSet,
  UrlQueue,
} from "./frontier/types.ts";
export type { RobotsStore, StoredRobots } from "./robots/cache.ts";
