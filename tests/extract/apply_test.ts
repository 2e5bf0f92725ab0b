import assert from "node:assert/strict";
import * as cheerio from "cheerio";
import { compileRules, type ExtractResult, linksFromSelector } from "../../src/extract/apply.ts";
import { loadRules, parseRules } from "../../src/extract/rules.ts";
import { errors, PAGE, values } from "./convert_cases.ts";

const SHOP = new URL("../../fixtures/shop/", import.meta.url).pathname;
const RULES = new URL("../../fixtures/rules/", import.meta.url).pathname;

/** Loads a page the way the crawler does by default (htmlparser2). */
const load = (html: string) => cheerio.load(html, { xml: { xmlMode: false } });

/** Extracts `fields` (one rule matching everything) from `html`. */
async function extract(
  html: string,
  fields: Record<string, unknown>,
  pageUrl = PAGE,
): Promise<ExtractResult> {
  const rules = compileRules(await parseRules({ rules: [{ match: "/*", fields }] }));
  const rule = rules.match(pageUrl);
  assert.ok(rule);
  return rules.extract(load(html), pageUrl, rule);
}

Deno.test("extract: boolean from an attribute follows HTML boolean attributes", async () => {
  const html = '<input id="a" checked><input id="b" checked="checked"><input id="c">' +
    '<input id="d" checked="no"><input id="e" checked="bogus">';
  const spec = (id: string) => ({ selector: `#${id}`, value: "attr:checked", type: "boolean" });
  assert.deepEqual(
    await extract(html, { a: spec("a"), b: spec("b"), c: spec("c"), d: spec("d"), e: spec("e") }),
    {
      data: { a: true, b: true, c: false, d: false, e: null },
      dataErrors: [{
        field: "e",
        error: 'expected a boolean (true/false, yes/no, 1/0): received "bogus"',
      }],
    },
  );
  // No element at all is still missing, not false.
  assert.deepEqual(
    (await extract("<p>", { on: { selector: "input", value: "attr:checked", type: "boolean" } }))
      .data,
    { on: null },
  );
});

Deno.test("extract: url resolves against the page and its <base href>", async () => {
  values("url", [
    ["../img/a.jpg", "https://shop.test/img/a.jpg"],
    ["/x?y=1#z", "https://shop.test/x?y=1#z"],
    ["https://cdn.test/a.jpg", "https://cdn.test/a.jpg"],
  ]);
  errors("url", "expected a URL", ["http://[::1", "https://exa mple.test/"]);
  const html = '<base href="https://cdn.test/assets/"><img src="a.jpg"><img src="/b.jpg">';
  assert.deepEqual(
    (await extract(html, { img: { selector: "img", value: "attr:src", type: "url", all: true } }))
      .data,
    { img: ["https://cdn.test/assets/a.jpg", "https://cdn.test/b.jpg"] },
  );
  // A relative <base href> is itself resolved against the page.
  assert.deepEqual(
    (await extract('<base href="/media/"><img src="a.jpg">', {
      img: { selector: "img", value: "attr:src", type: "url" },
    })).data,
    { img: "https://shop.test/media/a.jpg" },
  );
});

Deno.test("extract: text collapses whitespace, html keeps markup, attr reads the attribute", async () => {
  const html =
    '<h1>\n  Alpine   <em>Tent</em>\n</h1><meta itemprop="priceCurrency" content=" USD ">';
  assert.deepEqual(
    (await extract(html, {
      text: { selector: "h1" },
      html: { selector: "h1", value: "html" },
      currency: { selector: "meta", value: "attr:content" },
      upper: { selector: "META", value: "attr:CONTENT" },
    })).data,
    { text: "Alpine Tent", html: "Alpine   <em>Tent</em>", currency: "USD", upper: "USD" },
  );
});

Deno.test("extract: missing required fields are data errors, missing optional ones null", async () => {
  const html = '<h1>Tent</h1><span class="price">  </span><span class="price">$5</span>';
  assert.deepEqual(
    await extract(html, {
      name: { selector: "h1", required: true },
      // The blank first match is skipped: the first non-blank value counts.
      price: { selector: ".price", type: "number", required: true },
      sku: { selector: ".sku", required: true },
      image: { selector: "img", value: "attr:src", required: true },
      h1id: { selector: "h1", value: "attr:id", required: true },
      color: { selector: ".color" },
    }),
    {
      data: { name: "Tent", price: 5, sku: null, image: null, h1id: null, color: null },
      dataErrors: [
        { field: "sku", error: "missing" },
        { field: "image", error: "missing" },
        { field: "h1id", error: "missing" },
      ],
    },
  );
});

Deno.test("extract: a value that fails its type is null with a data error", async () => {
  assert.deepEqual(
    await extract('<span class="price">Call us</span><span class="price">$9</span>', {
      price: { selector: ".price", type: "number", required: true },
    }),
    {
      data: { price: null },
      dataErrors: [{ field: "price", error: 'expected a number: received "Call us"' }],
    },
  );
});

Deno.test("extract: all: true lists every value and names failing items by index", async () => {
  const html = "<ul><li>$1</li><li> </li><li>2,50 €</li><li>n/a</li><li>$1,000</li></ul>";
  assert.deepEqual(
    await extract(html, {
      prices: { selector: "li", all: true, type: "number" },
      raw: { selector: "li", all: true },
      none: { selector: "dd", all: true },
      needed: { selector: "dt", all: true, required: true },
    }),
    {
      data: {
        prices: [1, 2.5, null, 1000],
        raw: ["$1", "2,50 €", "n/a", "$1,000"],
        none: [],
        needed: [],
      },
      dataErrors: [
        { field: "prices[2]", error: 'expected a number: received "n/a"' },
        { field: "needed", error: "missing" },
      ],
    },
  );
});

Deno.test("extract: the first matching rule applies", async () => {
  const rules = compileRules(
    await parseRules({
      rules: [
        { name: "sale", match: "https://shop.test/products/sale-*" },
        { name: "product", match: "/products/*" },
        { name: "shop-wide", match: { hostname: "shop.test" } },
      ],
    }),
  );
  assert.equal(rules.match("https://shop.test/products/sale-tent")?.name, "sale");
  assert.equal(rules.match("https://shop.test/products/tent")?.name, "product");
  assert.equal(rules.match("http://127.0.0.1:9/products/tent?ref=x")?.name, "product");
  assert.equal(rules.match("https://shop.test/about")?.name, "shop-wide");
  assert.equal(rules.match("https://other.test/about"), undefined);
  assert.equal(rules.match("not a url"), undefined);
  assert.deepEqual(rules.rules.map((r) => [r.index, r.name]), [
    [0, "sale"],
    [1, "product"],
    [2, "shop-wide"],
  ]);
});

Deno.test("extract: an unnamed rule is named by its place, and compileRules takes a list", async () => {
  const { rules } = await parseRules({
    rules: [{ match: "/a" }, { match: "/b", linksFrom: "nav" }],
  });
  const compiled = compileRules(rules);
  assert.equal(compiled.match("https://a.test/b")?.name, "rules[1]");
  assert.equal(compiled.match("https://a.test/b")?.linksFrom, "nav");
  assert.equal(compiled.match("https://a.test/a")?.linksFrom, undefined);
});

Deno.test("extract: linksFromSelector keeps links inside or matching the selector", () => {
  const $ = load(`
    <nav class="site"><a href="/about">About</a></nav>
    <ul class="products">
      <li><a href="tent.html">Tent</a> <a href="tent.html#reviews">Reviews</a></li>
      <li><a href="stove.html">Stove</a><a>no href</a><a href="http://[::1">bad</a></li>
    </ul>
    <map><area class="next" href="?page=2"></map>
    <a class="next" rel="next" href="?page=2">Next</a>
    <a class="next" href="mailto:shop@shop.test">Mail</a>`);
  assert.deepEqual(linksFromSelector($, ".products, .next", "https://shop.test/cat/"), [
    "https://shop.test/cat/tent.html",
    "https://shop.test/cat/tent.html#reviews",
    "https://shop.test/cat/stove.html",
    "https://shop.test/cat/?page=2",
    "mailto:shop@shop.test",
  ]);
  assert.deepEqual(linksFromSelector($, ".products li:first-child", "https://shop.test/cat/"), [
    "https://shop.test/cat/tent.html",
    "https://shop.test/cat/tent.html#reviews",
  ]);
  assert.deepEqual(linksFromSelector($, ".pagination", "https://shop.test/cat/"), []);
});

Deno.test("extract: linksFromSelector resolves against <base href>", () => {
  const $ = load('<base href="https://cdn.test/shop/"><div class="p"><a href="a.html">a</a></div>');
  assert.deepEqual(linksFromSelector($, ".p", "https://shop.test/x/"), [
    "https://cdn.test/shop/a.html",
  ]);
});

Deno.test("extract: the shop fixture rules extract the shop fixture pages", async () => {
  const rules = compileRules(await loadRules(`${RULES}shop.json`));
  const origin = "http://127.0.0.1:8000";
  const page = async (path: string) => {
    const url = `${origin}/${path}`;
    const $ = load(await Deno.readTextFile(`${SHOP}${path}`));
    const rule = rules.match(url);
    if (!rule) return undefined;
    return {
      rule: rule.name,
      ...rules.extract($, url, rule),
      links: rule.linksFrom === undefined ? undefined : linksFromSelector($, rule.linksFrom, url),
    };
  };
  assert.deepEqual(await page("index.html"), {
    rule: "home",
    data: {
      heading: "All products",
      page: 1,
      products: [`${origin}/products/alpine-tent.html`, `${origin}/products/trail-stove.html`],
      prices: [1299, 1249.5],
    },
    dataErrors: [],
    links: [
      `${origin}/products/alpine-tent.html`,
      `${origin}/products/trail-stove.html`,
      `${origin}/page/2.html`,
    ],
  });
  assert.deepEqual(await page("page/2.html"), {
    rule: "listing",
    data: {
      heading: "All products",
      page: 2,
      products: [`${origin}/products/down-jacket.html`],
      prices: [249],
    },
    dataErrors: [],
    links: [`${origin}/products/down-jacket.html`, `${origin}/index.html`],
  });
  assert.deepEqual(await page("products/alpine-tent.html"), {
    rule: "product",
    data: {
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
    dataErrors: [],
    links: [`${origin}/index.html`],
  });
  const stove = await page("products/trail-stove.html");
  assert.equal(stove?.data.price, 1249.5);
  assert.equal(stove?.data.inStock, false);
  assert.equal(stove?.data.released, "2021-11-02T08:30:00.000Z");
  assert.deepEqual(stove?.dataErrors, []);
  const jacket = await page("products/down-jacket.html");
  assert.equal(jacket?.data.price, 249);
  assert.equal(jacket?.data.sku, null);
  assert.deepEqual(jacket?.data.tags, []);
  assert.deepEqual(jacket?.dataErrors, [
    { field: "sku", error: "missing" },
    { field: "reviews", error: 'expected an integer: received "No reviews yet"' },
  ]);
  assert.deepEqual(jacket?.links, [`${origin}/index.html`, `${origin}/page/2.html`]);
  assert.equal(await page("about.html"), undefined);
});
