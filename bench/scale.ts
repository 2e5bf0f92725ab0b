/**
 * The network-bound scaling benchmark (issue 14, point 7): the benchmark
 * site spread over many hosts on loopback addresses, every response held
 * back by a fixed latency (`bench/serve_hosts.ts`, its own process), per-host
 * limits on. Part 1: 1, 2 and 4 crawler processes share one Redis job
 * (a private redis-server on a free port) and the speed-up over one process
 * is printed. Part 2: one process crawls the same site in memory at
 * increasing concurrency, to show how far it goes before it is CPU-bound.
 *
 * ```sh
 * deno run -A bench/scale.ts                          # defaults below, 2-3 minutes
 * deno run -A bench/scale.ts --runs 3                 # medians of 3 runs each
 * deno run -A bench/scale.ts --latency-ms 100 --pages 2000 --parts redis   # 40 pages/s per process
 * deno run -A bench/scale.ts --parts memory --sweep 32,64,128,256
 * ```
 *
 * Flags: `--pages N` (4000, plus one index per host), `--hosts H` (128:
 * 127.0.0.2 to 127.0.0.129), `--latency-ms L` (20), `--per-host P` (2),
 * `--processes LIST` (1,2,4), `--concurrency C` (4: each process's in the
 * Redis runs), `--sweep LIST` (8,16,32,64,128,256: the in-memory
 * concurrencies), `--runs R` (1), `--parts LIST` (redis,memory), `--flags
 * "..."` (extra CLI flags, for every crawl).
 *
 * `-A` because Deno asks for all permissions to read `/proc` (the CPU
 * figures); it runs `deno` and `redis-server` and talks to 127.0.0.0/8.
 *
 * Every crawl is the real CLI: `main.ts --seeds FILE (each host's
 * /index.html) --allow-private --ignore-robots --per-host P --concurrency C
 * --out FILE`, plus `--redis URL --job NAME` in part 1, otherwise default
 * options, launched with the Deno flags `deno task crawl` uses. A run is
 * verified on the server's own counts (every page requested exactly once
 * across all processes, none outside the site) and on the CLIs' summaries
 * (their `pagesOk` add up to the site). Figures:
 * - pages/s on the server's span (first request to last response: the
 *   crawl itself, the processes' start-up excluded) and on the wall time
 *   from spawning the processes to the last exit (start-up included);
 * - speed-up: pages/s over the one-process run's, on each measure;
 * - CPU ms/page of the crawlers (their summaries' `cpuMs`, from crawl
 *   start), of Redis (`INFO cpu`) and of the server; `machine`: the
 *   machine's busy CPU over the wall time, as a share of all its cores, and
 *   `other`: that busy CPU minus the crawlers', Redis's and the server's
 *   (start-up, and other work sharing the machine);
 * - in flight (mean): requests × latency / span, against the concurrency:
 *   a network-bound crawl keeps its slots full; an emptier one means the
 *   crawlers were slow to send the next request (CPU, or Redis round trips);
 * - the CPU budget: the cores that N × the one-process rate would take at
 *   the N-process fleet's measured CPU per page (crawlers + Redis + server);
 * - in memory: the crawler's CPU use as a share of one core, and the
 *   network bound `C / latency` pages/s it would reach if CPU were free.
 *
 * Exits 1 when a crawl fails or a check fails.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  crawlTaskFlags,
  findSummary,
  positiveInt,
  positiveInts,
  runMain,
  splitFlags,
} from "./args.ts";
import { startRedis } from "../tests/support/redis_server.ts";
import { machineBusyMs, median } from "./measure.ts";
import { joinFlagsValue } from "./results.ts";
import { type HostsServer, type HostsStats, startHostsServer } from "./serve_hosts.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** One crawl by one or more processes. */
interface Crawl {
  processes: number;
  concurrency: number;
  pages: number;
  wallMs: number;
  spanMs: number;
  stats: HostsStats;
  /**
   * Requests waiting on the latency, on average over the span: every request waits
   * `latencyMs`, so it is requests × latency / span. A network-bound crawl keeps it
   * near its concurrency; below that, the crawlers were slow to send the next request.
   */
  meanInFlight: number;
  /** Each process's `pagesOk`. */
  shares: number[];
  crawlerCpuMs: number;
  serverCpuMs?: number;
  redisCpuMs?: number;
  machineBusyMs?: number;
  failures: string[];
}

/**
 * Redis's own CPU time (`used_cpu_user` + `used_cpu_sys` of `INFO cpu`), in
 * ms, over a plain connection: the benchmark does not lean on the crawler's
 * Redis client, which is what it measures.
 */
async function redisCpuMs(port: number): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode("INFO cpu\r\n"));
    const decoder = new TextDecoder();
    let text = "";
    for await (const chunk of conn.readable) {
      text += decoder.decode(chunk, { stream: true });
      // A bulk reply: `$LEN\r\n` then LEN bytes (ASCII here) and `\r\n`.
      const header = /^\$(\d+)\r\n/.exec(text);
      if (header && text.length >= header[0].length + Number(header[1])) break;
    }
    const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(text)?.[1]);
    return (field("used_cpu_user") + field("used_cpu_sys")) * 1000;
  } finally {
    try {
      conn.close();
    } catch {
      // Closed by the loop's end already.
    }
  }
}

/** One crawl's shape: how many processes, each's concurrency, the shared job (part 1). */
interface FleetOptions {
  processes: number;
  concurrency: number;
  redis?: { url: string; port: number; job: string };
}

async function crawlFleet(setup: Setup, options: FleetOptions): Promise<Crawl> {
  const { server, signal } = setup;
  const { processes, concurrency, redis } = options;
  await server.reset();
  const shared = redis ? ["--redis", redis.url, "--job", redis.job] : [];
  // Launched as `deno task crawl` launches it (its V8 flags included).
  const runtime = await crawlTaskFlags();
  const serverBefore = await server.cpuMs();
  const redisBefore = redis ? await redisCpuMs(redis.port) : undefined;
  const busyBefore = await machineBusyMs();
  const started = performance.now();
  const outputs = await Promise.all(
    Array.from({ length: processes }, (_, k) =>
      new Deno.Command("deno", {
        args: [
          "run",
          ...runtime,
          "main.ts",
          "--seeds",
          setup.seeds,
          "--allow-private",
          "--ignore-robots",
          "--per-host",
          String(setup.perHost),
          "--concurrency",
          String(concurrency),
          "--out",
          `${setup.dir}/out-${k}.jsonl`,
          ...shared,
          ...setup.extra,
        ],
        cwd: ROOT,
        stdin: "null",
        stdout: "null",
        stderr: "piped",
        signal,
      }).output()),
  );
  signal.throwIfAborted();
  const wallMs = performance.now() - started;
  const busyAfter = await machineBusyMs();
  const redisAfter = redis ? await redisCpuMs(redis.port) : undefined;
  const serverAfter = await server.cpuMs();
  const stats = await server.stats();
  const failures: string[] = [];
  const shares: number[] = [];
  let crawlerCpuMs = 0;
  for (const { code, stderr } of outputs) {
    const text = new TextDecoder().decode(stderr);
    const summary = findSummary(text);
    if (code !== 0 || !summary) {
      failures.push(`a crawler exited ${code}: ${text.slice(-800)}`);
      continue;
    }
    shares.push(summary.pagesOk!);
    crawlerCpuMs += summary.cpuMs!;
  }
  const expected = server.expectedPages;
  const recorded = shares.reduce((a, b) => a + b, 0);
  if (recorded !== expected) failures.push(`crawlers: ${recorded} pages ok, expected ${expected}`);
  if (stats.pageRequests !== expected) {
    failures.push(`server: ${stats.pageRequests} page requests, expected ${expected}`);
  }
  if (stats.duplicates > 0) {
    failures.push(
      `server: ${stats.duplicates} repeated requests, e.g. ${JSON.stringify(stats.duplicatePaths)}`,
    );
  }
  if (stats.notFound > 0) {
    failures.push(
      `server: ${stats.notFound} requests outside the site, e.g. ${stats.notFoundPaths}`,
    );
  }
  const delta = (before?: number, after?: number) =>
    before !== undefined && after !== undefined ? after - before : undefined;
  return {
    processes,
    concurrency,
    pages: stats.pageRequests,
    wallMs,
    spanMs: stats.spanMs,
    meanInFlight: stats.spanMs > 0 ? (stats.requests * setup.latencyMs) / stats.spanMs : 0,
    stats,
    shares,
    crawlerCpuMs,
    serverCpuMs: delta(serverBefore, serverAfter),
    redisCpuMs: delta(redisBefore, redisAfter),
    machineBusyMs: delta(busyBefore, busyAfter),
    failures,
  };
}

const fixed = (value: number | undefined, digits = 1) =>
  value === undefined || Number.isNaN(value) ? "n/a" : value.toFixed(digits);

const CORES = navigator.hardwareConcurrency;

/** The machine's busy CPU over the wall time as a share of all cores, and the part nobody named. */
function machine(c: Crawl): { busyPercent?: number; otherMs?: number } {
  if (c.machineBusyMs === undefined) return {};
  const named = c.crawlerCpuMs + (c.serverCpuMs ?? 0) + (c.redisCpuMs ?? 0);
  return {
    busyPercent: (100 * c.machineBusyMs) / (c.wallMs * CORES),
    otherMs: Math.max(0, c.machineBusyMs - named),
  };
}

function runLine(label: string, c: Crawl): string {
  const { busyPercent, otherMs } = machine(c);
  return `${label}: pages=${c.pages} span=${fixed(c.spanMs / 1000, 2)}s ` +
    `${fixed(c.pages / (c.spanMs / 1000))} pages/s, wall=${fixed(c.wallMs / 1000, 2)}s ` +
    `${fixed(c.pages / (c.wallMs / 1000))} pages/s, crawler_cpu=${
      fixed(c.crawlerCpuMs / c.pages, 2)
    } ms/page` +
    (c.redisCpuMs === undefined ? "" : ` redis_cpu=${fixed(c.redisCpuMs / c.pages, 3)} ms/page`) +
    ` server_cpu=${fixed((c.serverCpuMs ?? NaN) / c.pages, 2)} ms/page` +
    ` machine=${fixed(busyPercent, 0)}% other_cpu=${fixed((otherMs ?? NaN) / 1000, 2)}s` +
    ` in_flight=${fixed(c.meanInFlight)}/${
      c.processes * c.concurrency
    } (max ${c.stats.maxInFlight})` +
    ` hosts=${c.stats.hostsHit}` +
    (c.processes > 1 ? ` per_process=${c.shares.join("/")}` : "") +
    ` ${c.failures.length ? "FAILED" : "verified"}`;
}

/** The median run's figures of a group of runs (each figure's own median). */
function summarize(runs: Crawl[]) {
  const m = (pick: (c: Crawl) => number | undefined) => {
    const values = runs.map(pick).filter((v): v is number => v !== undefined && !Number.isNaN(v));
    return values.length ? median(values) : undefined;
  };
  return {
    pages: m((c) => c.pages)!,
    spanRate: m((c) => c.pages / (c.spanMs / 1000))!,
    wallRate: m((c) => c.pages / (c.wallMs / 1000))!,
    crawlerCpu: m((c) => c.crawlerCpuMs / c.pages)!,
    redisCpu: m((c) => c.redisCpuMs === undefined ? undefined : c.redisCpuMs / c.pages),
    serverCpu: m((c) => c.serverCpuMs === undefined ? undefined : c.serverCpuMs / c.pages),
    busyPercent: m((c) => machine(c).busyPercent),
    otherMs: m((c) => machine(c).otherMs),
    crawlerCoreShare: m((c) => c.crawlerCpuMs / c.spanMs)!,
    meanInFlight: m((c) => c.meanInFlight)!,
  };
}

/** What both parts share. */
interface Setup {
  server: HostsServer;
  /** The seeds file: each host's `/index.html`. */
  seeds: string;
  hosts: number;
  latencyMs: number;
  perHost: number;
  runs: number;
  extra: string[];
  dir: string;
  signal: AbortSignal;
  /** Prints a run's line and its failures; remembers a failure. */
  report(label: string, crawl: Crawl): void;
}

/** Part 1: 1, 2, 4... processes on one Redis job, interleaved run by run; the table's lines. */
async function redisPart(setup: Setup, counts: number[], concurrency: number): Promise<string[]> {
  const { latencyMs, runs } = setup;
  await using redis = await startRedis();
  console.log(
    `\n## Redis: ${counts.join(", ")} process(es) sharing one job, ` +
      `--concurrency ${concurrency} each (network bound ${
        fixed((1000 * concurrency) / latencyMs, 0)
      } pages/s per process)`,
  );
  const byCount = new Map<number, Crawl[]>();
  for (let run = 1; run <= runs; run++) {
    for (const processes of counts) {
      const job = `scale-${processes}-${run}`;
      const c = await crawlFleet(setup, {
        processes,
        concurrency,
        redis: { url: redis.url, port: redis.port, job },
      });
      setup.report(`processes=${processes} run ${run}/${runs}`, c);
      byCount.set(processes, [...byCount.get(processes) ?? [], c]);
    }
  }
  const base = summarize(byCount.get(counts[0]!)!);
  const lines = [
    `Redis, --concurrency ${concurrency} per process, ${latencyMs} ms latency, ` +
    `${setup.hosts} hosts, --per-host ${setup.perHost}; medians of ${runs} run(s)`,
    "",
    "| processes | pages | pages/s (crawl span) | speed-up | pages/s (wall, start-up incl.) " +
    "| speed-up | in flight (mean) | crawler CPU ms/page | Redis CPU ms/page | machine CPU " +
    "| other CPU s |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const processes of counts) {
    const s = summarize(byCount.get(processes)!);
    lines.push(
      `| ${processes} | ${s.pages} | ${fixed(s.spanRate)} | ${
        fixed(s.spanRate / base.spanRate, 2)
      }× | ${fixed(s.wallRate)} | ${fixed(s.wallRate / base.wallRate, 2)}× | ${
        fixed(s.meanInFlight)
      } of ${processes * concurrency} | ${fixed(s.crawlerCpu, 2)} | ${fixed(s.redisCpu, 3)} | ${
        fixed(s.busyPercent, 0)
      }% | ${fixed((s.otherMs ?? NaN) / 1000, 1)} |`,
    );
  }
  lines.push("", "Targets (issue 14, point 7): >= 1.9× with 2 processes, >= 3.6× with 4.");
  // What linear scaling would cost in CPU at the measured costs per page of the largest fleet.
  const most = counts.at(-1)!;
  const s = summarize(byCount.get(most)!);
  const perPage = s.crawlerCpu + (s.redisCpu ?? 0) + (s.serverCpu ?? 0);
  lines.push(
    `CPU budget: ${most} × the one-process rate (${fixed(most * base.spanRate)} pages/s) at ` +
      `${fixed(perPage, 2)} ms/page (crawlers ${fixed(s.crawlerCpu, 2)} + Redis ${
        fixed(s.redisCpu, 2)
      } + server ${fixed(s.serverCpu, 2)}) needs ${
        fixed((most * base.spanRate * perPage) / 1000, 2)
      } cores; this machine has ${CORES}, shared with whatever else runs (other CPU).`,
    "",
  );
  return lines;
}

/** Part 2: one process in memory at each concurrency, interleaved run by run; the table's lines. */
async function memoryPart(setup: Setup, sweep: number[]): Promise<string[]> {
  const { latencyMs, runs } = setup;
  const slots = setup.hosts * setup.perHost;
  console.log(`\n## In memory: one process, --concurrency ${sweep.join(", ")}`);
  const byConcurrency = new Map<number, Crawl[]>();
  for (let run = 1; run <= runs; run++) {
    for (const concurrency of sweep) {
      if (concurrency > slots) {
        console.log(`note: --concurrency ${concurrency} > ${slots} per-host slots`);
      }
      const crawl = await crawlFleet(setup, { processes: 1, concurrency });
      setup.report(`concurrency=${concurrency} run ${run}/${runs}`, crawl);
      byConcurrency.set(concurrency, [...byConcurrency.get(concurrency) ?? [], crawl]);
    }
  }
  const lines = [
    `In memory, one process, ${latencyMs} ms latency, ${setup.hosts} hosts, ` +
    `--per-host ${setup.perHost}; medians of ${runs} run(s)`,
    "",
    "| concurrency | network bound pages/s | pages/s (crawl span) | of the bound " +
    "| pages/s (wall) | CPU ms/page | crawler CPU (of one core) | in flight (mean) " +
    "| machine CPU | other CPU s |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const concurrency of sweep) {
    const s = summarize(byConcurrency.get(concurrency)!);
    const bound = latencyMs > 0 ? (1000 * Math.min(concurrency, slots)) / latencyMs : NaN;
    lines.push(
      `| ${concurrency} | ${fixed(bound, 0)} | ${fixed(s.spanRate)} | ${
        fixed((100 * s.spanRate) / bound, 0)
      }% | ${fixed(s.wallRate)} | ${fixed(s.crawlerCpu, 2)} | ${
        fixed(100 * s.crawlerCoreShare, 0)
      }% | ${fixed(s.meanInFlight)} | ${fixed(s.busyPercent, 0)}% | ${
        fixed((s.otherMs ?? NaN) / 1000, 1)
      } |`,
    );
  }
  return lines;
}

async function main(signal: AbortSignal): Promise<number> {
  const { values } = parseArgs({
    args: joinFlagsValue(Deno.args),
    strict: true,
    options: {
      pages: { type: "string", default: "4000" },
      hosts: { type: "string", default: "128" },
      "latency-ms": { type: "string", default: "20" },
      "per-host": { type: "string", default: "2" },
      processes: { type: "string", default: "1,2,4" },
      concurrency: { type: "string", default: "4" },
      sweep: { type: "string", default: "8,16,32,64,128,256" },
      runs: { type: "string", default: "1" },
      parts: { type: "string", default: "redis,memory" },
      flags: { type: "string", default: "" },
    },
  });
  const pages = positiveInt("pages", values.pages);
  const hosts = positiveInt("hosts", values.hosts);
  const latencyMs = positiveInt("latency-ms", values["latency-ms"]);
  const perHost = positiveInt("per-host", values["per-host"]);
  const parts = new Set(values.parts.split(",").map((part) => part.trim()));
  for (const part of parts) {
    if (part !== "redis" && part !== "memory") {
      throw new RangeError(
        `Cannot run benchmark as 'parts' must list redis and/or memory: received ${part}`,
      );
    }
  }
  const counts = positiveInts("processes", values.processes);
  const concurrency = positiveInt("concurrency", values.concurrency);
  const sweep = positiveInts("sweep", values.sweep);
  const runs = positiveInt("runs", values.runs);

  await using server = await startHostsServer({ pages, hosts, latencyMs });
  const dir = await Deno.makeTempDir({ prefix: "crawler-bench-scale-" });
  const seeds = `${dir}/seeds.txt`;
  await Deno.writeTextFile(seeds, server.seeds.join("\n") + "\n");
  console.log(
    `# network-bound crawl: ${pages} pages + ${hosts} indexes (${
      fixed(server.totalBytes / server.expectedPages / 1024)
    } KB avg) on ${hosts} hosts (127.0.0.2-${server.origins.at(-1)!.slice(7)}), ` +
      `${latencyMs} ms latency per response, --per-host ${perHost} (${hosts * perHost} slots), ` +
      `${runs} run(s) each, flags: ${values.flags || "(none)"}; Deno ${Deno.version.deno}, ` +
      `${CORES} CPUs`,
  );
  let failed = false;
  const setup: Setup = {
    server,
    seeds,
    hosts,
    latencyMs,
    perHost,
    runs,
    extra: splitFlags(values.flags),
    dir,
    signal,
    report(label, crawl) {
      console.log(runLine(label, crawl));
      for (const failure of crawl.failures) console.log(`  FAIL ${failure}`);
      failed ||= crawl.failures.length > 0;
    },
  };
  const lines: string[] = [];
  try {
    if (parts.has("redis")) lines.push(...await redisPart(setup, counts, concurrency));
    if (parts.has("memory")) lines.push(...await memoryPart(setup, sweep));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  console.log("");
  console.log(lines.join("\n"));
  return failed ? 1 : 0;
}

if (import.meta.main) {
  // A signal unwinds the run through its `finally`s and `await using`s: servers stop, temp
  // directories go.
  await runMain("scale", main);
}
