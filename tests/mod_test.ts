/**
 * Tests of the library API in `src/mod.ts`, written the way README shows
 * it: `for await` over `crawl()`, an extract hook as a function (pages
 * parsed in this isolate) or as a module (imported by each parser worker),
 * `filter`, `onError`, leaving the loop early, and `summary`.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  crawl,
  type CrawlRecord,
  type CrawlSummary,
  type LinkContext,
  OptionsError,
} from "../src/mod.ts";
import { FIXTURES, startFixtureServer } from "./support/fixture_server.ts";

const SHOP = `${FIXTURES}shop`;

/**
 * Counts the Web Workers started while `fn` runs, to tell where pages were
 * parsed (the parser pool starts one per parser; in-isolate parsing none).
 */
async function countingWorkers<T>(fn: () => Promise<T>): Promise<{ result: T; workers: number }> {
  const Original = globalThis.Worker;
  let workers = 0;
  globalThis.Worker = class extends Original {
    constructor(...args: ConstructorParameters<typeof Worker>) {
      super(...args);
      workers++;
    }
  };
  try {
    return { result: await fn(), workers };
  } finally {
    globalThis.Worker = Original;
  }
}

const pathOf = (origin: string, url: string) => url.slice(origin.length);

/** Stands in for `console` in the README snippets: keeps what they print. */
function capture() {
  const lines: unknown[][] = [];
  return { lines, console: { log: (...args: unknown[]) => void lines.push(args) } };
}

Deno.test("crawl: for await yields a record per URL; an extract function runs in this isolate", async () => {
  await using server = startFixtureServer({ root: SHOP });
  const seeds = [`${server.origin}/index.html`];
  const { lines, console } = capture();
  const { workers } = await countingWorkers(async () => {
    // README, "Library": an extract hook function.
    const run = crawl({ seeds, allowPrivate: true }, {
      // A function cannot cross to a parser worker: pages are parsed in this isolate.
      extract: ($) => {
        const price = $(".price").first().text().trim();
        return price ? { price } : undefined;
      },
    });
    for await (const record of run) console.log(record.url, record.data?.price);
    console.log(await run.summary);
  });
  assert.equal(workers, 0, "a hook function must keep parsing in this isolate");
  const summary = lines.pop()![0] as CrawlSummary;
  assert.deepEqual([summary.records, summary.pagesOk, summary.stoppedBy], [6, 6, "done"]);
  const origin = server.origin;
  const prices = Object.fromEntries(lines.map(([url, price]) => [pathOf(origin, `${url}`), price]));
  assert.deepEqual(prices, {
    "/index.html": undefined,
    "/about.html": undefined,
    "/page/2.html": undefined,
    "/products/alpine-tent.html": "$1,299.00",
    "/products/down-jacket.html": "£249",
    "/products/trail-stove.html": "1.249,50\u00a0€",
  });
});

Deno.test("crawl: the extract function's data goes into the record with the page's parsed fields", async () => {
  await using server = startFixtureServer({ root: SHOP });
  const run = crawl({
    seeds: [`${server.origin}/products/down-jacket.html`],
    maxDepth: 0,
    allowPrivate: true,
  }, {
    extract: ($, page) => ({
      title: page.parsed.title,
      links: page.parsed.links.length,
      h1: $("h1").text(),
    }),
  });
  const [record] = await Array.fromAsync(run);
  assert.deepEqual(record?.data, {
    title: "Down Jacket | Trailhead Outfitters",
    links: 4,
    h1: "Down Jacket",
  });
});

Deno.test("crawl: extractModule is imported by each parser worker and fills data", async () => {
  await using server = startFixtureServer({ root: SHOP });
  const seeds = [`${server.origin}/index.html`];
  const { lines, console } = capture();
  const { workers } = await countingWorkers(async () => {
    // README, "Library": an extract hook module, imported by each parser worker.
    const run = crawl({
      seeds,
      allowPrivate: true,
      parsers: 2,
      extractModule: import.meta.resolve("../fixtures/extract/price_hook.ts"),
    });
    for await (const record of run) console.log(record.url, record.data);
    console.log(await run.summary);
  });
  assert.equal(workers, 2, "pages must be parsed in the two parser workers");
  assert.equal((lines.pop()![0] as CrawlSummary).records, 6);
  const data = Object.fromEntries(
    lines.filter(([, d]) => d !== undefined).map((
      [url, d],
    ) => [pathOf(server.origin, `${url}`), d]),
  );
  assert.deepEqual(data, {
    "/products/alpine-tent.html": {
      priceText: "$1,299.00",
      currency: "USD",
      path: "/products/alpine-tent.html",
    },
    "/products/down-jacket.html": {
      priceText: "£249",
      currency: "GBP",
      path: "/products/down-jacket.html",
    },
    "/products/trail-stove.html": {
      priceText: "1.249,50\u00a0€",
      currency: "EUR",
      path: "/products/trail-stove.html",
    },
  });
});

Deno.test("crawl: a missing extract module fails the crawl before any page is fetched", async () => {
  await using server = startFixtureServer({ root: SHOP });
  const run = crawl({
    seeds: [`${server.origin}/index.html`],
    allowPrivate: true,
    parsers: 1,
    extractModule: import.meta.resolve("../fixtures/extract/no_such_hook.ts"),
  });
  await assert.rejects(Array.fromAsync(run), /no_such_hook\.ts/);
  await assert.rejects(run.summary, /no_such_hook\.ts/);
  assert.equal(server.hits.size, 0);
});

Deno.test("crawl: filter decides which discovered links are followed, onError sees failed records", async () => {
  await using server = startFixtureServer({ root: SHOP });
  const origin = server.origin;
  const asked: [string, LinkContext][] = [];
  const failed: CrawlRecord[] = [];
  const run = crawl(
    { seeds: [`${origin}/index.html`, `${origin}/no-such-page.html`], allowPrivate: true },
    {
      filter: (url, context) => {
        asked.push([pathOf(origin, url), context]);
        return !url.includes("/products/");
      },
      onError: (record) => failed.push(record),
    },
  );
  const records = await Array.fromAsync(run);
  const summary = await run.summary;
  // Product pages were never requested; seeds are not filtered.
  assert.deepEqual([...server.hits.keys()].sort(), [
    "/about.html",
    "/index.html",
    "/no-such-page.html",
    "/page/2.html",
    "/robots.txt",
  ]);
  assert.deepEqual(
    asked.filter(([path]) => path === "/products/alpine-tent.html"),
    [["/products/alpine-tent.html", { depth: 1, parent: `${origin}/index.html` }]],
  );
  assert.ok(asked.every(([path]) => path !== "/index.html" && path !== "/no-such-page.html"));
  assert.equal(summary.skipped.filtered, asked.filter(([p]) => p.startsWith("/products/")).length);
  // onError got exactly the failed records, which the loop yielded too.
  assert.deepEqual(failed.map((r) => [pathOf(origin, r.url), r.status, r.error]), [
    ["/no-such-page.html", 404, "http_4xx"],
  ]);
  assert.ok(records.includes(failed[0]!));
  assert.equal(records.length, 4);
  assert.deepEqual(summary.errors, { http_4xx: 1 });
});

Deno.test("crawl: leaving the loop early cancels the crawl; the server sees no more requests", async () => {
  // An endless chain of pages; from /p/6 on, the body never comes.
  const requested: string[] = [];
  const stalled = Promise.withResolvers<void>();
  const cancelled = Promise.withResolvers<void>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { pathname } = new URL(request.url);
    requested.push(pathname);
    const n = Number(/^\/p\/(\d+)$/.exec(pathname)?.[1]);
    if (!n) return new Response("not found", { status: 404 });
    const headers = { "content-type": "text/html; charset=utf-8" };
    if (n < 6) return new Response(`<a href="/p/${n + 1}">next</a>`, { headers });
    stalled.resolve();
    // The crawler's abort reaches the server as a cancelled response body.
    return new Response(new ReadableStream({ cancel: () => cancelled.resolve() }), { headers });
  });
  try {
    const origin = `http://127.0.0.1:${server.addr.port}`;
    // Only a safety net: the test fails if it is what ends the crawl.
    const deadline = AbortSignal.timeout(15_000);
    const run = crawl({ seeds: [`${origin}/p/1`], allowPrivate: true }, { signal: deadline });
    let first: CrawlRecord | undefined;
    for await (const record of run) {
      first = record;
      await stalled.promise;
      break;
    }
    assert.equal(first?.url, `${origin}/p/1`);
    const summary = await run.summary;
    assert.equal(summary.stoppedBy, "aborted");
    await cancelled.promise;
    assert.equal(deadline.aborted, false, "the crawl ran until the safety deadline");
    assert.deepEqual(requested, ["/robots.txt", "/p/1", "/p/2", "/p/3", "/p/4", "/p/5", "/p/6"]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("crawl: invalid options reject the iteration and summary with OptionsError", async () => {
  const run = crawl({ seeds: ["ftp://example.org/"] });
  await assert.rejects(Array.fromAsync(run), OptionsError);
  await assert.rejects(run.summary, /'seeds\[0\]' must be an http\(s\) URL/);
});
