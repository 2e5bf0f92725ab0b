/**
 * Tests of the rendered HTML report: escaping, the tables, and the page in a
 * real headless chromium (DOM and screenshot).
 *
 * The browser test is skipped when chromium is missing, unless
 * `REQUIRE_CHROMIUM=1` (CI), which makes a missing chromium a failure. Set
 * `REPORT_ARTIFACTS=<dir>` to keep the rendered report and its screenshot.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as cheerio from "cheerio";
import type { CrawlRecord } from "../../src/output/record.ts";
import { ReportBuilder } from "../../src/report/builder.ts";
import {
  decodePng,
  dumpDom,
  findChromium,
  INSTALL_HINT,
  type PngImage,
  screenshot,
} from "../support/chromium.ts";
import { randomInt, randomSeeded } from "../support/prng.ts";
import { build, META, ORIGIN, rec, summarize } from "./records.ts";

Deno.test("report: broken links name the first referrer found", () => {
  const referrer = `${ORIGIN}/guide/links`;
  const html = build([
    rec(`${ORIGIN}/missing`, { status: 404, error: "http_4xx", parent: referrer }),
  ])
    .render(summarize([]), META);
  const $ = cheerio.load(html);
  const row = $("#broken tbody tr");
  assert.equal(row.length, 1);
  assert.equal(row.find("td").eq(0).text(), `${ORIGIN}/missing`);
  assert.equal(row.find("td").eq(2).find("a").attr("href"), referrer);
  assert.match($("#broken").text(), /first page the link was found on/);
});

Deno.test("report: escapes everything that comes from the web", () => {
  const evil = `${ORIGIN}/"><svg onload=alert(1)>`;
  const records = [
    rec(`${ORIGIN}/x`, { title: "<script>alert('xss')</script>", durationMs: 900 }),
    rec(evil, {
      status: 500,
      error: "http_5xx",
      errorMessage: "<b>boom</b>",
      parent: "javascript:alert(1)",
    }),
  ];
  const html = build(records).render(summarize(records), {
    seeds: [`${ORIGIN}/?q=<i>`],
    startedAt: "<now>",
    options: { userAgent: "</style><script>x()</script>" },
  });
  assert.doesNotMatch(html, /<script|<svg onload|<b>boom|<i>|href="javascript:/i);
  const $ = cheerio.load(html);
  assert.equal($("script").length, 0);
  assert.equal($("#slowest .sub").first().text(), "<script>alert('xss')</script>");
  assert.equal($("#broken td").eq(0).text(), evil);
  assert.equal($("#broken td").eq(2).text(), "javascript:alert(1)");
  assert.match($("#details").text(), /<\/style><script>x\(\)<\/script>/);
});

Deno.test("report: an empty crawl still renders a whole page", () => {
  const html = new ReportBuilder().render(summarize([]), META);
  const $ = cheerio.load(html);
  assert.match($("title").text(), /docs\.example\.test/);
  assert.equal($("#status .empty").text(), "No records.");
  assert.equal($("#broken .empty").text(), "None.");
});

/** A deterministic crawl of ~200 URLs with every kind of outcome. */
function sampleCrawl(): CrawlRecord[] {
  const rand = randomSeeded(42);
  const logNormal = (median: number) =>
    Math.round(
      median * Math.exp(Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(6.283 * rand())) * 10,
    ) / 10;
  const sections = ["guide", "api", "blog", "reference", "tutorials", "changelog"];
  const records: CrawlRecord[] = [
    rec(`${ORIGIN}/`, { depth: 0, parent: null, title: "Docs home" }),
  ];
  for (let i = 1; i < 200; i++) {
    const depth = Math.min(6, 1 + Math.floor(-Math.log(1 - rand()) * 1.6));
    const section = sections[i % sections.length]!;
    const url = `${ORIGIN}/${section}/${i % 3 === 0 ? "v2/" : ""}page-${i}`;
    const parent = `${ORIGIN}/${section}/page-${Math.max(0, i - 1 - (i % 7))}`;
    const base = {
      depth,
      parent,
      durationMs: logNormal(160),
      bytes: 4000 + randomInt(rand, 90_000),
    };
    let r = rec(url, {
      ...base,
      title: `${section[0]!.toUpperCase()}${section.slice(1)} — page ${i}`,
    });
    if (i % 17 === 0) {
      r = rec(url, { ...base, status: 404, error: "http_4xx", errorMessage: "HTTP 404" });
    } else if (i % 41 === 0) {
      r = rec(url, { ...base, status: 410, error: "http_4xx", errorMessage: "HTTP 410" });
    } else if (i % 29 === 0) {
      r = rec(url, { ...base, status: 500, error: "http_5xx", errorMessage: "HTTP 500" });
    } else if (i % 53 === 0) {
      r = rec(url, { ...base, status: 503, error: "http_5xx", errorMessage: "HTTP 503" });
    } else if (i % 37 === 0) {
      r = rec(url, {
        ...base,
        status: null,
        error: "timeout",
        errorMessage: "request deadline passed",
        durationMs: 10_000,
      });
    } else if (i === 61) {
      r = rec(url, { ...base, status: null, error: "refused", errorMessage: "connection refused" });
    } else if (i % 23 === 0) {
      r = rec(`${ORIGIN}/private/${i}`, { ...base, status: null, error: "robots", durationMs: 0 });
    } else if (i % 11 === 0) {
      const hops = [{ url: `${ORIGIN}/old/${section}-${i}`, status: 301 }];
      if (i % 22 === 0) hops.push({ url: `${ORIGIN}/${section}/latest-${i}`, status: 302 });
      r = { ...r, requestedUrl: hops[0]!.url, redirects: hops };
    }
    if (i === 5) r = { ...r, title: "<script>alert('xss')</script> & friends", durationMs: 6200 };
    records.push(r);
  }
  return records;
}

/** The longest straight run of pixels within a few levels of `rgb`. */
function longestRun(image: PngImage, rgb: number, direction: "across" | "down"): number {
  const { width, height, channels, pixels } = image;
  const [r, g, b] = [(rgb >> 16) & 255, (rgb >> 8) & 255, rgb & 255];
  const [outer, inner] = direction === "across" ? [height, width] : [width, height];
  let best = 0;
  for (let i = 0; i < outer; i++) {
    let run = 0;
    for (let j = 0; j < inner; j++) {
      const p = (direction === "across" ? i * width + j : j * width + i) * channels;
      const near = Math.abs(pixels[p]! - r) <= 6 && Math.abs(pixels[p + 1]! - g) <= 6 &&
        Math.abs(pixels[p + 2]! - b) <= 6;
      run = near ? run + 1 : 0;
      if (run > best) best = run;
    }
  }
  return best;
}

const chromium = findChromium();
const requireChromium = Deno.env.get("REQUIRE_CHROMIUM") === "1";
if (chromium === undefined && !requireChromium) {
  console.warn(`report: skipping the headless-chromium test: chromium not found; ${INSTALL_HINT}`);
}

Deno.test({
  name: "report: renders in headless chromium with charts, tables and a non-blank screenshot",
  ignore: chromium === undefined && !requireChromium,
  async fn() {
    if (chromium === undefined) {
      throw new Error(`REQUIRE_CHROMIUM=1 but chromium was not found; ${INSTALL_HINT}`);
    }
    const records = sampleCrawl();
    const builder = build(records);
    const snap = builder.snapshot();
    const dir = await Deno.makeTempDir({ prefix: "report-test-" });
    try {
      const htmlPath = `${dir}/report.html`;
      const pngPath = `${dir}/report.png`;
      await Deno.writeTextFile(
        htmlPath,
        builder.render(summarize(records, 48_200), {
          ...META,
          options: { maxDepth: 6, concurrency: 8, timeoutMs: 10_000, respectRobots: true },
        }),
      );
      const signal = AbortSignal.timeout(60_000);

      // Two separate chromium runs (own profiles): run them side by side.
      const [dom] = await Promise.all([
        dumpDom(htmlPath, { signal }),
        screenshot(htmlPath, pngPath, { width: 1280, height: 4000, signal }),
      ]);
      const $ = cheerio.load(dom);
      const charts = $("svg.chart[role=img]");
      assert.deepEqual(charts.map((_, el) => $(el).attr("id")).get(), [
        "status-chart",
        "depth-chart",
        "time-chart",
      ]);
      charts.each((_, el) => assert.ok($(el).children("title").text().length > 0));
      assert.equal($("#status-chart rect").length, Object.keys(snap.outcomes).length);
      assert.match(
        $("#status-chart").text(),
        /404 Not Found[\s\S]*500 Internal Server Error[\s\S]*timeout/,
      );
      assert.equal($("#depth-chart rect").length, snap.depths.length);
      assert.equal($("#time-chart rect").length, 8);
      assert.equal($("#slowest tbody tr").length, 20);
      assert.equal($("#broken tbody tr").length, snap.brokenTotal);
      assert.ok(snap.brokenTotal >= 15, `only ${snap.brokenTotal} broken links in the sample`);
      assert.equal($("#redirects tbody tr").length, snap.redirectTotal);
      assert.equal(
        $("#redirects ol.chain li").length,
        snap.redirects.reduce((n, c) => n + c.hops.length + 1, 0),
      );
      assert.equal($("#robots tbody tr").length, snap.robotsTotal);
      assert.equal($("script, [src], link[href]").length, 0);
      assert.match($("#slowest").text(), /<script>alert\('xss'\)<\/script> & friends/);

      const image = decodePng(await Deno.readFile(pngPath));
      assert.deepEqual([image.width, image.height], [1280, 4000]);
      const colours = new Set<number>();
      for (let p = 0; p < image.pixels.length; p += image.channels) {
        colours.add((image.pixels[p]! << 16) | (image.pixels[p + 1]! << 8) | image.pixels[p + 2]!);
      }
      assert.ok(colours.size > 500, `only ${colours.size} distinct colours: blank page?`);
      // Only the charts paint long runs of one colour: the 200 bar of the
      // status chart across, the tallest depth and response-time bars down.
      const runs = {
        status200: longestRun(image, 0x2e9e5b, "across"),
        depthBar: longestRun(image, 0x3b7dd8, "down"),
        timeBar: longestRun(image, 0x95bd45, "down"),
      };
      assert.ok(
        runs.status200 >= 300 && runs.depthBar >= 100 && runs.timeBar >= 100,
        `chart bars not painted: ${JSON.stringify(runs)}`,
      );

      const keep = Deno.env.get("REPORT_ARTIFACTS");
      if (keep) {
        await Deno.mkdir(keep, { recursive: true });
        await Deno.copyFile(htmlPath, `${keep}/report.html`);
        await Deno.copyFile(pngPath, `${keep}/report.png`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
