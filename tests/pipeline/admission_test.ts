/**
 * URL-space explosions end to end: variants of one URL fetched once
 * (normalization, `stripParams`, `sortQuery`, `dedupeCanonical`), and
 * crawler traps (an endless calendar, a relative-link path trap, ever
 * longer URLs) that a crawl must leave on its own, within its limits.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { CrawlOptionsInput } from "../../src/pipeline/options_input.ts";
import type { CrawlRecord } from "../../src/output/record.ts";
import { crawlToEnd } from "../support/crawl.ts";
import { parseJsonl, runCli } from "../support/cli_run.ts";
import { type Routes, startFixtureServer } from "../support/fixture_server.ts";

/** Crawls the loopback fixtures to their end, at most 200 pages. */
const crawl = (options: CrawlOptionsInput) =>
  crawlToEnd({ allowPrivate: true, maxPages: 200, ...options });

function html(body: string): Response {
  return new Response(body, { headers: { "content-type": "text/html; charset=utf-8" } });
}

/** Paths (with query) the server was asked for, robots.txt aside. */
function requested(hits: Map<string, number>): string[] {
  return [...hits.keys()].filter((p) => p !== "/robots.txt").sort();
}

/** A site whose every path answers with `page(path)`; records what was asked. */
function startAnywhereServer(page: (path: string) => string) {
  const hits = new Map<string, number>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const url = new URL(request.url);
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    if (url.pathname === "/robots.txt") return new Response("", { status: 404 });
    return html(page(url.pathname));
  });
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    hits,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** `/calendar?month=YYYY-MM` links to the next month, forever. */
const CALENDAR: Routes = {
  "/calendar": (request) => {
    const month = new URL(request.url).searchParams.get("month") ?? "2024-01";
    const [y, m] = month.split("-").map(Number) as [number, number];
    const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, "0")}`;
    return html(`<title>${month}</title><a href="/calendar?month=${next}">next</a>
      <a href="/calendar?month=2024-01">back to start</a>`);
  },
};

// --- one URL, many spellings ---

Deno.test("canonicalization: percent-encoding and empty-query variants are fetched once", async () => {
  await using server = startFixtureServer({
    routes: {
      "/": () =>
        html(`<a href="/p%7eq">1</a> <a href="/p~q">2</a> <a href="/p%7Eq">3</a>
          <a href="/x?">4</a> <a href="/x">5</a> <a href="/x?#f">6</a> <a href="/y/../x">7</a>
          <a href="/a%2fb">8</a> <a href="/a%2Fb">9</a>
          <a href="/caf%c3%a9">10</a> <a href="/café">11</a> <a href="/caf%C3%A9#top">12</a>`),
    },
  });
  const { records } = await crawl({ seeds: [`${server.origin}/`] });
  assert.deepEqual(requested(server.hits), ["/", "/a%2Fb", "/caf%C3%A9", "/p~q", "/x"]);
  for (const [path, n] of server.hits) assert.equal(n, 1, path);
  assert.equal(records.length, 5);
});

/** Tracking and reordered variants of `/s`, `/s?id=1` and `/q?a=1&b=2`. */
const QUERY_VARIANTS: Routes = {
  "/": () =>
    html(`<a href="/s?utm_source=a&utm_medium=b">1</a> <a href="/s?fbclid=123">2</a>
      <a href="/s">3</a> <a href="/s?id=1&utm_campaign=x">4</a> <a href="/s?id=1">5</a>
      <a href="/q?b=2&a=1">6</a> <a href="/q?a=1&b=2">7</a>`),
};

Deno.test("canonicalization: without stripParams and sortQuery every query variant is fetched", async () => {
  await using server = startFixtureServer({ routes: QUERY_VARIANTS });
  const { records } = await crawl({ seeds: [`${server.origin}/`] });
  assert.equal(requested(server.hits).length, 8);
  assert.equal(records.length, 8);
});

Deno.test("canonicalization: stripParams (utm_*, fbclid) and sortQuery dedupe query variants", async () => {
  await using server = startFixtureServer({ routes: QUERY_VARIANTS });
  const { records } = await crawl({
    seeds: [`${server.origin}/`],
    stripParams: ["utm_*", "fbclid"],
    sortQuery: true,
  });
  assert.deepEqual(requested(server.hits), ["/", "/q?a=1&b=2", "/s", "/s?id=1"]);
  assert.equal(records.length, 4);
});

/** `/main` links to `/v1` and `/v2`, whose canonical is `/main`, spelled two ways. */
const CANONICAL: Routes = {
  "/main": () => html(`<link rel="canonical" href="/main"><a href="/v1">1</a> <a href="/v2">2</a>`),
  "/v1": () => html(`<link rel="canonical" href="main"><a href="/only-v1">x</a>`),
  "/v2": (_, server) =>
    html(`<link rel="canonical" href="${server.origin}/main?utm_source=feed#top">`),
  "/only-v1": () => html("<title>Only from v1</title>"),
};

Deno.test("canonicalization: <link rel=canonical> is recorded, resolved to an absolute URL", async () => {
  await using server = startFixtureServer({ routes: CANONICAL });
  const { records } = await crawl({ seeds: [`${server.origin}/main`], stripParams: ["utm_*"] });
  const o = server.origin;
  assert.deepEqual(Object.fromEntries(records.map((r) => [r.url, r.canonical])), {
    [`${o}/main`]: `${o}/main`,
    [`${o}/v1`]: `${o}/main`,
    // Recorded as the page wrote it; only dedupe normalizes it.
    [`${o}/v2`]: `${o}/main?utm_source=feed#top`,
    [`${o}/only-v1`]: null,
  });
  assert.ok(records.every((r) => r.error === undefined), "no dedupe without dedupeCanonical");
});

Deno.test("canonicalization: dedupeCanonical marks pages whose canonical was seen as duplicates", async () => {
  await using server = startFixtureServer({ routes: CANONICAL });
  const o = server.origin;
  const { records, summary } = await crawl({
    seeds: [`${o}/main`],
    stripParams: ["utm_*"],
    dedupeCanonical: true,
  });
  const errors = Object.fromEntries(records.map((r) => [r.url, r.error ?? "ok"]));
  assert.deepEqual(errors, {
    [`${o}/main`]: "ok",
    [`${o}/v1`]: "duplicate",
    [`${o}/v2`]: "duplicate",
  });
  assert.deepEqual(summary.errors, { duplicate: 2 });
  assert.ok(!server.hits.has("/only-v1"), "a duplicate's links are not followed");
});

// --- traps ---

Deno.test("traps: a calendar trap ends at maxPagesPerHost, the refusal counted", async () => {
  await using server = startFixtureServer({ routes: CALENDAR });
  const { records, summary } = await crawl({
    seeds: [`${server.origin}/calendar?month=2024-01`],
    maxPagesPerHost: 12,
  });
  assert.equal(records.length, 12);
  assert.equal(records.at(-1)!.title, "2024-12");
  assert.equal(requested(server.hits).length, 12);
  assert.deepEqual(summary.skipped, { max_pages_per_host: 1 });
});

Deno.test("traps: a calendar trap ends at maxDepth", async () => {
  await using server = startFixtureServer({ routes: CALENDAR });
  const { records } = await crawl({
    seeds: [`${server.origin}/calendar?month=2024-01`],
    maxDepth: 5,
  });
  assert.deepEqual(records.map((r) => r.depth), [0, 1, 2, 3, 4, 5]);
  assert.equal(requested(server.hits).length, 6);
});

Deno.test({
  name: "traps: links cut by maxDepth are counted in summary.skipped",
  fn: async () => {
    await using server = startFixtureServer({ routes: CALENDAR });
    const { summary } = await crawl({
      seeds: [`${server.origin}/calendar?month=2024-01`],
      maxDepth: 5,
    });
    assert.deepEqual(summary.skipped, { max_depth: 1 });
  },
});

Deno.test("traps: a relative-link path trap ends at the repeated-path guard", async () => {
  // A misconfigured server: every path serves the same page with a relative link.
  await using server = startAnywhereServer(() => `<a href="a/b/">deeper</a>`);
  const { records, summary } = await crawl({ seeds: [`${server.origin}/`] });
  assert.deepEqual(records.map((r) => r.url.slice(server.origin.length)), [
    "/",
    "/a/b/",
    "/a/b/a/b/",
  ]);
  assert.deepEqual(summary.skipped, { repeated_path: 1 });
  assert.ok(!server.hits.has("/a/b/a/b/a/b/"));
});

Deno.test("traps: ever longer URLs end at maxUrlLength", async () => {
  // Each level adds a different segment, so only the length guard can stop it.
  await using server = startAnywhereServer((path) => {
    const level = path.split("/").filter((s) => s !== "").length;
    return `<a href="level-${level}/">deeper</a>`;
  });
  const maxUrlLength = server.origin.length + 60;
  const { records, summary } = await crawl({ seeds: [`${server.origin}/`], maxUrlLength });
  assert.ok(records.length >= 5, `${records.length} records`);
  for (const record of records) assert.ok(record.url.length <= maxUrlLength, record.url);
  const last = records.at(-1)!.url;
  assert.ok(`${last}level-${records.length - 1}/`.length > maxUrlLength);
  assert.deepEqual(summary.skipped, { url_too_long: 1 });
});

Deno.test("traps: the CLI's --max-pages-per-host ends a calendar trap", async () => {
  await using server = startFixtureServer({ routes: CALENDAR });
  const result = await runCli([
    "--seeds",
    `${server.origin}/calendar?month=2024-01`,
    "--max-pages-per-host",
    "5",
    "--max-pages",
    "200",
    "--allow-private",
  ]);
  assert.equal(result.code, 0, result.stderr);
  const records = parseJsonl<CrawlRecord>(result.stdout);
  assert.deepEqual(records.map((r) => r.title), [
    "2024-01",
    "2024-02",
    "2024-03",
    "2024-04",
    "2024-05",
  ]);
  const stats = JSON.parse(result.stderr.trim().split("\n").at(-1)!);
  assert.deepEqual(stats.skipped, { max_pages_per_host: 1 });
  assert.equal(stats.stoppedBy, "done");
});
