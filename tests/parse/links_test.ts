import assert from "node:assert/strict";
import { LinkResolver } from "../../src/parse/links.ts";
import { normalizeUrl } from "../../src/frontier/url.ts";

Deno.test("LinkResolver gives the same answers as URL parsing across pages sharing its cache", () => {
  const resolver = new LinkResolver({});
  const bases = [
    "http://a.test/d1/page.html",
    "http://a.test/d2/page.html",
    "http://a.test/d1/other.html?x=1",
    "https://a.test/d1/page.html",
    "http://b.test:8080/d1/page.html",
  ];
  const hrefs = [
    "x.html",
    "../y.html",
    "/abs",
    "//c.test/p",
    "?q=1",
    "#frag",
    "",
    " x.html ",
    "./",
  ];
  // Twice over, so the second pass answers from the cache.
  for (let pass = 0; pass < 2; pass++) {
    for (const base of bases) {
      const resolve = resolver.forBase(base);
      for (const href of hrefs) {
        const expected = URL.parse(href.trim(), base)!;
        expected.hash = "";
        const want = expected.href.endsWith("?") ? expected.href.slice(0, -1) : expected.href;
        assert.equal(resolve(href), want, `${href} against ${base}`);
      }
    }
  }
});

Deno.test("LinkResolver returns null for non-http(s) links and normalizes the rest", () => {
  const resolve = new LinkResolver({ stripParams: ["utm_*"] }).forBase("http://a.test/");
  assert.equal(resolve("mailto:x@a.test"), null);
  assert.equal(resolve("javascript:void(0)"), null);
  assert.equal(resolve("http://[bad"), null);
  assert.equal(resolve("/p?utm_source=x&id=2"), "http://a.test/p?id=2");
});

Deno.test("LinkResolver stays within its capacity", () => {
  const resolver = new LinkResolver({}, 3);
  const resolve = resolver.forBase("http://a.test/");
  for (let i = 0; i < 10; i++) assert.equal(resolve(`/p${i}`), `http://a.test/p${i}`);
  assert.equal(resolve("/p0"), "http://a.test/p0", "evicted entries are resolved again");
});

Deno.test("LinkResolver's plain-path shortcut agrees with URL parsing", () => {
  const resolve = new LinkResolver({});
  const bases = [
    "http://a.test/",
    "http://a.test/d1/d2/page.html?q=1",
    "https://a.test:8443/d1/",
    "http://[::1]:8080/x/y",
  ];
  const hrefs = [
    "p/1.html",
    "./p/1.html",
    "././x",
    "../x.html",
    "../../../../x",
    "../",
    "./",
    "..",
    ".",
    "/abs/x.tar.gz",
    "/",
    "/a/../b",
    "/A%7e",
    "x-y_z~1",
    "dir/",
    "a..b",
    ".hidden",
    "a/.b",
    "http://a.test/p/1.html#frag",
    "http://A.test/p",
    "http://a.test:80/p",
    "https://a.test:8443/x",
    "x.html#top",
    "/p?q=1#f",
    "p q",
    "../p/2.html#sec-1",
  ];
  for (const base of bases) {
    const page = resolve.forBase(base);
    for (const href of hrefs) {
      const expected = URL.parse(href, base)!;
      expected.hash = "";
      const want = expected.href.endsWith("?") ? expected.href.slice(0, -1) : expected.href;
      assert.equal(page(href), want.replace("%7e", "~"), `${href} against ${base}`);
    }
  }
});

Deno.test("LinkResolver's shortcut for links to other sites agrees with URL parsing", () => {
  const page = new LinkResolver({}).forBase("http://a.test/d1/page.html");
  const hrefs = [
    // In normal form already: the shortcut's.
    "http://b.test/p/1.html",
    "https://www.example.com/articles/65276",
    "http://external.invalid/ref/11647.html#sec",
    "http://b.test/",
    "http://a-b.c1.test/x-y_z~1/",
    "http://1.b.test/x",
    "http://b-.test/x",
    "http://-b.test/x",
    "http://ab--c.test/x",
    // Changed or refused by the parser: not the shortcut's.
    "http://B.test/x",
    "HTTP://b.test/x",
    "http://b.test",
    "http://b.test:80/x",
    "https://b.test:443/x",
    "http://b.test:8080/x",
    "http://b.test./x",
    "http://b..test/x",
    "http://.b.test/x",
    "http://xn--bcher-kva.example/x",
    "http://xn--a.test/x",
    "http://b.xn--zz/x",
    "http://1.2.3.4/x",
    "http://127.1/x",
    "http://b.0x7f/x",
    "http://b.1/x",
    "http://u@b.test/x",
    "http://u:p@b.test/x",
    "http://b.test/a/../b",
    "http://b.test//x",
    "http://b.test/%41",
    "http://b.test/x?q=1",
    "http://b.test/x.",
    "http://b_c.test/x",
    "http://b%41.test/x",
    "http://[::1]/x",
    "http://b.test\\x",
    // Scheme-relative: the page's scheme first.
    "//b.test/p/1.html",
    "//cdn.example.net/assets/12.html#x",
    "//B.test/x",
    "//b.test",
    "//b.test:80/x",
    "///x",
  ];
  for (const href of hrefs) {
    assert.equal(page(href), normalizeUrl(href, "http://a.test/d1/page.html") ?? null, href);
  }
});

Deno.test("LinkResolver agrees with URL parsing on '../' under a drive-letter-like segment", () => {
  // Found by fuzzing: Deno's URL parser keeps a `/c:/` segment on `..`, even in http URLs,
  // where the shortcut removed it.
  const resolve = new LinkResolver({});
  for (const base of ["http://a.test/p:/", "http://a.test/x/c|/y/", "http://a.test/c:/d/e"]) {
    const page = resolve.forBase(base);
    for (const href of ["../x", "../../x", "./../x#f", "x"]) {
      const expected = URL.parse(href, base)!;
      expected.hash = "";
      assert.equal(page(href), expected.href, `${href} against ${base}`);
    }
  }
});

Deno.test("LinkResolver trims long runs of spaces and controls around an href as URL parsing does", () => {
  // A regular expression for the trailing run took time quadratic in the spaces before the
  // "x" (minutes here): a page could stall the crawl's thread.
  const spaces = " \t\n".repeat(60_000);
  const resolve = new LinkResolver({}).forBase("http://a.test/docs/page.html");
  assert.equal(
    resolve(`${spaces}x${spaces}y${spaces}`),
    URL.parse(`x${spaces}y`, "http://a.test/docs/page.html")!.href,
  );
  assert.equal(resolve(`${spaces}other.html${spaces}`), "http://a.test/docs/other.html");
  assert.equal(resolve(spaces), "http://a.test/docs/page.html");
});
