/**
 * Redirects end to end: `runCrawl` against real fixture servers, with every
 * hop followed by hand and checked like a new link.
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

/** The record whose requested URL is `origin + path`. */
function recordOf(records: CrawlRecord[], origin: string, path: string): CrawlRecord {
  const record = records.find((r) => r.requestedUrl === origin + path);
  assert.ok(record, `no record for ${path}: ${records.map((r) => r.requestedUrl).join(", ")}`);
  return record;
}

/** A redirect route; `location` may depend on the server (for absolute URLs). */
function redirect(status: number, location: string | ((server: FixtureServer) => string)) {
  return (_request: Request, server: FixtureServer) =>
    new Response(null, {
      status,
      headers: { location: typeof location === "string" ? location : location(server) },
    });
}

function page(html: string) {
  return () => new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
}

/** `/hop?id=X&n=N` redirects to `n=N-1` until `n=0`, which is a page. */
const HOP: Routes = {
  "/hop": (request) => {
    const params = new URL(request.url).searchParams;
    const n = Number(params.get("n"));
    if (n === 0) return page("<title>end of hops</title>")();
    return redirect(302, `/hop?id=${params.get("id")}&n=${n - 1}`)(request, undefined!);
  },
};

Deno.test("redirects: every 3xx kind is followed by hand and the chain is recorded", async () => {
  await using server = startFixtureServer({
    routes: {
      "/r/301": redirect(301, "/r/302"),
      "/r/302": redirect(302, "/r/303"),
      "/r/303": redirect(303, "/r/307"),
      "/r/307": redirect(307, "/r/308"),
      "/r/308": redirect(308, "/landing"),
      "/landing": page('<title>Landing</title><a href="after">next</a>'),
      "/after": page("<title>After</title>"),
    },
  });
  const o = server.origin;
  const { records } = await crawl({ seeds: [`${o}/r/301`] });
  const record = recordOf(records, o, "/r/301");
  assert.equal(record.url, `${o}/landing`);
  assert.equal(record.status, 200);
  assert.equal(record.title, "Landing");
  assert.equal(record.error, undefined);
  assert.deepEqual(record.redirects, [
    { url: `${o}/r/301`, status: 301 },
    { url: `${o}/r/302`, status: 302 },
    { url: `${o}/r/303`, status: 303 },
    { url: `${o}/r/307`, status: 307 },
    { url: `${o}/r/308`, status: 308 },
  ]);
  // Links resolve against the final URL; the target has no record of its own.
  assert.equal(recordOf(records, o, "/after").parent, `${o}/landing`);
  assert.equal(records.length, 2);
  for (const path of ["/r/301", "/r/302", "/r/303", "/r/307", "/r/308", "/landing", "/after"]) {
    assert.equal(server.hits.get(path), 1, path);
  }
});

Deno.test("redirects: a relative Location resolves against the hop that sent it", async () => {
  await using server = startFixtureServer({
    routes: {
      "/dir/rel": redirect(302, "next?b=2#frag"),
      "/dir/next": redirect(301, "../landing"),
      "/landing": page("<title>Landing</title>"),
    },
  });
  const o = server.origin;
  const { records } = await crawl({ seeds: [`${o}/dir/rel`] });
  assert.equal(records.length, 1);
  assert.equal(records[0]!.url, `${o}/landing`);
  assert.deepEqual(records[0]!.redirects, [
    { url: `${o}/dir/rel`, status: 302 },
    { url: `${o}/dir/next?b=2`, status: 301 },
  ]);
  assert.equal(server.hits.get("/dir/next?b=2"), 1);
});

Deno.test("redirects: maxRedirects (default 10) are followed, one more is too_many_redirects", async () => {
  await using server = startFixtureServer({ routes: HOP });
  const o = server.origin;

  const ten = (await crawl({ seeds: [`${o}/hop?id=a&n=10`] })).records;
  assert.equal(ten.length, 1);
  assert.equal(ten[0]!.error, undefined);
  assert.equal(ten[0]!.url, `${o}/hop?id=a&n=0`);
  assert.equal(ten[0]!.redirects!.length, 10);

  const eleven = (await crawl({ seeds: [`${o}/hop?id=b&n=11`] })).records;
  assert.equal(eleven.length, 1);
  assert.equal(eleven[0]!.error, "too_many_redirects");
  assert.equal(eleven[0]!.redirects!.length, 11);
  assert.ok(!server.hits.has("/hop?id=b&n=0"), "the 12th request must not be made");
});

Deno.test("redirects: a lower maxRedirects cuts the chain sooner", async () => {
  await using server = startFixtureServer({ routes: HOP });
  const o = server.origin;
  const { records, summary } = await crawl({
    seeds: [`${o}/hop?id=c&n=2`, `${o}/hop?id=d&n=3`],
    maxRedirects: 2,
  });
  assert.equal(recordOf(records, o, "/hop?id=c&n=2").error, undefined);
  assert.equal(recordOf(records, o, "/hop?id=d&n=3").error, "too_many_redirects");
  assert.ok(!server.hits.has("/hop?id=d&n=0"));
  assert.deepEqual(summary.errors, { too_many_redirects: 1 });
});

Deno.test("redirects: loops are detected (redirect_loop), normalized forms included", async () => {
  await using server = startFixtureServer({
    routes: {
      "/loop/a": redirect(302, "/loop/b"),
      "/loop/b": redirect(302, "/loop/a"),
      "/self": redirect(301, "/self#top"),
      // %63 is "c": the normalized Location is the URL that sent it.
      "/loop/c": redirect(307, "/loop/%63"),
    },
  });
  const o = server.origin;
  const { records, summary } = await crawl({
    seeds: [`${o}/loop/a`, `${o}/self`, `${o}/loop/c`],
  });
  assert.equal(records.length, 3);
  const a = recordOf(records, o, "/loop/a");
  assert.equal(a.error, "redirect_loop");
  assert.deepEqual(a.redirects, [
    { url: `${o}/loop/a`, status: 302 },
    { url: `${o}/loop/b`, status: 302 },
  ]);
  assert.equal(recordOf(records, o, "/self").error, "redirect_loop");
  assert.equal(recordOf(records, o, "/loop/c").error, "redirect_loop");
  assert.deepEqual(summary.errors, { redirect_loop: 3 });
  for (const path of ["/loop/a", "/loop/b", "/self", "/loop/c"]) {
    assert.equal(server.hits.get(path), 1, path);
  }
});

Deno.test("redirects: a Location that is mailto: or ftp: is bad_redirect", async () => {
  await using server = startFixtureServer({
    routes: {
      "/to-mailto": redirect(302, "mailto:owner@example.org"),
      "/to-ftp": redirect(301, "ftp://127.0.0.1/file.txt"),
    },
  });
  const o = server.origin;
  const { records } = await crawl({ seeds: [`${o}/to-mailto`, `${o}/to-ftp`] });
  for (const [path, status] of [["/to-mailto", 302], ["/to-ftp", 301]] as const) {
    const record = recordOf(records, o, path);
    assert.equal(record.error, "bad_redirect");
    assert.deepEqual(record.redirects, [{ url: `${o}${path}`, status }]);
  }
});

Deno.test("redirects: every hop is re-checked against the scope (out_of_scope)", async () => {
  await using other = startFixtureServer();
  await using server = startFixtureServer({
    routes: {
      "/away": redirect(302, `${other.origin}/x`),
      "/via": redirect(302, "/via-2"),
      "/via-2": redirect(302, `${other.origin}/y`),
      "/to-excluded": redirect(302, "/private/doc"),
    },
  });
  const o = server.origin;
  const { records, summary } = await crawl({
    seeds: [`${o}/away`, `${o}/via`, `${o}/to-excluded`],
    exclude: ["/private/"],
  });
  const away = recordOf(records, o, "/away");
  assert.equal(away.error, "out_of_scope");
  assert.equal(away.url, `${other.origin}/x`);
  const via = recordOf(records, o, "/via");
  assert.equal(via.error, "out_of_scope");
  assert.deepEqual(via.redirects!.map((hop) => hop.url), [`${o}/via`, `${o}/via-2`]);
  assert.equal(recordOf(records, o, "/to-excluded").error, "out_of_scope");
  assert.deepEqual(summary.errors, { out_of_scope: 3 });
  assert.equal(
    other.log.length,
    0,
    "the out-of-scope host must see no request, robots.txt included",
  );
  assert.ok(!server.hits.has("/private/doc"));
});

Deno.test("redirects: every hop is re-checked against robots.txt (robots)", async () => {
  await using server = startFixtureServer({
    routes: {
      "/robots.txt": () => new Response("User-agent: *\nDisallow: /blocked/\n"),
      "/to-blocked": redirect(302, "/blocked/page"),
      "/to-open": redirect(302, "/open"),
      "/open": page("<title>Open</title>"),
    },
  });
  const o = server.origin;
  const { records } = await crawl({ seeds: [`${o}/to-blocked`, `${o}/to-open`] });
  const blocked = recordOf(records, o, "/to-blocked");
  assert.equal(blocked.error, "robots");
  assert.equal(blocked.url, `${o}/blocked/page`);
  assert.equal(recordOf(records, o, "/to-open").title, "Open");
  assert.ok(!server.hits.has("/blocked/page"));
  assert.equal(server.hits.get("/robots.txt"), 1);
});

Deno.test("redirects: a hop to a URL already seen is a duplicate; a shared target is fetched once", async () => {
  await using server = startFixtureServer({
    routes: {
      "/landing": page("<title>Landing</title>"),
      "/to-landing": redirect(301, "/landing"),
      "/ra": redirect(302, "/fresh"),
      "/rb": redirect(302, "/fresh"),
      "/fresh": page("<title>Fresh</title>"),
    },
  });
  const o = server.origin;
  const { records, summary } = await crawl({
    seeds: [`${o}/landing`, `${o}/to-landing`, `${o}/ra`, `${o}/rb`],
  });
  const toLanding = recordOf(records, o, "/to-landing");
  assert.equal(toLanding.error, "duplicate");
  assert.equal(toLanding.url, `${o}/landing`);
  // Whichever of /ra and /rb hopped first got the page; the other is the duplicate.
  const shared = [recordOf(records, o, "/ra"), recordOf(records, o, "/rb")];
  assert.deepEqual(shared.map((r) => r.error ?? r.title).sort(), ["Fresh", "duplicate"]);
  assert.deepEqual(summary.errors, { duplicate: 2 });
  assert.equal(server.hits.get("/landing"), 1);
  assert.equal(server.hits.get("/fresh"), 1);
});

Deno.test("redirects: every hop is re-checked against the private-address guard", async () => {
  await using inside = startFixtureServer();
  await using server = startFixtureServer({
    hostname: "127.0.0.2",
    routes: {
      "/start": redirect(302, "/mid"),
      "/mid": redirect(302, `${inside.origin}/x`),
    },
  });
  const o = server.origin;
  const { records } = await crawl({
    seeds: [`${o}/start`],
    allowPrivate: false,
    allowAddresses: ["127.0.0.2/32"],
    scope: "any",
  });
  assert.equal(records.length, 1);
  assert.equal(records[0]!.error, "blocked_address");
  assert.equal(records[0]!.url, `${inside.origin}/x`);
  assert.equal(records[0]!.redirects!.length, 2);
  assert.equal(inside.log.length, 0, "127.0.0.1 must see no request at all");
});

Deno.test("redirects: a retried URL follows its redirect again instead of calling its own target a duplicate", async () => {
  let calls = 0;
  await using server = startFixtureServer({
    routes: {
      "/moved": redirect(301, "/target"),
      // Busy once, then fine: the retry of /moved must reach /target again.
      "/target": () =>
        ++calls === 1 ? new Response("busy", { status: 503 }) : page("<title>Target</title>")(),
    },
  });
  const o = server.origin;
  const { records, summary } = await crawl({ seeds: [`${o}/moved`], retryDelayMs: 1 });
  assert.equal(records.length, 1);
  const record = records[0]!;
  assert.equal(record.error, undefined, `${record.error}: ${record.errorMessage}`);
  assert.equal(record.url, `${o}/target`);
  assert.equal(record.title, "Target");
  assert.equal(record.attempts, 2);
  assert.equal(summary.retries, 1);
  assert.equal(server.hits.get("/target"), 2);
});
