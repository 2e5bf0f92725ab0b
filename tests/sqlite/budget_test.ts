/**
 * Budgets belong to the crawl: with `--state`, `--max-pages` and
 * `--max-pages-per-host` count every page of every run, through the real
 * CLI, interrupted (SIGINT, or `--max-pages-per-run`) and resumed at least
 * twice; `--max-pages-per-run` is the per-invocation budget.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { CrawlSummary } from "../../src/output/stats.ts";
import { cliCommand, runCli, withoutDenoNotices } from "../support/cli_run.ts";
import { type FixtureServer, type Routes, startFixtureServer } from "../support/fixture_server.ts";

/** A chain of `pages` pages on one host, page i linking to pages i + 1 to i + 3. */
function chain(pages: number, onRequest: (path: string) => void = () => {}): Routes {
  const routes: Routes = {};
  for (let i = 0; i < pages; i++) {
    const links = [1, 2, 3].map((d) => i + d).filter((j) => j < pages)
      .map((j) => `<a href="/p/${j}">${j}</a>`).join(" ");
    routes[`/p/${i}`] = () => {
      onRequest(`/p/${i}`);
      return new Response(`<title>${i}</title>${links}`, {
        headers: { "content-type": "text/html" },
      });
    };
  }
  return routes;
}

function args(server: FixtureServer, dir: string, extra: string[]): string[] {
  return [
    "--seeds",
    `${server.origin}/p/0`,
    "--state",
    `${dir}/crawl.db`,
    "--out",
    `${dir}/out.jsonl`,
    "--allow-private",
    "--ignore-robots",
    "--parsers",
    "0",
    "--concurrency",
    "1",
    "--per-host",
    "1",
    ...extra,
  ];
}

function summaryOf(stderr: string): CrawlSummary {
  return JSON.parse(stderr.trim().split("\n").findLast((l) => l.startsWith("{"))!);
}

/** Page requests the server saw, and whether any page was requested twice. */
function fetched(server: FixtureServer): { pages: number; twice: string[] } {
  const pages = [...server.hits.entries()].filter(([path]) => path.startsWith("/p/"));
  return { pages: pages.length, twice: pages.filter(([, n]) => n > 1).map(([p]) => p) };
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "budget_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("CLI: --max-pages counts every run of a --state crawl, interrupted by SIGINT twice", async () => {
  let child: Deno.ChildProcess | undefined;
  let requests = 0;
  let interruptAt = 0;
  await using server = startFixtureServer({
    routes: chain(40, () => {
      // The interruption comes from the server side, on the request it chose: no timing guess.
      if (++requests === interruptAt) child!.kill("SIGINT");
    }),
  });
  await withDir(async (dir) => {
    const run = async (at: number) => {
      interruptAt = requests + at;
      child = cliCommand(args(server, dir, ["--max-pages", "10"])).spawn();
      await child.stdin.close();
      const { code, stderr } = await child.output();
      return { code, summary: summaryOf(withoutDenoNotices(new TextDecoder().decode(stderr))) };
    };
    const first = await run(3);
    assert.equal(first.code, 130);
    assert.equal(first.summary.stoppedBy, "interrupted");
    const second = await run(3);
    assert.equal(second.code, 130);
    const third = await run(100);
    assert.equal(third.code, 0);
    assert.equal(third.summary.stoppedBy, "max_pages");
    assert.deepEqual(fetched(server), { pages: 10, twice: [] }, "10 pages in all, each once");
    // The budget is spent and the run ended: the same command fetches nothing more.
    const fourth = await runCli(args(server, dir, ["--max-pages", "10"]));
    assert.equal(fourth.code, 0, fourth.stderr);
    assert.equal(summaryOf(fourth.stderr).stoppedBy, "already_complete");
    assert.equal(fetched(server).pages, 10);
    const lines = (await Deno.readTextFile(`${dir}/out.jsonl`)).trim().split("\n");
    assert.equal(lines.length, 10, "each record once in the output");
  });
});

Deno.test("CLI: --max-pages-per-run bounds each invocation; the crawl goes on from where it stopped", async () => {
  await using server = startFixtureServer({ routes: chain(10) });
  await withDir(async (dir) => {
    const perRun = ["--max-pages-per-run", "4"];
    const stops: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { code, stderr } = await runCli(args(server, dir, perRun));
      assert.equal(code, 0, stderr);
      stops.push(summaryOf(stderr).stoppedBy);
      // The summary says how to go on while there is more to crawl, and not once it is done.
      assert.equal(/^ {2}resume {3}run the same command again/m.test(stderr), i < 2, stderr);
    }
    assert.deepEqual(stops, ["max_pages_per_run", "max_pages_per_run", "done"]);
    assert.deepEqual(fetched(server), { pages: 10, twice: [] });
  });
});

Deno.test("CLI: --max-pages-per-host keeps counting across resumed runs", async () => {
  await using server = startFixtureServer({ routes: chain(30) });
  await withDir(async (dir) => {
    const flags = ["--max-pages-per-host", "6", "--max-pages-per-run", "2"];
    let skipped = 0;
    for (let i = 0; i < 4; i++) {
      const { code, stderr } = await runCli(args(server, dir, flags));
      assert.equal(code, 0, stderr);
      skipped += summaryOf(stderr).skipped.max_pages_per_host ?? 0;
    }
    // Six admitted in all (the seed and five links), whatever the number of runs.
    assert.deepEqual(fetched(server), { pages: 6, twice: [] });
    assert.ok(skipped > 0, "links past the host's budget were counted as skipped");
  });
});

Deno.test("CLI: a retry pending when --max-pages is spent gets its record; no later run owes it", async () => {
  const routes = chain(10);
  routes["/p/1"] = () => new Response("busy", { status: 503 });
  await using server = startFixtureServer({ routes });
  await withDir(async (dir) => {
    // A long backoff keeps /p/1 waiting for its retry when /p/2 spends the budget of three.
    const flags = ["--max-pages", "3", "--retries", "2", "--retry-delay", "60000"];
    const first = await runCli(args(server, dir, flags));
    assert.equal(first.code, 0, first.stderr);
    assert.equal(summaryOf(first.stderr).stoppedBy, "max_pages");
    assert.doesNotMatch(first.stderr, /^ {2}resume /m, "a spent budget leaves nothing to resume");
    const records = (await Deno.readTextFile(`${dir}/out.jsonl`)).trim().split("\n")
      .map((line) => JSON.parse(line) as { url: string; status: number | null });
    assert.deepEqual(
      records.map((r) => [new URL(r.url).pathname, r.status]).sort(),
      [["/p/0", 200], ["/p/1", 503], ["/p/2", 200]],
    );
    const second = await runCli(args(server, dir, flags));
    assert.equal(summaryOf(second.stderr).stoppedBy, "already_complete");
    assert.equal(server.hits.get("/p/1"), 1, "the retry was not made after the budget was spent");
  });
});
