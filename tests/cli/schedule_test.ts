/**
 * Scheduled crawls through the real CLI: `--schedule` with a seconds cron
 * runs one crawl per tick, each into its own `{run}` output file, skips the
 * ticks that come while a run is going, logs each run's start, end and
 * counts, and stops on SIGTERM.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { CrawlRecord } from "../../src/output/record.ts";
import { cliCommand, parseJsonl, withoutDenoNotices } from "../support/cli_run.ts";
import { type Routes, startFixtureServer } from "../support/fixture_server.ts";

const PAGES = ["/", "/a.html", "/b.html", "/c.html", "/d.html", "/e.html"];
const HTML = { "content-type": "text/html; charset=utf-8" };

function siteRoutes(): Routes {
  const routes: Routes = {};
  for (const path of PAGES) {
    const links = PAGES.map((href) => `<a href="${href}">${href}</a>`).join("");
    routes[path] = () =>
      new Response(`<!doctype html><title>${path}</title>${links}`, { headers: HTML });
  }
  return routes;
}

/** Splits a byte stream into lines, calling `onLine` for each complete one. */
async function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    rest += chunk;
    for (let end = rest.indexOf("\n"); end >= 0; end = rest.indexOf("\n")) {
      onLine(rest.slice(0, end));
      rest = rest.slice(end + 1);
    }
  }
  if (rest !== "") onLine(rest);
}

const RUNS = 3;

Deno.test("schedule: a run per tick, each in its own file; ticks during a slow run are skipped; SIGTERM exits 143", async () => {
  // One request at a time, 250 ms each: a run of the six pages lasts longer than a tick (1 s).
  await using server = startFixtureServer({ routes: siteRoutes(), latencyMs: 250 });
  const dir = await Deno.makeTempDir({ prefix: "schedule_test_" });
  try {
    await Deno.mkdir(`${dir}/runs`);
    const child = cliCommand([
      ...["--seeds", `${server.origin}/`, "--state", `${dir}/crawl.db`],
      ...["--out", `${dir}/runs/{run}.jsonl`, "--schedule", "* * * * * *"],
      ...["--allow-private", "--ignore-robots", "--parsers", "0", "--concurrency", "1"],
    ]).spawn();
    await child.stdin.close();
    const summaries: Record<string, unknown>[] = [];
    const stderr: string[] = [];
    const stdout = new Response(child.stdout).text();
    await readLines(child.stderr, (line) => {
      stderr.push(line);
      if (!line.startsWith("{")) return;
      summaries.push(JSON.parse(line));
      if (summaries.length === RUNS) child.kill("SIGTERM");
    });
    const status = await child.status;
    const log = withoutDenoNotices(stderr.join("\n"));
    assert.equal(status.code, 143, log);
    assert.equal(await stdout, "");

    // A tick may start one more run between the last summary and the signal:
    // it is stopped then, and says so.
    assert.ok(summaries.length === RUNS || summaries.length === RUNS + 1, log);
    for (const [i, summary] of summaries.entries()) {
      assert.equal(summary.runId, i + 1, log);
      assert.equal(summary.stoppedBy, i < RUNS ? "done" : "interrupted", log);
    }
    for (let run = 1; run <= RUNS; run++) {
      const records = parseJsonl<CrawlRecord>(await Deno.readTextFile(`${dir}/runs/${run}.jsonl`));
      assert.deepEqual(
        records.map((r) => r.requestedUrl.slice(server.origin.length)).sort(),
        [...PAGES].sort(),
        `run ${run}'s file holds the whole site once`,
      );
    }
    assert.match(log, /^note: tick at \S+ skipped: the previous run is still going$/m);
    // Each run's start, end and counts are logged, and when the next one is due.
    for (let run = 1; run <= RUNS; run++) {
      assert.match(log, new RegExp(`^schedule: run ${run} started at \\d{4}-\\d\\d-\\S+Z$`, "m"));
      // Later runs revalidate: their 304s are counted as unchanged.
      const done = `^run ${run} done in \\S+ m?s: 6 pages ok, 0 errors( \\(6 unchanged\\))?$`;
      assert.match(log, new RegExp(done, "m"));
    }
    assert.match(log, /^schedule: next run at \d{4}-\S+Z$/m);
    assert.match(log, /^stopping: .*; send SIGTERM again to stop at once$/m);

    // Every run fetches each page once, so a path's k-th request belongs to run k.
    const seen = new Map<string, number>();
    const runs: { first: number; last: number }[] = [];
    for (const { path, at } of server.log) {
      const run = seen.get(path) ?? 0;
      seen.set(path, run + 1);
      runs[run] ??= { first: at, last: at };
      runs[run].first = Math.min(runs[run].first, at);
      runs[run].last = Math.max(runs[run].last, at);
    }
    assert.ok(runs.length >= RUNS, `${runs.length} runs seen by the server`);
    for (let k = 1; k < runs.length; k++) {
      assert.ok(
        runs[k]!.first > runs[k - 1]!.last,
        `run ${k + 1} made a request before run ${k}'s last one`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "schedule: --restart starts over on the first tick only",
  fn: async () => {
    await using server = startFixtureServer({ routes: siteRoutes() });
    const dir = await Deno.makeTempDir({ prefix: "schedule_test_" });
    try {
      const child = cliCommand([
        ...["--seeds", `${server.origin}/`, "--state", `${dir}/crawl.db`, "--restart"],
        ...["--out", `${dir}/{run}.jsonl`, "--schedule", "* * * * * *"],
        ...["--allow-private", "--ignore-robots", "--parsers", "0"],
      ]).spawn();
      await child.stdin.close();
      const stdout = new Response(child.stdout).text();
      const runIds: unknown[] = [];
      await readLines(child.stderr, (line) => {
        if (!line.startsWith("{")) return;
        runIds.push(JSON.parse(line).runId);
        if (runIds.length === 2) child.kill("SIGTERM");
      });
      assert.equal((await child.status).code, 143);
      assert.equal(await stdout, "");
      assert.deepEqual(runIds.slice(0, 2), [1, 2]);
      assert.ok((await Deno.stat(`${dir}/2.jsonl`)).isFile);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
