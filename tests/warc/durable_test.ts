/**
 * `--warc` with `--state` through the real CLI: a crawler killed with
 * SIGKILL at several points (one of them leaving half a gzip member at the
 * end of a file) and resumed each time ends with WARC files that hold no
 * torn record and one response per page across all of them, numbered
 * files of one run, and indexes that agree with warcio's.
 *
 * @module
 */

import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import type { CrawlRecord } from "../../src/output/record.ts";
import { cliCommand, parseJsonl, runCli, withoutDenoNotices } from "../support/cli_run.ts";
import { type Routes, startFixtureServer } from "../support/fixture_server.ts";
import { readWarc, warcFiles, warcio } from "../support/warc.ts";

const PAGES = 120;
const pagePath = (i: number) => `/p/${i}.html`;

/** Page i links to the next three: a chain the crawl walks in order. */
function siteRoutes(onRequest: () => void): Routes {
  const routes: Routes = {};
  for (let i = 0; i < PAGES; i++) {
    const links = [i + 1, i + 2, i + 3].filter((j) => j < PAGES)
      .map((j) => `<a href="${pagePath(j)}">page ${j}</a>`).join(" ");
    routes[pagePath(i)] = () => {
      onRequest();
      return new Response(`<!doctype html><title>Page ${i}</title>${links}`, {
        headers: { "content-type": "text/html; charset=utf-8" },
      });
    };
  }
  return routes;
}

Deno.test("--warc with --state: SIGKILL mid-crawl and resume leave no torn record and one response per page across the runs", async () => {
  const killAt = [15, 45, 80];
  let requests = 0;
  let child: Deno.ChildProcess | undefined;
  let killed = false;
  await using server = startFixtureServer({
    routes: siteRoutes(() => {
      if (++requests >= killAt[0]! && !killed) {
        killAt.shift();
        killed = true;
        child!.kill("SIGKILL");
      }
    }),
  });
  const dir = await Deno.makeTempDir({ prefix: "warc_durable_test_" });
  try {
    const args = [
      "--seeds",
      `${server.origin}${pagePath(0)}`,
      "--state",
      `${dir}/crawl.db`,
      "--out",
      `${dir}/out.jsonl`,
      "--warc",
      `${dir}/site.warc.gz`,
      "--warc-cdx",
      // Small files: the kills fall in later files of the run, and their rotation is repaired too.
      "--warc-max-size",
      "6000",
      "--allow-private",
      "--ignore-robots",
      "--parsers",
      "0",
      "--concurrency",
      "4",
      "--per-host",
      "4",
    ];
    let kills = 0;
    for (let run = 1; run <= 5; run++) {
      killed = false;
      child = cliCommand(args).spawn();
      await child.stdin.close();
      const { code, signal, stderr } = await child.output();
      if (signal === "SIGKILL") {
        kills++;
        if (kills === 2) {
          // A kill inside a write leaves half a gzip member: the resume cuts it.
          const last = (await warcFiles(dir)).at(-1)!;
          const member = gzipSync(new TextEncoder().encode("WARC/1.1\r\nWARC-Type: response\r\n"));
          await Deno.writeFile(last, member.subarray(0, 20), { append: true });
        }
        continue;
      }
      assert.equal(code, 0, withoutDenoNotices(new TextDecoder().decode(stderr)));
      break;
    }
    assert.equal(kills, 3, "every kill point was reached");
    const records = parseJsonl<CrawlRecord>(await Deno.readTextFile(`${dir}/out.jsonl`));
    assert.equal(records.length, PAGES);

    const files = await warcFiles(dir);
    assert.ok(files.length >= 3, `${files.length} files: the run rotated`);
    const stamps = new Set(files.map((f) => /-(\d{17})-\d{5}\.warc\.gz$/.exec(f)![1]));
    assert.equal(stamps.size, 1, "every process of the run continued the run's files");
    assert.deepEqual(
      files.map((f) => Number(/-(\d{5})\.warc\.gz$/.exec(f)![1])),
      files.map((_, i) => i),
      "serials 0, 1, 2... with none missing",
    );
    // readWarc throws on a torn member or a record outside the grammar; warcio fails on either too.
    const responses: string[] = [];
    for (const file of files) {
      const warc = await readWarc(file);
      assert.equal(warc[0]!.type, "warcinfo", `${file} starts with warcinfo`);
      for (const record of warc) {
        if (record.type === "response") responses.push(record.field("WARC-Target-URI")!);
      }
      const index = (await Deno.readTextFile(file.replace(/\.warc\.gz$/, ".cdxj"))).trim().split(
        "\n",
      );
      assert.deepEqual(index, (await warcio("cdx-index", [file])).trim().split("\n").sort(), file);
    }
    const expected = Array.from({ length: PAGES }, (_, i) => `${server.origin}${pagePath(i)}`);
    assert.deepEqual(responses.sort(), expected.sort(), "each page's response exactly once");
    const indexed = (await warcio("index", files)).trim().split("\n").map((line) =>
      JSON.parse(line)
    )
      .filter((e) => e["warc-type"] === "response").map((e) => e["warc-target-uri"]);
    assert.deepEqual(indexed.sort(), expected.sort(), "warcio: each page's response exactly once");

    // export lists the run's files.
    const listed = await runCli(["export", "--state", `${dir}/crawl.db`, "--warc-files", "-q"]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(listed.stdout.trim().split("\n"), files);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
