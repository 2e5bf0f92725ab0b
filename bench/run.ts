/**
 * The throughput benchmark (`deno task bench`): serves a generated site from
 * its own process (`bench/serve.ts`), crawls it with the real CLI exactly as
 * a user would, verifies the crawl, and prints pages/s, CPU ms/page, peak RSS
 * and page latency, per run and as medians.
 *
 * ```sh
 * deno task bench                          # 5,000 pages, 3 runs, concurrency 32
 * deno task bench --pages 50000 --runs 1   # memory growth: see rss_per_page_bytes
 * deno task bench --state                  # durable mode, a fresh state file per run
 * deno task bench --flags "--parsers 1"    # extra CLI flags
 * ```
 *
 * Flags: `--pages N` (5000), `--runs R` (3), `--concurrency C` (32), `--flags "..."`, `--state`,
 * `--keep` (keep outputs), `--baseline-rss MIB` (peak RSS of a small crawl, for bytes per URL).
 * A `--state FILE` inside `--flags` is deleted (with its -wal/-shm/-journal) before each run,
 * so every run crawls from scratch.
 *
 * Per run it prints crawl time and pages/s from the CLI's summary line, the
 * same on the process's wall time (start-up included), CPU ms per page (the
 * summary's `cpuMs`, i.e. from crawl start), peak RSS, p50/p99 of the
 * records' `durationMs`, and for information the server's CPU (from
 * `/proc/PID/stat`) and `other_cpu`: the machine's busy CPU over the run
 * minus the crawl's and the server's, i.e. CLI start-up plus everything else
 * running on the machine; a large value means the numbers are contended.
 * Linux only; elsewhere these two are left out. The final Markdown table has
 * the medians, then `rss_per_page_bytes` (peak RSS / pages) and, with
 * `--baseline-rss`, `bytes_per_url` ((peak RSS - baseline) / pages).
 *
 * Exits 1 when a run fails or a verification fails: every page of the site
 * fetched exactly once with status 200, no other URL, no duplicate request
 * (checked on the output and on the server's own counts).
 *
 * Permissions: `--allow-run=deno --allow-net=127.0.0.1`, read and write in the
 * temp directory (and on a `--state FILE`), read on `/proc`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type BenchServer, startBenchServer } from "./serve.ts";

/** Flags the CLI may not know yet (they are being added); dropped with a note if it refuses them. */
const OPTIONAL_FLAGS = ["--allow-private", "--ignore-robots"];

/** One measured run. */
interface RunResult {
  pages: number;
  crawlMs: number;
  wallMs: number;
  crawlPagesPerSecond: number;
  wallPagesPerSecond: number;
  cpuMsPerPage: number;
  peakRssBytes: number;
  p50Ms: number;
  p99Ms: number;
  serverCpuMs: number | undefined;
  otherCpuMs: number | undefined;
  stateBytes: number | undefined;
  failures: string[];
}

/** The verdict on a crawl's output. */
interface CrawlCheck {
  /** Records read. */
  records: number;
  /** What is wrong; empty when the crawl is right. */
  failures: string[];
  /** Median of the records' `durationMs`. */
  p50Ms: number;
  /** 99th percentile of the records' `durationMs`. */
  p99Ms: number;
}

const ROOT = new URL("..", import.meta.url).pathname;
const MiB = 1024 * 1024;

/** Splits `--flags` like a shell would, for the simple cases: spaces, '…' and "…". */
function splitFlags(text: string): string[] {
  const words: string[] = [];
  for (const match of text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) {
    words.push(match[1] ?? match[2] ?? match[3]!);
  }
  return words;
}

function positiveInt(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot run benchmark as '${name}' must be a positive integer: received ${text}`,
    );
  }
  return value;
}

/** Busy CPU of the whole machine (all cores), in ms, or `undefined` off Linux. */
async function machineBusyMs(): Promise<number | undefined> {
  try {
    const line = (await Deno.readTextFile("/proc/stat")).split("\n", 1)[0]!;
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    // USER_HZ is 100 on every Linux architecture Deno runs on.
    return (user! + nice! + system! + irq! + softirq! + (steal ?? 0)) * 10;
  } catch {
    return undefined;
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Reads the CLI's summary: the last stderr line that is a JSON object with `pagesOk`. */
function findSummary(stderr: string): Record<string, number> | undefined {
  const lines = stderr.trimEnd().split("\n").reverse();
  for (const line of lines) {
    if (!line.startsWith("{")) continue;
    try {
      const value = JSON.parse(line);
      if (typeof value?.pagesOk === "number") return value;
    } catch {
      // Not the summary.
    }
  }
  return undefined;
}

/** The lines of a file, streamed: a large crawl's output can be hundreds of MB. */
async function* lines(path: string): AsyncGenerator<string> {
  const file = await Deno.open(path);
  const decoder = new TextDecoder();
  let rest = "";
  // `readable` closes the file when it ends.
  for await (const chunk of file.readable) {
    rest += decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let end = rest.indexOf("\n"); end >= 0; end = rest.indexOf("\n", start)) {
      yield rest.slice(start, end);
      start = end + 1;
    }
    rest = rest.slice(start);
  }
  rest += decoder.decode();
  if (rest) yield rest;
}

/** Nearest-rank percentile of sorted values. */
const percentile = (sorted: Float64Array, p: number) =>
  sorted.length ? sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]! : NaN;

/**
 * Checks the output holds every page of the site exactly once, with status
 * 200, and nothing else; collects the latencies on the way.
 */
async function verifyOutput(path: string, origin: string, pages: number): Promise<CrawlCheck> {
  // Slot 0 is /index.html, slot i + 1 is /p/<i>.html.
  const seen = new Uint32Array(pages + 1);
  const durations: number[] = [];
  const outside: string[] = [];
  const notOk: string[] = [];
  const slotOf = (url: string) => {
    if (!url.startsWith(origin + "/")) return -1;
    const pathname = url.slice(origin.length);
    if (pathname === "/index.html") return 0;
    const match = /^\/p\/(0|[1-9]\d*)\.html$/.exec(pathname);
    const i = match ? Number(match[1]) : pages;
    return i < pages ? i + 1 : -1;
  };
  let records = 0;
  for await (const line of lines(path)) {
    if (!line) continue;
    records++;
    const record = JSON.parse(line);
    durations.push(record.durationMs);
    const slot = slotOf(record.url);
    if (slot < 0) outside.push(record.url);
    else seen[slot]!++;
    if (record.status !== 200 || record.error) {
      notOk.push(`${record.url} ${record.status} ${record.error ?? ""}`.trim());
    }
  }
  const missing: number[] = [], repeated: number[] = [];
  seen.forEach((count, slot) => {
    if (count === 0) missing.push(slot);
    if (count > 1) repeated.push(slot);
  });
  const name = (slot: number) => slot === 0 ? "/index.html" : `/p/${slot - 1}.html`;
  const sample = (items: unknown[]) => items.slice(0, 5).join(", ");
  const failures: string[] = [];
  if (records !== pages + 1) failures.push(`output: ${records} records, expected ${pages + 1}`);
  if (missing.length) {
    failures.push(`output: ${missing.length} pages missing, e.g. ${sample(missing.map(name))}`);
  }
  if (repeated.length) {
    failures.push(`output: ${repeated.length} pages repeated, e.g. ${sample(repeated.map(name))}`);
  }
  if (outside.length) {
    failures.push(`output: ${outside.length} URLs outside the site, e.g. ${sample(outside)}`);
  }
  if (notOk.length) failures.push(`output: ${notOk.length} records not 200, e.g. ${sample(notOk)}`);
  const sorted = Float64Array.from(durations).sort();
  return { records, failures, p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99) };
}

async function removeState(path: string): Promise<void> {
  for (const suffix of ["", "-wal", "-shm", "-journal"]) {
    await Deno.remove(path + suffix).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await Deno.stat(path)).size;
  } catch {
    return undefined;
  }
}

interface RunOptions {
  pages: number;
  concurrency: number;
  extra: string[];
  statePath: string | undefined;
  optional: string[];
  out: string;
  /** Aborted on SIGINT/SIGTERM: the CLI is stopped (SIGTERM) and the run throws. */
  signal: AbortSignal;
}

async function crawlOnce(server: BenchServer, options: RunOptions): Promise<RunResult> {
  const { pages, out } = options;
  let attempt = 0;
  for (;;) {
    attempt++;
    options.signal.throwIfAborted();
    await server.reset();
    await Deno.remove(out).catch(() => {});
    if (options.statePath) await removeState(options.statePath);
    const args = [
      "run",
      "-P",
      "main.ts",
      "--seeds",
      `${server.origin}/index.html`,
      "--concurrency",
      String(options.concurrency),
      // One host serves the whole site: its politeness cap is lifted to the global cap, as the
      // peer crawlers in ../shared/bench are run (concurrency C against one host).
      "--per-host",
      String(options.concurrency),
      "--out",
      out,
      ...options.optional,
      ...options.extra,
    ];
    if (attempt === 1) console.error(`$ deno ${args.join(" ")}`);
    const serverCpuBefore = await server.cpuMs();
    const busyBefore = await machineBusyMs();
    const started = performance.now();
    // By name, as a user types it: the "bench" permission set allows running `deno`, and
    // Deno.execPath() is the resolved binary, which that allowlist entry does not match.
    const child = new Deno.Command("deno", {
      args,
      cwd: ROOT,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      signal: options.signal,
    }).spawn();
    const { code, stderr: bytes } = await child.output();
    options.signal.throwIfAborted();
    const wallMs = performance.now() - started;
    const busyAfter = await machineBusyMs();
    const serverCpuAfter = await server.cpuMs();
    const stderr = new TextDecoder().decode(bytes);
    const unknown = /Unknown option '(--[\w-]+)'/.exec(stderr)?.[1];
    if (code === 2 && unknown && options.optional.includes(unknown)) {
      console.error(`note: the CLI does not know ${unknown} yet; running without it`);
      options.optional.splice(options.optional.indexOf(unknown), 1);
      continue;
    }
    const summary = findSummary(stderr);
    if (code !== 0 || !summary) {
      throw new Error(`the CLI exited ${code}${summary ? "" : " without a summary"}:\n${stderr}`);
    }
    const check: CrawlCheck = await verifyOutput(out, server.origin, pages);
    const failures = [...check.failures];
    const served = await server.stats();
    if (served.pageRequests !== pages + 1) {
      failures.push(`server: ${served.pageRequests} page requests, expected ${pages + 1}`);
    }
    if (served.duplicates > 0) {
      failures.push(
        `server: ${served.duplicates} repeated requests, e.g. ${
          JSON.stringify(served.duplicatePaths)
        }`,
      );
    }
    if (served.notFound > 0) {
      failures.push(
        `server: ${served.notFound} requests outside the site, e.g. ${served.notFoundPaths}`,
      );
    }
    if (summary.pagesOk !== pages + 1) {
      failures.push(`stats: pagesOk ${summary.pagesOk}, expected ${pages + 1}`);
    }
    const crawledPages = summary.pagesOk!;
    const serverCpuMs = serverCpuAfter !== undefined && serverCpuBefore !== undefined
      ? serverCpuAfter - serverCpuBefore
      : undefined;
    const otherCpuMs =
      busyAfter !== undefined && busyBefore !== undefined && serverCpuMs !== undefined
        ? Math.max(0, busyAfter - busyBefore - serverCpuMs - summary.cpuMs!)
        : undefined;
    return {
      pages: crawledPages,
      crawlMs: summary.durationMs!,
      wallMs,
      crawlPagesPerSecond: crawledPages / (summary.durationMs! / 1000),
      wallPagesPerSecond: crawledPages / (wallMs / 1000),
      cpuMsPerPage: summary.cpuMs! / crawledPages,
      peakRssBytes: summary.peakRssBytes!,
      p50Ms: check.p50Ms,
      p99Ms: check.p99Ms,
      serverCpuMs,
      otherCpuMs,
      stateBytes: options.statePath ? await fileSize(options.statePath) : undefined,
      failures,
    };
  }
}

const fixed = (value: number, digits = 1) => value.toFixed(digits);

function runLine(k: number, runs: number, r: RunResult): string {
  const server = r.serverCpuMs === undefined
    ? ""
    : ` server_cpu=${fixed(r.serverCpuMs / 1000, 2)}s (${
      fixed((100 * r.serverCpuMs) / r.wallMs, 0)
    }% of a core)`;
  const other = r.otherCpuMs === undefined ? "" : ` other_cpu=${fixed(r.otherCpuMs / 1000, 2)}s`;
  const state = r.stateBytes === undefined ? "" : ` state=${fixed(r.stateBytes / MiB)}MiB`;
  return `run ${k}/${runs}: pages=${r.pages} crawl=${fixed(r.crawlMs / 1000, 2)}s ` +
    `${fixed(r.crawlPagesPerSecond)} pages/s (wall ${fixed(r.wallMs / 1000, 2)}s, ` +
    `${fixed(r.wallPagesPerSecond)} pages/s) cpu=${fixed(r.cpuMsPerPage, 2)} ms/page ` +
    `rss=${fixed(r.peakRssBytes / MiB)}MiB p50=${fixed(r.p50Ms)}ms p99=${fixed(r.p99Ms)}ms` +
    `${server}${other}${state} ${r.failures.length ? "FAILED" : "verified"}`;
}

function table(label: string, results: RunResult[], baselineRssMiB: number | undefined): string {
  const m = (pick: (r: RunResult) => number) => median(results.map(pick));
  const serverCpu = results.every((r) => r.serverCpuMs !== undefined)
    ? fixed(m((r) => r.serverCpuMs! / r.pages), 3)
    : "n/a";
  const rss = m((r) => r.peakRssBytes);
  const pages = m((r) => r.pages);
  const lines = [
    `| ${label} | pages | pages/s (crawl) | pages/s (process wall) | CPU ms/page | peak RSS MiB | p50 ms | p99 ms | server CPU ms/page |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    `| median of ${results.length} | ${pages} | ${fixed(m((r) => r.crawlPagesPerSecond))} | ` +
    `${fixed(m((r) => r.wallPagesPerSecond))} | ${fixed(m((r) => r.cpuMsPerPage), 2)} | ` +
    `${fixed(rss / MiB)} | ${fixed(m((r) => r.p50Ms))} | ${
      fixed(m((r) => r.p99Ms))
    } | ${serverCpu} |`,
    "",
    `rss_per_page_bytes = ${Math.round(rss / pages)}`,
  ];
  if (baselineRssMiB !== undefined) {
    lines.push(
      `bytes_per_url = ${
        Math.round((rss - baselineRssMiB * MiB) / pages)
      } (over a ${baselineRssMiB} MiB baseline)`,
    );
  }
  return lines.join("\n");
}

async function main(signal: AbortSignal): Promise<number> {
  // `--flags "--per-host 8"` is one value that starts with a dash, which parseArgs refuses.
  const args: string[] = [];
  for (let k = 0; k < Deno.args.length; k++) {
    const arg = Deno.args[k]!;
    if (arg === "--flags" && k + 1 < Deno.args.length) args.push(`--flags=${Deno.args[++k]}`);
    else args.push(arg);
  }
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      pages: { type: "string", default: "5000" },
      runs: { type: "string", default: "3" },
      concurrency: { type: "string", default: "32" },
      flags: { type: "string", default: "" },
      state: { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
      "baseline-rss": { type: "string" },
    },
  });
  const pages = positiveInt("pages", values.pages);
  if (pages < 3) {
    throw new RangeError(`Cannot run benchmark as 'pages' must be >= 3: received ${pages}`);
  }
  const runs = positiveInt("runs", values.runs);
  const concurrency = positiveInt("concurrency", values.concurrency);
  const baseline = values["baseline-rss"] === undefined
    ? undefined
    : Number(values["baseline-rss"]);
  if (baseline !== undefined && !(baseline >= 0)) {
    throw new RangeError(
      `Cannot run benchmark as 'baseline-rss' must be a number of MiB: received ${
        values["baseline-rss"]
      }`,
    );
  }
  const extra = splitFlags(values.flags);
  const stateAt = extra.indexOf("--state");
  const userState = stateAt >= 0 ? extra[stateAt + 1] : undefined;
  if (userState && runs > 1) console.error(`note: ${userState} is deleted before each run`);

  const dir = await Deno.makeTempDir({ prefix: "crawler-bench-" });
  const optional = [...OPTIONAL_FLAGS];
  const results: RunResult[] = [];
  console.log(
    `# crawler benchmark: ${pages} pages (+ index), concurrency ${concurrency}, ${runs} run(s), ` +
      `flags: ${[values.state ? "--state" : "", values.flags].join(" ").trim() || "(none)"}; ` +
      `Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} CPUs`,
  );
  try {
    for (let k = 1; k <= runs; k++) {
      signal.throwIfAborted();
      await using server = await startBenchServer({ pages });
      const statePath = values.state ? `${dir}/run-${k}.db` : userState;
      const runExtra = values.state ? [...extra, "--state", statePath!] : extra;
      const result = await crawlOnce(server, {
        pages,
        concurrency,
        extra: runExtra,
        statePath,
        optional,
        out: `${dir}/run-${k}.jsonl`,
        signal,
      });
      results.push(result);
      console.log(runLine(k, runs, result));
      for (const failure of result.failures) console.log(`  FAIL ${failure}`);
    }
  } finally {
    if (values.keep) console.error(`outputs kept in ${dir}`);
    else await Deno.remove(dir, { recursive: true });
  }
  if (optional.length < OPTIONAL_FLAGS.length) {
    console.log(
      `note: ran without ${OPTIONAL_FLAGS.filter((f) => !optional.includes(f)).join(" ")}`,
    );
  }
  console.log("");
  console.log(table(`c=${concurrency} ${values.flags}`.trim(), results, baseline));
  return results.some((r) => r.failures.length > 0) ? 1 : 0;
}

if (import.meta.main) {
  // A signal stops the CLI and unwinds through the `finally`s, so the server
  // is stopped and the temp directory removed even when only we get it.
  const interrupt = new AbortController();
  const onSignal = (name: "SIGINT" | "SIGTERM") => () =>
    interrupt.abort(new Error(`interrupted by ${name}`));
  const handlers = { SIGINT: onSignal("SIGINT"), SIGTERM: onSignal("SIGTERM") };
  for (const name of ["SIGINT", "SIGTERM"] as const) {
    try {
      Deno.addSignalListener(name, handlers[name]);
    } catch {
      // Windows has no SIGTERM.
    }
  }
  let code: number;
  try {
    code = await main(interrupt.signal);
  } catch (error) {
    console.error(`bench: ${error instanceof Error ? error.message : error}`);
    code = interrupt.signal.aborted ? 130 : 1;
  }
  Deno.exit(code);
}
