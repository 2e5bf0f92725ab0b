/**
 * Character encodings end to end: pages in legacy encodings served by a real
 * server and crawled with `runCrawl` come out with the right titles and with
 * link URLs percent-encoded as UTF-8, as the URL standard does for paths.
 *
 * The fixture bytes in `fixtures/charset/` were written once with iconv-lite
 * (TextEncoder only speaks UTF-8) and are committed as they are.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseCrawlOptions } from "../../src/pipeline/options.ts";
import { runCrawl } from "../../src/pipeline/run.ts";
import type { CrawlRecord } from "../../src/output/record.ts";
import { FIXTURES, startFixtureServer } from "../support/fixture_server.ts";

interface Case {
  /** What the test is about. */
  name: string;
  /** The fixture file under fixtures/charset/. */
  file: string;
  /** The Content-Type header it is served with. */
  contentType: string;
  /** The title, decoded right. */
  title: string;
  /** The page's one link, as a path percent-encoded in UTF-8. */
  link: string;
}

const CASES: Case[] = [
  {
    name: "windows-1252 from the Content-Type charset",
    file: "windows-1252.html",
    contentType: "text/html; charset=windows-1252",
    // U+2013 and the curly quotes are 0x96, 0x93, 0x94: windows-1252, not ISO-8859-1.
    title: "Café – naïve “quotes”",
    link: "/caf%C3%A9/men%C3%BC",
  },
  {
    name: "Shift_JIS from <meta charset> alone",
    file: "shift_jis.html",
    contentType: "text/html",
    title: "日本語のページ",
    link: "/%E6%97%A5%E6%9C%AC/%E6%9D%B1%E4%BA%AC",
  },
  {
    name: "GBK from <meta http-equiv=Content-Type> alone",
    file: "gbk.html",
    contentType: "text/html",
    title: "中文页面",
    link: "/%E4%B8%AD%E6%96%87/%E5%8C%97%E4%BA%AC",
  },
  {
    name: "UTF-16LE from its byte order mark, with no declaration",
    file: "utf-16le-bom.html",
    contentType: "text/html",
    title: "Ünïcode — ✓ 日本",
    link: "/%C3%BC/%E2%9C%93",
  },
  {
    name: "the Content-Type charset over a contradicting <meta charset>",
    file: "header-wins.html",
    contentType: "text/html; charset=windows-1252",
    title: "Crème brûlée à la carte",
    link: "/d%C3%A9j%C3%A0-vu",
  },
];

for (const { name, file, contentType, title, link } of CASES) {
  Deno.test(`charset: ${name}`, async () => {
    const bytes = await Deno.readFile(`${FIXTURES}charset/${file}`);
    await using server = startFixtureServer({
      routes: {
        "/page": () => new Response(bytes, { headers: { "content-type": contentType } }),
      },
    });
    const records: CrawlRecord[] = [];
    const summary = await runCrawl(
      await parseCrawlOptions({
        seeds: [`${server.origin}/page`],
        allowPrivate: true,
        ignoreRobots: true,
        maxDepth: 1,
        parsers: 0,
      }),
      {
        signal: AbortSignal.timeout(10_000),
        onRecord: (record) => void records.push(record),
      },
    );
    assert.equal(summary.stoppedBy, "done");
    const record = records.find((r) => r.url === `${server.origin}/page`)!;
    assert.equal(record.title, title);
    assert.deepEqual(record.links, [server.origin + link]);
    // The link was followed under that very URL (the fixture server answers 404).
    assert.equal(server.hits.get(link), 1, [...server.hits.keys()].join(", "));
    assert.equal(records.length, 2);
  });
}
