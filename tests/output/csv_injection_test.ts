/**
 * Spreadsheet-safe CSV, end to end through the CLI: what a page says (a
 * title, an `<h1>`) that a spreadsheet would evaluate is written inert, in
 * the crawl's CSV output and in a CSV export of its state alike. The test
 * opens no spreadsheet: it checks the bytes.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parse as parseCsv } from "csv-parse/sync";
import { runCli } from "../support/cli_run.ts";
import { startFixtureServer } from "../support/fixture_server.ts";

const HOSTILE = '=HYPERLINK("http://evil.test/","click")';

/** Every cell of a CSV file, header included. */
async function cells(path: string): Promise<string[]> {
  const rows: string[][] = parseCsv(await Deno.readTextFile(path));
  return rows.flat();
}

Deno.test("CLI: CSV output and CSV exports neutralize cells a spreadsheet would evaluate", async () => {
  await using server = startFixtureServer({
    routes: {
      "/": () =>
        new Response(
          `<title>${HOSTILE}</title><h1>+1 for ops</h1><h1>-rm</h1>` +
            `<meta name="description" content="@SUM(A1:A9)">`,
          { headers: { "content-type": "text/html" } },
        ),
    },
  });
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/out.csv`;
    const state = `${dir}/crawl.db`;
    const crawl = await runCli([
      ...["--seeds", `${server.origin}/`, "--allow-private", "--ignore-robots"],
      ...["--state", state, "--out", out],
    ]);
    assert.equal(crawl.code, 0, crawl.stderr);
    const exported = `${dir}/export.csv`;
    const exporting = await runCli(["export", "--state", state, "--out", exported]);
    assert.equal(exporting.code, 0, exporting.stderr);
    for (const path of [out, exported]) {
      const all = await cells(path);
      assert.ok(all.includes(`'${HOSTILE}`), `${path}: the title is kept, made inert`);
      assert.ok(all.includes("'+1 for ops | -rm"), `${path}: the h1 cell too`);
      assert.ok(all.includes("'@SUM(A1:A9)"), `${path}: and the description`);
      const live = all.filter((cell) => /^[=+\-@\t\r]/.test(cell));
      assert.deepEqual(live, [], `${path}: no cell a spreadsheet would evaluate`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
