/**
 * Tests of the HTML report: the builder's bounded state, escaping, and the
 * rendered page in a real headless chromium (DOM and screenshot).
 *
 * The browser test is skipped when chromium is missing, unless
 * `REQUIRE_CHROMIUM=1` (CI), which makes a missing chromium a failure. Set
 * `REPORT_ARTIFACTS=<dir>` to keep the rendered report and its screenshot.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as cheerio from "cheerio";
import type { CrawlRecord } from "../src/record.ts";
import { DEPTH_BUCKETS, ReportBuilder } from "../src/report.ts";
import { CrawlStats, type CrawlSummary } from "../src/stats.ts";
import {
  decodePng,
  dumpDom,
  findChromium,
  INSTALL_HINT,
  type PngImage,
  screenshot,
} from "./chromium.ts";

const ORIGIN = "https://docs.example.test";
const META = { seeds: [`${ORIGIN}/`], startedAt: "2025-01-01T10:00:00.000Z" };

function rec(url: string, fields: Partial<CrawlRecord> = {}): CrawlRecord {
  return {
    url,
    requestedUrl: url,
    status: 200,
    depth: 1,
    parent: `${ORIGIN}/`,
    fetchedAt: "2025-01-01T10:00:01.000Z",
    contentType: "text/html",
    bytes: 1000,
    durationMs: 100,
    attempts: 1,
    title: null,
    description: null,
    canonical: null,
    h1: [],
    links: [],
    ...fields,
  };
}

function summarize(records: CrawlRecord[], durationMs = 1000): CrawlSummary {
  const stats = new CrawlStats();
  for (const r of records) stats.record(r);
  const pagesPerSecond = Math.round((stats.pagesOk / durationMs) * 10000) / 10;
  return { ...stats.summary(), durationMs, pagesPerSecond };
}

function build(records: CrawlRecord[], builder = new ReportBuilder()): ReportBuilder {
  for (const r of records) builder.add(r);
  return builder;
}

Deno.test("report: response times fall into log-ish buckets, unfetched URLs not counted", () => {
  const edges = [0, 49.9, 50, 99, 100, 249, 250, 499, 500, 999, 1000, 1999, 2000, 4999, 5000, 6e4];
  const records = edges.map((ms, i) => rec(`${ORIGIN}/${i}`, { durationMs: ms }));
  records.push(rec(`${ORIGIN}/private`, { status: null, error: "robots", durationMs: 0 }));
  records.push(rec(`${ORIGIN}/slow`, { status: null, error: "timeout", durationMs: 10_000 }));
  const snap = build(records).snapshot();
  assert.deepEqual(snap.responseTimes, [2, 2, 2, 2, 2, 2, 2, 3]);
});

Deno.test("report: outcomes count status codes, and non-HTTP errors by code", () => {
  const snap = build([
    rec(`${ORIGIN}/a`),
    rec(`${ORIGIN}/b`),
    rec(`${ORIGIN}/c`, { status: 404, error: "http_4xx" }),
    rec(`${ORIGIN}/d`, { status: null, error: "timeout" }),
    rec(`${ORIGIN}/e`, {
      status: 301,
      error: "redirect_loop",
      redirects: [{ url: "x", status: 301 }],
    }),
    rec(`${ORIGIN}/f`, { status: 200, error: "too_large" }),
  ]).snapshot();
  assert.deepEqual(snap.outcomes, { 200: 2, 404: 1, timeout: 1, redirect_loop: 1, too_large: 1 });
});

Deno.test("report: depths past the last bucket share it", () => {
  const snap = build(
    [0, 1, 1, 3, DEPTH_BUCKETS - 1, DEPTH_BUCKETS + 50].map((depth) =>
      rec(`${ORIGIN}/${depth}`, { depth })
    ),
  ).snapshot();
  assert.equal(snap.depths.length, DEPTH_BUCKETS);
  assert.deepEqual(snap.depths.slice(0, 4), [1, 2, 0, 1]);
  assert.equal(snap.depths[DEPTH_BUCKETS - 1], 2);
});

Deno.test("report: keeps the N slowest pages that got a response, slowest first", () => {
  const durations = Array.from({ length: 500 }, (_, i) => (i * 7919) % 500 + 0.5);
  const records = durations.map((ms, i) => rec(`${ORIGIN}/p${i}`, { durationMs: ms }));
  records.push(rec(`${ORIGIN}/t`, { status: null, error: "timeout", durationMs: 99_999 }));
  const snap = build(records, new ReportBuilder({ slowest: 20 })).snapshot();
  const expected = [...durations].sort((a, b) => b - a).slice(0, 20);
  assert.deepEqual(snap.slowest.map((p) => p.durationMs), expected);
  assert.ok(snap.slowest.every((p) => p.status === 200));
});

Deno.test("report: caps the lists and says how many more were not listed", () => {
  const records: CrawlRecord[] = [];
  for (let i = 0; i < 1000; i++) {
    records.push(rec(`${ORIGIN}/gone/${i}`, { status: 404, error: "http_4xx" }));
    records.push(
      rec(`${ORIGIN}/moved/${i}`, { redirects: [{ url: `${ORIGIN}/old/${i}`, status: 301 }] }),
    );
    records.push(rec(`${ORIGIN}/private/${i}`, { status: null, error: "robots", durationMs: 0 }));
  }
  const builder = build(
    records,
    new ReportBuilder({ maxBroken: 5, maxRedirects: 6, maxRobots: 7 }),
  );
  const snap = builder.snapshot();
  assert.deepEqual([snap.broken.length, snap.redirects.length, snap.robots.length], [5, 6, 7]);
  assert.deepEqual([snap.brokenTotal, snap.redirectTotal, snap.robotsTotal], [1000, 1000, 1000]);
  const html = builder.render(summarize(records), META);
  for (const n of ["995", "994", "993"]) assert.match(html, new RegExp(`and ${n} more not listed`));
});

Deno.test("report: state stays bounded over many records", () => {
  const builder = new ReportBuilder();
  for (let i = 0; i < 200_000; i++) {
    const error = i % 3 === 0 ? "http_4xx" as const : i % 3 === 1 ? "robots" as const : undefined;
    builder.add(rec(`${ORIGIN}/${i}`, {
      status: error === "robots" ? null : error ? 404 : 200,
      error,
      depth: i % 100,
      durationMs: i % 7000,
      redirects: i % 5 === 0 ? [{ url: `${ORIGIN}/r${i}`, status: 302 }] : undefined,
    }));
  }
  const snap = builder.snapshot();
  assert.equal(snap.records, 200_000);
  assert.ok(snap.slowest.length === 20 && snap.broken.length === 1000);
  assert.ok(snap.redirects.length === 500 && snap.robots.length === 1000);
  assert.ok(snap.depths.length === DEPTH_BUCKETS && Object.keys(snap.outcomes).length === 3);
});

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

Deno.test("report: rejects a limit that is not a positive integer", () => {
  assert.throws(
    () => new ReportBuilder({ maxBroken: 0 }),
    new RangeError(
      "Cannot create report builder as 'maxBroken' must be a positive integer: received 0",
    ),
  );
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
  let seed = 42;
  const rand = () => { // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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
      bytes: 4000 + Math.floor(rand() * 90_000),
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
        screenshot(htmlPath, pngPath, { width: 1280, height: 1800, signal }),
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
      assert.deepEqual([image.width, image.height], [1280, 1800]);
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
