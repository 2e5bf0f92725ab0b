/**
 * The shared-crawl benchmark: 1, 2 and 4 local crawler processes share one
 * Redis job and crawl the benchmark site (`bench/serve.ts`, in its own
 * process); prints pages/s per process count, verified (every page once in
 * the job's results, no request twice). With `--memory N` it instead
 * measures what N URLs cost in Redis.
 *
 * ```sh
 * deno run --allow-run=deno,redis-server --allow-net=127.0.0.1 --allow-read --allow-write \
 *   --allow-env --allow-sys bench/redis.ts [--pages 3000] [--processes 1,2,4] \
 *   [--concurrency 16] [--per-host 32] [--runs 1]
 * deno run ... bench/redis.ts --memory 100000
 * ```
 *
 * Each crawler is `main.ts --redis URL --job NAME`.
 * A private redis-server is started on a free port and stopped at the end.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { connectJob, jobTotals } from "../src/redis/job.ts";
import { openRedis } from "../src/redis/connect.ts";
import { fingerprintBytes } from "../src/redis/seen.ts";
import { startRedis } from "../tests/support/redis_server.ts";
import { startBenchServer } from "./serve.ts";

const ROOT = new URL("..", import.meta.url).pathname;

interface RunResult {
  processes: number;
  pages: number;
  wallMs: number;
  crawlMs: number;
  failures: string[];
}

function summaryOf(stderr: string): Record<string, number> | undefined {
  const line = stderr.trim().split("\n").findLast((l) =>
    l.startsWith("{") && l.includes("pagesOk")
  );
  return line ? JSON.parse(line) : undefined;
}

async function crawl(
  entry: string,
  redisUrl: string,
  job: string,
  origin: string,
  processes: number,
  flags: string[],
  dir: string,
): Promise<{ wallMs: number; crawlMs: number; failures: string[] }> {
  const started = performance.now();
  const children = Array.from({ length: processes }, (_, k) =>
    new Deno.Command("deno", {
      args: [
        "run",
        "-P",
        entry,
        "--redis",
        redisUrl,
        "--job",
        job,
        "--seeds",
        `${origin}/index.html`,
        "--allow-private",
        "--ignore-robots",
        "--out",
        `${dir}/${job}-${k}.jsonl`,
        ...flags,
      ],
      cwd: ROOT,
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

async function throughput(values: Record<string, string>): Promise<number> {
  const pages = Number(values.pages);
  const counts = values.processes.split(",").map(Number);
  const runs = Number(values.runs);
  const flags = ["--concurrency", values.concurrency, "--per-host", values["per-host"]];
  flags.push("--parsers", "1");
  const entry = "main.ts";
  await using redis = await startRedis();
  await using server = await startBenchServer({ pages });
  const dir = await Deno.makeTempDir({ prefix: "crawler-bench-redis-" });
  console.log(
    `# shared crawl: ${pages} pages (+ index), ${entry}, flags ${flags.join(" ")}, ` +
      `${runs} run(s) each; Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} CPUs`,
  );
  const results: RunResult[] = [];
  try {
    for (const processes of counts) {
      for (let run = 1; run <= runs; run++) {
        await server.reset();
        const job = `bench-${processes}-${run}`;
        const r = await crawl(entry, redis.url, job, server.origin, processes, flags, dir);
        const totals = await jobTotals(redis.url, job);
        const served = await server.stats();
        if (totals.records !== pages + 1) {
          r.failures.push(`job: ${totals.records} records, expected ${pages + 1}`);
        }
        if (served.duplicates > 0) {
          r.failures.push(`server: ${served.duplicates} repeated requests`);
        }
        if (served.pageRequests !== pages + 1) {
          r.failures.push(`server: ${served.pageRequests} page requests, expected ${pages + 1}`);
        }
        results.push({ processes, pages: pages + 1, ...r });
        console.log(
          `processes=${processes} run ${run}: wall ${(r.wallMs / 1000).toFixed(2)}s ` +
            `${((pages + 1) / (r.wallMs / 1000)).toFixed(1)} pages/s, crawl ${
              (r.crawlMs / 1000).toFixed(2)
            }s ${((pages + 1) / (r.crawlMs / 1000)).toFixed(1)} pages/s, ` +
            `${r.failures.length ? "FAILED" : "verified"}`,
        );
        for (const failure of r.failures) console.log(`  FAIL ${failure}`);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  console.log(
    "\n| processes | pages | pages/s (process wall, start-up included) | pages/s (crawl) |",
  );
  console.log("|---:|---:|---:|---:|");
  for (const processes of counts) {
    const mine = results.filter((r) => r.processes === processes && r.failures.length === 0);
    if (mine.length === 0) {
      console.log(`| ${processes} | failed | | |`);
      continue;
    }
    const best = (pick: (r: RunResult) => number) => Math.max(...mine.map(pick)).toFixed(1);
    console.log(
      `| ${processes} | ${mine[0]!.pages} | ${best((r) => r.pages / (r.wallMs / 1000))} | ${
        best((r) => r.pages / (r.crawlMs / 1000))
      } |`,
    );
  }
  return results.some((r) => r.failures.length > 0) ? 1 : 0;
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
    for (let k = i; k < Math.min(n, i + 1000); k++) members.push(fingerprintBytes(urls(k)));
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
    },
  });
  const code = values.memory ? await memory(Number(values.memory)) : await throughput(values);
  Deno.exit(code);
}
