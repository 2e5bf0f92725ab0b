/**
 * The parse deadline end to end through the CLI: a page whose parse never
 * returns (here, an extract hook stuck in a loop) is stopped after
 * `--parse-timeout`, recorded `parse_timeout`, and its worker replaced; the
 * pages that shared the stopped worker are fetched again and come out whole.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { CrawlRecord } from "../../src/output/record.ts";
import { parseJsonl, ROOT, runCli } from "../support/cli_run.ts";
import { startFixtureServer } from "../support/fixture_server.ts";

const HTML = { "content-type": "text/html" };
const PAGES = ["/a", "/b", "/c", "/hang", "/d", "/e"];

Deno.test("CLI: --parse-timeout stops a stuck parse, records parse_timeout, and the crawl goes on", async () => {
  const routes = Object.fromEntries([
    [
      "/",
      () => new Response(PAGES.map((p) => `<a href="${p}">${p}</a>`).join(""), { headers: HTML }),
    ],
    ...PAGES.map((p) => [p, () => new Response(`<title>${p}</title>`, { headers: HTML })]),
  ]);
  await using server = startFixtureServer({ routes });
  const { code, stdout, stderr } = await runCli([
    "--seeds",
    `${server.origin}/`,
    "--allow-private",
    "--ignore-robots",
    "--parsers",
    "1",
    "--extract-module",
    `${ROOT}fixtures/extract/hang_hook.ts`,
    "--parse-timeout",
    "400",
  ]);
  assert.equal(code, 0, stderr);
  const records = parseJsonl<CrawlRecord>(stdout);
  const byPath = new Map(records.map((r) => [new URL(r.url).pathname, r]));
  assert.equal(byPath.size, PAGES.length + 1, "one record per page, none lost, none twice");
  const hang = byPath.get("/hang")!;
  assert.equal(hang.error, "parse_timeout");
  assert.match(hang.errorMessage!, /longer than 400 ms/);
  for (const path of ["/", ...PAGES.filter((p) => p !== "/hang")]) {
    const record = byPath.get(path)!;
    assert.equal(record.error, undefined, `${path}: ${record.errorMessage}`);
    assert.deepEqual(record.data, { ok: true }, path);
  }
  const summary = JSON.parse(stderr.trim().split("\n").findLast((l) => l.startsWith("{"))!);
  assert.deepEqual(summary.errors, { parse_timeout: 1 });
});
