import assert from "node:assert/strict";
import { LinkResolver } from "../src/link_resolver.ts";

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
