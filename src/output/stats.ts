/**
 * Crawl counters and the end-of-crawl summary.
 *
 * @module
 */

import process from "node:process";
import type { CrawlRecord } from "./record.ts";

/** The end-of-crawl summary, printed as one JSON line. */
export interface CrawlSummary {
  /** Records without an error. */
  pagesOk: number;
  /** Records with an error, by code. */
  errors: Record<string, number>;
  /**
   * URLs only checked (a page's resources, links out of scope: `--check`),
   * counted apart from pages: those fine, and those failed by code. Present
   * when there were any.
   */
  checked?: { ok: number; errors: Record<string, number> };
  /** Links or URLs not queued, by reason (e.g. `max_pages`, `robots`). */
  skipped: Record<string, number>;
  /** Records written. */
  records: number;
  /** Fetch attempts repeated after a transient failure. */
  retries: number;
  /** Extracted fields that were missing although required, or failed their type. */
  dataErrors: number;
  /** Pages a recrawl found not modified (304). */
  unchanged: number;
  /** Body bytes received. */
  bytes: number;
  /** Wall time of the crawl, in ms. */
  durationMs: number;
  /** `pagesOk` per second of `durationMs`. */
  pagesPerSecond: number;
  /** The largest number of URLs queued at once. */
  maxQueueDepth: number;
  /** Why the crawl ended: `done`, `max_duration`, `interrupted` or `aborted`. */
  stoppedBy: string;
  /** CPU time (user + system) of the whole process since the crawl started, in ms. */
  cpuMs: number;
  /** The process's peak resident set size so far, in bytes. */
  peakRssBytes: number;
}

/**
 * Mutable counters of a running crawl.
 *
 * @example Usage
 * ```ts
 * import { CrawlStats } from "./stats.ts";
 * import assert from "node:assert/strict";
 *
 * const stats = new CrawlStats();
 * stats.skip("max_pages");
 * assert.deepEqual(stats.summary().skipped, { max_pages: 1 });
 * ```
 */
export class CrawlStats {
  /** Records without an error. */
  pagesOk = 0;
  /** Records written. */
  records = 0;
  /** Fetch attempts repeated after a transient failure. */
  retries = 0;
  /** Extracted fields in error. */
  dataErrors = 0;
  /** Pages found not modified. */
  unchanged = 0;
  /** Body bytes received. */
  bytes = 0;
  /** The largest queue depth seen. */
  maxQueueDepth = 0;
  /** Why the crawl ended. */
  stoppedBy = "done";
  /** Errors by code. */
  readonly errors: Record<string, number> = {};
  /** Skips by reason. */
  readonly skipped: Record<string, number> = {};
  /** Check-only URLs: those fine, and failures by code. */
  readonly checked: { ok: number; errors: Record<string, number> } = { ok: 0, errors: {} };
  #started = performance.now();
  #ended: number | undefined;
  #cpuStart = process.cpuUsage();
  #cpuEnd: NodeJS.CpuUsage | undefined;

  /** Errors of every kind. */
  get errorCount(): number {
    let n = 0;
    for (const k in this.errors) n += this.errors[k]!;
    return n;
  }

  /**
   * Counts a finished URL by its outcome (ok, error, unchanged), whether or not it is written.
   *
   * @param record The record.
   */
  record(record: CrawlRecord): void {
    // robots.txt refusals are policy, not failures: they count as skipped even with a record.
    if (record.error === "robots") return this.skip("robots");
    if (record.check) {
      // Checked, not fetched: its declared length was not received.
      const { checked } = this;
      if (record.error) checked.errors[record.error] = (checked.errors[record.error] ?? 0) + 1;
      else checked.ok++;
      return;
    }
    this.bytes += record.bytes;
    if (record.dataErrors) this.dataErrors += record.dataErrors.length;
    if (record.unchanged) this.unchanged++;
    if (record.error) this.errors[record.error] = (this.errors[record.error] ?? 0) + 1;
    else this.pagesOk++;
  }

  /** Counts a record handed to the output (a store's filter may keep some out). */
  written(): void {
    this.records++;
  }

  /**
   * Counts a URL that was not queued or not fetched.
   *
   * @param reason A short reason code.
   */
  skip(reason: string): void {
    this.skipped[reason] = (this.skipped[reason] ?? 0) + 1;
  }

  /**
   * Notes the current queue depth.
   *
   * @param depth URLs queued now.
   */
  queueDepth(depth: number): void {
    if (depth > this.maxQueueDepth) this.maxQueueDepth = depth;
  }

  /**
   * Notes why the crawl stopped before its end; the first reason stands.
   *
   * @param reason E.g. `interrupted`, `max_duration`, `max_pages`.
   */
  stopped(reason: string): void {
    if (this.stoppedBy === "done") this.stoppedBy = reason;
  }

  /** Freezes the duration. */
  end(): void {
    this.#ended ??= performance.now();
    this.#cpuEnd ??= process.cpuUsage(this.#cpuStart);
  }

  /** Milliseconds since the crawl started (or until it ended). */
  get elapsedMs(): number {
    return (this.#ended ?? performance.now()) - this.#started;
  }

  /**
   * The summary for the stats line.
   *
   * @returns A plain object for `JSON.stringify`.
   */
  summary(): CrawlSummary {
    const durationMs = Math.round(this.elapsedMs);
    const cpu = this.#cpuEnd ?? process.cpuUsage(this.#cpuStart);
    const { ok, errors } = this.checked;
    return {
      pagesOk: this.pagesOk,
      errors: { ...this.errors },
      ...(ok > 0 || Object.keys(errors).length > 0
        ? { checked: { ok, errors: { ...errors } } }
        : {}),
      skipped: { ...this.skipped },
      records: this.records,
      retries: this.retries,
      dataErrors: this.dataErrors,
      unchanged: this.unchanged,
      bytes: this.bytes,
      durationMs,
      pagesPerSecond: durationMs > 0 ? Math.round((this.pagesOk / durationMs) * 10000) / 10 : 0,
      maxQueueDepth: this.maxQueueDepth,
      stoppedBy: this.stoppedBy,
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      // resourceUsage() reports kilobytes.
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    };
  }
}
