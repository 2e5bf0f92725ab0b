import assert from "node:assert/strict";
import {
  fetchRobots,
  parseRobots,
  productToken,
  ROBOTS_MAX_BYTES,
  RobotsCache,
} from "../src/robots.ts";
import { startFixtureServer } from "./fixture_server.ts";

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

// --- fetch policy, against real servers on 127.0.0.1 ---

const OPTIONS = { timeoutMs: 5_000, userAgent: UA };
const DISALLOW_ROOT = "User-agent: *\nDisallow: /\n";

Deno.test("robots: fetchRobots parses a 2xx and sends the User-Agent", async () => {
  await using server = startFixtureServer({
    routes: {
      "/robots.txt": () =>
        new Response(
          "User-agent: deno-crawler\nDisallow: /private\nCrawl-delay: 1\nSitemap: /sitemap.xml\n",
        ),
    },
  });
  const result = await fetchRobots(server.origin, OPTIONS);
  assert.equal(result.kind, "parsed");
  assert.equal(result.status, 200);
  assert.equal(result.url, `${server.origin}/robots.txt`);
  assert.equal(result.robots.isAllowed(`${server.origin}/private/a`), false);
  assert.equal(result.robots.isAllowed(`${server.origin}/public`), true);
  assert.equal(result.robots.crawlDelayMs, 1000);
  assert.deepEqual(result.robots.sitemaps, [`${server.origin}/sitemap.xml`]);
  assert.deepEqual(server.log.map((entry) => [entry.path, entry.userAgent]), [
    ["/robots.txt", UA],
  ]);
});

Deno.test("robots: fetchRobots allows everything on a 4xx", async () => {
  let status = 0;
  await using server = startFixtureServer({
    routes: { "/robots.txt": () => new Response(DISALLOW_ROOT, { status }) },
  });
  for (status of [400, 401, 403, 404, 410]) {
    const result = await fetchRobots(server.origin, OPTIONS);
    assert.equal(result.kind, "allow_all", `HTTP ${status}`);
    assert.equal(result.status, status);
    assert.equal(result.reason, `HTTP ${status}`);
    assert.equal(result.robots.isAllowed(`${server.origin}/a`), true);
  }
});

Deno.test("robots: fetchRobots disallows everything on a 5xx or a 429", async () => {
  let status = 0;
  await using server = startFixtureServer({
    routes: { "/robots.txt": () => new Response("User-agent: *\nAllow: /\n", { status }) },
  });
  for (status of [500, 503, 429]) {
    const result = await fetchRobots(server.origin, OPTIONS);
    assert.equal(result.kind, "disallow_all", `HTTP ${status}`);
    assert.equal(result.status, status);
    assert.equal(result.robots.isAllowed(`${server.origin}/a`), false);
  }
});

Deno.test("robots: fetchRobots disallows everything when the server is unreachable", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(),
  );
  const origin = `http://127.0.0.1:${server.addr.port}`;
  await server.shutdown();
  const result = await fetchRobots(origin, OPTIONS);
  assert.equal(result.kind, "disallow_all");
  assert.equal(result.status, null);
  assert.equal(result.reason, "refused");
  assert.equal(result.robots.isAllowed(`${origin}/a`), false);
});

Deno.test("robots: fetchRobots disallows everything when the deadline passes", async () => {
  const release = Promise.withResolvers<void>();
  // Only so that a fetch without a deadline fails the test instead of hanging it.
  const fallback = setTimeout(release.resolve, 10_000);
  await using server = startFixtureServer({
    routes: {
      "/robots.txt": async () => {
        // Never answers in time; finishes when the test ends, so the server can shut down.
        await release.promise;
        return new Response("User-agent: *\nAllow: /\n");
      },
    },
  });
  try {
    const result = await fetchRobots(server.origin, { ...OPTIONS, timeoutMs: 100 });
    assert.equal(result.kind, "disallow_all");
    assert.equal(result.reason, "timeout");
    assert.equal(result.robots.isAllowed(`${server.origin}/a`), false);
  } finally {
    clearTimeout(fallback);
    release.resolve();
  }
});

/** `/robots.txt` → `/hop/1` → … → `/hop/N`, which serves `body`: N redirects. */
function redirectServer(hops: number, body: string) {
  const codes = [301, 302, 307, 308];
  const routes: Record<string, () => Response> = {
    "/robots.txt": () => new Response(null, { status: 301, headers: { location: "/hop/1" } }),
  };
  for (let i = 1; i <= hops; i++) {
    routes[`/hop/${i}`] = () =>
      i === hops ? new Response(body) : new Response(null, {
        status: codes[i % codes.length],
        // Relative and absolute Locations, alternately.
        headers: { location: i % 2 ? `/hop/${i + 1}` : `${server.origin}/hop/${i + 1}` },
      });
  }
  const server = startFixtureServer({ routes });
  return server;
}

Deno.test("robots: fetchRobots follows up to 5 redirects", async () => {
  for (const hops of [3, 5]) {
    await using server = redirectServer(hops, DISALLOW_ROOT);
    const result = await fetchRobots(server.origin, OPTIONS);
    assert.equal(result.kind, "parsed", `${hops} redirects`);
    assert.equal(result.url, `${server.origin}/hop/${hops}`);
    assert.equal(result.robots.isAllowed(`${server.origin}/a`), false);
  }
});

Deno.test("robots: fetchRobots allows everything after more than 5 redirects", async () => {
  await using server = redirectServer(6, DISALLOW_ROOT);
  const result = await fetchRobots(server.origin, OPTIONS);
  assert.equal(result.kind, "allow_all");
  assert.equal(result.reason, "more than 5 redirects");
  assert.equal(result.robots.isAllowed(`${server.origin}/a`), true);
  assert.equal(server.hits.has("/hop/6"), false, "the 6th redirect is not followed");
  assert.equal(server.hits.get("/hop/5"), 1);
});

Deno.test("robots: fetchRobots reads only the first 500 KiB and cancels the rest", async () => {
  const encoder = new TextEncoder();
  const head = "User-agent: *\nDisallow: /first\n";
  const pad = "#".repeat(ROBOTS_MAX_BYTES - head.length - 1) + "\n";
  const filler = encoder.encode("#".repeat(65_535) + "\n");
  const ended = Promise.withResolvers<string>();
  await using server = startFixtureServer({
    routes: {
      "/robots.txt": () => {
        let pulls = 0;
        // 64 MiB in all, made on demand: more than any socket buffer holds.
        const body = new ReadableStream<Uint8Array>({
          pull(controller) {
            if (pulls === 0) controller.enqueue(encoder.encode(head + pad + "Disallow: /after\n"));
            else if (pulls <= 1024) controller.enqueue(filler);
            else {
              controller.close();
              ended.resolve("completed");
            }
            pulls++;
          },
          cancel() {
            ended.resolve("cancelled");
          },
        });
        return new Response(body);
      },
    },
  });
  const result = await fetchRobots(server.origin, { ...OPTIONS, timeoutMs: 30_000 });
  assert.equal(result.kind, "parsed");
  assert.equal(result.robots.isAllowed(`${server.origin}/first`), false);
  assert.equal(result.robots.isAllowed(`${server.origin}/after`), true);
  // Uncancelled, the body would stay open until the 30 s deadline: a generous bound below it.
  const fallback = setTimeout(() => ended.resolve("still open"), 10_000);
  assert.equal(await ended.promise, "cancelled");
  clearTimeout(fallback);
});

Deno.test("robots: fetchRobots rejects with the crawl signal's reason", async () => {
  const controller = new AbortController();
  const stop = new Error("crawl stopped");
  await using server = startFixtureServer({
    routes: {
      "/robots.txt": () => {
        controller.abort(stop); // while the request is in flight
        return new Response("");
      },
    },
  });
  await assert.rejects(fetchRobots(server.origin, { ...OPTIONS, signal: controller.signal }), stop);
  await assert.rejects(fetchRobots(server.origin, { ...OPTIONS, signal: controller.signal }), stop);
  assert.equal(server.hits.get("/robots.txt"), 1, "an aborted signal sends no request");
});

Deno.test("robots: fetchRobots checks its arguments", async () => {
  await assert.rejects(
    fetchRobots("ftp://example.org", OPTIONS),
    new TypeError(
      "Cannot fetch robots.txt as 'origin' must be an http(s) URL: received ftp://example.org",
    ),
  );
  await assert.rejects(
    fetchRobots("http://127.0.0.1:9", { ...OPTIONS, timeoutMs: 0 }),
    new RangeError(
      "Cannot fetch robots.txt as 'timeoutMs' must be a positive number: received 0",
    ),
  );
});

// --- the cache ---

Deno.test("robots: RobotsCache fetches once per origin for concurrent callers", async () => {
  await using one = startFixtureServer({
    routes: { "/robots.txt": () => new Response(DISALLOW_ROOT) },
  });
  await using two = startFixtureServer({
    hostname: "127.0.0.2",
    routes: { "/robots.txt": () => new Response("") },
  });
  const cache = new RobotsCache(OPTIONS);
  const results = await Promise.all([
    ...Array.from({ length: 5 }, () => cache.get(one.origin)),
    cache.get(`${one.origin}/some/page?q=1`),
    cache.get(two.origin),
  ]);
  assert.equal(one.hits.get("/robots.txt"), 1);
  assert.equal(two.hits.get("/robots.txt"), 1);
  for (const result of results.slice(1, 6)) assert.equal(result, results[0]);
  assert.equal(results[0]!.robots.isAllowed(`${one.origin}/a`), false);
  assert.equal(results[6]!.robots.isAllowed(`${two.origin}/a`), true);
  // Kept for the crawl.
  assert.equal(await cache.get(one.origin), results[0]);
  assert.equal(one.hits.get("/robots.txt"), 1);
});

Deno.test("robots: RobotsCache retries an unreachable origin after retryAfterMs", async () => {
  let answers = [503, 200];
  await using server = startFixtureServer({
    routes: {
      "/robots.txt": () => new Response(DISALLOW_ROOT, { status: answers.shift() ?? 500 }),
    },
  });
  const cache = new RobotsCache({ ...OPTIONS, retryAfterMs: 0 });
  assert.equal((await cache.get(server.origin)).kind, "disallow_all");
  assert.equal((await cache.get(server.origin)).kind, "parsed");
  // A parsed result is never refetched.
  assert.equal((await cache.get(server.origin)).kind, "parsed");
  assert.equal(server.hits.get("/robots.txt"), 2);

  answers = [404, 200];
  const notFound = new RobotsCache({ ...OPTIONS, retryAfterMs: 0 });
  assert.equal((await notFound.get(server.origin)).kind, "allow_all");
  assert.equal((await notFound.get(server.origin)).kind, "allow_all", "allow_all is kept");
  assert.equal(server.hits.get("/robots.txt"), 3);
});

Deno.test("robots: RobotsCache keeps an unreachable origin disallowed until retryAfterMs", async () => {
  let status = 500;
  await using server = startFixtureServer({
    routes: { "/robots.txt": () => new Response("", { status }) },
  });
  const cache = new RobotsCache(OPTIONS); // default retryAfterMs: 60 s
  const first = await cache.get(server.origin);
  assert.equal(first.kind, "disallow_all");
  status = 200;
  assert.equal(await cache.get(server.origin), first);
  assert.equal(server.hits.get("/robots.txt"), 1);
});

Deno.test("robots: RobotsCache.get's signal stops one caller, not the shared fetch", async () => {
  const arrived = Promise.withResolvers<void>();
  const release = Promise.withResolvers<void>();
  await using server = startFixtureServer({
    routes: {
      "/robots.txt": async () => {
        arrived.resolve();
        await release.promise;
        return new Response(DISALLOW_ROOT);
      },
    },
  });
  const cache = new RobotsCache(OPTIONS);
  const controller = new AbortController();
  const stop = new Error("caller gone");
  const leaving = cache.get(server.origin, { signal: controller.signal });
  const staying = cache.get(server.origin);
  await arrived.promise;
  controller.abort(stop);
  // Only so that an ignored signal fails the test instead of hanging it.
  const fallback = setTimeout(release.resolve, 10_000);
  await assert.rejects(leaving, stop);
  clearTimeout(fallback);
  release.resolve();
  assert.equal((await staying).kind, "parsed");
  assert.equal(server.hits.get("/robots.txt"), 1);
  await assert.rejects(cache.get(server.origin, { signal: controller.signal }), stop);
});

Deno.test("robots: RobotsCache rejects with the crawl signal's reason and caches nothing", async () => {
  await using server = startFixtureServer({ routes: { "/robots.txt": () => new Response("") } });
  const stop = new Error("crawl stopped");
  const cache = new RobotsCache({ ...OPTIONS, signal: AbortSignal.abort(stop) });
  await assert.rejects(cache.get(server.origin), stop);
  await assert.rejects(cache.get(server.origin), stop);
  assert.equal(server.hits.has("/robots.txt"), false);
});

Deno.test("robots: RobotsCache checks its arguments", async () => {
  assert.throws(
    () => new RobotsCache({ ...OPTIONS, timeoutMs: -1 }),
    new RangeError(
      "Cannot create robots cache as 'timeoutMs' must be a positive number: received -1",
    ),
  );
  assert.throws(
    () => new RobotsCache({ ...OPTIONS, retryAfterMs: Number.NaN }),
    new RangeError(
      "Cannot create robots cache as 'retryAfterMs' must be a non-negative number: received NaN",
    ),
  );
  await assert.rejects(
    new RobotsCache(OPTIONS).get("example.org"),
    new TypeError("Cannot get robots.txt as 'origin' must be an http(s) URL: received example.org"),
  );
});
