/**
 * Tests of `--report FILE`: a real CLI crawl of the fixture site, with some
 * broken links, a redirect and a robots.txt block added, writes a
 * self-contained HTML report, read back as HTML and rendered in headless
 * chromium (DOM and screenshot).
 *
 * The browser test is skipped when chromium is missing, unless
 * `REQUIRE_CHROMIUM=1` (CI), which makes a missing chromium a failure. Set
 * `REPORT_ARTIFACTS=<dir>` to keep the rendered report and its screenshot.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as cheerio from "cheerio";
import type { CrawlSummary } from "../../src/output/stats.ts";
import { decodePng, dumpDom, findChromium, INSTALL_HINT, screenshot } from "../support/chromium.ts";
import { runCli } from "../support/cli_run.ts";
import { type FixtureServer, startFixtureServer } from "../support/fixture_server.ts";

const html = (body: string, status = 200) =>
  new Response(`<!doctype html><title>${status}</title>${body}`, {
    status,
    headers: { "content-type": "text/html; charset=utf-8" },
  });

/** The fixture site, with about.html swapped for a page of bad links. */
function startSite(): FixtureServer {
  return startFixtureServer({
    routes: {
      "/robots.txt": () => new Response("User-agent: *\nDisallow: /private/\n"),
      "/about.html": () =>
        html(`<h1>About</h1>
<a href="/gone-1.html">gone</a> <a href="/gone-2.html">gone too</a>
<a href="/removed.html">removed</a> <a href="/boom.html">boom</a>
<a href="/old.html">moved</a> <a href="/private/secret.html">private</a>`),
      "/removed.html": () => html("<h1>Gone</h1>", 410),
      "/boom.html": () => html("<h1>Boom</h1>", 500),
      "/old.html": (_, server) =>
        new Response(null, { status: 301, headers: { location: `${server.origin}/new.html` } }),
      "/new.html": () => html("<h1>Moved here</h1>"),
    },
  });
}

interface ReportRun {
  origin: string;
  summary: CrawlSummary;
  reportPath: string;
  dir: string;
}

/** Crawls the site through the CLI with `--report`, into a fresh directory. */
async function crawlWithReport(server: FixtureServer, dir: string): Promise<ReportRun> {
  const reportPath = `${dir}/report.html`;
  const result = await runCli([
    "--seeds",
    `${server.origin}/index.html`,
    "--out",
    `${dir}/pages.jsonl`,
    "--report",
    reportPath,
    "--log-skipped",
    "--retries",
    "0",
    "--allow-private",
  ]);
  assert.equal(result.code, 0, result.stderr);
  const summary: CrawlSummary = JSON.parse(result.stderr.trim().split("\n").at(-1)!);
  // Renamed into place: no half-written report left beside it.
  const names = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
  assert.deepEqual(names, ["pages.jsonl", "report.html"]);
  return { origin: server.origin, summary, reportPath, dir };
}

/**
 * The broken-links table, grouped by target, as [target, status or error,
 * link count, every referrer as "page tag “text”"] rows.
 */
function brokenRows($: cheerio.CheerioAPI): string[][] {
  return $("#broken tbody tr").map((_, tr) => {
    const td = $(tr).find("td");
    return [[
      td.eq(0).text(),
      td.eq(1).find(".pill").text(),
      td.eq(2).text(),
      td.eq(3).find("li").map((_, li) => $(li).text().replace(/\s+/g, " ").trim()).get().join(
        " | ",
      ),
    ]];
  }).get();
}

/** Asserts what a report of {@linkcode startSite}'s crawl must show. */
function assertReport($: cheerio.CheerioAPI, run: ReportRun): void {
  const o = run.origin;
  assert.equal($("head > title").text(), `Crawl report · ${o.slice("http://".length)}`);
  assert.deepEqual(brokenRows($).sort(), [
    [`${o}/boom.html`, "500", "1", `${o}/about.html a[href] boom`],
    [`${o}/gone-1.html`, "404", "1", `${o}/about.html a[href] gone`],
    [`${o}/gone-2.html`, "404", "1", `${o}/about.html a[href] gone too`],
    [`${o}/missing.html`, "404", "1", `${o}/index.html a[href] A broken link`],
    [`${o}/removed.html`, "410", "1", `${o}/about.html a[href] removed`],
  ]);
  assert.equal($("#broken .count").text(), "5");
  assert.deepEqual($("#redirects ol.chain li").map((_, li) => $(li).text().trim()).get(), [
    `301 ${o}/old.html`,
    `200 ${o}/new.html`,
  ]);
  assert.deepEqual($("#robots tbody td").map((_, td) => $(td).text()).get(), [
    `${o}/private/secret.html`,
    `${o}/about.html`,
  ]);
  // The cards and the charts agree with the crawl's own summary.
  const cards = Object.fromEntries(
    $(".card").map((_, c) => [[$(c).find(".k").text(), $(c).find(".v").text()]]).get(),
  );
  assert.equal(cards["Pages OK"], String(run.summary.pagesOk));
  assert.equal(cards["Broken links"], "5");
  assert.equal(cards["Redirected"], "1");
  const bars = $("#status-chart rect title").map((_, t) => $(t).text()).get();
  assert.deepEqual(bars, [
    `200 OK: ${run.summary.pagesOk}`,
    "404 Not Found: 3",
    "410 Gone: 1",
    "500 Internal Server Error: 1",
    "blocked by robots.txt: 1",
  ]);
  const depthTotal = $("#depth-chart rect title").map((_, t) => Number($(t).text().split(": ")[1]))
    .get().reduce((a: number, b: number) => a + b, 0);
  assert.equal(depthTotal, run.summary.records);
  // Self-contained: nothing to fetch, nothing to run.
  assert.equal($("script, [src], link[href], iframe, object, embed").length, 0);
}

Deno.test("report CLI: --report writes a self-contained HTML report of the real crawl", async () => {
  await using server = startSite();
  const dir = await Deno.makeTempDir({ prefix: "report-cli-test-" });
  try {
    const run = await crawlWithReport(server, dir);
    assert.equal(run.summary.errors.http_4xx, 4);
    assert.equal(run.summary.errors.http_5xx, 1);
    const text = await Deno.readTextFile(run.reportPath);
    assert.ok(text.startsWith("<!doctype html>"));
    assertReport(cheerio.load(text), run);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "report CLI: the report never shows a seed's password",
  async fn() {
    await using server = startFixtureServer();
    const dir = await Deno.makeTempDir({ prefix: "report-cli-test-" });
    try {
      const seed = `${server.origin.replace("http://", "http://alice:s3cret@")}/about.html`;
      const result = await runCli([
        "--seeds",
        seed,
        "--max-depth",
        "0",
        "--report",
        `${dir}/report.html`,
        "--allow-private",
      ]);
      assert.equal(result.code, 0, result.stderr);
      const text = await Deno.readTextFile(`${dir}/report.html`);
      assert.ok(text.includes("alice:***@"), "the seed is shown, password masked");
      assert.ok(!text.includes("s3cret"), "the password appears in the report");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

const chromium = findChromium();
const requireChromium = Deno.env.get("REQUIRE_CHROMIUM") === "1";
if (chromium === undefined && !requireChromium) {
  console.warn(
    `report CLI: skipping the headless-chromium test: chromium not found; ${INSTALL_HINT}`,
  );
}

Deno.test({
  name: "report CLI: the real crawl's report renders in headless chromium, charts painted",
  ignore: chromium === undefined && !requireChromium,
  async fn() {
    if (chromium === undefined) {
      throw new Error(`REQUIRE_CHROMIUM=1 but chromium was not found; ${INSTALL_HINT}`);
    }
    await using server = startSite();
    const dir = await Deno.makeTempDir({ prefix: "report-cli-test-" });
    try {
      const run = await crawlWithReport(server, dir);
      const pngPath = `${dir}/report.png`;
      const signal = AbortSignal.timeout(60_000);
      const [dom] = await Promise.all([
        dumpDom(run.reportPath, { signal }),
        screenshot(run.reportPath, pngPath, { width: 1280, height: 1400, signal }),
      ]);
      assertReport(cheerio.load(dom), run);
      const image = decodePng(await Deno.readFile(pngPath));
      assert.deepEqual([image.width, image.height], [1280, 1400]);
      const counts = new Map<number, number>();
      for (let p = 0; p < image.pixels.length; p += image.channels) {
        const rgb = (image.pixels[p]! << 16) | (image.pixels[p + 1]! << 8) | image.pixels[p + 2]!;
        counts.set(rgb, (counts.get(rgb) ?? 0) + 1);
      }
      assert.ok(counts.size > 300, `only ${counts.size} distinct colours: blank page?`);
      // Bars of the status chart, painted in their colours: 200 green, 4xx orange, 5xx red.
      const near = (rgb: number) =>
        [...counts].filter(([c]) =>
          Math.abs((c >> 16) - (rgb >> 16)) <= 6 &&
          Math.abs(((c >> 8) & 255) - ((rgb >> 8) & 255)) <= 6 &&
          Math.abs((c & 255) - (rgb & 255)) <= 6
        ).reduce((n, [, k]) => n + k, 0);
      const painted = { ok: near(0x2e9e5b), c4: near(0xe8912d), c5: near(0xd64545) };
      assert.ok(
        painted.ok > 5000 && painted.c4 > 500 && painted.c5 > 200,
        `chart bars not painted: ${JSON.stringify(painted)}`,
      );
      const keep = Deno.env.get("REPORT_ARTIFACTS");
      if (keep) {
        await Deno.mkdir(keep, { recursive: true });
        await Deno.copyFile(run.reportPath, `${keep}/report-cli.html`);
        await Deno.copyFile(pngPath, `${keep}/report-cli.png`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
