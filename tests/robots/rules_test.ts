import assert from "node:assert/strict";
import { parseRobots, productToken, ROBOTS_MAX_BYTES } from "../../src/robots/rules.ts";

const UA = "deno-crawler/0.1 (+https://example.invalid/crawler-contact)";
const SITE = "https://example.org";

/** Allowed or not, for each path, under `text` as parsed for `UA`. */
function verdicts(text: string, paths: string[], userAgent = UA): Record<string, boolean> {
  const robots = parseRobots(text, userAgent);
  return Object.fromEntries(paths.map((path) => [path, robots.isAllowed(SITE + path)]));
}

// --- parsing and group selection ---

Deno.test("robots: productToken takes the leading letters, '-' and '_'", () => {
  assert.equal(productToken(UA), "deno-crawler");
  assert.equal(productToken("  Foo_Bot/2.1"), "Foo_Bot");
  assert.equal(productToken("Mozilla/5.0 (compatible; deno-crawler)"), "Mozilla");
  assert.equal(productToken("/1.0"), "");
});

Deno.test("robots: the product token matches User-agent lines case-insensitively", () => {
  const text = "User-agent: *\nDisallow: /\n\nUser-agent: DENO-Crawler/9.9 extra\nDisallow: /own";
  assert.deepEqual(verdicts(text, ["/own", "/other"]), { "/own": false, "/other": true });
});

Deno.test("robots: only the product token of the crawler's UA is matched, not a prefix", () => {
  const text = "User-agent: deno\nDisallow: /\n\nUser-agent: deno-crawler-two\nDisallow: /";
  assert.deepEqual(verdicts(text, ["/a"]), { "/a": true });
});

Deno.test("robots: groups for the same agent are merged", () => {
  const text = [
    "User-agent: deno-crawler",
    "Disallow: /a",
    "User-agent: other",
    "Disallow: /b",
    "User-agent: deno-crawler",
    "Disallow: /c",
  ].join("\n");
  assert.deepEqual(verdicts(text, ["/a", "/b", "/c"]), { "/a": false, "/b": true, "/c": false });
});

Deno.test("robots: several User-agent lines open one group (RFC 9309 example)", () => {
  const text = "User-Agent: barbot\nUser-Agent: bazbot\nDisallow: /example/page.html\n";
  for (const agent of ["barbot/1", "bazbot/1"]) {
    assert.deepEqual(verdicts(text, ["/example/page.html"], agent), {
      "/example/page.html": false,
    });
  }
  assert.deepEqual(verdicts(text, ["/example/page.html"], "quxbot"), {
    "/example/page.html": true,
  });
});

Deno.test("robots: a User-agent line after a rule opens a new group", () => {
  const text = "User-agent: a\nDisallow: /a\nUser-agent: deno-crawler\nDisallow: /mine";
  assert.deepEqual(verdicts(text, ["/a", "/mine"]), { "/a": true, "/mine": false });
});

Deno.test("robots: the * group is the fallback, ignored when a specific group matches", () => {
  const text = "User-agent: *\nDisallow: /star\n\nUser-agent: otherbot\nDisallow: /other";
  assert.deepEqual(verdicts(text, ["/star", "/other"]), { "/star": false, "/other": true });
  const specific = text + "\n\nUser-agent: deno-crawler\nDisallow: /mine";
  assert.deepEqual(verdicts(specific, ["/star", "/mine"]), { "/star": true, "/mine": false });
});

Deno.test("robots: with no matching group and no * group everything is allowed", () => {
  assert.deepEqual(verdicts("User-agent: otherbot\nDisallow: /", ["/x"]), { "/x": true });
  assert.deepEqual(verdicts("", ["/x"]), { "/x": true });
});

Deno.test("robots: rules before any User-agent line are ignored", () => {
  assert.deepEqual(verdicts("Disallow: /\nUser-agent: *\nDisallow: /b", ["/a", "/b"]), {
    "/a": true,
    "/b": false,
  });
});

Deno.test("robots: field names are case-insensitive", () => {
  const text = "USER-AGENT: *\ndisALLOW: /a\nALLOW: /a/ok";
  assert.deepEqual(verdicts(text, ["/a/x", "/a/ok"]), { "/a/x": false, "/a/ok": true });
});

Deno.test("robots: comments and blank lines are ignored, also inside a group", () => {
  const text = "# header\nUser-agent: * # everyone\n\n# note\n\nDisallow: /a # why\nDisallow: /b#c";
  assert.deepEqual(verdicts(text, ["/a", "/b", "/bx"]), {
    "/a": false,
    "/b": false,
    "/bx": false,
  });
});

Deno.test("robots: CRLF and lone CR end lines", () => {
  assert.deepEqual(verdicts("User-agent: *\r\nDisallow: /a\r\nDisallow: /b", ["/a", "/b"]), {
    "/a": false,
    "/b": false,
  });
  assert.deepEqual(verdicts("User-agent: *\rDisallow: /a\rDisallow: /b", ["/a", "/b"]), {
    "/a": false,
    "/b": false,
  });
});

Deno.test("robots: a leading BOM is skipped, as text and as bytes", () => {
  const text = "\uFEFFUser-agent: *\nDisallow: /a";
  assert.deepEqual(verdicts(text, ["/a"]), { "/a": false });
  const bytes = new TextEncoder().encode(text);
  assert.equal(bytes[0], 0xef);
  assert.equal(parseRobots(bytes, UA).isAllowed(`${SITE}/a`), false);
});

Deno.test("robots: a missing colon is tolerated when the line has exactly two words", () => {
  assert.deepEqual(verdicts("User-agent *\nDisallow /a", ["/a", "/b"]), {
    "/a": false,
    "/b": true,
  });
  // Three words: not a rule (as in Google's parser).
  assert.deepEqual(verdicts("User-agent: *\nDisallow /a b", ["/a", "/a%20b"]), {
    "/a": true,
    "/a%20b": true,
  });
});

Deno.test("robots: an empty Disallow disallows nothing", () => {
  assert.deepEqual(verdicts("User-agent: *\nDisallow:", ["/", "/a"]), { "/": true, "/a": true });
});

Deno.test("robots: an empty Disallow still closes the User-agent list", () => {
  const text = "User-agent: *\nDisallow:\nUser-agent: other\nDisallow: /";
  assert.deepEqual(verdicts(text, ["/a"]), { "/a": true });
});

Deno.test("robots: Crawl-delay is read in seconds and exposed in ms", () => {
  assert.equal(parseRobots("User-agent: *\nCrawl-delay: 2", UA).crawlDelayMs, 2000);
  assert.equal(parseRobots("User-agent: *\nCrawl-delay: 0.5", UA).crawlDelayMs, 500);
  assert.equal(parseRobots("User-agent: *\nCrawl-delay: 5\nCrawl-delay: 2", UA).crawlDelayMs, 5000);
  assert.equal(parseRobots("User-agent: *\nCrawl-delay: soon", UA).crawlDelayMs, undefined);
  assert.equal(parseRobots("User-agent: *\nCrawl-delay: -3", UA).crawlDelayMs, undefined);
  assert.equal(parseRobots("User-agent: *\nDisallow: /", UA).crawlDelayMs, undefined);
});

Deno.test("robots: Crawl-delay comes from the selected group; merged groups keep the largest", () => {
  const text = [
    "User-agent: *",
    "Crawl-delay: 30",
    "User-agent: deno-crawler",
    "Crawl-delay: 1",
    "Disallow: /x",
    "User-agent: deno-crawler",
    "Crawl-delay: 3",
    "Disallow: /y",
  ].join("\n");
  assert.equal(parseRobots(text, UA).crawlDelayMs, 3000);
  assert.equal(parseRobots(text, "otherbot").crawlDelayMs, 30_000);
});

Deno.test("robots: Sitemap lines are collected from anywhere, absolute and deduplicated", () => {
  const text = [
    "Sitemap: https://example.org/a.xml",
    "User-agent: otherbot",
    "Disallow: /",
    "Sitemap: /b.xml",
    "sitemap: https://example.org/a.xml",
    "Sitemap: ftp://example.org/c.xml",
  ].join("\n");
  assert.deepEqual(parseRobots(text, UA, { baseUrl: `${SITE}/robots.txt` }).sitemaps, [
    "https://example.org/a.xml",
    "https://example.org/b.xml",
  ]);
  // Without a base, a relative sitemap URL cannot be made absolute: dropped.
  assert.deepEqual(parseRobots(text, UA).sitemaps, ["https://example.org/a.xml"]);
});

Deno.test("robots: only the first 500 KiB count, and a line cut there is dropped", () => {
  const head = "User-agent: *\nDisallow: /first\n";
  const pad = "#".repeat(ROBOTS_MAX_BYTES - head.length - 1) + "\n";
  const text = head + pad + "Disallow: /after\n";
  assert.equal(new TextEncoder().encode(head + pad).byteLength, ROBOTS_MAX_BYTES);
  assert.deepEqual(verdicts(text, ["/first", "/after"]), { "/first": false, "/after": true });
  // "Disallow: /cut-here" cut at the limit would read "Disallow: /" and block everything.
  const cut = head + "#".repeat(ROBOTS_MAX_BYTES - head.length - 12) + "\nDisallow: /cut-here\n";
  assert.deepEqual(verdicts(cut, ["/first", "/other"]), { "/first": false, "/other": true });
  // Multi-byte characters count as bytes: 3 bytes each here.
  const wide = head + "#" + "\u20ac".repeat(ROBOTS_MAX_BYTES / 3) + "\nDisallow: /after\n";
  assert.deepEqual(verdicts(wide, ["/after"]), { "/after": true });
});

// --- matching ---

Deno.test("robots: the longest matching rule wins (RFC 9309 example)", () => {
  const text = "User-agent: *\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif";
  assert.deepEqual(verdicts(text, ["/example/page/", "/example/page/disallowed.gif"]), {
    "/example/page/": true,
    "/example/page/disallowed.gif": false,
  });
  // Order does not matter, only length.
  const reversed = "User-agent: *\nDisallow: /a/b\nAllow: /a";
  assert.deepEqual(verdicts(reversed, ["/a/b", "/a/c"]), { "/a/b": false, "/a/c": true });
});

Deno.test("robots: rule length is counted in octets of the encoded pattern", () => {
  // "/é" is "/%C3%A9": 7 octets, longer than "/xxxxx" (6).
  const text = "User-agent: *\nDisallow: /\u00e9\nAllow: /*xxxx";
  assert.equal(parseRobots(text, UA).isAllowed(`${SITE}/\u00e9xxxx`), false);
});

Deno.test("robots: on a tie between Allow and Disallow, Allow wins", () => {
  const text = "User-agent: *\nDisallow: /page\nAllow: /page\nDisallow: /p*ge\nAllow: /pa*e";
  assert.deepEqual(verdicts(text, ["/page", "/puge"]), { "/page": true, "/puge": false });
});

Deno.test("robots: * matches any sequence and a final $ anchors the end", () => {
  const text = "User-agent: *\nDisallow: *.gif$\nDisallow: /this/*/exactly\nDisallow: /q$x";
  assert.deepEqual(
    verdicts(text, [
      "/a.gif",
      "/a.gif?x",
      "/a.gifs",
      "/this/a/b/exactly",
      "/this/exactly",
      "/q$x",
      "/q",
    ]),
    {
      "/a.gif": false,
      "/a.gif?x": true,
      "/a.gifs": true,
      "/this/a/b/exactly": false,
      "/this/exactly": true,
      "/q$x": false, // $ before the end is a literal
      "/q": true,
    },
  );
});

Deno.test("robots: rules match the path and the query, not the fragment", () => {
  const text = "User-agent: *\nDisallow: /search?q=\nDisallow: /*&sid=";
  assert.deepEqual(verdicts(text, ["/search", "/search?q=x", "/s?a=1&sid=2", "/s#&sid="]), {
    "/search": true,
    "/search?q=x": false,
    "/s?a=1&sid=2": false,
    "/s#&sid=": true,
  });
});

Deno.test("robots: percent-encoding is normalized on both sides (RFC 9309 2.2.2)", () => {
  const text = [
    "User-agent: *",
    "Disallow: /foo/bar/%62%61%7A", // unreserved escapes decoded
    "Disallow: /caf\u00e9", // non-ASCII encoded as UTF-8
    "Disallow: /x/%e3%83%84", // hex case does not matter
    "Disallow: /a%2Fb", // an escaped reserved character stays escaped
    "Disallow: /path/file-with-a-%2A.html", // %2A is a literal *
    "Disallow: /path/foo-%24", // %24 is a literal $
  ].join("\n");
  assert.deepEqual(
    verdicts(text, [
      "/foo/bar/baz",
      "/caf%C3%A9",
      "/caf\u00e9",
      "/x/%E3%83%84",
      "/x/\u30c4",
      "/a%2fb",
      "/a/b",
      "/path/file-with-a-*.html",
      "/path/file-with-a-x.html",
      "/path/foo-$",
      "/path/foo-",
    ]),
    {
      "/foo/bar/baz": false,
      "/caf%C3%A9": false,
      "/caf\u00e9": false,
      "/x/%E3%83%84": false,
      "/x/\u30c4": false,
      "/a%2fb": false,
      "/a/b": true,
      "/path/file-with-a-*.html": false,
      "/path/file-with-a-x.html": true,
      "/path/foo-$": false,
      "/path/foo-": true,
    },
  );
  // And the other way round: an escaped unreserved character in the URL.
  assert.equal(parseRobots("User-agent: *\nDisallow: /~me", UA).isAllowed(`${SITE}/%7eme`), false);
});

Deno.test("robots: /robots.txt itself is always allowed", () => {
  const robots = parseRobots("User-agent: *\nDisallow: /", UA);
  assert.equal(robots.isAllowed(`${SITE}/robots.txt`), true);
  assert.equal(robots.isAllowed(new URL(`${SITE}/robots.txt.bak`)), false);
});

Deno.test("robots: a pattern of many wildcards is matched in linear time", () => {
  const pattern = "/" + "a*".repeat(50) + "b";
  const robots = parseRobots(`User-agent: *\nDisallow: ${pattern}`, UA);
  assert.equal(robots.isAllowed(`${SITE}/${"a".repeat(2000)}`), true);
});

Deno.test("robots: isAllowed rejects a relative URL", () => {
  assert.throws(
    () => parseRobots("", UA).isAllowed("/a"),
    new TypeError("Cannot check robots.txt rules as 'url' must be an absolute URL: received /a"),
  );
});
