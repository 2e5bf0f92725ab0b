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
 * deno task bench --warc                   # the cost of --warc: each run without, then with
 * deno task bench --render-pages 0         # without the rendered-pages run
 * ```
 *
 * Flags: `--pages N` (5000), `--runs R` (3), `--concurrency C` (32), `--flags "..."`, `--state`,
 * `--runtime-flags "..."` (Deno's flags before `main.ts`, `-P` implied; default: those of
 * `deno task crawl`, so the CLI is launched as users launch it), `--keep` (keep outputs), `--baseline-rss MIB` (peak RSS of a small crawl, for bytes per URL),
 * `--warc` (each run crawls twice, without and with `--warc --warc-cdx`, interleaved so both see
 * the same machine; two tables, the second with the WARC bytes per page).
 * `--render-pages N` (100; 0 for none): after the runs, one crawl of an N-page site with
 * `--render` (headless Chromium, concurrency 8), printed with the browser's peak RSS (its
 * processes together, sampled every 250 ms with `ps`) beside the crawler's.
 * A `--state FILE` inside `--flags` is deleted (with its -wal/-shm/-journal) before each run,
 * so every run crawls from scratch.
 *
 * Per run it prints crawl time and pages/s from the CLI's summary line, the
 * same on the process's wall time (start-up included), CPU ms per page (the
 * summary's `cpuMs`, i.e. from crawl start), peak RSS, p50/p99 of the
 * records' `durationMs`, the time from spawning the CLI to its first request
 * (`first_request`: start-up) and the pages/s over the second half of the
 * site by the records' `fetchedAt` (`second_half`: the crawl at full speed,
 * V8's tiering behind it; a fresh process's whole-process pages/s is these
 * two and the warm-up between them), and for information the server's CPU (from
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
 * Permissions: `--allow-run=deno,ps --allow-net=127.0.0.1`, read and write in the
 * temp directory (and on a `--state FILE`), read on `/proc`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { runLine, type RunResult, table } from "./results.ts";
import { joinFlagsValue } from "./results.ts";
import { type BenchServer, startBenchServer } from "./serve.ts";
import { type CrawlCheck, verifyOutput } from "./verify_output.ts";
import { crawlTaskFlags, findSummary, positiveInt, splitFlags } from "./args.ts";
import { machineBusyMs } from "./measure.ts";

/** Flags the CLI may not know yet (they are being added); dropped with a note if it refuses them. */
const OPTIONAL_FLAGS = ["--allow-private", "--ignore-robots"];

const ROOT = new URL("..", import.meta.url).pathname;

async function removeState(path: string): Promise<void> {
  for (const suffix of ["", "-wal", "-shm", "-journal"]) {
    await Deno.remove(path + suffix).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }
}

/** The bytes of the WARC files and indexes named after `FILE.warc.gz`. */
async function archiveSize(path: string): Promise<number> {
  const slash = path.lastIndexOf("/");
  const folder = path.slice(0, slash);
  const prefix = `${path.slice(slash + 1, -".warc.gz".length)}-`;
  let total = 0;
  for await (const entry of Deno.readDir(folder)) {
    if (entry.name.startsWith(prefix)) total += (await Deno.stat(`${folder}/${entry.name}`)).size;
  }
  return total;
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await Deno.stat(path)).size;
  } catch {
    return undefined;
  }
}

/** The summed RSS of `pid`'s descendant processes now, in bytes (`ps`), or 0 when none. */
async function descendantsRss(pid: number): Promise<number> {
  const { stdout } = await new Deno.Command("ps", {
    args: ["-e", "-o", "pid=,ppid=,rss="],
    stdout: "piped",
    stderr: "null",
  }).output();
  const rows = new TextDecoder().decode(stdout).trim().split("\n").map((line) =>
    line.trim().split(/\s+/).map(Number)
  );
  const family = new Set([pid]);
  let total = 0;
  for (let grew = true; grew;) {
    grew = false;
    for (const [child, parent, rss] of rows) {
      if (family.has(parent!) && !family.has(child!)) {
        family.add(child!);
        total += rss! * 1024;
        grew = true;
      }
    }
  }
  return total;
}

/**
 * Samples the peak RSS of a process's descendants (a rendering crawl's
 * browser) until `done` resolves. A sampler, not a wait: the benchmark
 * reports what it saw every 250 ms.
 */
async function samplePeakRss(pid: number, done: Promise<unknown>): Promise<number> {
  let peak = 0;
  let finished = false;
  done.finally(() => finished = true);
  while (!finished) {
    peak = Math.max(peak, await descendantsRss(pid));
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 250))]);
  }
  return peak;
}

interface RunOptions {
  /** Deno's flags before `main.ts` (`-P` and the V8 flags). */
  runtime: string[];
  pages: number;
  concurrency: number;
  extra: string[];
  statePath: string | undefined;
  optional: string[];
  out: string;
  /** `FILE.warc.gz` to archive into (`--warc --warc-cdx`), if any. */
  warc?: string;
  /** Aborted on SIGINT/SIGTERM: the CLI is stopped (SIGTERM) and the run throws. */
  signal: AbortSignal;
  /**
   * A rendering crawl (`--render`): the browser's RSS is sampled, and its own
   * requests for a page's subresources (the stylesheet) are not counted
   * against the verification of the crawl.
   */
  render?: boolean;
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
    const warc = options.warc ? ["--warc", options.warc, "--warc-cdx"] : [];
    const args = [
      "run",
      ...options.runtime,
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
      ...warc,
    ];
    if (attempt === 1) console.error(`$ deno ${args.join(" ")}`);
    const serverCpuBefore = await server.cpuMs();
    const busyBefore = await machineBusyMs();
    const started = performance.now();
    const spawnedAt = Date.now();
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
    const output = child.output();
    const browserRss = options.render ? samplePeakRss(child.pid, output) : undefined;
    const { code, stderr: bytes } = await output;
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
    // A browser fetches each page's stylesheet too: only page requests count for it.
    if (served.duplicates > 0 && !options.render) {
      failures.push(
        `server: ${served.duplicates} repeated requests, e.g. ${
          JSON.stringify(served.duplicatePaths)
        }`,
      );
    }
    if (served.notFound > 0 && !options.render) {
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
      firstRequestMs: check.firstFetchedAt - spawnedAt,
      secondHalfPagesPerSecond: check.secondHalfPagesPerSecond,
      serverCpuMs,
      otherCpuMs,
      stateBytes: options.statePath ? await fileSize(options.statePath) : undefined,
      warcBytes: options.warc ? await archiveSize(options.warc) : undefined,
      browserRssBytes: await browserRss,
      failures,
    };
  }
}

async function main(signal: AbortSignal): Promise<number> {
  const args = joinFlagsValue(Deno.args);
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      pages: { type: "string", default: "5000" },
      runs: { type: "string", default: "3" },
      concurrency: { type: "string", default: "32" },
      flags: { type: "string", default: "" },
      state: { type: "boolean", default: false },
      warc: { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
      "baseline-rss": { type: "string" },
      "render-pages": { type: "string", default: "100" },
      "runtime-flags": { type: "string" },
    },
  });
  const runtime = values["runtime-flags"] === undefined
    ? await crawlTaskFlags()
    : ["-P", ...splitFlags(values["runtime-flags"])];
  const pages = positiveInt("pages", values.pages);
  if (pages < 3) {
    throw new RangeError(`Cannot run benchmark as 'pages' must be >= 3: received ${pages}`);
  }
  const runs = positiveInt("runs", values.runs);
  const renderPages = Number(values["render-pages"]);
  if (!Number.isInteger(renderPages) || renderPages < 0) {
    throw new RangeError(
      `Cannot run benchmark as 'render-pages' must be a non-negative integer: received ${
        values["render-pages"]
      }`,
    );
  }
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
  const archived: RunResult[] = [];
  let renderedLine: string | undefined;
  let renderFailed = false;
  console.log(
    `# crawler benchmark: ${pages} pages (+ index), concurrency ${concurrency}, ${runs} run(s), ` +
      `flags: ${[values.state ? "--state" : "", values.flags].join(" ").trim() || "(none)"}; ` +
      `deno run ${runtime.join(" ")} main.ts; ` +
      `Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} CPUs`,
  );
  try {
    for (let k = 1; k <= runs; k++) {
      signal.throwIfAborted();
      await using server = await startBenchServer({ pages });
      const statePath = values.state ? `${dir}/run-${k}.db` : userState;
      const runExtra = values.state ? [...extra, "--state", statePath!] : extra;
      const result = await crawlOnce(server, {
        runtime,
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
      if (!values.warc) continue;
      // The same crawl archived, right after, on a fresh server and state.
      await using again = await startBenchServer({ pages });
      if (statePath) await removeState(statePath);
      const withWarc = await crawlOnce(again, {
        runtime,
        pages,
        concurrency,
        extra: runExtra,
        statePath,
        optional,
        out: `${dir}/run-${k}-warc.jsonl`,
        warc: `${dir}/run-${k}.warc.gz`,
        signal,
      });
      archived.push(withWarc);
      console.log(`${runLine(k, runs, withWarc)} (--warc)`);
      for (const failure of withWarc.failures) console.log(`  FAIL ${failure}`);
    }
    if (renderPages > 0) {
      // The rendered-pages figure: the same kind of site, smaller, every page through headless
      // Chromium (its default tabs), the browser's memory beside the crawler's.
      signal.throwIfAborted();
      await using server = await startBenchServer({ pages: renderPages });
      const rendered = await crawlOnce(server, {
        runtime,
        pages: renderPages,
        concurrency: 8,
        extra: ["--render", ...extra],
        statePath: undefined,
        optional,
        out: `${dir}/rendered.jsonl`,
        signal,
        render: true,
      });
      renderedLine = runLine(1, 1, rendered).replace(/^run 1\/1/, "rendered (--render, c=8)");
      console.log(renderedLine);
      for (const failure of rendered.failures) console.log(`  FAIL ${failure}`);
      renderFailed = rendered.failures.length > 0;
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
  if (values.warc) {
    console.log("");
    console.log(table(`c=${concurrency} ${values.flags} --warc`.trim(), archived, baseline));
  }
  if (renderedLine) console.log(`\n${renderedLine}`);
  return renderFailed || [...results, ...archived].some((r) => r.failures.length > 0) ? 1 : 0;
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
