/**
 * Redis's own cost of a crawl's script calls, apart from the crawl: one
 * `--redis` crawl of the bench site runs while a `MONITOR` connection
 * records every script call; the calls are then replayed in order, one at a
 * time, on a private Redis with nothing else running, and Redis's CPU over
 * each replay (`INFO cpu`) is divided by the crawl's pages (after one
 * replay not counted, which warms the new Redis up).
 *
 * Inside a crawl on this 2-core machine, Redis shares the cores with the
 * crawler and the site server, and its figure drifts with them. The replay
 * measures the scripts alone. `--script FILE` (repeatable) replays the same
 * calls with another sync script too, interleaved with the job's own (a Lua
 * file in place of `SYNC` from `src/redis/sync_lua.ts`, e.g. one printed
 * with `--print-script` and edited), to measure a change before wiring it
 * in; the machine's drift then hits both alike.
 *
 * ```sh
 * deno task bench:replay [--pages 5000] [--runs 5] [--script sync.lua]
 * deno task bench:replay --print-script > sync.lua
 * ```
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { parseArgs } from "node:util";
import type { Redis } from "ioredis";
import { openRedis } from "../src/redis/connect.ts";
import { SYNC } from "../src/redis/sync_lua.ts";
import { startRedis } from "../tests/support/redis_server.ts";
import { crawlTaskFlags } from "./args.ts";
import { median, redisCpuMs } from "./measure.ts";
import { startBenchServer } from "./serve.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/**
 * The arguments of one `MONITOR` line (Redis escapes them as C strings:
 * `\\`, `\"`, `\n`, `\r`, `\t`, `\a`, `\b` and `\xHH`), or `undefined` for
 * a line that is not a command or was run by a script (`[0 lua]`).
 *
 * @param line A line of `MONITOR` output.
 * @returns The command and its arguments, as bytes.
 *
 * @example Usage
 * ```ts
 * import { monitorArgs } from "./redis_replay.ts";
 * import { Buffer } from "node:buffer";
 * import assert from "node:assert/strict";
 *
 * const args = monitorArgs('+1.5 [0 127.0.0.1:5] "rpush" "k" "a\\"b\\x00"')!;
 * assert.deepEqual(args.map((a) => [...a]), [[...Buffer.from("rpush")], [107], [97, 34, 98, 0]]);
 * assert.equal(monitorArgs('+1.5 [0 lua] "hget" "k" "f"'), undefined);
 * ```
 */
export function monitorArgs(line: string): Buffer[] | undefined {
  const close = line.indexOf("] ");
  if (!line.startsWith("+") || close === -1 || line.slice(0, close).endsWith(" lua")) {
    return undefined;
  }
  const ESCAPES: Record<string, number> = { n: 10, r: 13, t: 9, a: 7, b: 8, "\\": 92, '"': 34 };
  const args: Buffer[] = [];
  let i = close + 2;
  while (i < line.length) {
    if (line[i] !== '"') {
      i++;
      continue;
    }
    const bytes: number[] = [];
    for (i++; i < line.length && line[i] !== '"'; i++) {
      if (line[i] !== "\\") {
        bytes.push(line.charCodeAt(i));
      } else if (line[i + 1] === "x") {
        bytes.push(parseInt(line.slice(i + 2, i + 4), 16));
        i += 3;
      } else {
        bytes.push(ESCAPES[line[i + 1]!] ?? line.charCodeAt(i + 1));
        i++;
      }
    }
    args.push(Buffer.from(bytes));
    i++;
  }
  return args;
}

const sha1 = (text: string | Uint8Array) => createHash("sha1").update(text).digest("hex");

/**
 * Records the script calls Redis runs, from a raw `MONITOR` connection
 * (ioredis's own monitor mode does not undo Redis's escapes), once Redis
 * has said it monitors. `stop()` has `ECHO marker` sent on another
 * connection and ends at that line, so every call before it is read.
 */
async function monitor(
  port: number,
): Promise<{ stop(echo: (marker: string) => Promise<unknown>): Promise<Buffer[][]> }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode("MONITOR\r\n"));
  const marker = `replay-end-${crypto.randomUUID()}`;
  const calls: Buffer[][] = [];
  const monitoring = Promise.withResolvers<void>();
  const reading = (async () => {
    let rest = "";
    const decoder = new TextDecoder();
    for await (const chunk of conn.readable) {
      const lines = (rest + decoder.decode(chunk, { stream: true })).split("\r\n");
      rest = lines.pop()!;
      for (const line of lines) {
        if (line === "+OK") monitoring.resolve();
        const args = monitorArgs(line);
        const name = args?.[0]?.toString().toLowerCase();
        if (name === "evalsha" || name === "eval") calls.push(args!);
        if (name === "echo" && args![1]?.toString() === marker) return;
      }
    }
    throw new Error("MONITOR connection closed before the end marker");
  })();
  reading.catch(monitoring.reject);
  await monitoring.promise;
  return {
    async stop(echo) {
      try {
        await echo(marker);
        await reading;
        return calls;
      } finally {
        // Leaving the read loop at the marker cancelled the stream, which closed the connection.
        try {
          conn.close();
        } catch {
          // Closed already.
        }
      }
    },
  };
}

/**
 * Replays the calls on an emptied Redis, with `sync` in place of the job's
 * sync script.
 *
 * @returns Redis's CPU over the replay, in ms, and how many calls failed.
 */
async function replayOnce(
  client: Redis,
  calls: Buffer[][],
  sync: string,
): Promise<{ ms: number; errors: number }> {
  await client.flushall();
  await client.script("FLUSH");
  const from = sha1(SYNC), to = sha1(sync);
  await client.config("RESETSTAT");
  const before = await redisCpuMs(client);
  let errors = 0;
  for (const [name, first, ...rest] of calls) {
    let head = first!;
    if (name!.toString().toLowerCase() === "eval" && head.toString() === SYNC) {
      head = Buffer.from(sync);
    } else if (head.toString() === from) head = Buffer.from(to);
    // Counted, not thrown: a script that fails does less work, so its figure means nothing.
    await client.call(name!.toString(), head, ...rest).catch(() => errors++);
  }
  return { ms: await redisCpuMs(client) - before, errors };
}

/**
 * Runs the capture crawl and the replays; prints Redis's CPU per page.
 *
 * @param options Pages of the site, replays, and the sync scripts to compare (by name).
 * @returns The process's exit code.
 */
async function main(
  options: { pages: number; runs: number; scripts: Map<string, string> },
): Promise<number> {
  await using redis = await startRedis();
  await using server = await startBenchServer({ pages: options.pages });
  const recording = await monitor(Number(new URL(redis.url).port));
  const out = await Deno.makeTempFile({ prefix: "crawler-replay-", suffix: ".jsonl" });
  let calls: Buffer[][], pages: number;
  try {
    const crawl = await new Deno.Command("deno", {
      args: [
        "run",
        ...await crawlTaskFlags(),
        "main.ts",
        "--seeds",
        `${server.origin}/index.html`,
        "--allow-private",
        "--ignore-robots",
        "--concurrency",
        "16",
        "--per-host",
        "32",
        "--redis",
        redis.url,
        "--job",
        "replay",
        "--out",
        out,
      ],
      cwd: ROOT,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    const { client } = await openRedis(redis.url);
    try {
      calls = await recording.stop((marker) => client.echo(marker));
    } finally {
      client.disconnect();
    }
    if (!crawl.success) {
      console.error(new TextDecoder().decode(crawl.stderr).slice(-500));
      return 1;
    }
    // Per page of what the crawl recorded, not of what the site has.
    pages = (await Deno.readTextFile(out)).split("\n").filter(Boolean).length;
  } finally {
    await Deno.remove(out);
  }
  await using replayRedis = await startRedis();
  const { client } = await openRedis(replayRedis.url);
  const perPage = new Map([...options.scripts.keys()].map((name) => [name, [] as number[]]));
  let failed = false;
  try {
    console.log(
      `# ${calls.length} script calls of one --redis crawl (${pages} pages, ` +
        `${(calls.length / pages).toFixed(2)} calls/page while recorded: MONITOR slows Redis, so ` +
        `calls carry more than in bench:redis), replayed on an idle Redis, ${options.runs} ` +
        `time(s) with each sync script, interleaved`,
    );
    // One replay first, not counted: a fresh Redis spends its first one growing its memory.
    await replayOnce(client, calls, SYNC);
    for (let run = 1; run <= options.runs; run++) {
      for (const [name, sync] of options.scripts) {
        const { ms, errors } = await replayOnce(client, calls, sync);
        perPage.get(name)!.push(ms / pages);
        console.log(
          `${name} replay ${run}: Redis CPU ${(ms / pages).toFixed(4)} ms/page` +
            (errors ? `, ${errors} call(s) FAILED` : ""),
        );
        if (errors) failed = true;
      }
    }
  } finally {
    client.disconnect();
  }
  console.log("\n| sync script | Redis CPU ms/page (median) | least |\n|---|---:|---:|");
  for (const [name, values] of perPage) {
    console.log(
      `| ${name} | ${median(values).toFixed(4)} | ${Math.min(...values).toFixed(4)} |`,
    );
  }
  if (failed) {
    console.log("Calls failed: a script that fails does less work; its figure means nothing.");
  }
  return failed ? 1 : 0;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    strict: true,
    options: {
      pages: { type: "string", default: "5000" },
      runs: { type: "string", default: "5" },
      script: { type: "string", multiple: true, default: [] },
      "print-script": { type: "boolean", default: false },
    },
  });
  if (values["print-script"]) {
    console.log(SYNC);
    Deno.exit(0);
  }
  // The job's own sync script, then each --script, replayed in turn.
  const scripts = new Map([["sync_lua.ts", SYNC]]);
  for (const path of values.script) {
    try {
      scripts.set(path, await Deno.readTextFile(path));
    } catch (error) {
      console.error(`bench:replay: cannot read --script ${path}: ${(error as Error).message}`);
      Deno.exit(2);
    }
  }
  const [pages, runs] = [Number(values.pages), Number(values.runs)];
  for (const [name, value] of [["pages", pages], ["runs", runs]] as const) {
    if (!Number.isInteger(value) || value < 1) {
      console.error(`bench:replay: --${name} must be a positive integer: received ${values[name]}`);
      Deno.exit(2);
    }
  }
  Deno.exit(await main({ pages, runs, scripts }));
}
