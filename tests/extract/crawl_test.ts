/**
 * End-to-end tests of `--extract` rules: real crawls of the shop fixture,
 * through `runCrawl` (parser workers and in-isolate) and through the CLI.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseCrawlOptions } from "../../src/pipeline/options.ts";
import type { CrawlOptionsInput } from "../../src/pipeline/options_input.ts";
import { runCrawl } from "../../src/pipeline/run.ts";
import { loadRules } from "../../src/extract/rules.ts";
import type { CrawlRecord } from "../../src/output/record.ts";
import type { CrawlSummary } from "../../src/output/stats.ts";
import { parseJsonl, runCli } from "../support/cli_run.ts";
import { FIXTURES, type FixtureServer, startFixtureServer } from "../support/fixture_server.ts";

const SHOP = `${FIXTURES}shop`;
/** As typed on a command line: relative to the repository root, where the CLI runs. */
const SHOP_RULES = "fixtures/rules/shop.json";
const RULES_PATH = `${FIXTURES}rules/shop.json`;

/** What the shop rules extract from each page a crawl from `/index.html` reaches. */
function expectedData(origin: string): Record<string, Record<string, unknown>> {
  return {
    "/index.html": {
      heading: "All products",
      page: 1,
      products: [`${origin}/products/alpine-tent.html`, `${origin}/products/trail-stove.html`],
      prices: [1299, 1249.5],
    },
    "/page/2.html": {
      heading: "All products",
      page: 2,
      products: [`${origin}/products/down-jacket.html`],
      prices: [249],
    },
    "/products/alpine-tent.html": {
      name: "Alpine Tent 2P",
      sku: "AT-2P-001",
      price: 1299,
      currency: "USD",
      inStock: true,
      reviews: 128,
      image: `${origin}/img/alpine-tent.jpg`,
      released: "2023-04-15T00:00:00.000Z",
      tags: ["tents", "4-season", "ultralight"],
    },
    "/products/trail-stove.html": {
      name: "Trail Stove",
      sku: "TS-100",
      price: 1249.5,
      currency: "EUR",
      inStock: false,
      reviews: 7,
      image: `${origin}/img/trail-stove.jpg`,
      released: "2021-11-02T08:30:00.000Z",
      tags: ["cooking"],
    },
    "/products/down-jacket.html": {
      name: "Down Jacket",
      sku: null,
      price: 249,
      currency: "GBP",
      inStock: true,
      reviews: null,
      image: `${origin}/img/down-jacket.jpg`,
      released: null,
      tags: [],
    },
  };
}

/** The jacket lacks its required SKU and its review count is not a number. */
const JACKET_ERRORS = [
  { field: "sku", error: "missing" },
  { field: "reviews", error: 'expected an integer: received "No reviews yet"' },
];

async function crawlShop(options: CrawlOptionsInput) {
  const records: CrawlRecord[] = [];
  const summary = await runCrawl(await parseCrawlOptions({ allowPrivate: true, ...options }), {
    signal: AbortSignal.timeout(30_000),
    onRecord: (record) => void records.push(record),
  });
  return { records, summary };
}

function byPath(server: FixtureServer, records: CrawlRecord[]): Map<string, CrawlRecord> {
  return new Map(records.map((r) => [r.requestedUrl.slice(server.origin.length), r]));
}

/** The paths the server was asked for, sorted. */
function served(server: FixtureServer): string[] {
  return [...server.hits.keys()].sort();
}

/** Asserts each record's data and data errors, and that the stats count the errors. */
function assertShopData(
  server: FixtureServer,
  records: CrawlRecord[],
  summary: Pick<CrawlSummary, "dataErrors" | "pagesOk">,
): void {
  const expected = expectedData(server.origin);
  const found = byPath(server, records);
  assert.deepEqual([...found.keys()].sort(), Object.keys(expected).sort());
  for (const [path, data] of Object.entries(expected)) {
    const record = found.get(path)!;
    assert.deepEqual(record.data, data, path);
    assert.equal(record.error, undefined, path);
    if (path === "/products/down-jacket.html") assert.deepEqual(record.dataErrors, JACKET_ERRORS);
    else assert.equal(record.dataErrors, undefined, path);
  }
  // Data errors do not make a page fail: all five are OK, and the two errors are counted.
  assert.equal(summary.pagesOk, 5);
  assert.equal(summary.dataErrors, 2);
}

for (const parsers of [2, 0]) {
  Deno.test(`extract crawl: rules fill each shop page's data and count its data errors (parsers=${parsers})`, async () => {
    await using server = startFixtureServer({ root: SHOP });
    const { records, summary } = await crawlShop({
      seeds: [`${server.origin}/index.html`],
      rules: await loadRules(RULES_PATH),
      parsers,
    });
    assertShopData(server, records, summary);
  });
}

Deno.test("extract crawl: a rule's linksFrom limits the links followed, the record still lists all", async () => {
  await using server = startFixtureServer({ root: SHOP });
  const { records } = await crawlShop({
    seeds: [`${server.origin}/index.html`],
    rules: await loadRules(RULES_PATH),
  });
  // Every page links to about.html (site nav, footer), but no rule's linksFrom covers it.
  assert.deepEqual(served(server), [
    "/index.html",
    "/page/2.html",
    "/products/alpine-tent.html",
    "/products/down-jacket.html",
    "/products/trail-stove.html",
    "/robots.txt",
  ]);
  const index = byPath(server, records).get("/index.html")!;
  assert.ok(index.links.includes(`${server.origin}/about.html`));
});

Deno.test("extract crawl: the global linksFrom option applies to pages no rule matches", async () => {
  await using server = startFixtureServer({ root: SHOP });
  // about.html matches no rule and has no <footer>: nothing is followed from it.
  const limited = await crawlShop({
    seeds: [`${server.origin}/about.html`],
    rules: await loadRules(RULES_PATH),
    linksFrom: "footer",
  });
  assert.deepEqual(limited.records.map((r) => r.url), [`${server.origin}/about.html`]);
  assert.deepEqual(served(server), ["/about.html", "/robots.txt"]);
});

Deno.test("extract CLI: --extract writes each page's data and counts data errors in the stats", async () => {
  await using server = startFixtureServer({ root: SHOP });
  const result = await runCli([
    "--seeds",
    `${server.origin}/index.html`,
    "--extract",
    SHOP_RULES,
    "--allow-private",
  ]);
  assert.equal(result.code, 0, result.stderr);
  const records = parseJsonl<CrawlRecord>(result.stdout);
  const stats = JSON.parse(result.stderr.trim().split("\n").at(-1)!);
  assertShopData(server, records, stats);
});

Deno.test("extract CLI: --links-from SELECTOR limits the links followed from every page", async () => {
  await using server = startFixtureServer({ root: SHOP });
  const result = await runCli([
    "--seeds",
    `${server.origin}/index.html`,
    "--links-from",
    ".pagination",
    "--allow-private",
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(parseJsonl(result.stdout).length, 2);
  assert.deepEqual(served(server), ["/index.html", "/page/2.html", "/robots.txt"]);
});

Deno.test("extract CLI: a rule's linksFrom wins over --links-from on the pages it matches", async () => {
  await using server = startFixtureServer({ root: SHOP });
  // Were the flag to win, the home page would yield only its footer link, about.html.
  const result = await runCli([
    "--seeds",
    `${server.origin}/index.html`,
    "--extract",
    SHOP_RULES,
    "--links-from",
    "footer",
    "--allow-private",
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(served(server), [
    "/index.html",
    "/page/2.html",
    "/products/alpine-tent.html",
    "/products/down-jacket.html",
    "/products/trail-stove.html",
    "/robots.txt",
  ]);
});

Deno.test("extract CLI: --extract-module data is merged over the rules' data on each page", async () => {
  await using server = startFixtureServer({ root: SHOP });
  const result = await runCli([
    "--seeds",
    `${server.origin}/index.html`,
    "--extract",
    SHOP_RULES,
    "--extract-module",
    "fixtures/extract/price_hook.ts",
    "--parsers",
    "2",
    "--allow-private",
  ]);
  assert.equal(result.code, 0, result.stderr);
  const found = byPath(server, parseJsonl<CrawlRecord>(result.stdout));
  const expected = expectedData(server.origin);
  const hook = {
    "/products/alpine-tent.html": { priceText: "$1,299.00", currency: "USD" },
    "/products/trail-stove.html": { priceText: "1.249,50\u00a0€", currency: "EUR" },
    "/products/down-jacket.html": { priceText: "£249", currency: "GBP" },
  } as Record<string, Record<string, unknown>>;
  assert.equal(found.size, 5);
  for (const [path, record] of found) {
    const extra = hook[path] && { ...hook[path], path };
    assert.deepEqual(record.data, { ...expected[path], ...extra }, path);
  }
});

const TYPES = "string, number, integer, boolean, url, date";
const BAD_RULES: [file: string, detail: string | RegExp][] = [
  [
    "fixtures/rules/bad-type.json",
    `rules[2].fields.price.type: expected one of ${TYPES}: received "float"`,
  ],
  [
    "fixtures/rules/bad-selector.json",
    "rules[0].fields.price.selector: invalid CSS selector (Attribute selector didn't terminate): " +
    'received "span.price[data-currency"',
  ],
  [
    "fixtures/rules/bad-pattern.json",
    "rules[1].match: invalid URL pattern: tokenizer error: invalid regex: missing closing ) " +
    '(at char 10): received "https://shop.test/category/("',
  ],
  [
    "fixtures/rules/unknown-key.json",
    "rules[0].fields.price.selecter: unknown key, expected one of selector, value, all, type, required",
  ],
  ["fixtures/rules/bad-json.json", /^invalid JSON: [^\n]*line 3 column 31\)$/],
  ["fixtures/rules/no-such-file.json", "cannot read the file: not found"],
];

for (const [file, detail] of BAD_RULES) {
  Deno.test(`extract CLI: a bad rules file is one line naming the place, exit 2, no request: ${file}`, async () => {
    await using server = startFixtureServer({ root: SHOP });
    const result = await runCli([
      "--seeds",
      `${server.origin}/index.html`,
      "--extract",
      file,
      "--allow-private",
    ]);
    assert.equal(result.code, 2, result.stderr);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    const prefix = `error: --extract: ${file}: `;
    assert.ok(lines[0]!.startsWith(prefix), lines[0]);
    if (typeof detail === "string") assert.equal(lines[0]!.slice(prefix.length), detail);
    else assert.match(lines[0]!.slice(prefix.length), detail);
    assert.equal(result.stdout, "");
    assert.equal(server.hits.size, 0, "no request may be made with a bad rules file");
  });
}
