/**
 * Change detection by content, through the real CLI, against a server that
 * sends no validators at all (no ETag, no Last-Modified), as most do for
 * HTML: a recrawl tells unchanged pages by their status and content
 * fingerprint, `--changed-only` writes new, changed and gone pages only, and
 * the report of such a run counts what it left out.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { CrawlRecord } from "../../src/output/record.ts";
import type { CrawlSummary } from "../../src/output/stats.ts";
import { parseJsonl, runCli } from "../support/cli_run.ts";
import { startFixtureServer } from "../support/fixture_server.ts";

const HTML = { "content-type": "text/html" };

/** A site without validators whose pages' contents and statuses the test changes. */
function site() {
  const pages = new Map<string, { status: number; body: string }>([
    ["/", { status: 200, body: "" }],
    ["/same", { status: 200, body: "<title>Same</title>" }],
    ["/edited", { status: 200, body: "<title>Edited v1</title>" }],
    ["/gone", { status: 200, body: "<title>Gone soon</title>" }],
    ["/missing", { status: 404, body: "<title>Not here</title>" }],
  ]);
  const links = [...pages.keys()].filter((p) => p !== "/");
  pages.get("/")!.body = links.map((p) => `<a href="${p}">${p}</a>`).join("");
  const routes = Object.fromEntries(
    [...pages.keys()].map((path) => [path, () => {
      const { status, body } = pages.get(path)!;
      return new Response(body, { status, headers: HTML });
    }]),
  );
  return { routes, pages };
}

function summaryOf(stderr: string): CrawlSummary {
  return JSON.parse(stderr.trim().split("\n").findLast((l) => l.startsWith("{"))!);
}

Deno.test("CLI: --recrawl --changed-only tells unchanged pages by content when the server sends no validators", async () => {
  const { routes, pages } = site();
  await using server = startFixtureServer({ routes });
  const dir = await Deno.makeTempDir();
  try {
    const args = [
      ...["--seeds", `${server.origin}/`, "--state", `${dir}/crawl.db`, "--ignore-robots"],
      ...["--out", `${dir}/out-{run}.jsonl`, "--allow-private", "--parsers", "0"],
      ...["--report", `${dir}/report-{run}.html`],
    ];
    const first = await runCli(args);
    assert.equal(first.code, 0, first.stderr);
    const firstRecords = parseJsonl<CrawlRecord>(await Deno.readTextFile(`${dir}/out-1.jsonl`));
    assert.equal(firstRecords.length, 5);
    assert.ok(firstRecords.every((r) => r.contentHash), "every first-run record is fingerprinted");

    pages.get("/edited")!.body = "<title>Edited v2</title>";
    pages.set("/gone", { status: 404, body: "<title>Not any more</title>" });
    const again = await runCli([...args, "--recrawl", "--changed-only"]);
    assert.equal(again.code, 0, again.stderr);
    const written = parseJsonl<CrawlRecord>(await Deno.readTextFile(`${dir}/out-2.jsonl`))
      .map((r) => new URL(r.url).pathname).sort();
    assert.deepEqual(written, ["/edited", "/gone"], "changed and gone pages only");
    const summary = summaryOf(again.stderr);
    assert.equal(summary.unchanged, 3, "/, /same and the 404 that stayed a 404");
    assert.equal(summary.records, 2);

    // The report counts what --changed-only left out of the output.
    const report = await Deno.readTextFile(`${dir}/report-2.html`);
    assert.match(report, /Unchanged<\/[^>]+>\s*<[^>]+>3</);
    assert.doesNotMatch(report, /of 2 records/, "pages OK are not set against written records");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
