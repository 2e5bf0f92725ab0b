/**
 * The `--report` HTML report: one self-contained file (inline CSS, charts as
 * inline SVG, no scripts, no external resources) built from a stream of
 * records with bounded memory, so a crawl of millions of pages can have one.
 *
 * This module keeps the bounded state ({@linkcode ReportBuilder});
 * `html.ts` renders it.
 *
 * @module
 */

import type { LinkCheckResult } from "../linkcheck/check_links.ts";
import type { TargetReferrers } from "../linkcheck/referrers.ts";
import { type CrawlRecord, errorsOfKind } from "../output/record.ts";
import type { CrawlSummary } from "../output/stats.ts";
import { checkInteger } from "../validate/integer.ts";
import { renderReport } from "./html.ts";
import {
  type BrokenTarget,
  DEPTH_BUCKETS,
  type ReportMeta,
  type ReportSnapshot,
  RESPONSE_TIME_BUCKETS,
} from "./snapshot.ts";

/** Options for {@linkcode ReportBuilder}: how much of each list is kept. */
export interface ReportBuilderOptions {
  /** Slowest pages kept. Default 20. */
  slowest?: number;
  /** Broken links kept (the rest are counted). Default 1,000. */
  maxBroken?: number;
  /** Redirect chains kept (the rest are counted). Default 500. */
  maxRedirects?: number;
  /** Robots-blocked URLs kept (the rest are counted). Default 1,000. */
  maxRobots?: number;
}

/** Codes of URLs no request was made for: no response time to count. */
const UNREQUESTED = errorsOfKind("refused");
/** Codes that make a link broken. */
const BROKEN = errorsOfKind("broken");
/** URLs come from the web: bound what one kept string can cost. */
const MAX_URL = 2048;
const MAX_HOPS = 20;

function clip(text: string): string {
  return text.length > MAX_URL ? `${text.slice(0, MAX_URL)}…` : text;
}

/**
 * Accumulates records into bounded state and renders the HTML report.
 *
 * @example Usage
 * ```ts
 * import { ReportBuilder } from "./builder.ts";
 * import { CrawlStats } from "../output/stats.ts";
 * import assert from "node:assert/strict";
 *
 * const builder = new ReportBuilder();
 * const stats = new CrawlStats();
 * const record = {
 *   url: "https://example.org/", requestedUrl: "https://example.org/", status: 200, depth: 0,
 *   parent: null, fetchedAt: new Date().toISOString(), contentType: "text/html", bytes: 512,
 *   durationMs: 42, attempts: 1, title: "Home", description: null, canonical: null, h1: [],
 *   links: [],
 * };
 * builder.add(record);
 * stats.record(record);
 * const html = builder.render(stats.summary(), {
 *   seeds: ["https://example.org/"],
 *   startedAt: new Date().toISOString(),
 * });
 * assert.ok(html.startsWith("<!doctype html>"));
 * ```
 */
export class ReportBuilder {
  #slowestMax: number;
  #brokenMax: number;
  #redirectMax: number;
  #robotsMax: number;
  #data: ReportSnapshot = {
    records: 0,
    unchanged: 0,
    rendered: 0,
    blockedRequests: 0,
    outcomes: {},
    depths: [],
    responseTimes: RESPONSE_TIME_BUCKETS.map(() => 0),
    totalResponseMs: 0,
    slowest: [],
    broken: [],
    brokenTotal: 0,
    redirects: [],
    redirectTotal: 0,
    robots: [],
    robotsTotal: 0,
  };

  /**
   * Creates an empty report.
   *
   * @param options How many slowest pages, broken links, redirect chains and robots-blocked URLs to keep.
   * @throws {RangeError} If a limit is not a positive integer.
   */
  constructor(options: ReportBuilderOptions = {}) {
    const what = "create report builder";
    this.#slowestMax = checkInteger(what, "slowest", options.slowest ?? 20);
    this.#brokenMax = checkInteger(what, "maxBroken", options.maxBroken ?? 1000);
    this.#redirectMax = checkInteger(what, "maxRedirects", options.maxRedirects ?? 500);
    this.#robotsMax = checkInteger(what, "maxRobots", options.maxRobots ?? 1000);
  }

  /**
   * Counts one record; keeps it only while a capped list has room.
   *
   * @param record A crawl record.
   */
  add(record: CrawlRecord): void {
    const d = this.#data;
    d.records++;
    if (record.unchanged) d.unchanged++;
    if (record.rendered) d.rendered++;
    d.blockedRequests += record.blockedRequests?.length ?? 0;
    const error = record.error;
    const outcome = error && !error.startsWith("http_") ? error : String(record.status ?? "none");
    d.outcomes[outcome] = (d.outcomes[outcome] ?? 0) + 1;
    const depth = Math.min(record.depth, DEPTH_BUCKETS - 1);
    while (d.depths.length <= depth) d.depths.push(0);
    d.depths[depth]!++;
    if (!error || !UNREQUESTED.has(error)) {
      const i = RESPONSE_TIME_BUCKETS.findIndex((b) => record.durationMs < b.maxMs);
      // -1 only for a NaN or infinite time from a hand-made record: count it as slowest.
      d.responseTimes[i === -1 ? RESPONSE_TIME_BUCKETS.length - 1 : i]!++;
      d.totalResponseMs += record.durationMs || 0;
    }
    this.#addSlow(record);
    if (error && BROKEN.has(error)) {
      if (d.brokenTotal++ < this.#brokenMax) {
        d.broken.push({
          url: clip(record.requestedUrl),
          status: record.status,
          error,
          errorMessage: record.errorMessage ? clip(record.errorMessage) : null,
          parent: record.parent === null ? null : clip(record.parent),
        });
      }
    }
    if (record.redirects?.length && d.redirectTotal++ < this.#redirectMax) {
      d.redirects.push({
        hops: record.redirects.slice(0, MAX_HOPS).map((h) => ({
          url: clip(h.url),
          status: h.status,
        })),
        url: clip(record.url),
        status: record.status,
        error: error ?? null,
      });
    }
    if (error === "robots" && d.robotsTotal++ < this.#robotsMax) {
      d.robots.push({
        url: clip(record.requestedUrl),
        parent: record.parent === null ? null : clip(record.parent),
      });
    }
  }

  /**
   * Takes what the link check found: the report then lists broken targets
   * with every referrer and its link text (at most `maxBroken` targets).
   *
   * @param result The link check's result.
   */
  setLinks(result: LinkCheckResult): void {
    const keep = (targets: TargetReferrers[]): BrokenTarget[] =>
      targets.slice(0, this.#brokenMax).map((t) => ({
        url: clip(t.target),
        status: t.status,
        error: t.error,
        errorMessage: t.message === undefined ? null : clip(t.message),
        referrers: t.referrers.map((r) => ({
          source: clip(r.source),
          tag: r.tag,
          text: r.text ?? null,
        })),
        count: t.count,
      }));
    this.#data.links = {
      links: result.links,
      brokenLinks: result.results.broken,
      broken: keep(result.broken),
      brokenTotal: result.broken.length,
      refused: keep(result.refused),
      refusedTotal: result.refused.length,
    };
  }

  /**
   * Keeps the top N of records that got a response (a timeout is not a slow
   * page), as a sorted array: N is small, so a binary insert beats a heap.
   */
  #addSlow(record: CrawlRecord): void {
    const list = this.#data.slowest;
    if (record.status === null) return;
    if (list.length === this.#slowestMax && record.durationMs <= list.at(-1)!.durationMs) return;
    let lo = 0, hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.durationMs >= record.durationMs) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, {
      url: clip(record.url),
      title: record.title === null ? null : clip(record.title),
      status: record.status,
      durationMs: record.durationMs,
      bytes: record.bytes,
      ...(record.rendered ? { rendered: true } : {}),
    });
    if (list.length > this.#slowestMax) list.pop();
  }

  /**
   * The accumulated state (a copy).
   *
   * @returns Counts, histograms and the kept lists.
   */
  snapshot(): ReportSnapshot {
    return structuredClone(this.#data);
  }

  /**
   * Renders the report.
   *
   * @param summary The crawl's summary.
   * @param meta Seeds, start time and options.
   * @returns One self-contained HTML document.
   */
  render(summary: CrawlSummary, meta: ReportMeta): string {
    return renderReport(this.snapshot(), summary, meta);
  }
}
