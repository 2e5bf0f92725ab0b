import assert from "node:assert/strict";
import { parseWithDom } from "../../src/parse/dom.ts";
import { parsePage, type ParsePageOptions } from "../../src/parse/page.ts";

/** Parses with the option's parser: the streaming scan, or a parse5 DOM. */
function parse(body: Uint8Array, contentType: string, url: string, options: ParsePageOptions) {
  return options.parser === "parse5"
    ? parseWithDom(body, contentType, url, options)
    : parsePage(body, contentType, url, options);
}
import { FIXTURES } from "../support/fixture_server.ts";

const enc = (html: string) => new TextEncoder().encode(html);
const BOTH = ["htmlparser2", "parse5"] as const;

Deno.test("parsePage gives the same result with htmlparser2 and parse5 on every fixture page", async () => {
  let pages = 0;
  for await (const path of walk(`${FIXTURES}site`)) {
    const body = await Deno.readFile(path);
    const url = `http://a.test${path.slice(`${FIXTURES}site`.length)}`;
    const fast = parse(body, "text/html", url, { parser: "htmlparser2" });
    const exact = parse(body, "text/html", url, { parser: "parse5" });
    assert.deepEqual(fast, exact, path);
    pages++;
  }
  assert.ok(pages > 50);
});

for (const parser of BOTH) {
  Deno.test(`parsePage (${parser}) resolves links against a <base href> that comes after them`, () => {
    const html = `<a href="x.html">x</a><head><base href="/sub/"></head><a href="../y.html">y</a>`;
    const page = parse(enc(html), "text/html", "http://a.test/dir/page.html", { parser });
    assert.deepEqual(page.links, ["http://a.test/sub/x.html", "http://a.test/y.html"]);
  });

  Deno.test(`parsePage (${parser}) keeps nofollow links listed but not followed`, () => {
    const html = `<a href="/a" rel="NoFollow">a</a><a href="/b">b</a><area href="/c" rel="external">
      <a href="/b#frag">b again</a><a href="mailto:x@y">m</a><a href="javascript:void(0)">j</a>`;
    const page = parse(enc(html), "text/html", "http://a.test/", { parser });
    assert.deepEqual(page.links, ["http://a.test/a", "http://a.test/b", "http://a.test/c"]);
    assert.deepEqual(page.follow, ["http://a.test/b", "http://a.test/c"]);
    const all = parse(enc(html), "text/html", "http://a.test/", {
      parser,
      followNofollow: true,
    });
    assert.deepEqual(all.follow, all.links);
  });

  Deno.test(`parsePage (${parser}) follows nothing on a meta robots nofollow page`, () => {
    for (const content of ["nofollow", "NOINDEX, NOFOLLOW", "none"]) {
      const html = `<meta name="Robots" content="${content}"><a href="/a">a</a>`;
      const page = parse(enc(html), "text/html", "http://a.test/", { parser });
      assert.deepEqual(page.links, ["http://a.test/a"]);
      assert.deepEqual(page.follow, [], content);
    }
  });

  Deno.test(`parsePage (${parser}) reads title, description, canonical and h1 with entities decoded`, () => {
    const html = `<html><head><title>  Fish &amp; Chips\n </title>
      <meta name="DESCRIPTION" content="Best &quot;chips&quot;">
      <link rel="alternate canonical" href="../canon?x=1"></head>
      <body><h1>One <em>big</em> title</h1><h1>   </h1><h1>Two</h1></body></html>`;
    const page = parse(enc(html), "text/html", "http://a.test/d/p", { parser });
    assert.equal(page.title, "Fish & Chips");
    assert.equal(page.description, 'Best "chips"');
    assert.equal(page.canonical, "http://a.test/canon?x=1");
    assert.deepEqual(page.h1, ["One big title", "Two"]);
  });
}

Deno.test("parsePage returns nulls for a page without the fields", () => {
  const page = parsePage(enc("<p>plain</p>"), "text/html", "http://a.test/");
  assert.deepEqual(page, {
    title: null,
    description: null,
    canonical: null,
    h1: [],
    links: [],
    follow: [],
  });
});

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* walk(path);
    else if (entry.name.endsWith(".html")) yield path;
  }
}

Deno.test("parsePage decodes character references like parse5 does, in text and attributes", () => {
  const html = `<title>Fish &amp; Chips &#x263A; &copy 2026 &notanentity;</title>
    <meta name="description" content="&lt;b&gt; &quot;bold&quot;">
    <h1>A &amp;<b>B</b> &#60;tag&#62;</h1>
    <a href="/search?q=1&amp;r=2">amp</a><a href="/legal?x=1&copy=2">legacy</a>
    <a href="/caf&eacute;">named</a><a href="&#x2F;slash">numeric</a>`;
  const body = new TextEncoder().encode(html);
  const fast = parse(body, "text/html", "http://a.test/", { parser: "htmlparser2" });
  const exact = parse(body, "text/html", "http://a.test/", { parser: "parse5" });
  assert.deepEqual(fast, exact);
  // "&not" is a legacy reference: decoded even without its semicolon, as the spec says.
  assert.equal(fast.title, "Fish & Chips ☺ © 2026 ¬anentity;");
  assert.ok(fast.links.includes("http://a.test/search?q=1&r=2"));
  assert.ok(fast.links.includes("http://a.test/legal?x=1&copy=2"), "no decoding before '='");
});

Deno.test("parsePage closes an h1 at any heading end tag, as parse5 does", () => {
  const html = "<h1>Product name</h2><script>var x = 1;</script><p>text</p><h1>Second</h1>";
  const body = new TextEncoder().encode(html);
  const fast = parse(body, "text/html", "http://a.test/", { parser: "htmlparser2" });
  const exact = parse(body, "text/html", "http://a.test/", { parser: "parse5" });
  assert.deepEqual(fast.h1, ["Product name", "Second"]);
  assert.deepEqual(fast.h1, exact.h1);
});

Deno.test("parsePage splits nested headings as parse5 does", () => {
  for (
    const html of ["<h1>a<h1>b</h1></h1>", "<h1>a<h2>sub</h2>tail</h1>", "<h1>one</h1><h1>two"]
  ) {
    const body = new TextEncoder().encode(html);
    const fast = parse(body, "text/html", "http://a.test/", { parser: "htmlparser2" });
    const exact = parse(body, "text/html", "http://a.test/", { parser: "parse5" });
    assert.deepEqual(fast.h1, exact.h1, html);
  }
});
