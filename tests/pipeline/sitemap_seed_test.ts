/**
 * Sitemaps end to end: with `sitemaps: true` a crawl seeds itself from
 * robots.txt `Sitemap:` lines and `/sitemap.xml` (indexes, urlsets, gzip),
 * reaching pages no page links to, with each entry's `lastmod` on its record.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { CrawlOptionsInput } from "../../src/pipeline/options_input.ts";
import type { CrawlRecord } from "../../src/output/record.ts";
import { crawlToEnd } from "../support/crawl.ts";
import { type FixtureServer, type Routes, startFixtureServer } from "../support/fixture_server.ts";

/** Crawls the loopback fixtures to their end. */
const crawl = (options: CrawlOptionsInput) => crawlToEnd({ allowPrivate: true, ...options });

function html(body: string): Response {
  return new Response(body, { headers: { "content-type": "text/html; charset=utf-8" } });
}

function xml(body: string): Response {
  return new Response(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`, {
    headers: { "content-type": "application/xml" },
  });
}

function urlset(entries: [loc: string, lastmod?: string][]): string {
  const urls = entries.map(([loc, lastmod]) =>
    `<url><loc>${loc}</loc>${lastmod ? `<lastmod>${lastmod}</lastmod>` : ""}</url>`
  );
  return `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${urls.join("")}</urlset>`;
}

async function gzip(text: string): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return await new Response(stream).bytes();
}

/**
 * A site whose seed links to `/linked` only. robots.txt names a sitemap
 * index (a plain urlset and a gzipped one) and disallows `/orphan/private`;
 * `/sitemap.xml` is found by convention. The orphans are linked from nowhere.
 */
function sitemapSite(): Routes {
  const page = (title: string) => () => html(`<title>${title}</title>`);
  return {
    "/robots.txt": (_, s) =>
      new Response(
        `User-agent: *\nDisallow: /orphan/private\n\nSitemap: ${s.origin}/sm/index.xml\n`,
      ),
    "/sm/index.xml": (_, s) =>
      xml(`<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
        <sitemap><loc>${s.origin}/sm/pages.xml</loc></sitemap>
        <sitemap><loc>${s.origin}/sm/more.xml.gz</loc></sitemap>
      </sitemapindex>`),
    "/sm/pages.xml": (_, s) =>
      xml(urlset([
        [`${s.origin}/orphan/1`, "2024-05-01"],
        [`${s.origin}/orphan/2`],
        [`${s.origin}/orphan/private`, "2024-05-02"],
        ["http://external.test/listed", "2024-05-03"],
      ])),
    "/sm/more.xml.gz": async (_, s) =>
      new Response(await gzip(urlset([[`${s.origin}/orphan/gz`, "2024-06-02T10:00:00+00:00"]])), {
        headers: { "content-type": "application/gzip" },
      }),
    "/sitemap.xml": (_, s) => xml(urlset([[`${s.origin}/orphan/default`, "2023-01-01"]])),
    "/": () => html(`<title>Home</title><a href="/linked">linked</a>`),
    "/linked": page("Linked"),
    "/orphan/1": page("Orphan 1"),
    "/orphan/2": page("Orphan 2"),
    "/orphan/gz": page("Orphan gz"),
    "/orphan/default": page("Orphan default"),
    "/orphan/private": page("Private"),
  };
}

function byPath(server: FixtureServer, records: CrawlRecord[]) {
  return new Map(records.map((r) => [r.url.slice(server.origin.length), r]));
}

Deno.test("sitemaps: robots.txt Sitemap: lines and /sitemap.xml seed pages no page links to", async () => {
  await using server = startFixtureServer({ routes: sitemapSite() });
  const o = server.origin;
  const { records, summary } = await crawl({ seeds: [`${o}/`], sitemaps: true });
  const found = byPath(server, records);
  assert.deepEqual([...found.keys()].sort(), [
    "/",
    "/linked",
    "/orphan/1",
    "/orphan/2",
    "/orphan/default",
    "/orphan/gz",
  ]);
  assert.ok(records.every((r) => r.error === undefined && r.status === 200));
  // lastmod as written, where the entry had one; the listing urlset is the parent.
  const lastmods = Object.fromEntries(records.map((r) => [r.url.slice(o.length), r.lastmod]));
  assert.deepEqual(lastmods, {
    "/": undefined,
    "/linked": undefined,
    "/orphan/1": "2024-05-01",
    "/orphan/2": undefined,
    "/orphan/gz": "2024-06-02T10:00:00+00:00",
    "/orphan/default": "2023-01-01",
  });
  assert.equal(found.get("/orphan/1")!.parent, `${o}/sm/pages.xml`);
  assert.equal(found.get("/orphan/gz")!.parent, `${o}/sm/more.xml.gz`);
  assert.equal(found.get("/orphan/default")!.parent, `${o}/sitemap.xml`);
  assert.equal(found.get("/orphan/1")!.depth, 0);
  for (const path of ["/robots.txt", "/sm/index.xml", "/sm/pages.xml", "/sm/more.xml.gz"]) {
    assert.equal(server.hits.get(path), 1, path);
  }
  // robots.txt still rules: a listed but disallowed page is not fetched.
  assert.ok(!server.hits.has("/orphan/private"));
  assert.deepEqual(summary.errors, {});
});

Deno.test("sitemaps: without the option no sitemap is read and orphans stay unknown", async () => {
  await using server = startFixtureServer({ routes: sitemapSite() });
  const { records } = await crawl({ seeds: [`${server.origin}/`] });
  assert.deepEqual([...byPath(server, records).keys()].sort(), ["/", "/linked"]);
  assert.deepEqual([...server.hits.keys()].sort(), ["/", "/linked", "/robots.txt"]);
});
