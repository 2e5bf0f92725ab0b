/**
 * The memory benchmark: does peak RSS stay flat as the frontier grows? A
 * generated site where every page links to `--fanout` (1,000) new URLs is
 * served from its own process; the real CLI crawls it with `--max-pages`
 * small enough that discovery, not fetching, dominates: 10, 100 and 1,000
 * pages fetched discover about 10k, 100k and 1M URLs. Each size runs with
 * `--state` (the frontier on disk) and without (all in the JS heap), and the
 * table shows peak RSS (the CLI summary's `peakRssBytes`), the state file's
 * size, and the RSS each further discovered URL costs over the smallest run.
 *
 * ```sh
 * deno run -P=bench bench/memory.ts
 * deno run -P=bench bench/memory.ts --targets 10000,100000 --flags "--parsers 1"
 * ```
 *
 * The largest size runs once more in each mode under a small V8 heap
 * (`--heap-cap`, 64 MiB): peak RSS also counts garbage V8 has not collected
 * yet, so the capped runs show what the heap must really hold: the `--state`
 * crawl completes, the in-memory one runs out of memory.
 *
 * Flags: `--targets LIST` (10000,100000,1000000), `--fanout F` (1000),
 * `--heap-cap MIB` (64; 0 skips the capped runs), `--flags "..."` (extra CLI
 * flags), `--keep` (keep outputs and state files).
 * With `--serve` it is the site's server instead (started by the benchmark):
 * it prints `LISTENING http://127.0.0.1:PORT` and exits when its stdin closes.
 *
 * Permissions: `--allow-run=deno --allow-net=127.0.0.1`, read and write in
 * the temp directory.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { DatabaseSync } from "node:sqlite";
import { joinFlagsValue } from "./results.ts";
import { crawlTaskFlags, withV8Flags } from "./args.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const MiB = 1024 * 1024;
const HTML = { "content-type": "text/html; charset=utf-8" };

/** One measured crawl. */
interface Measure {
  target: number;
  state: boolean;
  pages: number;
  discovered: number;
  peakRssBytes: number;
  stateBytes: number | undefined;
  crawlMs: number;
  /** The V8 old-space cap the run had, in MiB; `undefined` for V8's default. */
  heapCapMiB: number | undefined;
  /** `undefined` when the crawl completed, else how it failed. */
  failure: string | undefined;
}

/**
 * Serves `/p/K.html`: a page linking to `/p/(K*F+1).html` … `/p/(K*F+F).html`,
 * so every link of every page is a URL never seen before (a tree of fanout F).
 */
function serve(fanout: number): void {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const match = /\/p\/(\d+)\.html$/.exec(request.url);
    if (!match) return new Response("not found", { status: 404 });
    const k = Number(match[1]);
    const links: string[] = [];
    for (let i = k * fanout + 1; i <= k * fanout + fanout; i++) {
      links.push(`<a href="/p/${i}.html">${i}</a>`);
    }
    return new Response(`<!doctype html><title>${k}</title>${links.join("\n")}`, {
      headers: HTML,
    });
  });
  console.log(`LISTENING http://127.0.0.1:${server.addr.port}`);
  // Stdin closing means the benchmark is done (or gone): stop with it.
  (async () => {
    for await (const _ of Deno.stdin.readable) { /* discard */ }
    await server.shutdown();
    Deno.exit(0);
  })();
}

/** Starts this file as the site's server in its own process; resolves with its origin. */
async function startServer(fanout: number): Promise<{ origin: string } & AsyncDisposable> {
  const child = new Deno.Command("deno", {
    args: ["run", "--allow-net=127.0.0.1", new URL(import.meta.url).pathname, "--serve"]
      .concat(["--fanout", String(fanout)]),
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const close = async () => {
    await child.stdin.close().catch(() => {});
    await child.status;
    await child.stdout.cancel().catch(() => {});
  };
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  reader.releaseLock();
  const match = /^LISTENING (\S+)/.exec(text);
  if (!match) {
    await close();
    throw new Error(`Cannot start the server: it printed ${JSON.stringify(text)}`);
  }
  return { origin: match[1]!, [Symbol.asyncDispose]: close };
}

/** Splits `--flags` like a shell would, for the simple cases: spaces, '…' and "…". */
function splitFlags(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch {
    return 0;
  }
}

/** Crawls until about `target` URLs are discovered; returns the CLI's figures. */
async function measure(
  origin: string,
  options: {
    target: number;
    fanout: number;
    state: boolean;
    dir: string;
    extra: string[];
    heapCapMiB?: number;
  },
): Promise<Measure> {
  const { target, fanout, state, dir, heapCapMiB } = options;
  const tag = `${target}-${state ? "state" : "memory"}-${heapCapMiB ?? "default"}`;
  const statePath = `${dir}/${tag}.db`;
  // One fetcher and a one-page queue keep fetching barely ahead of parsing, so nearly
  // every fetched page's links are admitted before --max-pages closes the frontier.
  const fetched = Math.ceil(target / fanout);
  const runtime = await crawlTaskFlags();
  const args = [
    "run",
    ...(heapCapMiB === undefined
      ? runtime
      : withV8Flags(runtime, `--max-old-space-size=${heapCapMiB}`)),
    "main.ts",
    ...["--seeds", `${origin}/p/0.html`, "--max-pages", String(fetched + 2)],
    ...["--concurrency", "1", "--queue-size", "1", "--parsers", "0"],
    ...["--allow-private", "--ignore-robots", "--out", `${dir}/${tag}.jsonl`],
    ...(state ? ["--state", statePath] : []),
    ...options.extra,
  ];
  console.error(`$ deno ${args.join(" ")}`);
  const { code, stderr } = await new Deno.Command("deno", {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stderr);
  const line = text.trimEnd().split("\n").findLast((l) => l.startsWith("{"));
  if (code !== 0 || !line) {
    // Under a heap cap, running out of memory is a result, not an error of the benchmark.
    const oom = /heap out of memory|Fatal JavaScript out of memory/i.test(text);
    if (heapCapMiB === undefined || !oom) throw new Error(`the CLI exited ${code}:\n${text}`);
    return {
      target,
      state,
      pages: 0,
      discovered: 0,
      peakRssBytes: 0,
      stateBytes: undefined,
      crawlMs: 0,
      heapCapMiB,
      failure: `out of memory (exit ${code})`,
    };
  }
  const summary = JSON.parse(line);
  let discovered = summary.pagesOk + summary.maxQueueDepth;
  let stateBytes: number | undefined;
  if (state) {
    const db = new DatabaseSync(statePath, { readOnly: true });
    try {
      discovered = db.prepare("SELECT count(*) AS n FROM urls").get()!.n as number;
    } finally {
      db.close();
    }
    stateBytes = (await fileSize(statePath)) + (await fileSize(`${statePath}-wal`));
  }
  return {
    target,
    state,
    pages: summary.pagesOk,
    discovered,
    peakRssBytes: summary.peakRssBytes,
    stateBytes,
    crawlMs: summary.durationMs,
    heapCapMiB,
    failure: undefined,
  };
}

function table(results: Measure[]): string {
  const lines = [
    "| mode | V8 heap | pages fetched | URLs discovered | peak RSS MiB | RSS per URL over the smallest run | state file MiB | crawl s |",
    "|---|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of results) {
    const mode = r.state ? "--state" : "in memory";
    const heap = r.heapCapMiB === undefined ? "default" : `capped at ${r.heapCapMiB} MiB`;
    if (r.failure) {
      lines.push(`| ${mode} | ${heap} | - | - | ${r.failure} | - | - | - |`);
      continue;
    }
    const base = results.find((b) => b.state === r.state && b.heapCapMiB === undefined)!;
    const perUrl = r === base || r.heapCapMiB !== undefined
      ? "-"
      : `${((r.peakRssBytes - base.peakRssBytes) / (r.discovered - base.discovered)).toFixed(0)} B`;
    lines.push(
      `| ${mode} | ${heap} | ${r.pages} | ${r.discovered.toLocaleString("en")} | ` +
        `${(r.peakRssBytes / MiB).toFixed(1)} | ${perUrl} | ` +
        `${r.stateBytes === undefined ? "-" : (r.stateBytes / MiB).toFixed(1)} | ` +
        `${(r.crawlMs / 1000).toFixed(1)} |`,
    );
  }
  return lines.join("\n");
}

async function main(): Promise<number> {
  const args = joinFlagsValue(Deno.args);
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      serve: { type: "boolean", default: false },
      fanout: { type: "string", default: "1000" },
      targets: { type: "string", default: "10000,100000,1000000" },
      flags: { type: "string", default: "" },
      keep: { type: "boolean", default: false },
      "heap-cap": { type: "string", default: "64" },
    },
  });
  const fanout = Number(values.fanout);
  if (!Number.isInteger(fanout) || fanout < 1) {
    throw new RangeError(
      `Cannot run benchmark as 'fanout' must be a positive integer: received ${values.fanout}`,
    );
  }
  if (values.serve) {
    serve(fanout);
    return -1;
  }
  const heapCap = Number(values["heap-cap"]);
  if (!Number.isInteger(heapCap) || heapCap < 0) {
    throw new RangeError(
      `Cannot run benchmark as 'heap-cap' must be a non-negative integer: received ${
        values["heap-cap"]
      }`,
    );
  }
  const targets = values.targets.split(",").map(Number);
  if (targets.some((t) => !Number.isInteger(t) || t < fanout)) {
    throw new RangeError(
      `Cannot run benchmark as 'targets' must be integers of at least the fanout: received ${values.targets}`,
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "crawler-memory-" });
  const results: Measure[] = [];
  try {
    await using server = await startServer(fanout);
    const extra = splitFlags(values.flags);
    const largest = Math.max(...targets);
    for (const state of [true, false]) {
      // The largest crawl again under a small V8 heap: only a frontier kept out of the
      // JS heap fits; peak RSS alone also counts garbage V8 has not collected yet.
      const caps = heapCap > 0 ? [undefined, heapCap] : [undefined];
      for (const heapCapMiB of caps) {
        for (const target of heapCapMiB === undefined ? targets : [largest]) {
          const result = await measure(server.origin, {
            ...{ target, fanout, state, dir, extra, heapCapMiB },
          });
          results.push(result);
          console.error(
            `${state ? "state" : "memory"} heap=${heapCapMiB ?? "default"}: ` +
              (result.failure ??
                `${result.discovered} discovered, rss=${
                  (result.peakRssBytes / MiB).toFixed(1)
                }MiB`),
          );
        }
      }
    }
  } finally {
    if (values.keep) console.error(`outputs kept in ${dir}`);
    else await Deno.remove(dir, { recursive: true });
  }
  console.log(
    `# memory benchmark: fanout ${fanout}; Deno ${Deno.version.deno}, ` +
      `${navigator.hardwareConcurrency} CPUs`,
  );
  console.log(table(results));
  return 0;
}

if (import.meta.main) {
  try {
    const code = await main();
    if (code >= 0) Deno.exit(code);
  } catch (error) {
    console.error(`bench: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  }
}
