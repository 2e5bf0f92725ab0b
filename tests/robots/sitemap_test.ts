import assert from "node:assert/strict";
import {
  type CollectSitemapsOptions,
  collectSitemapUrls,
  defaultSitemapUrl,
} from "../../src/robots/sitemap.ts";
import { type Routes, startFixtureServer } from "../support/fixture_server.ts";
import { gzip, gzipBomb, measurePeakRss, sitemapIndex, urlset } from "./sitemap_helpers.ts";

function xml(text: string, headers: Record<string, string> = {}): () => Response {
  return () => new Response(text, { headers: { "content-type": "application/xml", ...headers } });
}

function options(overrides: Partial<CollectSitemapsOptions> = {}): CollectSitemapsOptions {
  return {
    timeoutMs: 5_000,
    maxBytes: 1024 * 1024,
    maxUrls: 1_000,
    maxSitemaps: 20,
    userAgent: "sitemap-test/1.0",
    ...overrides,
  };
}

function serve(routes: Routes) {
  return startFixtureServer({ routes });
}

Deno.test("sitemap: a gzip bomb stops at maxBytes without inflating it all", async () => {
  const bomb = await gzipBomb(50); // 50 MiB of zeros in ~50 KiB
  await using site = serve({
    "/bomb.xml.gz": () => new Response(bomb, { headers: { "content-type": "application/gzip" } }),
    "/ok.xml": (_, { origin }) => xml(urlset([{ loc: `${origin}/fine` }]))(),
  });
  const growth = await measurePeakRss();
  const result = await collectSitemapUrls(
    [`${site.origin}/bomb.xml.gz`, `${site.origin}/ok.xml`],
    options({ maxBytes: 256 * 1024 }),
  );
  // Inflating a whole network read (16 KiB and up) at once would take 16 MiB and up.
  const grown = await growth?.();
  if (grown !== undefined) assert.ok(grown < 12 * 1024 * 1024, `peak RSS grew by ${grown} bytes`);
  assert.deepEqual(result.errors, [{
    sitemap: `${site.origin}/bomb.xml.gz`,
    error: "Cannot read sitemap as it exceeds 262144 bytes uncompressed",
  }]);
  assert.deepEqual(result.urls.map((u) => u.url), [`${site.origin}/fine`]);
});

Deno.test("sitemap: defaultSitemapUrl is /sitemap.xml at the origin", () => {
  assert.equal(defaultSitemapUrl("http://127.0.0.1:8080"), "http://127.0.0.1:8080/sitemap.xml");
  assert.equal(defaultSitemapUrl("https://example.org/"), "https://example.org/sitemap.xml");
  assert.equal(
    defaultSitemapUrl(new URL("https://example.org/a/b?c")),
    "https://example.org/sitemap.xml",
  );
  assert.throws(() => defaultSitemapUrl("not a url"), TypeError);
});

Deno.test("sitemap: a plain urlset yields its URLs with lastmod, dropping non-http locs", async () => {
  await using site = serve({
    "/sitemap.xml": (_, { origin }) =>
      xml(urlset([
        { loc: `${origin}/a.html`, lastmod: "2024-05-01" },
        { loc: `${origin}/b.html` },
        { loc: "ftp://example.org/file" },
        { loc: "mailto:a@example.org" },
        { loc: "/relative.html" },
        { loc: `${origin}/a.html`, lastmod: "2030-01-01" },
      ]))(),
  });
  const sitemap = defaultSitemapUrl(site.origin);
  const result = await collectSitemapUrls([sitemap], options());
  assert.deepEqual(result, {
    urls: [
      { url: `${site.origin}/a.html`, lastmod: "2024-05-01", sitemap },
      { url: `${site.origin}/b.html`, sitemap },
    ],
    errors: [],
    truncated: false,
  });
  // Only the sitemap was fetched, with the crawler's user agent.
  assert.deepEqual(site.log.map((e) => [e.path, e.userAgent]), [
    ["/sitemap.xml", "sitemap-test/1.0"],
  ]);
});

Deno.test("sitemap: an index leads to its children, a gzipped .xml.gz one included", async () => {
  await using site = serve({
    "/sitemap_index.xml": (_, { origin }) =>
      xml(sitemapIndex([`${origin}/posts.xml`, `${origin}/pages.xml.gz`]))(),
    "/posts.xml": (_, { origin }) =>
      xml(
        urlset([{ loc: `${origin}/post-1`, lastmod: "2024-02-02" }, { loc: `${origin}/post-2` }]),
      )(),
    "/pages.xml.gz": async (_, { origin }) =>
      new Response(await gzip(urlset([{ loc: `${origin}/about`, lastmod: "2023-12-31" }])), {
        headers: { "content-type": "application/gzip" },
      }),
  });
  const index = `${site.origin}/sitemap_index.xml`;
  const result = await collectSitemapUrls([index], options());
  assert.deepEqual(result.errors, []);
  assert.deepEqual(result.urls, [
    { url: `${site.origin}/post-1`, lastmod: "2024-02-02", sitemap: `${site.origin}/posts.xml` },
    { url: `${site.origin}/post-2`, sitemap: `${site.origin}/posts.xml` },
    { url: `${site.origin}/about`, lastmod: "2023-12-31", sitemap: `${site.origin}/pages.xml.gz` },
  ]);
});

Deno.test("sitemap: a Content-Encoding: gzip body that fetch inflated is not gunzipped again", async () => {
  const encoded = (data: string | Uint8Array<ArrayBuffer>) => async () =>
    new Response(await gzip(data), {
      headers: { "content-type": "application/xml", "content-encoding": "gzip" },
    });
  await using site = serve({
    "/encoded.xml": (_, { origin }) => encoded(urlset([{ loc: `${origin}/one` }]))(),
    // A .gz name, but the server sent it as transfer compression: the bytes fetch
    // hands over are plain XML, so the magic bytes, not the name, decide.
    "/named.xml.gz": (_, { origin }) => encoded(urlset([{ loc: `${origin}/two` }]))(),
    // Both: a gzip file sent gzip-encoded; fetch removes one layer, we the other.
    "/double.xml.gz": async (_, { origin }) =>
      encoded(await gzip(urlset([{ loc: `${origin}/three` }])))(),
  });
  const result = await collectSitemapUrls(
    [`${site.origin}/encoded.xml`, `${site.origin}/named.xml.gz`, `${site.origin}/double.xml.gz`],
    options(),
  );
  assert.deepEqual(result.errors, []);
  assert.deepEqual(result.urls.map((u) => u.url), [
    `${site.origin}/one`,
    `${site.origin}/two`,
    `${site.origin}/three`,
  ]);
});

Deno.test("sitemap: an index loop A -> B -> A fetches each sitemap once", async () => {
  await using site = serve({
    "/a.xml": (_, { origin }) => xml(sitemapIndex([`${origin}/b.xml`, `${origin}/leaf-a.xml`]))(),
    "/b.xml": (_, { origin }) =>
      xml(sitemapIndex([`${origin}/a.xml`, `${origin}/b.xml#self`, `${origin}/leaf-b.xml`]))(),
    "/leaf-a.xml": (_, { origin }) => xml(urlset([{ loc: `${origin}/from-a` }]))(),
    "/leaf-b.xml": (_, { origin }) => xml(urlset([{ loc: `${origin}/from-b` }]))(),
  });
  // A depth limit this high cannot be what ends the loop.
  const result = await collectSitemapUrls([`${site.origin}/a.xml`], options({ maxDepth: 100 }));
  assert.deepEqual(result.errors, []);
  assert.deepEqual(result.urls.map((u) => u.url), [
    `${site.origin}/from-a`,
    `${site.origin}/from-b`,
  ]);
  assert.deepEqual(Object.fromEntries(site.hits), {
    "/a.xml": 1,
    "/b.xml": 1,
    "/leaf-a.xml": 1,
    "/leaf-b.xml": 1,
  });
});

Deno.test("sitemap: 404, 500, malformed XML and HTML are errors that do not stop the rest", async () => {
  await using site = serve({
    "/broken.xml": xml("<<this is <not xml &&&"),
    "/error.xml": () => new Response("oops", { status: 500 }),
    "/page.xml": () =>
      new Response("<!doctype html><title>Home</title>", {
        headers: { "content-type": "text/html" },
      }),
    "/good.xml": (_, { origin }) => xml(urlset([{ loc: `${origin}/kept` }]))(),
  });
  const o = site.origin;
  const result = await collectSitemapUrls(
    [`${o}/missing.xml`, `${o}/error.xml`, `${o}/broken.xml`, `${o}/page.xml`, `${o}/good.xml`],
    options(),
  );
  assert.deepEqual(result.urls.map((u) => u.url), [`${o}/kept`]);
  assert.deepEqual(result.errors, [
    { sitemap: `${o}/missing.xml`, error: "HTTP 404" },
    { sitemap: `${o}/error.xml`, error: "HTTP 500" },
    { sitemap: `${o}/broken.xml`, error: "not a sitemap: no root element" },
    { sitemap: `${o}/page.xml`, error: "not a sitemap: root element is <title>" },
  ]);
  assert.equal(result.truncated, false);
});

Deno.test("sitemap: maxUrls truncates and leaves the remaining sitemaps unread", async () => {
  await using site = serve({
    "/one.xml": (_, { origin }) =>
      xml(urlset(Array.from({ length: 10 }, (_, i) => ({ loc: `${origin}/p${i}` }))))(),
    "/two.xml": (_, { origin }) => xml(urlset([{ loc: `${origin}/never` }]))(),
  });
  const o = site.origin;
  const result = await collectSitemapUrls(
    [`${o}/one.xml`, `${o}/two.xml`],
    options({ maxUrls: 3 }),
  );
  assert.deepEqual(result.urls.map((u) => u.url), [`${o}/p0`, `${o}/p1`, `${o}/p2`]);
  assert.equal(result.truncated, true);
  assert.deepEqual(result.errors, [
    { sitemap: `${o}/one.xml`, error: "maxUrls 3 reached; the rest was dropped" },
    { sitemap: `${o}/two.xml`, error: "not read: 3 URLs (maxUrls) reached; 1 sitemaps skipped" },
  ]);
  assert.equal(site.hits.get("/two.xml"), undefined);
});

Deno.test("sitemap: maxSitemaps and maxDepth bound what an index can pull in", async () => {
  await using site = serve({
    "/index.xml": (_, { origin }) =>
      xml(sitemapIndex([1, 2, 3, 4, 5].map((i) => `${origin}/s${i}.xml`)))(),
    "/nested.xml": (_, { origin }) => xml(sitemapIndex([`${origin}/deeper.xml`]))(),
    "/deeper.xml": (_, { origin }) => xml(sitemapIndex([`${origin}/s1.xml`]))(),
  });
  const o = site.origin;
  const wide = await collectSitemapUrls([`${o}/index.xml`], options({ maxSitemaps: 3 }));
  assert.equal(wide.truncated, true);
  assert.deepEqual(wide.errors.at(-1), {
    sitemap: `${o}/s3.xml`,
    error: "maxSitemaps 3 reached; 3 more sitemaps not read",
  });
  // The index and two children: s3..s5 were never requested.
  assert.deepEqual([...site.hits.keys()], ["/index.xml", "/s1.xml", "/s2.xml"]);

  const deep = await collectSitemapUrls([`${o}/nested.xml`], options({ maxDepth: 1 }));
  assert.equal(deep.truncated, true);
  assert.deepEqual(deep.errors, [{
    sitemap: `${o}/deeper.xml`,
    error: "index nested deeper than maxDepth 1; 1 sitemaps skipped",
  }]);
  assert.equal(site.hits.get("/s1.xml"), 1);
});

Deno.test("sitemap: checkHop vets every sitemap URL and redirect target before the request", async () => {
  await using site = serve({
    "/moved.xml": (_, { origin }) => Response.redirect(`${origin}/final.xml`, 301),
    "/final.xml": (_, { origin }) => xml(urlset([{ loc: `${origin}/after-redirect` }]))(),
    "/bounce.xml": () => Response.redirect("http://127.0.0.2:1/internal.xml", 302),
    "/private.xml": () => xml(urlset([]))(),
  });
  const o = site.origin;
  const asked: string[] = [];
  const result = await collectSitemapUrls(
    [`${o}/moved.xml`, `${o}/bounce.xml`, `${o}/private.xml`, "file:///etc/passwd"],
    options({
      checkHop: (url) => {
        asked.push(url);
        return Promise.resolve(
          url.includes("private") || url.includes("127.0.0.2") ? "robots" : undefined,
        );
      },
    }),
  );
  assert.deepEqual(result.urls, [
    { url: `${o}/after-redirect`, sitemap: `${o}/moved.xml` },
  ]);
  assert.deepEqual(result.errors, [
    { sitemap: "file:///etc/passwd", error: "not an absolute http(s) URL" },
    { sitemap: `${o}/bounce.xml`, error: "not allowed: http://127.0.0.2:1/internal.xml" },
    { sitemap: `${o}/private.xml`, error: `not allowed: ${o}/private.xml` },
  ]);
  assert.equal(site.hits.get("/private.xml"), undefined);
  assert.ok(asked.includes(`${o}/final.xml`));
});

Deno.test("sitemap: a refusal other than robots, redirect failures and bad gzip are error entries", async () => {
  await using site = serve({
    "/private.xml": () => xml(urlset([]))(),
    "/loop.xml": () => Response.redirect(`${site.origin}/loop-2.xml`, 302),
    "/loop-2.xml": () => Response.redirect(`${site.origin}/loop.xml`, 302),
    "/far.xml": () => Response.redirect(`${site.origin}/far-2.xml`, 302),
    "/far-2.xml": () => Response.redirect(`${site.origin}/far-3.xml`, 302),
    "/ftp.xml": () =>
      new Response(null, { status: 301, headers: { location: "ftp://example.org/s.xml" } }),
    "/broken.xml.gz": async () => new Response((await gzip(urlset([]))).slice(0, 20)),
  });
  const o = site.origin;
  const result = await collectSitemapUrls(
    [`${o}/private.xml`, `${o}/loop.xml`, `${o}/far.xml`, `${o}/ftp.xml`, `${o}/broken.xml.gz`],
    options({
      maxRedirects: 1,
      checkHop: (url) => url.endsWith("/private.xml") ? "blocked_address" : undefined,
    }),
  );
  assert.deepEqual(result.errors.slice(0, 4), [
    { sitemap: `${o}/private.xml`, error: `blocked_address: request refused: ${o}/private.xml` },
    { sitemap: `${o}/loop.xml`, error: `redirect_loop: redirect loop back to ${o}/loop.xml` },
    { sitemap: `${o}/far.xml`, error: "more than 1 redirects" },
    {
      sitemap: `${o}/ftp.xml`,
      error: "bad_redirect: redirect to a non-http(s) or invalid URL: ftp://example.org/s.xml",
    },
  ]);
  assert.equal(result.errors[4]!.sitemap, `${o}/broken.xml.gz`);
  assert.match(result.errors[4]!.error, /^Cannot read sitemap as its gzip data is invalid: /);
  assert.equal(result.errors.length, 5);
  assert.equal(site.hits.has("/private.xml"), false);
  assert.equal(site.hits.has("/far-3.xml"), false);
});

Deno.test("sitemap: a sitemap past its deadline is an error, the others are still read", async () => {
  await using site = serve({
    // Headers, then a body that never comes: the deadline covers the body too.
    "/stalled.xml": () => new Response(new ReadableStream()),
    "/quick.xml": (_, { origin }) => xml(urlset([{ loc: `${origin}/quick` }]))(),
  });
  const o = site.origin;
  const result = await collectSitemapUrls(
    [`${o}/stalled.xml`, `${o}/quick.xml`],
    options({ timeoutMs: 100 }),
  );
  assert.deepEqual(result.errors, [{
    sitemap: `${o}/stalled.xml`,
    error: "timed out after 100 ms",
  }]);
  assert.deepEqual(result.urls.map((u) => u.url), [`${o}/quick`]);
});

Deno.test("sitemap: aborting the crawl rejects with its reason", async () => {
  const controller = new AbortController();
  await using site = serve({
    "/stalled.xml": () => {
      controller.abort(new Error("stop"));
      return new Response(new ReadableStream());
    },
  });
  await assert.rejects(
    collectSitemapUrls([`${site.origin}/stalled.xml`], options({ signal: controller.signal })),
    new Error("stop"),
  );
});

Deno.test("sitemap: collectSitemapUrls rejects bad limits with a RangeError", async () => {
  for (
    const [name, value] of [
      ["timeoutMs", 0],
      ["maxBytes", 1.5],
      ["maxUrls", -1],
      ["maxSitemaps", 0],
    ] as const
  ) {
    await assert.rejects(
      collectSitemapUrls([], options({ [name]: value })),
      new RangeError(
        `Cannot collect sitemap URLs as '${name}' must be a positive integer: received ${value}`,
      ),
    );
  }
  await assert.rejects(
    collectSitemapUrls([], options({ maxDepth: -1 })),
    new RangeError(
      "Cannot collect sitemap URLs as 'maxDepth' must be a non-negative integer: received -1",
    ),
  );
  assert.deepEqual(await collectSitemapUrls([], options()), {
    urls: [],
    errors: [],
    truncated: false,
  });
});
