/**
 * The shared-crawl benchmark: 1, 2 and 4 local crawler processes share one
 * Redis job and crawl the benchmark site (`bench/serve.ts`, in its own
 * process); prints pages/s per process count, verified (every page once in
 * the job's results, no request twice). Each run first crawls the site in
 * memory (same flags, no `--redis`), so every row shows its pages/s against
 * the in-memory crawl of the same runs, and Redis' own CPU per page (`INFO
 * cpu`: used_cpu_user + used_cpu_sys of the redis-server, its change over
 * the crawl divided by the pages). With `--memory N` it instead measures what
 * N URLs cost in Redis.
 *
 * ```sh
 * deno run --allow-run=deno,redis-server --allow-net=127.0.0.1 --allow-read --allow-write \
 *   --allow-env --allow-sys bench/redis.ts [--pages 3000] [--processes 1,2,4] \
 *   [--concurrency 16] [--per-host 32] [--runs 1] [--commands] [--baseline DIR]
 * deno run ... bench/redis.ts --memory 100000
 * deno run ... bench/redis.ts --frontier 10000
 * ```
 *
 * `--commands` prints, after each Redis crawl, Redis' busiest commands and
 * scripts per page (`INFO commandstats`; commands run by scripts are counted
 * too, and inside the scripts' time). `--baseline DIR` also crawls, in each
 * run, with the checkout in DIR (e.g. an older commit, `git archive REV |
 * tar -x -C DIR`), interleaved with this one, so the two compare on the same
 * machine at the same time. The table has medians of the runs. With
 * `--frontier N` it drives the Redis frontier alone for N pages (no HTTP,
 * no parsing) and prints Redis' CPU per page and its busiest commands.
 *
 * Each crawler is `main.ts --redis URL --job NAME`, launched with the Deno flags
 * `deno task crawl` uses (its V8 flags included).
 * A private redis-server is started on a free port and stopped at the end.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { Redis } from "ioredis";
import { connectJob, jobTotals } from "../src/redis/job.ts";
import { openRedis } from "../src/redis/connect.ts";
import { fingerprintKey } from "../src/redis/seen.ts";
import { startRedis } from "../tests/support/redis_server.ts";
import { startBenchServer } from "./serve.ts";
import { crawlTaskFlags } from "./args.ts";
import { median, redisCpuMs } from "./measure.ts";

const ROOT = new URL("..", import.meta.url).pathname;

interface RunResult {
  /** 0 for the in-memory crawl (no `--redis`), else how many processes shared the job. */
  processes: number;
  /** Which checkout crawled: this one, or the `--baseline` one. */
  variant: "this" | "baseline";
  pages: number;
  wallMs: number;
  crawlMs: number;
  /** Redis' own CPU over the crawl (`INFO cpu`, user + sys), in ms; 0 in memory. */
  redisCpuMs: number;
  failures: string[];
}

function summaryOf(stderr: string): Record<string, number> | undefined {
  const line = stderr.trim().split("\n").findLast((l) =>
    l.startsWith("{") && l.includes("pagesOk")
  );
  return line ? JSON.parse(line) : undefined;
}

async function crawl(
  root: string,
  store: (k: number) => string[],
  origin: string,
  processes: number,
  flags: string[],
): Promise<{ wallMs: number; crawlMs: number; failures: string[] }> {
  // Launched as `deno task crawl` launches it (its V8 flags included).
  const runtime = await crawlTaskFlags();
  const started = performance.now();
  const children = Array.from({ length: processes }, (_, k) =>
    new Deno.Command("deno", {
      args: [
        "run",
        ...runtime,
        "main.ts",
        ...store(k),
        "--seeds",
        `${origin}/index.html`,
        "--allow-private",
        "--ignore-robots",
        ...flags,
      ],
      cwd: root,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output());
  const outputs = await Promise.all(children);
  const wallMs = performance.now() - started;
  const failures: string[] = [];
  let crawlMs = 0;
  for (const { code, stderr } of outputs) {
    const text = new TextDecoder().decode(stderr);
    const summary = summaryOf(text);
    if (code !== 0 || !summary) failures.push(`a crawler exited ${code}: ${text.slice(-500)}`);
    else crawlMs = Math.max(crawlMs, summary.durationMs!);
  }
  return { wallMs, crawlMs, failures };
}

/** The commands and scripts Redis ran since the last `CONFIG RESETSTAT`, per page. */
async function commandLines(client: Redis, pages: number): Promise<string[]> {
  const info = await client.info("commandstats");
  const rows = [];
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    rows.push({ name: m[1]!, calls: Number(m[2]), usec: Number(m[3]) });
  }
  rows.sort((a, b) => b.usec - a.usec);
  return rows.slice(0, 12).map((r) =>
    `  ${r.name.padEnd(12)} ${(r.calls / pages).toFixed(2).padStart(7)} calls/page ${
      (r.usec / pages / 1000).toFixed(4)
    } ms/page`
  );
}

async function throughput(values: Record<string, string | boolean | undefined>): Promise<number> {
  const pages = Number(values.pages);
  const counts = String(values.processes).split(",").map(Number);
  const runs = Number(values.runs);
  const flags = [
    "--concurrency",
    String(values.concurrency),
    "--per-host",
    String(values["per-host"]),
  ];
  const baseline = values.baseline ? String(values.baseline) : undefined;
  await using redis = await startRedis();
  await using server = await startBenchServer({ pages });
  const { client } = await openRedis(redis.url);
  const dir = await Deno.makeTempDir({ prefix: "crawler-bench-redis-" });
  console.log(
    `# shared crawl: ${pages} pages (+ index), main.ts, flags ${flags.join(" ")}, ` +
      `${runs} run(s) each, the in-memory crawl (same flags, no --redis) first in each run` +
      `${baseline ? `, then each --redis crawl by ${baseline} and by this checkout` : ""}; ` +
      `Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} CPUs`,
  );
  const results: RunResult[] = [];
  const verify = async (r: RunResult, records: number) => {
    const served = await server.stats();
    if (records !== pages + 1) r.failures.push(`${records} records, expected ${pages + 1}`);
    if (served.duplicates > 0) r.failures.push(`server: ${served.duplicates} repeated requests`);
    if (served.pageRequests !== pages + 1) {
      r.failures.push(`server: ${served.pageRequests} page requests, expected ${pages + 1}`);
    }
  };
  const report = (r: RunResult, run: number) => {
    const what = (r.processes === 0 ? "in-memory" : `processes=${r.processes}`) +
      (r.variant === "baseline" ? " (baseline)" : "");
    const cpu = r.processes === 0
      ? ""
      : `, Redis CPU ${(r.redisCpuMs / r.pages).toFixed(4)} ms/page`;
    console.log(
      `${what} run ${run}: wall ${(r.wallMs / 1000).toFixed(2)}s ` +
        `${(r.pages / (r.wallMs / 1000)).toFixed(1)} pages/s, crawl ${
          (r.crawlMs / 1000).toFixed(2)
        }s ${(r.pages / (r.crawlMs / 1000)).toFixed(1)} pages/s${cpu}, ` +
        `${r.failures.length ? "FAILED" : "verified"}`,
    );
    for (const failure of r.failures) console.log(`  FAIL ${failure}`);
  };
  try {
    for (let run = 1; run <= runs; run++) {
      await server.reset();
      const out = `${dir}/memory-${run}.jsonl`;
      const m = await crawl(ROOT, () => ["--out", out], server.origin, 1, flags);
      const lines = m.failures.length
        ? 0
        : (await Deno.readTextFile(out)).split("\n").filter(Boolean).length;
      const mine = {
        processes: 0,
        variant: "this" as const,
        pages: pages + 1,
        redisCpuMs: 0,
        ...m,
      };
      await verify(mine, lines);
      results.push(mine);
      report(mine, run);
      const variants = baseline ? (["baseline", "this"] as const) : (["this"] as const);
      for (const processes of counts) {
        for (const variant of variants) {
          await server.reset();
          const job = `bench-${variant}-${processes}-${run}`;
          await client.config("RESETSTAT");
          const cpuBefore = await redisCpuMs(client);
          const r = await crawl(
            variant === "this" ? ROOT : baseline!,
            (k) => ["--redis", redis.url, "--job", job, "--out", `${dir}/${job}-${k}.jsonl`],
            server.origin,
            processes,
            flags,
          );
          const cpu = await redisCpuMs(client) - cpuBefore;
          const result = { processes, variant, pages: pages + 1, redisCpuMs: cpu, ...r };
          await verify(result, (await jobTotals(redis.url, job)).records);
          results.push(result);
          report(result, run);
          if (values.commands) {
            for (const line of await commandLines(client, pages + 1)) console.log(line);
          }
          await client.flushdb();
        }
      }
    }
  } finally {
    client.disconnect();
    await Deno.remove(dir, { recursive: true });
  }
  const ok = (processes: number, variant = "this") =>
    results.filter((r) =>
      r.processes === processes && r.variant === variant && r.failures.length === 0
    );
  const memoryRate = median(ok(0).map((r) => r.pages / (r.crawlMs / 1000)));
  console.log(
    "\n| crawl | pages | pages/s (process wall, start-up included) | pages/s (crawl) " +
      "| vs in-memory (crawl) | Redis CPU ms/page |",
  );
  console.log("|---|---:|---:|---:|---:|---:|");
  const rows = [
    [0, "this"],
    ...counts.flatMap((c) => [
      ...(baseline ? [[c, "baseline"] as const] : []),
      [c, "this"] as const,
    ]),
  ] as const;
  for (const [processes, variant] of rows) {
    const mine = ok(processes, variant);
    const name = (processes === 0 ? "in-memory" : `${processes} process(es), --redis`) +
      (variant === "baseline" ? " (baseline)" : "");
    if (mine.length === 0) {
      console.log(`| ${name} | failed | | | | |`);
      continue;
    }
    const rate = median(mine.map((r) => r.pages / (r.crawlMs / 1000)));
    console.log(
      `| ${name} | ${mine[0]!.pages} | ${
        median(mine.map((r) => r.pages / (r.wallMs / 1000))).toFixed(1)
      } | ${rate.toFixed(1)} | ${(rate / memoryRate).toFixed(2)} | ${
        processes === 0 ? "" : median(mine.map((r) => r.redisCpuMs / r.pages)).toFixed(4)
      } |`,
    );
  }
  console.log("(medians of the runs; ratios against the in-memory median of the same runs)");
  return results.some((r) => r.failures.length > 0) ? 1 : 0;
}

/**
 * The frontier alone, no HTTP and no parsing: 16 workers in this process
 * lease, release, add two new links and finish with a 2.5 KB record, page
 * after page, until N pages are done. Redis' CPU per page here is the cost of
 * the frontier's protocol, without the noise of a whole crawl on the machine.
 */
async function frontierOnly(pages: number): Promise<number> {
  await using redis = await startRedis();
  const { client } = await openRedis(redis.url);
  const job = await connectJob(redis.url, "frontier");
  const frontier = await job.openFrontier({ perHost: 32, delayMs: 0 });
  const title = "x".repeat(2300);
  let next = 1;
  await frontier.add({ url: "http://h.test/0", depth: 0, parent: null });
  await client.config("RESETSTAT");
  const cpuBefore = await redisCpuMs(client);
  const started = performance.now();
  const worker = async () => {
    for (;;) {
      const entry = await frontier.next();
      if (!entry) return;
      frontier.release(entry);
      const links = [];
      for (let i = 0; i < 2 && next < pages; i++) links.push(`http://h.test/${next++}`);
      await Promise.all(links.map((url) => frontier.add({ url, depth: 1, parent: entry.url })));
      const record = {
        url: entry.url,
        requestedUrl: entry.url,
        status: 200,
        depth: entry.depth,
        parent: entry.parent,
        fetchedAt: new Date().toISOString(),
        contentType: "text/html",
        bytes: 32_000,
        durationMs: 1,
        attempts: 1,
        title,
        description: null,
        canonical: null,
        h1: [],
        links: [],
      };
      await job.finish(entry, record, () => Promise.resolve());
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  const ms = performance.now() - started;
  const cpu = await redisCpuMs(client) - cpuBefore;
  const records = (await job.totals()).records;
  await job.close();
  console.log(
    `# frontier only: ${records} pages (16 workers, 2 new links and a 2.5 KB record a page)`,
  );
  console.log(
    `${(records / (ms / 1000)).toFixed(0)} pages/s, Redis CPU ${
      (cpu / records).toFixed(4)
    } ms/page`,
  );
  for (const line of await commandLines(client, records)) console.log(line);
  client.disconnect();
  return records === pages ? 0 : 1;
}

/** Adds N URLs to a job and reads what they cost in Redis. */
async function memory(n: number): Promise<number> {
  await using redis = await startRedis();
  const { client } = await openRedis(redis.url);
  const used = async () => Number(/used_memory:(\d+)/.exec(await client.info("memory"))![1]);
  const sumUsage = async (pattern: string) => {
    let total = 0, cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      for (const key of keys) total += Number(await client.memory("USAGE", key, "SAMPLES", 0));
    } while (cursor !== "0");
    return total;
  };
  const job = await connectJob(redis.url, "mem");
  const frontier = await job.openFrontier({ perHost: 2, delayMs: 0 });
  const before = await used();
  const urls = (i: number) => `https://shop.example.com/catalog/item-${i}?ref=list&page=${i % 97}`;
  for (let i = 0; i < n; i += 1000) {
    const batch = [];
    for (let k = i; k < Math.min(n, i + 1000); k++) {
      batch.push(frontier.add({ url: urls(k), depth: 1, parent: null }));
    }
    await Promise.all(batch);
  }
  const after = await used();
  await job.close();
  const seen = await sumUsage("crawl:{mem}:s:*") + Number(
    await client.memory("USAGE", "crawl:{mem}:smeta", "SAMPLES", 0),
  );
  const queue = await sumUsage("crawl:{mem}:q:*");
  const bucketKeys = await client.keys("crawl:{mem}:s:*");
  const buckets = bucketKeys.length;
  let large = 0;
  for (const key of bucketKeys) if ((await client.object("ENCODING", key)) !== "listpack") large++;
  // For comparison: the same fingerprints in one plain SET.
  for (let i = 0; i < n; i += 1000) {
    const members = [];
    for (let k = i; k < Math.min(n, i + 1000); k++) members.push(fingerprintKey(urls(k)));
    await client.sadd("plain-set", ...members);
  }
  const plain = Number(await client.memory("USAGE", "plain-set", "SAMPLES", 0));
  client.disconnect();
  const per = (bytes: number) => (bytes / n).toFixed(1);
  console.log(`# ${n} URLs added to one job (URLs ~${urls(n).length} characters)`);
  console.log(
    `seen set: ${seen} bytes in ${buckets} buckets (${large} not listpack) = ${
      per(seen)
    } bytes/URL`,
  );
  console.log(`same fingerprints in a plain SET: ${plain} bytes = ${per(plain)} bytes/URL`);
  console.log(
    `queued entries (whole URLs, until leased): ${queue} bytes = ${per(queue)} bytes/URL`,
  );
  console.log(
    `used_memory delta (all of it): ${after - before} bytes = ${per(after - before)} bytes/URL`,
  );
  return 0;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    strict: true,
    options: {
      pages: { type: "string", default: "3000" },
      processes: { type: "string", default: "1,2,4" },
      concurrency: { type: "string", default: "16" },
      "per-host": { type: "string", default: "32" },
      runs: { type: "string", default: "1" },
      memory: { type: "string" },
      commands: { type: "boolean", default: false },
      baseline: { type: "string" },
      frontier: { type: "string" },
    },
  });
  const code = values.memory
    ? await memory(Number(values.memory))
    : values.frontier
    ? await frontierOnly(Number(values.frontier))
    : await throughput(values);
  Deno.exit(code);
}
