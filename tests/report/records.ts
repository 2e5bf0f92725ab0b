/**
 * Records and summaries for the report tests (`builder_test.ts`,
 * `html_test.ts`).
 *
 * @module
 */

import type { CrawlRecord } from "../../src/output/record.ts";
import { ReportBuilder } from "../../src/report/builder.ts";
import { CrawlStats, type CrawlSummary } from "../../src/output/stats.ts";

/** The crawled site. */
export const ORIGIN = "https://docs.example.test";
/** The report meta of a crawl of {@linkcode ORIGIN}. */
export const META = { seeds: [`${ORIGIN}/`], startedAt: "2025-01-01T10:00:00.000Z" };

/** A record of a 200 page at depth 1, found on the home page; `fields` override. */
export function rec(url: string, fields: Partial<CrawlRecord> = {}): CrawlRecord {
  return {
    url,
    requestedUrl: url,
    status: 200,
    depth: 1,
    parent: `${ORIGIN}/`,
    fetchedAt: "2025-01-01T10:00:01.000Z",
    contentType: "text/html",
    bytes: 1000,
    durationMs: 100,
    attempts: 1,
    title: null,
    description: null,
    canonical: null,
    h1: [],
    links: [],
    ...fields,
  };
}

/** The summary of a crawl of `records` that took `durationMs`. */
export function summarize(records: CrawlRecord[], durationMs = 1000): CrawlSummary {
  const stats = new CrawlStats();
  for (const r of records) stats.record(r);
  const pagesPerSecond = Math.round((stats.pagesOk / durationMs) * 10000) / 10;
  return { ...stats.summary(), durationMs, pagesPerSecond };
}

/** Adds `records` to `builder`. */
export function build(records: CrawlRecord[], builder = new ReportBuilder()): ReportBuilder {
  for (const r of records) builder.add(r);
  return builder;
}
