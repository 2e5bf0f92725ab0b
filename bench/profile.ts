/**
 * Where the crawl's CPU goes (`deno task bench:profile`): serves the bench
 * site from its own process, runs the real CLI in this process under V8's
 * sampling profiler (`node:inspector`), and prints the CPU time per stage.
 *
 * ```sh
 * deno task bench:profile                      # 5,000 pages, concurrency 32
 * deno task bench:profile --pages 2000 --out prof.cpuprofile
 * deno task bench:profile --flags="--state /tmp/s.db"
 * deno task bench:profile --seed http://127.0.0.1:8080/index.html   # a site served elsewhere
 * ```
 *
 * The CLI runs with its default options (`--flags` adds more). Only this
 * thread is sampled: the CPU of other threads (parser workers, when there
 * are any, V8's GC and compiler helpers, file I/O) is the process's CPU
 * minus the sampled busy time, printed as `other threads`. Each sample is charged to the
 * innermost stack frame that belongs to a known stage, so the work a
 * function asks of V8 or Deno (`new URL`, `JSON.stringify`, a fetch op) is
 * charged to the stage that asked:
 *
 * - `fetch`: `src/http/` and Deno's fetch, streams and text decoding;
 * - `scan`: `src/parse/` (decoding, the tokenizer pass) and htmlparser2;
 * - `links`: link resolution and normalization (`parse/links.ts`, `parse/page.ts`), admission
 *   and dedupe;
 * - `frontier`: the queue, per-host slots, the store;
 * - `messaging`: the parser pool and channels between stages;
 * - `output`: building, serializing and writing records, stats;
 * - `runtime`: Deno's event loop and timers with no project frame on the stack, GC;
 * - `other threads`: the process's CPU not sampled on this thread.
 *
 * It runs with `-A`: Deno grants a process's own `/proc/PID/task` (per-thread CPU) to `-A` alone.
 *
 * Flags: `--pages N` (5000), `--seed URL` (crawl a site served elsewhere, e.g. `rust-doc` by
 * `bench/nginx.ts`, instead of the bench site; per-page figures then divide by the records
 * written), `--concurrency C` (32), `--flags="..."` (extra CLI flags; with `=`, as they start with a dash),
 * `--out FILE` (also write the `.cpuprofile`, for Chrome DevTools), `--interval US` (sampling
 * interval in microseconds, 1000: coarse enough to cost little).
 *
 * @module
 */

import { Session } from "node:inspector/promises";
import process from "node:process";
import { parseArgs } from "node:util";
import { runCli } from "../src/cli/main.ts";
import { startBenchServer } from "./serve.ts";
import { threadCpuMs } from "./measure.ts";

/** A node of V8's `Profiler.Profile`. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** V8's `Profiler.Profile`, the fields read here. */
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The stages samples are charged to, in print order. */
export const STAGES = [
  "fetch",
  "scan",
  "links",
  "frontier",
  "messaging",
  "output",
  "runtime",
] as const;

/** One stage of {@linkcode STAGES}. */
export type Stage = typeof STAGES[number];

/** Which stage a source file belongs to, or `undefined` when it is neutral (look further out). */
export function stageOf(url: string, functionName: string): Stage | undefined {
  if (url === "") {
    if (functionName === "(garbage collector)" || functionName === "(program)") return "runtime";
    return undefined;
  }
  const src = url.match(/\/src\/([^/]+)\/([^/]+)\.ts$/);
  if (src) {
    const [, folder, file] = src;
    if (folder === "http") return "fetch";
    if (folder === "parse") {
      if (file === "links" || file === "page") return "links";
      if (file === "pool" || file === "worker") return "messaging";
      return "scan";
    }
    if (folder === "frontier") return file === "normalize" ? "links" : "frontier";
    if (folder === "pipeline") {
      if (file === "admission") return "links";
      if (file === "fetch_stage" || file === "retry" || file === "request_policy") return "fetch";
      if (file === "parse_stage") return "messaging";
      return undefined;
    }
    if (folder === "async") return undefined;
    if (folder === "output" || folder === "report" || folder === "linkcheck") return "output";
    if (folder === "store" || folder === "sqlite" || folder === "redis" || folder === "robots") {
      return "frontier";
    }
    return undefined;
  }
  if (url.includes("htmlparser2") || url.includes("entities")) return "scan";
  if (url.includes("csv-stringify")) return "output";
  if (url.includes("ioredis")) return "frontier";
  if (/ext:deno_(fetch|web|net|url|http)/.test(url) || url.includes("ext:deno_node")) {
    // Deno's fetch, streams and decoders: fetch unless something more specific is further in.
    return url.includes("deno_url") ? "links" : "fetch";
  }
  return undefined;
}

/** CPU ms per stage from a profile: each sample goes to the innermost frame with a stage. */
export function stageTimes(profile: Profile): Map<Stage, number> {
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const memo = new Map<number, Stage | "idle">();
  const stageOfNode = (id: number): Stage | "idle" => {
    const known = memo.get(id);
    if (known) return known;
    let stage: Stage | "idle" = "runtime";
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      if (frame.functionName === "(idle)") {
        stage = "idle";
        break;
      }
      const found = stageOf(frame.url, frame.functionName);
      if (found) {
        stage = found;
        break;
      }
    }
    memo.set(id, stage);
    return stage;
  };
  const times = new Map<Stage, number>(STAGES.map((stage) => [stage, 0]));
  for (let i = 0; i < profile.samples.length; i++) {
    const stage = stageOfNode(profile.samples[i]!);
    // A sample's time is the delta to the next one.
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    if (stage !== "idle") times.set(stage, times.get(stage)! + ms);
  }
  return times;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      pages: { type: "string", default: "5000" },
      seed: { type: "string" },
      concurrency: { type: "string", default: "32" },
      flags: { type: "string", default: "" },
      out: { type: "string" },
      interval: { type: "string", default: "1000" },
    },
  });
  await using server = values.seed === undefined
    ? await startBenchServer({ pages: Number(values.pages) })
    : undefined;
  const seed = server ? `${server.origin}/index.html` : values.seed!;
  const dir = await Deno.makeTempDir({ prefix: "crawler-profile-" });
  const args = [
    "--seeds",
    seed,
    "--concurrency",
    values.concurrency,
    "--per-host",
    values.concurrency,
    "--out",
    `${dir}/out.jsonl`,
    "--allow-private",
    "--ignore-robots",
    "--quiet",
    ...values.flags.split(/\s+/).filter(Boolean),
  ];
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: Number(values.interval) });
  const cpuBefore = process.cpuUsage();
  const threadsBefore = threadCpuMs();
  await session.post("Profiler.start");
  const code = await runCli(args, { stop: new AbortController(), abort: new AbortController() });
  const { profile } = await session.post("Profiler.stop") as unknown as { profile: Profile };
  session.disconnect();
  const cpuAfter = process.cpuUsage(cpuBefore);
  const threadsAfter = threadCpuMs();
  if (code !== 0) {
    // The CLI said why on stderr (a bad --seed, an unreachable site): its exit code is ours.
    await Deno.remove(dir, { recursive: true });
    await server?.[Symbol.asyncDispose](); // Deno.exit() skips `await using`
    Deno.exit(code);
  }
  // Pages are the records written: the bench site's count, or whatever the seed's site holds.
  const pages = (await Deno.readTextFile(`${dir}/out.jsonl`)).split("\n").length - 1;
  await Deno.remove(dir, { recursive: true });
  if (values.out) await Deno.writeTextFile(values.out, JSON.stringify(profile));
  const times = stageTimes(profile);
  const sampled = [...times.values()].reduce((a, b) => a + b, 0);
  const wallMs = (profile.endTime - profile.startTime) / 1000;
  const processMs = (cpuAfter.user + cpuAfter.system) / 1000;
  // The samples say where the main thread was; its CPU time says how much it ran.
  const mainMs = threadsAfter.get("main")! - (threadsBefore.get("main") ?? 0);
  const scale = mainMs / sampled;
  console.log(
    `# CPU by stage: ${pages} pages, concurrency ${values.concurrency}, ` +
      `flags: ${values.flags || "(none)"}; process CPU ${processMs.toFixed(0)} ms, main thread ` +
      `${mainMs.toFixed(0)} ms (profiler included), busy in ${sampled.toFixed(0)} ms of ` +
      `${wallMs.toFixed(0)} ms sampled`,
  );
  const row = (name: string, ms: number) =>
    console.log(
      `| ${name} | ${(ms / pages).toFixed(3)} | ${(100 * ms / processMs).toFixed(0)}% |`,
    );
  console.log("| stage | CPU ms/page | share |");
  console.log("|---|---:|---:|");
  for (const stage of STAGES) row(stage, times.get(stage)! * scale);
  const others = new Map<string, number>();
  for (const [name, ms] of threadsAfter) {
    if (name === "main") continue;
    // Worker and runtime threads are named by kind, with a number: group them by kind.
    const kind = name.replace(/[-\s]*\d+$/, "");
    others.set(kind, (others.get(kind) ?? 0) + ms - (threadsBefore.get(name) ?? 0));
  }
  let listed = mainMs;
  for (const [kind, ms] of [...others].sort((a, b) => b[1] - a[1])) {
    if (ms <= 0) continue;
    row(`thread "${kind}"`, ms);
    listed += ms;
  }
  // Threads that ended before the end (their time is in the process's, no longer in /proc).
  if (processMs - listed > 0) row("threads that ended", processMs - listed);
  row("process", processMs);
}
