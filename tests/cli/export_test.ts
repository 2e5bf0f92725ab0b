/**
 * `export --state FILE` through the real CLI: the latest run by default, one
 * run by id or every run, in any format, to a file or stdout; bad input
 * exits 2 with one line.
 *
 * @module
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { parse } from "csv-parse/sync";
import type { CrawlRecord } from "../../src/output/record.ts";
import { parseJsonl, runCli } from "../support/cli_run.ts";
import { startFixtureServer } from "../support/fixture_server.ts";

const HTML = { "content-type": "text/html; charset=utf-8" };

Deno.test("export --state: the latest run, one run, or all of them, in any format", async () => {
  let version = 1;
  await using server = startFixtureServer({
    routes: {
      "/": () =>
        new Response(`<title>Home v${version}</title><a href="/a">a</a>`, { headers: HTML }),
      "/a": () => new Response(`<title>A v${version}</title>`, { headers: HTML }),
    },
  });
  const dir = await Deno.makeTempDir({ prefix: "export_test_" });
  try {
    const state = `${dir}/site.db`;
    const crawl = [
      ...["--seeds", `${server.origin}/`, "--state", state, "--allow-private"],
      ...["--ignore-robots", "--parsers", "0"],
    ];
    assert.equal((await runCli([...crawl, "--out", `${dir}/run1.jsonl`])).code, 0);
    version = 2;
    const second = await runCli([...crawl, "--recrawl", "--out", `${dir}/run2.jsonl`]);
    assert.equal(second.code, 0, second.stderr);

    const latest = await runCli(["export", "--state", state]);
    assert.equal(latest.code, 0, latest.stderr);
    const titles = (records: CrawlRecord[]) => records.map((r) => r.title).sort();
    assert.deepEqual(titles(parseJsonl<CrawlRecord>(latest.stdout)), ["A v2", "Home v2"]);
    assert.equal(latest.stderr.split("\n")[0], `exported 2 records of ${state} (run 2) to stdout`);
    assert.deepEqual(JSON.parse(latest.stderr.trim().split("\n").at(-1)!), {
      exported: 2,
      state,
      runs: [2],
    });

    const first = await runCli(["export", "--state", state, "--run", "1", "--out", `${dir}/1.csv`]);
    assert.equal(first.code, 0, first.stderr);
    const [header, ...rows] = parse(await Deno.readTextFile(`${dir}/1.csv`)) as string[][];
    const title = header!.indexOf("title");
    assert.deepEqual(rows.map((row) => row[title]).sort(), ["A v1", "Home v1"]);
    // The export holds what the run's own output file holds.
    const run1 = parseJsonl<CrawlRecord>(await Deno.readTextFile(`${dir}/run1.jsonl`));
    assert.deepEqual(rows.map((row) => row[0]).sort(), run1.map((r) => r.url).sort());

    const all = await runCli(["export", "--state", state, "--run", "all", "--format", "json"]);
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual(titles(JSON.parse(all.stdout)), ["A v1", "A v2", "Home v1", "Home v2"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export --state: a missing file, an unknown run, a bad flag exit 2 with one line", async () => {
  await withCrawledState(async (dir, state) => {
    const cases: [string[], string][] = [
      [["--state", `${dir}/none.db`], `error: --state: cannot read '${dir}/none.db': no such file`],
      [["--state", state, "--run", "7"], `error: --state: ${state} has no run 7: its runs are 1`],
      [
        ["--state", state, "--run", "first"],
        'error: --run must be a run id, latest or all: received "first"',
      ],
      [["--stat", state], "error: unknown flag '--stat' for export: did you mean --state?"],
      [
        ["--state", state, "--job", "x"],
        "error: export takes --state FILE or --redis URL --job NAME, not both",
      ],
      [["--run", "1"], "error: --run needs --state FILE"],
      [[], "error: export needs --state FILE, or --redis URL and --job NAME"],
      [
        ["--state", state, "--out", `${dir}/missing/all.jsonl`],
        `error: --out: cannot write '${dir}/missing/all.jsonl': no folder '${dir}/missing'`,
      ],
    ];
    // A file that is not SQLite, and a state from a newer crawler.
    await Deno.writeTextFile(`${dir}/notes.txt`, "not a database, just some text\n".repeat(200));
    cases.push([
      ["--state", `${dir}/notes.txt`],
      `error: --state: ${dir}/notes.txt is not a crawl state file: file is not a database`,
    ]);
    await Deno.copyFile(state, `${dir}/newer.db`);
    setSchema(`${dir}/newer.db`, 99);
    cases.push([
      ["--state", `${dir}/newer.db`],
      `error: --state: ${dir}/newer.db has state schema version 99, this crawler reads versions 1 to 3`,
    ]);
    for (const [args, message] of cases) {
      const result = await runCli(["export", ...args]);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.equal(result.stderr.trim(), message);
    }
  });
});

Deno.test("export --state: a state file of an older schema exports as it is, unchanged", async () => {
  await withCrawledState(async (dir, state) => {
    setSchema(state, 1);
    const before = await Deno.readFile(state);
    const result = await runCli(["export", "--state", state, "--out", `${dir}/again.jsonl`]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      await Deno.readTextFile(`${dir}/again.jsonl`),
      await Deno.readTextFile(`${dir}/out.jsonl`),
    );
    assert.deepEqual(await Deno.readFile(state), before, "read-only: not migrated by an export");
  });
});

/** Crawls one page of the fixture site into `DIR/site.db` (and `DIR/out.jsonl`), then runs `fn`. */
async function withCrawledState(fn: (dir: string, state: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "export_test_" });
  try {
    await using server = startFixtureServer();
    const state = `${dir}/site.db`;
    const crawled = await runCli([
      ...["--seeds", `${server.origin}/about.html`, "--max-depth", "0", "--allow-private"],
      ...["--state", state, "--out", `${dir}/out.jsonl`],
    ]);
    assert.equal(crawled.code, 0, crawled.stderr);
    await fn(dir, state);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Rewrites a state file's schema version, as an older or newer crawler would have left it. */
function setSchema(path: string, version: number): void {
  const db = new DatabaseSync(path);
  db.prepare("UPDATE meta SET value = ? WHERE key = 'schema'").run(String(version));
  db.close();
}
