/**
 * Soak runs (not in CI; results in docs/durability.md): the crawler killed at random
 * moments and resumed, checked to end with every page of a generated site
 * exactly once and no torn line.
 *
 * ```sh
 * deno run -P=bench bench/soak.ts state            # 20,000 pages, --state, kill -9 twenty times
 * deno run -P=bench bench/soak.ts redis            # 3 processes on Redis: one kill -9, one Redis restart
 * deno run -P=bench bench/soak.ts state --pages 5000 --kills 5 --seed 7
 * ```
 *
 * `state`: one `--state` crawl is started, killed with SIGKILL after a
 * random moment (seeded), started again, `--kills` times; then run to its
 * end. `redis`: three processes share a job; one is killed with SIGKILL and
 * Redis is restarted (saved, stopped, started) at random moments; a fourth
 * process joins after the restart. Both end with the output (for Redis, the
 * job's export) holding every page once, status 200, nothing else, every
 * line whole JSON.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type Prng, randomInt, randomSeeded } from "../tests/support/prng.ts";
import { startRedis } from "../tests/support/redis_server.ts";
import { startBenchServer } from "./serve.ts";
import { verifyOutput } from "./verify_output.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const encoder = new TextEncoder();
const say = (line: string) => Deno.stdout.writeSync(encoder.encode(line + "\n"));

/** Waits `ms`: a soak run kills its crawler after a chosen moment, so this wait is the point. */
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function crawler(args: string[]): Deno.ChildProcess {
  return new Deno.Command("deno", {
    args: ["run", "-P", `${ROOT}main.ts`, ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

/** Every line of a JSON Lines file parses: no torn line. */
async function tornLines(path: string): Promise<number> {
  const text = await Deno.readTextFile(path);
  let torn = 0;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    try {
      JSON.parse(line);
    } catch {
      torn++;
    }
  }
  if (text.length > 0 && !text.endsWith("\n")) torn++;
  return torn;
}

async function soakState(pages: number, kills: number, random: Prng): Promise<boolean> {
  await using server = await startBenchServer({ pages });
  const dir = await Deno.makeTempDir({ prefix: "crawler-soak-state-" });
  const out = `${dir}/out.jsonl`;
  const args = [
    ...["--seeds", `${server.origin}/index.html`, "--state", `${dir}/crawl.db`, "--out", out],
    ...["--allow-private", "--ignore-robots", "--concurrency", "32", "--per-host", "32"],
  ];
  const started = performance.now();
  try {
    for (let k = 1; k <= kills; k++) {
      const child = crawler(args);
      // Start-up takes about half a second: kill moments spread over the crawl past it.
      const at = 400 + randomInt(random, 1600);
      await pause(at);
      child.kill("SIGKILL");
      const { code, signal } = await child.status;
      const lines = (await Deno.readTextFile(out).catch(() => "")).split("\n").length - 1;
      say(`kill ${k}/${kills} after ${at} ms: exit ${code} ${signal ?? ""}, ${lines} lines so far`);
    }
    const last = crawler(args);
    const { code, stderr } = await last.output();
    const wallMs = Math.round(performance.now() - started);
    if (code !== 0) {
      say(`final run exited ${code}: ${new TextDecoder().decode(stderr).slice(-400)}`);
    }
    const torn = await tornLines(out);
    const check = await verifyOutput(out, server.origin, pages);
    const stats = await server.stats();
    say(
      `state soak: ${pages + 1} pages, ${kills} kills, ${wallMs} ms in all; ` +
        `${check.records} records, ${torn} torn lines; the server answered ${stats.requests} ` +
        `requests (${stats.duplicates} again after a kill)`,
    );
    for (const failure of check.failures) say(`FAIL ${failure}`);
    return code === 0 && torn === 0 && check.failures.length === 0;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function soakRedis(pages: number, random: Prng): Promise<boolean> {
  await using redis = await startRedis();
  await using server = await startBenchServer({ pages });
  const dir = await Deno.makeTempDir({ prefix: "crawler-soak-redis-" });
  const job = "soak";
  const args = (k: number) => [
    ...["--redis", redis.url, "--job", job, "--seeds", `${server.origin}/index.html`],
    ...["--allow-private", "--ignore-robots", "--concurrency", "16", "--per-host", "32"],
    // Short leases: a killed process's URLs go back to the others soon.
    ...["--lease-ms", "2000", "--out", `${dir}/out-${k}.jsonl`],
  ];
  const started = performance.now();
  try {
    const children = [0, 1, 2].map((k) => crawler(args(k)));
    // Past start-up (all three connected and crawling), then at random moments.
    const killAt = 2500 + randomInt(random, 2000);
    const restartAt = killAt + 500 + randomInt(random, 2000);
    await pause(killAt);
    children[0]!.kill("SIGKILL");
    say(`killed process 0 after ${killAt} ms`);
    await pause(restartAt - killAt);
    await redis.restart();
    say(`restarted Redis after ${restartAt} ms`);
    children.push(crawler(args(3)));
    const results = await Promise.all(children.slice(1).map((child) => child.output()));
    for (const [i, { code, stderr }] of results.entries()) {
      if (code !== 0) {
        say(`process ${i + 1} exited ${code}: ${new TextDecoder().decode(stderr).slice(-400)}`);
      }
    }
    const exported = `${dir}/export.jsonl`;
    const exporter = new Deno.Command("deno", {
      args: [
        "run",
        "-P",
        `${ROOT}main.ts`,
        "export",
        "--redis",
        redis.url,
        "--job",
        job,
        "--out",
        exported,
      ],
      cwd: ROOT,
    });
    const { code } = await exporter.output();
    const wallMs = Math.round(performance.now() - started);
    const torn = await tornLines(exported);
    const check = await verifyOutput(exported, server.origin, pages);
    say(
      `redis soak: ${pages + 1} pages, 1 kill and 1 Redis restart, ${wallMs} ms in all; ` +
        `the job's export holds ${check.records} records, ${torn} torn lines`,
    );
    for (const failure of check.failures) say(`FAIL ${failure}`);
    return code === 0 && torn === 0 && check.failures.length === 0 &&
      results.every((r) => r.code === 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      pages: { type: "string", default: "20000" },
      kills: { type: "string", default: "20" },
      seed: { type: "string", default: "1" },
    },
  });
  const kind = positionals[0] ?? "state";
  const pages = Number(values.pages);
  // The same seed gives the same kill moments.
  const random = randomSeeded(Number(values.seed));
  say(`# soak ${kind}: ${pages} pages, seed ${values.seed}; Deno ${Deno.version.deno}`);
  const ok = kind === "redis"
    ? await soakRedis(pages, random)
    : await soakState(pages, Number(values.kills), random);
  say(ok ? "PASS" : "FAIL");
  Deno.exit(ok ? 0 : 1);
}
