import assert from "node:assert/strict";
import { parseCrawlOptions } from "../../src/pipeline/options.ts";
import type { CrawlOptionsInput } from "../../src/pipeline/options_input.ts";
import { crawl } from "../../src/pipeline/crawl.ts";
import { type RunContext, runCrawl } from "../../src/pipeline/run.ts";
import type { CrawlRecord } from "../../src/output/record.ts";
import { CrawlRecordSchema } from "../../src/output/record_schema.ts";
import { type FixtureServer, SITE_PATHS, startFixtureServer } from "../support/fixture_server.ts";

/** Crawls with a hard deadline, so a hang fails the test instead of blocking the run. */
async function crawlAll(
  options: CrawlOptionsInput,
  context: Partial<RunContext> = {},
) {
  const records: CrawlRecord[] = [];
  // The fixture server is on loopback: lift the private-address guard.
  const summary = await runCrawl(await parseCrawlOptions({ allowPrivate: true, ...options }), {
    signal: AbortSignal.timeout(30_000),
    ...context,
    onRecord: (record) => {
      records.push(record);
      return context.onRecord?.(record);
    },
  });
  return { records, summary };
}

function paths(server: FixtureServer, records: CrawlRecord[]): string[] {
  return records.map((r) => r.requestedUrl.slice(server.origin.length)).sort();
}

const SHAPES = [
  { fetchers: 1, parsers: 1, queueSize: 1, concurrency: 1, perHost: 8 },
  { fetchers: 1, parsers: 4, queueSize: 2, concurrency: 4, perHost: 8 },
  { fetchers: 8, parsers: 1, queueSize: 1, concurrency: 4, perHost: 8 },
  { fetchers: 6, parsers: 3, queueSize: 3, concurrency: 6, perHost: 8 },
];

for (const shutdown of ["count", "sentinel"] as const) {
  for (const shape of SHAPES) {
    Deno.test(`crawl yields exactly the fixture site (shutdown=${shutdown}, fetchers=${shape.fetchers}, parsers=${shape.parsers}, queueSize=${shape.queueSize})`, async () => {
      await using server = startFixtureServer();
      const { records, summary } = await crawlAll({
        seeds: [`${server.origin}/index.html`],
        shutdown,
        ...shape,
      });
      assert.equal(summary.stoppedBy, "done");
      assert.deepEqual(paths(server, records), [...SITE_PATHS].sort());
      // Every URL fetched exactly once (robots.txt too), nothing beyond the site requested.
      for (const [path, hits] of server.hits) {
        assert.equal(hits, 1, `${path} fetched ${hits} times`);
      }
      assert.equal(server.hits.size, SITE_PATHS.length + 1);
      assert.ok(server.hits.has("/robots.txt"));
      assert.equal(summary.records, SITE_PATHS.length);
      assert.equal(summary.errors.http_4xx, 1);
    });
  }
}

Deno.test("crawl never has more requests in flight than concurrency (measured by the server)", async () => {
  await using server = startFixtureServer({ latencyMs: 15 });
  const { records } = await crawlAll({
    seeds: [`${server.origin}/index.html`],
    concurrency: 3,
    perHost: 10,
    fetchers: 10,
  });
  assert.equal(records.length, SITE_PATHS.length);
  assert.equal(server.maxInFlight, 3, `server saw ${server.maxInFlight} in flight`);
});

Deno.test("crawl records carry the page's data, absolute links and lineage", async () => {
  await using server = startFixtureServer();
  const { records } = await crawlAll({ seeds: [`${server.origin}/index.html`] });
  for (const record of records) CrawlRecordSchema.parse(record);
  const byPath = new Map(records.map((r) => [r.requestedUrl.slice(server.origin.length), r]));
  const o = server.origin;

  const index = byPath.get("/index.html")!;
  assert.equal(index.status, 200);
  assert.equal(index.depth, 0);
  assert.equal(index.parent, null);
  assert.equal(index.title, "Home");
  assert.equal(index.description, "Fixture page: Home");
  assert.deepEqual(index.h1, ["Home"]);
  assert.equal(index.contentType, "text/html");
  assert.ok(index.bytes > 0);
  assert.ok(!Number.isNaN(Date.parse(index.fetchedAt)));
  // Absolute, fragment-free, http(s) only, deduplicated; externals listed but not followed.
  assert.ok(index.links.includes(`${o}/about.html`));
  assert.ok(index.links.includes("http://external.test/page"));
  assert.ok(index.links.includes("http://external.test/protocol-relative"));
  assert.ok(index.links.every((l) => /^https?:\/\//.test(l) && !l.includes("#")));
  assert.equal(index.links.filter((l) => l === `${o}/about.html`).length, 1);
  assert.ok(!records.some((r) => r.url.includes("external.test")));

  assert.deepEqual(byPath.get("/base/index.html")!.links, [`${o}/base/sub/page.html`]);
  const chainEnd = byPath.get("/chain/12.html")!;
  assert.equal(chainEnd.depth, 12);
  assert.equal(chainEnd.parent, `${o}/chain/11.html`);
  // Nofollow links are listed on the page but not followed.
  assert.ok(byPath.get("/nofollow.html")!.links.includes(`${o}/secret.html`));
  assert.ok(!byPath.has("/secret.html"));
  assert.ok(!byPath.has("/hidden-by-meta.html"));

  const missing = byPath.get("/missing.html")!;
  assert.equal(missing.status, 404);
  assert.equal(missing.error, "http_4xx");
  const pdf = byPath.get("/files/data.pdf")!;
  assert.equal(pdf.contentType, "application/pdf");
  assert.equal(pdf.error, undefined);
  assert.deepEqual(pdf.links, []);
});

Deno.test("crawl follows nofollow links with followNofollow", async () => {
  await using server = startFixtureServer();
  const { records } = await crawlAll({
    seeds: [`${server.origin}/index.html`],
    followNofollow: true,
  });
  const found = paths(server, records);
  for (const p of ["/secret.html", "/secret-2.html", "/hidden-by-meta.html"]) {
    assert.ok(found.includes(p), p);
  }
});

Deno.test("crawl stops at maxDepth", async () => {
  await using server = startFixtureServer();
  const { records } = await crawlAll({ seeds: [`${server.origin}/chain/1.html`], maxDepth: 3 });
  assert.deepEqual(paths(server, records), [
    "/chain/1.html",
    "/chain/2.html",
    "/chain/3.html",
    "/chain/4.html",
  ]);
});

Deno.test("crawl fetches at most maxPages URLs", async () => {
  await using server = startFixtureServer();
  const { records, summary } = await crawlAll({
    seeds: [`${server.origin}/index.html`],
    maxPages: 7,
  });
  assert.equal(records.length, 7);
  assert.equal(server.hits.size, 7 + 1, "7 pages and robots.txt");
  assert.equal(summary.stoppedBy, "max_pages");
});

Deno.test("crawl applies include and exclude patterns", async () => {
  await using server = startFixtureServer();
  const { records } = await crawlAll({
    seeds: [`${server.origin}/index.html`],
    include: ["^https?://[^/]+/index\\.html$", "/chain/"],
    exclude: ["/chain/([3-9]|1\\d)\\.html"],
  });
  assert.deepEqual(paths(server, records), ["/chain/1.html", "/chain/2.html", "/index.html"]);
});

Deno.test("crawl with a stop signal finishes in-flight pages and ends", async () => {
  await using server = startFixtureServer({ latencyMs: 5 });
  const stop = new AbortController();
  const { records, summary } = await crawlAll(
    { seeds: [`${server.origin}/index.html`], concurrency: 2 },
    { stopSignal: stop.signal, onRecord: () => stop.abort() },
  );
  assert.equal(summary.stoppedBy, "interrupted");
  assert.ok(records.length >= 1 && records.length < SITE_PATHS.length);
  // Everything fetched was written: no page lost between fetch and output.
  const pageHits = [...server.hits].filter(([path]) => path !== "/robots.txt");
  assert.equal(records.length, pageHits.reduce((a, [, n]) => a + n, 0));
});

Deno.test("crawl with an aborted signal ends without hanging", async () => {
  await using server = startFixtureServer({ latencyMs: 50 });
  const controller = new AbortController();
  const { summary } = await crawlAll(
    { seeds: [`${server.origin}/index.html`] },
    { signal: controller.signal, onStart: () => setTimeout(() => controller.abort(), 20) },
  );
  assert.equal(summary.stoppedBy, "aborted");
});

Deno.test("crawl stops taking URLs after maxDurationMs", async () => {
  await using server = startFixtureServer({ latencyMs: 30 });
  const { records, summary } = await crawlAll({
    seeds: [`${server.origin}/index.html`],
    concurrency: 1,
    maxDurationMs: 100,
  });
  assert.equal(summary.stoppedBy, "max_duration");
  assert.ok(records.length < SITE_PATHS.length);
});

Deno.test("crawl records connection failures as errors instead of crashing", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const { records, summary } = await crawlAll({
    seeds: [`http://127.0.0.1:${port}/`],
    retryDelayMs: 1,
    ignoreRobots: true,
  });
  assert.equal(records.length, 1);
  assert.equal(records[0]!.error, "refused");
  assert.equal(records[0]!.status, null);
  assert.equal(records[0]!.attempts, 3, "two retries after the first failure");
  assert.equal(summary.errors.refused, 1);
});

Deno.test("crawl times out a slow request with timeoutMs", async () => {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await using server = startFixtureServer({
    routes: { "/slow": async () => (await held, new Response("late")) },
  });
  const { records } = await crawlAll({
    seeds: [`${server.origin}/slow`],
    timeoutMs: 100,
    retries: 0,
    ignoreRobots: true,
  });
  release();
  assert.equal(records[0]!.error, "timeout");
});

Deno.test("crawl rejects invalid options before any request", async () => {
  await using server = startFixtureServer();
  await assert.rejects(
    crawl({ seeds: [`${server.origin}/`], concurrency: 0 }).summary,
    /Cannot crawl as 'concurrency' must be a positive integer: received 0/,
  );
  assert.equal(server.hits.size, 0);
});

Deno.test("crawl records a URL waiting for its retry when maxPages ends the crawl", async () => {
  await using server = startFixtureServer({
    routes: {
      "/a": () => new Response("busy", { status: 503 }),
      "/b": () => new Response("<title>b</title>", { headers: { "content-type": "text/html" } }),
    },
  });
  const { records, summary } = await crawlAll({
    seeds: [`${server.origin}/a`, `${server.origin}/b`],
    maxPages: 2,
    concurrency: 1,
    parsers: 0,
    ignoreRobots: true,
    retryDelayMs: 60_000,
  });
  assert.equal(summary.stoppedBy, "max_pages");
  const a = records.find((r) => r.url === `${server.origin}/a`);
  assert.ok(a, "the URL that failed and waited for a retry still has its record");
  assert.equal(a.error, "http_5xx");
  assert.equal(a.status, 503);
  assert.equal(a.attempts, 1);
  assert.equal(records.length, 2);
});
