/**
 * Durable crawls through the real CLI: a crawler subprocess killed with
 * SIGKILL at seeded random points resumes from its `--state` file and ends
 * with each record exactly once; mismatched options, `--restart` and reruns
 * of a finished crawl.
 *
 * @module
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { CrawlRecord } from "../../src/output/record.ts";
import { cliCommand, parseJsonl, runCli, withoutDenoNotices } from "../support/cli_run.ts";
import { type FixtureServer, type Routes, startFixtureServer } from "../support/fixture_server.ts";
import { randomInt, randomSeeded } from "../support/prng.ts";

const pagePath = (i: number) => `/p/${i}.html`;

/**
 * A generated site of `pages` pages, `/p/0.html` first: page i links to
 * page i + 1 (so all are reachable) and to three pages picked by the seed.
 * `onRequest` sees each page request as it arrives.
 */
function siteRoutes(pages: number, seed: number, onRequest: (path: string) => void): Routes {
  const random = randomSeeded(seed);
  const routes: Routes = {};
  for (let i = 0; i < pages; i++) {
    const links = [i + 1, ...Array.from({ length: 3 }, () => randomInt(random, pages))]
      .filter((j) => j < pages)
      .map((j) => `<a href="${pagePath(j)}">page ${j}</a>`);
    const html = `<!doctype html><title>Page ${i}</title><h1>Page ${i}</h1>${links.join(" ")}`;
    routes[pagePath(i)] = () => {
      onRequest(pagePath(i));
      return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
    };
  }
  return routes;
}

/** The CLI arguments of a durable crawl of the generated site. */
function crawlArgs(server: FixtureServer, state: string, out: string): string[] {
  return [
    "--seeds",
    `${server.origin}${pagePath(0)}`,
    "--state",
    state,
    "--out",
    out,
    "--allow-private",
    "--ignore-robots",
    "--parsers",
    "0",
    "--concurrency",
    "4",
    "--per-host",
    "4",
  ];
}

/** The paths of the URLs the state file marks done (read-only: the file is left as the crash left it). */
function donePaths(state: string, origin: string): Set<string> {
  const db = new DatabaseSync(state, { readOnly: true });
  try {
    const rows = db.prepare("SELECT url FROM urls WHERE state = 2").all();
    return new Set(rows.map((row) => (row.url as string).slice(origin.length)));
  } finally {
    db.close();
  }
}

/** The `runs` table: id, start and end of each run. */
function runsOf(state: string): { id: number; started_at: number; ended_at: number | null }[] {
  const db = new DatabaseSync(state, { readOnly: true });
  try {
    return db.prepare("SELECT id, started_at, ended_at FROM runs ORDER BY id").all() as {
      id: number;
      started_at: number;
      ended_at: number | null;
    }[];
  } finally {
    db.close();
  }
}

/** Asserts the output holds every page of the site exactly once, whole lines only. */
async function assertExactlyOnce(out: string, origin: string, pages: number): Promise<void> {
  const text = await Deno.readTextFile(out);
  assert.ok(text.endsWith("\n"), "the output ends with a complete line");
  // parseJsonl throws on a torn or merged line.
  const records = parseJsonl<CrawlRecord>(text);
  const paths = records.map((r) => r.requestedUrl.slice(origin.length));
  const repeated = paths.filter((path, i) => paths.indexOf(path) !== i);
  assert.deepEqual(repeated, [], "no record repeated");
  assert.deepEqual(
    paths.sort(),
    Array.from({ length: pages }, (_, i) => pagePath(i)).sort(),
    "the complete URL set",
  );
  for (const record of records) assert.equal(record.status, 200, record.url);
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "durable_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const PAGES = 300;
const KILLS = 6;

for (const seed of [1, 2, 3]) {
  Deno.test(`durable: SIGKILL at ${KILLS} seeded points (seed ${seed}), resumed each time, yields each record once`, async () => {
    // The same seed gives the same kill points.
    const random = randomSeeded(seed * 7919);
    // Cumulative request counts well below the site's size: the crawl cannot end
    // before the server has seen that many page requests, so every kill happens.
    const points = new Set<number>();
    while (points.size < KILLS) points.add(1 + randomInt(random, PAGES - 10));
    const killAt = [...points].sort((a, b) => a - b);
    let requests = 0;
    let child: Deno.ChildProcess | undefined;
    let killed = false;
    let thisRun = new Set<string>();
    const routes = siteRoutes(PAGES, seed, (path) => {
      thisRun.add(path);
      // Requests the killed process had in flight still arrive: a point they pass
      // goes to the next run's first request.
      if (++requests >= killAt[0]! && !killed) {
        killAt.shift();
        killed = true;
        child!.kill("SIGKILL");
      }
    });
    await using server = startFixtureServer({ routes, latencyMs: 3 });
    await withDir(async (dir) => {
      const state = `${dir}/crawl.db`;
      const out = `${dir}/out.jsonl`;
      const args = crawlArgs(server, state, out);
      let done = new Set<string>();
      let kills = 0;
      for (let run = 1;; run++) {
        assert.ok(run <= KILLS + 1, `still not finished after ${KILLS + 1} runs`);
        thisRun = new Set();
        killed = false;
        child = cliCommand(args).spawn();
        await child.stdin.close();
        const { code, signal, stderr } = await child.output();
        const refetched = [...thisRun].filter((path) => done.has(path));
        assert.deepEqual(refetched, [], `run ${run} fetched again URLs the state marked done`);
        if (signal === "SIGKILL") {
          kills++;
          done = donePaths(state, server.origin);
          // A kill inside a write (or a power loss) can leave half a line: the repair cuts it.
          await Deno.writeTextFile(out, `{"url":"${server.origin}/torn`, { append: true });
          continue;
        }
        assert.equal(code, 0, withoutDenoNotices(new TextDecoder().decode(stderr)));
        break;
      }
      assert.equal(kills, KILLS, "every kill point was reached");
      await assertExactlyOnce(out, server.origin, PAGES);
      const runs = runsOf(state);
      assert.equal(runs.length, 1, "each resume continues the same run");
      assert.notEqual(runs[0]!.ended_at, null, "the run ended");
    });
  });
}

Deno.test("durable: other seeds or scope on the same state exit 2; --restart starts over; a finished crawl is not redone", async () => {
  const pages = 20;
  const hits = new Map<string, number>();
  const routes = siteRoutes(pages, 9, (path) => hits.set(path, (hits.get(path) ?? 0) + 1));
  await using server = startFixtureServer({ routes });
  await withDir(async (dir) => {
    const state = `${dir}/crawl.db`;
    const out = `${dir}/out.jsonl`;
    const args = crawlArgs(server, state, out);
    const first = await runCli(args);
    assert.equal(first.code, 0, first.stderr);
    await assertExactlyOnce(out, server.origin, pages);
    const output = await Deno.readFile(out);
    const requestsAfterFirst = [...hits.values()].reduce((a, b) => a + b, 0);
    assert.equal(requestsAfterFirst, pages);

    const otherSeed = args.with(1, `${server.origin}${pagePath(1)}`);
    for (
      const [label, changed, key] of [
        ["seeds", otherSeed, "seeds"],
        ["scope", [...args, "--scope", "domain"], "scope"],
      ] as const
    ) {
      const refused = await runCli([...changed]);
      assert.equal(refused.code, 2, `${label}: ${refused.stderr}`);
      const lines = refused.stderr.trim().split("\n");
      assert.equal(lines.length, 1, refused.stderr);
      assert.match(
        lines[0]!,
        new RegExp(
          `^error: --state: .*crawl\\.db was made with different options \\(${key}\\); ` +
            "pass --restart to start over, or use another --state file$",
        ),
      );
    }
    const rerun = await runCli(args);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(
      rerun.stderr,
      /^note: .*crawl\.db holds a finished crawl \(run 1\); pass --recrawl/m,
    );
    assert.equal([...hits.values()].reduce((a, b) => a + b, 0), pages, "nothing fetched again");
    assert.deepEqual(await Deno.readFile(out), output, "the output is kept as it was");

    const restarted = await runCli([...otherSeed, "--restart"]);
    assert.equal(restarted.code, 0, restarted.stderr);
    // From page 1 now: the whole site but page 0 (reachable only through random links) again.
    const again = [...hits].filter(([, n]) => n === 2).map(([path]) => path);
    const records = parseJsonl<CrawlRecord>(await Deno.readTextFile(out));
    assert.deepEqual(
      records.map((r) => r.requestedUrl.slice(server.origin.length)).sort(),
      again.sort(),
      "the output holds the new crawl only, each page once",
    );
    assert.ok(again.length >= pages - 1, `${again.length} pages crawled again`);
    assert.deepEqual(runsOf(state).map((r) => r.id), [1], "the old runs are gone");
  });
});

Deno.test("durable: --report of a resumed crawl counts each record once, earlier ones included", async () => {
  const pages = 20;
  let requests = 0;
  let child: Deno.ChildProcess | undefined;
  const routes = siteRoutes(pages, 5, () => {
    if (++requests === 8) child!.kill("SIGKILL");
  });
  await using server = startFixtureServer({ routes });
  await withDir(async (dir) => {
    const args = crawlArgs(server, `${dir}/crawl.db`, `${dir}/out.jsonl`);
    child = cliCommand(args).spawn();
    await child.stdin.close();
    assert.equal((await child.output()).signal, "SIGKILL");
    const resumed = await runCli([...args, "--report", `${dir}/report.html`]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const html = await Deno.readTextFile(`${dir}/report.html`);
    assert.equal(/<desc id="status-chart-d">([^<]*)<\/desc>/.exec(html)?.[1], `200 OK: ${pages}`);
    await assertExactlyOnce(`${dir}/out.jsonl`, server.origin, pages);
  });
});

Deno.test("durable: --state without --out is refused with exit 2", async () => {
  await using server = startFixtureServer();
  const result = await runCli([
    "--seeds",
    `${server.origin}/index.html`,
    "--state",
    "unused.db",
    "--allow-private",
  ]);
  assert.equal(result.code, 2);
  assert.equal(
    result.stderr.trim(),
    "error: --state needs --out FILE: the output is repaired from the state after a crash",
  );
  assert.equal(server.hits.size, 0);
  await assert.rejects(Deno.stat(`${new URL("../../", import.meta.url).pathname}unused.db`));
});
