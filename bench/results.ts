/**
 * How the benchmark (`bench/run.ts`) prints its results: a line per run and a
 * Markdown table of the medians.
 *
 * @module
 */

/** One measured run. */
export interface RunResult {
  pages: number;
  crawlMs: number;
  wallMs: number;
  crawlPagesPerSecond: number;
  wallPagesPerSecond: number;
  cpuMsPerPage: number;
  peakRssBytes: number;
  p50Ms: number;
  p99Ms: number;
  /** From spawning the CLI to its first request (start-up: Deno, modules, options). */
  firstRequestMs: number;
  /** Pages/s over the second half of the site (see `CrawlCheck` in `verify_output.ts`). */
  secondHalfPagesPerSecond: number;
  serverCpuMs: number | undefined;
  otherCpuMs: number | undefined;
  stateBytes: number | undefined;
  /** Bytes of the WARC files (and indexes) a `--warc` run wrote. */
  warcBytes?: number;
  /** With `--render`: the peak RSS of the browser's processes together (sampled). */
  browserRssBytes?: number;
  failures: string[];
}

const MiB = 1024 * 1024;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const fixed = (value: number, digits = 1) => value.toFixed(digits);

/**
 * One run's line: pages, times, rates, CPU, memory, latency and the verdict.
 *
 * @param k The run's number, from 1.
 * @param runs How many runs there are.
 * @param r The run's result.
 * @returns The line.
 *
 * @example Usage
 * ```ts ignore
 * console.log(runLine(1, 3, result)); // run 1/3: pages=5001 crawl=2.10s 2381.4 pages/s ...
 * ```
 */
export function runLine(k: number, runs: number, r: RunResult): string {
  const server = r.serverCpuMs === undefined
    ? ""
    : ` server_cpu=${fixed(r.serverCpuMs / 1000, 2)}s (${
      fixed((100 * r.serverCpuMs) / r.wallMs, 0)
    }% of a core)`;
  const other = r.otherCpuMs === undefined ? "" : ` other_cpu=${fixed(r.otherCpuMs / 1000, 2)}s`;
  const state = (r.stateBytes === undefined ? "" : ` state=${fixed(r.stateBytes / MiB)}MiB`) +
    (r.warcBytes === undefined ? "" : ` warc=${fixed(r.warcBytes / MiB)}MiB`);
  const browser = r.browserRssBytes === undefined
    ? ""
    : ` browser_rss=${fixed(r.browserRssBytes / MiB)}MiB`;
  return `run ${k}/${runs}: pages=${r.pages} crawl=${fixed(r.crawlMs / 1000, 2)}s ` +
    `${fixed(r.crawlPagesPerSecond)} pages/s (wall ${fixed(r.wallMs / 1000, 2)}s, ` +
    `${fixed(r.wallPagesPerSecond)} pages/s) first_request=${fixed(r.firstRequestMs / 1000, 2)}s ` +
    `second_half=${fixed(r.secondHalfPagesPerSecond)} pages/s cpu=${
      fixed(r.cpuMsPerPage, 2)
    } ms/page ` +
    `rss=${fixed(r.peakRssBytes / MiB)}MiB p50=${fixed(r.p50Ms)}ms p99=${fixed(r.p99Ms)}ms` +
    `${browser}${server}${other}${state} ${r.failures.length ? "FAILED" : "verified"}`;
}

/**
 * The Markdown table of the runs' medians, then the memory per page (and per
 * URL over a baseline).
 *
 * @param label The first column's heading (the concurrency and flags).
 * @param results The runs.
 * @param baselineRssMiB The peak RSS of a small crawl, for `bytes_per_url`.
 * @returns The table and the memory lines.
 *
 * @example Usage
 * ```ts ignore
 * console.log(table("c=32", results, undefined));
 * ```
 */
export function table(
  label: string,
  results: RunResult[],
  baselineRssMiB: number | undefined,
): string {
  const m = (pick: (r: RunResult) => number) => median(results.map(pick));
  const serverCpu = results.every((r) => r.serverCpuMs !== undefined)
    ? fixed(m((r) => r.serverCpuMs! / r.pages), 3)
    : "n/a";
  const rss = m((r) => r.peakRssBytes);
  const pages = m((r) => r.pages);
  const lines = [
    `| ${label} | pages | pages/s (crawl) | pages/s (process wall) | first request s | pages/s (second half) | CPU ms/page | peak RSS MiB | p50 ms | p99 ms | server CPU ms/page |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    `| median of ${results.length} | ${pages} | ${fixed(m((r) => r.crawlPagesPerSecond))} | ` +
    `${fixed(m((r) => r.wallPagesPerSecond))} | ${fixed(m((r) => r.firstRequestMs) / 1000, 2)} | ` +
    `${fixed(m((r) => r.secondHalfPagesPerSecond))} | ${fixed(m((r) => r.cpuMsPerPage), 2)} | ` +
    `${fixed(rss / MiB)} | ${fixed(m((r) => r.p50Ms))} | ${
      fixed(m((r) => r.p99Ms))
    } | ${serverCpu} |`,
    "",
    `rss_per_page_bytes = ${Math.round(rss / pages)}`,
  ];
  if (results.every((r) => r.warcBytes !== undefined)) {
    lines.push(`warc_bytes_per_page = ${Math.round(m((r) => r.warcBytes! / r.pages))}`);
  }
  if (baselineRssMiB !== undefined) {
    lines.push(
      `bytes_per_url = ${
        Math.round((rss - baselineRssMiB * MiB) / pages)
      } (over a ${baselineRssMiB} MiB baseline)`,
    );
  }
  return lines.join("\n");
}

/**
 * Rewrites `--flags "--x y"` as `--flags=--x y`: a separate value starting with a dash is
 * one that `parseArgs` refuses, and the benchmarks pass CLI flags through that way.
 *
 * @param args The benchmark's arguments.
 * @returns The arguments, ready for `parseArgs`.
 *
 * @example Usage
 * ```ts
 * import { joinFlagsValue } from "./results.ts";
 * joinFlagsValue(["--flags", "--parsers 0"]); // ["--flags=--parsers 0"]
 * ```
 */
export function joinFlagsValue(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let k = 0; k < args.length; k++) {
    const arg = args[k]!;
    if (arg === "--flags" && k + 1 < args.length) out.push(`--flags=${args[++k]}`);
    else out.push(arg);
  }
  return out;
}
