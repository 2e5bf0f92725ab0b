/**
 * The end-of-run summary a person reads: pages ok, errors by kind, the
 * first broken targets, where the output went, how long it took and how
 * fast. The JSON stats line is the machine's; this is the person's.
 *
 * @module
 */

import type { LinkCheckResult } from "../linkcheck/check_links.ts";
import { type CrawlRecord, ERROR_KINDS, type ErrorKind } from "../output/record.ts";
import type { CrawlSummary } from "../output/stats.ts";

/** How many broken targets a summary lists. */
export const BROKEN_SHOWN = 5;

/** One broken target, as the summary lists it. */
export interface BrokenTarget {
  /** The URL that could not be fetched. */
  url: string;
  /** Its status, or the error code when no response came. */
  outcome: string;
  /** The page that links to it, `null` for a seed. */
  parent: string | null;
}

/**
 * Keeps the first few broken targets of a run (bounded, whatever the crawl's size).
 *
 * @example Usage
 * ```ts
 * import { BrokenTargets } from "./summary.ts";
 * import assert from "node:assert/strict";
 *
 * const broken = new BrokenTargets();
 * broken.add({ url: "https://a.test/gone", status: 404, error: "http_4xx", parent: "https://a.test/" });
 * broken.add({ url: "https://a.test/", status: 200, parent: null }); // not broken
 * assert.deepEqual(broken.first, [
 *   { url: "https://a.test/gone", outcome: "404", parent: "https://a.test/" },
 * ]);
 * ```
 */
export class BrokenTargets {
  /** The first {@linkcode BROKEN_SHOWN} broken targets, in the order they were finished. */
  readonly first: BrokenTarget[] = [];
  /** Broken targets in all. */
  total = 0;

  /**
   * Looks at one record.
   *
   * @param record The record (only its URL, status, error and parent are read).
   */
  add(record: Pick<CrawlRecord, "url" | "status" | "error" | "parent">): void {
    if (!record.error || ERROR_KINDS[record.error] !== "broken") return;
    this.total++;
    if (this.first.length < BROKEN_SHOWN) {
      const outcome = record.status === null ? record.error : String(record.status);
      this.first.push({ url: record.url, outcome, parent: record.parent });
    }
  }
}

/** What the summary says besides the crawl's own counters. */
export interface SummaryContext {
  /** The broken targets seen. */
  broken: BrokenTargets;
  /** Where records went (`undefined`: stdout), and in which format. */
  output: { path: string | undefined; format: string };
  /** The HTML report's path, if one was written. */
  report?: string;
  /** The SQLite state file, if any: a run stopped early says how to resume it. */
  state?: string;
  /** What the link check found, when it ran: its broken targets replace `broken`'s. */
  links?: LinkCheckResult;
  /** The link table's path, if one was written. */
  linksOut?: string;
}

const KINDS: readonly ErrorKind[] = ["broken", "refused", "failed"];

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function counts(map: Record<string, number>): string {
  return Object.entries(map).sort(([, a], [, b]) => b - a).map(([k, n]) => `${k} ${n}`).join(
    ", ",
  );
}

/** The link check's lines: its counts, then the first broken targets with their referrers. */
function linkLines(links: LinkCheckResult): string[] {
  const { results } = links;
  const parts = [`${results.broken} broken (${plural(links.broken.length, "target")})`];
  if (results.refused > 0) parts.push(`${results.refused} refused by policy`);
  if (results.unchecked > 0) parts.push(`${results.unchecked} not checked`);
  const lines = [`  links    ${plural(links.links, "link")} on the pages: ${parts.join(", ")}`];
  links.broken.slice(0, BROKEN_SHOWN).forEach((target, i) => {
    // A missing fragment's page answered fine: its error says what is wrong.
    const outcome = target.error === "fragment_missing"
      ? target.error
      : target.status ?? target.error;
    const first = target.referrers[0]!;
    const text = first.text === undefined ? "" : ` "${first.text}"`;
    const others = target.count > 1 ? ` and ${plural(target.count - 1, "more page")}` : "";
    lines.push(
      `  ${
        i === 0 ? "broken  " : "        "
      } ${outcome} ${target.target}  <- ${first.source}${text}${others}`,
    );
  });
  if (links.broken.length > BROKEN_SHOWN) {
    lines.push(`           ... and ${links.broken.length - BROKEN_SHOWN} more broken targets`);
  }
  return lines;
}

/**
 * A duration for people: `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 03 min`.
 *
 * @param ms Milliseconds.
 * @returns The text.
 *
 * @example Usage
 * ```ts
 * import { formatDuration } from "./summary.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatDuration(850), "850 ms");
 * assert.equal(formatDuration(12_345), "12.3 s");
 * assert.equal(formatDuration(245_000), "4 min 05 s");
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  const min = Math.round(s / 60);
  return `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, "0")} min`;
}

/**
 * A byte count for people: `512 B`, `1.5 KB`, `2.3 MB`, `1.1 GB` (powers of 1000).
 *
 * @param bytes The count.
 * @returns The text.
 *
 * @example Usage
 * ```ts
 * import { formatBytes } from "./summary.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatBytes(2_300_000), "2.3 MB");
 * ```
 */
export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** How the summary's first line says why the run ended. */
/** Why a `--state` run ended for good: running the command again starts nothing. */
const ENDED: ReadonlySet<string> = new Set(["done", "max_pages", "already_complete"]);

function ending(stoppedBy: string): string {
  switch (stoppedBy) {
    case "done":
      return "done";
    case "interrupted":
      return "stopped by a signal";
    case "aborted":
      return "aborted";
    default:
      // A limit: max_pages, max_duration, ... named as its flag.
      return `stopped at --${stoppedBy.replaceAll("_", "-")}`;
  }
}

/**
 * The summary's lines, without line ends.
 *
 * @param summary The run's summary (the JSON stats line's content).
 * @param context The broken targets, where the output went, the state file.
 * @returns The lines: a headline, then indented details.
 *
 * @example Usage
 * ```ts
 * import { BrokenTargets, formatSummary } from "./summary.ts";
 * import { CrawlStats } from "../output/stats.ts";
 * import assert from "node:assert/strict";
 *
 * const stats = new CrawlStats();
 * const broken = new BrokenTargets();
 * const gone = {
 *   url: "https://a.test/gone", requestedUrl: "https://a.test/gone", status: 404, depth: 1,
 *   parent: "https://a.test/", fetchedAt: "2026-01-01T00:00:00.000Z", contentType: "text/html",
 *   bytes: 0, durationMs: 3, attempts: 1, title: null, description: null, canonical: null,
 *   h1: [], links: [], error: "http_4xx" as const,
 * };
 * stats.record(gone);
 * broken.add(gone);
 * const lines = formatSummary(stats.summary(), {
 *   broken,
 *   output: { path: "links.csv", format: "csv" },
 * });
 * assert.match(lines[0]!, /^crawl done in \d+ ms: 0 pages ok, 1 error$/);
 * assert.equal(lines[1], "  errors   broken 1 (http_4xx 1)");
 * assert.equal(lines[2], "  broken   404 https://a.test/gone  <- https://a.test/");
 * assert.equal(lines[3], "  output   links.csv (0 records, csv)");
 * ```
 */
export function formatSummary(
  summary: CrawlSummary & { runId?: unknown },
  context: SummaryContext,
): string[] {
  const errors = Object.values(summary.errors).reduce((a, b) => a + b, 0);
  const skipped = Object.values(summary.skipped).reduce((a, b) => a + b, 0);
  const run = typeof summary.runId === "number" ? `run ${summary.runId}` : "crawl";
  let head = `${run} ${ending(summary.stoppedBy)} in ${formatDuration(summary.durationMs)}: ` +
    `${plural(summary.pagesOk, "page")} ok, ${plural(errors, "error")}`;
  if (summary.unchanged > 0) head += ` (${summary.unchanged} unchanged)`;
  if (skipped > 0) head += `, ${skipped} skipped`;
  const lines = [head];
  const byKind = KINDS.map((kind) => {
    const codes = Object.fromEntries(
      Object.entries(summary.errors).filter(([code]) =>
        ERROR_KINDS[code as keyof typeof ERROR_KINDS] === kind
      ),
    );
    const n = Object.values(codes).reduce((a, b) => a + b, 0);
    return n === 0 ? "" : `${kind} ${n} (${counts(codes)})`;
  }).filter((text) => text !== "");
  if (byKind.length > 0) lines.push(`  errors   ${byKind.join("; ")}`);
  if (skipped > 0) lines.push(`  skipped  ${counts(summary.skipped)}`);
  const checked = summary.checked;
  if (checked) {
    const failed = Object.values(checked.errors).reduce((a, b) => a + b, 0);
    lines.push(
      `  checked  ${
        plural(checked.ok + failed, "resource or external link", "resources and external links")
      }: ` +
        `${checked.ok} ok` + (failed > 0 ? `, ${failed} failed (${counts(checked.errors)})` : ""),
    );
  }
  const { broken, links } = context;
  if (links) lines.push(...linkLines(links));
  else {broken.first.forEach((target, i) => {
      const from = target.parent === null ? " (a seed)" : `  <- ${target.parent}`;
      lines.push(`  ${i === 0 ? "broken  " : "        "} ${target.outcome} ${target.url}${from}`);
    });}
  if (!links && broken.total > broken.first.length) {
    lines.push(`           ... and ${broken.total - broken.first.length} more broken`);
  }
  const { path, format } = context.output;
  lines.push(
    `  output   ${path ?? "stdout"} (${plural(summary.records, "record")}, ${format})`,
  );
  if (context.report !== undefined) lines.push(`  report   ${context.report}`);
  if (context.linksOut !== undefined) lines.push(`  links    ${context.linksOut} (the link table)`);
  if (summary.pagesOk > 0 || summary.bytes > 0) {
    let speed = `${summary.pagesPerSecond} pages/s, ${formatBytes(summary.bytes)} received`;
    if (summary.retries > 0) speed += `, ${plural(summary.retries, "retry", "retries")}`;
    lines.push(`  speed    ${speed}`);
  }
  // A run that ended (all done, or the crawl's whole --max-pages spent) leaves nothing to resume.
  if (context.state !== undefined && !ENDED.has(summary.stoppedBy)) {
    lines.push(
      `  resume   run the same command again: ${context.state} keeps what is left to crawl`,
    );
  }
  return lines;
}
