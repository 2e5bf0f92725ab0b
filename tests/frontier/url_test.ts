import assert from "node:assert/strict";
import { normalizeUrl } from "../../src/frontier/url.ts";
import { createScope } from "../../src/frontier/scope.ts";

Deno.test("normalizeUrl lower-cases scheme and host and drops the default port", () => {
  assert.equal(normalizeUrl("HTTP://Example.ORG:80/Path"), "http://example.org/Path");
  assert.equal(normalizeUrl("https://example.org:443/"), "https://example.org/");
  assert.equal(normalizeUrl("https://example.org:8443/"), "https://example.org:8443/");
});

Deno.test("normalizeUrl drops the fragment and an empty query", () => {
  assert.equal(normalizeUrl("http://a.test/p?#frag"), "http://a.test/p");
  assert.equal(normalizeUrl("http://a.test/p#frag"), "http://a.test/p");
  assert.equal(normalizeUrl("http://a.test/p?x=1#frag"), "http://a.test/p?x=1");
});

Deno.test("normalizeUrl resolves dot segments and relative references", () => {
  assert.equal(normalizeUrl("http://a.test/a/./b/../c"), "http://a.test/a/c");
  assert.equal(normalizeUrl("../x", "http://a.test/a/b/c"), "http://a.test/a/x");
  assert.equal(normalizeUrl("//b.test/y", "https://a.test/"), "https://b.test/y");
});

Deno.test("normalizeUrl normalizes percent-encoding", () => {
  assert.equal(normalizeUrl("http://a.test/%7euser/%2f%41"), "http://a.test/~user/%2FA");
  assert.equal(normalizeUrl("http://a.test/?q=%7e%2f"), "http://a.test/?q=~%2F");
});

Deno.test("normalizeUrl decodes the escape of every unreserved byte and upper-cases every other, in path and query", () => {
  for (let byte = 0; byte < 256; byte++) {
    const upper = byte.toString(16).toUpperCase().padStart(2, "0");
    const char = String.fromCharCode(byte);
    const expected = /[A-Za-z0-9\-._~]/.test(char) ? char : `%${upper}`;
    for (const hex of new Set([upper, upper.toLowerCase(), upper[0] + upper[1].toLowerCase()])) {
      // Each escape alone, and among upper-case escapes of reserved characters.
      for (
        const [written, normal] of [[`%${hex}`, expected], [`%20%${hex}%3C`, `%20${expected}%3C`]]
      ) {
        assert.equal(
          normalizeUrl(`http://a.test/x${written}y?q=${written}`),
          `http://a.test/x${normal}y?q=${normal}`,
          `%${hex}`,
        );
      }
    }
  }
});

Deno.test("normalizeUrl rejects non-http(s) and invalid URLs", () => {
  assert.equal(normalizeUrl("mailto:a@b.test"), undefined);
  assert.equal(normalizeUrl("javascript:void(0)"), undefined);
  assert.equal(normalizeUrl("ftp://a.test/"), undefined);
  assert.equal(normalizeUrl("http://"), undefined);
});

Deno.test("normalizeUrl strips tracking parameters and sorts the query on request", () => {
  const options = { stripParams: ["utm_*", "fbclid"], sortQuery: true };
  assert.equal(
    normalizeUrl("http://a.test/p?b=2&utm_source=x&a=1&fbclid=z&a=0", undefined, options),
    "http://a.test/p?a=1&a=0&b=2",
  );
  assert.equal(normalizeUrl("http://a.test/p?utm_medium=y", undefined, options), "http://a.test/p");
  // Raw bytes of kept parameters are left as they were.
  assert.equal(
    normalizeUrl("http://a.test/p?q=a%20b&r=c+d", undefined, { sortQuery: true }),
    "http://a.test/p?q=a%20b&r=c+d",
  );
});

Deno.test("createScope host mode keeps the seed host and port only", () => {
  const inScope = createScope(["http://a.test:8080/"], { scope: "host", include: [], exclude: [] });
  assert.ok(inScope("http://a.test:8080/x"));
  assert.ok(!inScope("http://a.test/x"));
  assert.ok(!inScope("http://sub.a.test:8080/x"));
});

Deno.test("createScope domain mode admits subdomains of the seed's domain", () => {
  const inScope = createScope(["https://www.a.test/"], {
    scope: "domain",
    include: [],
    exclude: [],
  });
  assert.ok(inScope("https://a.test/"));
  assert.ok(inScope("http://blog.a.test:81/"));
  assert.ok(!inScope("https://nota.test/"));
  assert.ok(!inScope("https://a.test.evil.test/"));
});

Deno.test("createScope applies include and exclude patterns", () => {
  const inScope = createScope(["http://a.test/"], {
    scope: "any",
    include: ["/docs/"],
    exclude: ["\\.pdf$"],
  });
  assert.ok(inScope("http://other.test/docs/x"));
  assert.ok(!inScope("http://a.test/blog/x"));
  assert.ok(!inScope("http://a.test/docs/x.pdf"));
});

Deno.test("normalizeUrl drops an empty fragment and keeps a query ending in '?'", () => {
  assert.equal(normalizeUrl("http://a.test/x#"), "http://a.test/x");
  assert.equal(normalizeUrl("http://a.test/x?#"), "http://a.test/x");
  assert.equal(normalizeUrl("#", "http://a.test/p"), "http://a.test/p");
  assert.equal(normalizeUrl("http://a.test/search?q=what?"), "http://a.test/search?q=what?");
  assert.equal(
    normalizeUrl("http://a.test/x?q=1?", undefined, { sortQuery: true }),
    "http://a.test/x?q=1?",
  );
  assert.equal(
    normalizeUrl("http://a.test/x?utm_source=y", undefined, { stripParams: ["utm_*"] }),
    "http://a.test/x",
  );
});

Deno.test("normalizeUrl keeps a query that starts with '?'", () => {
  // Found by fuzzing: the search setter ate the query's own leading "?".
  assert.equal(normalizeUrl("http://a.test/p??a=1"), "http://a.test/p??a=1");
  assert.equal(normalizeUrl("http://a.test/p??"), "http://a.test/p??");
  assert.equal(normalizeUrl(normalizeUrl("http://a.test/p??")!), "http://a.test/p??");
  assert.equal(
    normalizeUrl("http://a.test/p??b=2&a=1", undefined, { sortQuery: true }),
    "http://a.test/p??b=2&a=1",
  );
});

Deno.test("normalizeUrl decodes no escape into a new one after a stray '%'", () => {
  // Found by fuzzing: "%3%61" became "%3a", an escape of ":", then "%3A" on the next pass.
  assert.equal(normalizeUrl("http://a.test/%3%61?q=%3%61"), "http://a.test/%3%61?q=%3%61");
  assert.equal(normalizeUrl("http://a.test/%%61b"), "http://a.test/%%61b");
  assert.equal(normalizeUrl("http://a.test/%%7e%41"), "http://a.test/%~A");
  assert.equal(normalizeUrl("http://a.test/%2%2e"), "http://a.test/%2.");
});
