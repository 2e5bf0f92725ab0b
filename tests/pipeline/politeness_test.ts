/**
 * Politeness end to end through `runCrawl` against real loopback servers:
 * robots.txt, per-host concurrency and delays, Retry-After pauses and
 * retries with backoff. Every timing is measured on the server side.
 */

import assert from "node:assert/strict";
import type { CrawlOptionsInput } from "../../src/pipeline/options_input.ts";
import type { CrawlRecord } from "../../src/output/record.ts";
import { crawlRecords } from "../support/crawl.ts";
import { type FixtureServer, type Routes, startFixtureServer } from "../support/fixture_server.ts";

/** Crawls the loopback fixtures (the private-address guard lifted). */
const crawl = (options: CrawlOptionsInput, deadlineMs?: number) =>
  crawlRecords({ allowPrivate: true, ...options }, { deadlineMs });

/** An HTML page linking to `hrefs`. */
function links(...hrefs: string[]): Response {
  const anchors = hrefs.map((href) => `<a href="${href}">${href}</a>`).join("\n");
  return new Response(`<!doctype html><title>page</title>${anchors}`, {
    headers: { "content-type": "text/html; charset=utf-8" },
  });
}

const text = (body: string, status = 200, headers: HeadersInit = {}) =>
  new Response(body, { status, headers: { "content-type": "text/plain", ...headers } });

/** Routes for a site: `/` links to every other path, which are leaf pages. */
function site(paths: string[], extra: Routes = {}): Routes {
  const routes: Routes = { "/": () => links(...paths) };
  for (const path of paths) routes[path] = () => links();
  return { ...routes, ...extra };
}

/** Arrival times (performance.now()) of requests to `path`, or of every page but robots.txt. */
function arrivals(server: FixtureServer, path?: string): number[] {
  return server.log
    .filter((entry) => path === undefined ? entry.path !== "/robots.txt" : entry.path === path)
    .map((entry) => entry.at);
}

/** Gaps between consecutive times. */
const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);

/**
 * Asserts request arrivals came on average at least two thirds of `delayMs`
 * apart. The average, not each gap: a stalled event loop (a loaded CI box)
 * can hold one request back and squeeze its gap with the next one.
 */
function assertSpaced(times: number[], delayMs: number): void {
  const average = (times.at(-1)! - times[0]!) / (times.length - 1);
  const shown = gaps(times).map((gap) => gap.toFixed(1)).join(", ");
  assert.ok(average >= delayMs * 2 / 3, `${delayMs} ms wanted between starts, got ${shown}`);
}

/** The record of a path on a server. */
function recordOf(records: CrawlRecord[], server: FixtureServer, path: string): CrawlRecord {
  const record = records.find((r) => r.requestedUrl === server.origin + path);
  assert.ok(record, `no record for ${path}`);
  return record;
}

/** A port nothing listens on. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  listener.close();
  return listener.addr.port;
}

// --- robots.txt --------------------------------------------------------------------------------

Deno.test("politeness: robots.txt is fetched once per origin, before that origin's first page", async () => {
  // Slow robots.txt: pages that did not wait for it would arrive first.
  const robots = async () => (await new Promise((r) => setTimeout(r, 30)), text("User-agent: *\n"));
  await using b = startFixtureServer({
    hostname: "127.0.0.2",
    routes: site(["/b1", "/b2", "/b3"], { "/robots.txt": robots }),
  });
  await using a = startFixtureServer({
    routes: site(["/a1", "/a2", "/a3", `${b.origin}/`], { "/robots.txt": robots }),
  });
  const { records } = await crawl({ seeds: [`${a.origin}/`], scope: "any", concurrency: 8 });
  assert.equal(records.length, 8);
  for (const server of [a, b]) {
    assert.equal(server.hits.get("/robots.txt"), 1, `${server.origin} robots.txt hits`);
    assert.equal(server.log[0]!.path, "/robots.txt", `${server.origin} first request`);
  }
});

Deno.test("politeness: the userAgent's product token selects its robots.txt group over *", async () => {
  await using server = startFixtureServer({
    routes: site(["/public", "/private"], {
      "/robots.txt": () =>
        text("User-agent: *\nDisallow: /\n\nUser-agent: pickybot\nDisallow: /private\n"),
    }),
  });
  const picky = await crawl({
    seeds: [`${server.origin}/`],
    userAgent: "pickybot/2.0 (+http://bot.invalid/)",
  });
  assert.deepEqual(picky.records.map((r) => r.requestedUrl).sort(), [
    `${server.origin}/`,
    `${server.origin}/public`,
  ]);
  assert.equal(picky.summary.skipped.robots, 1);
  assert.equal(server.hits.has("/private"), false);

  // Any other crawler falls under `*`: not even the seed is fetched.
  server.hits.clear();
  const other = await crawl({ seeds: [`${server.origin}/`] });
  assert.equal(other.records.length, 0);
  assert.equal(other.summary.skipped.robots, 1);
  assert.deepEqual([...server.hits.keys()], ["/robots.txt"]);
});

Deno.test("politeness: URLs robots.txt disallows are not fetched and count as skipped", async () => {
  await using server = startFixtureServer({
    routes: site(["/ok", "/private/a", "/private/b"], {
      "/robots.txt": () => text("User-agent: *\nDisallow: /private/\n"),
    }),
  });
  const { records, summary } = await crawl({ seeds: [`${server.origin}/`] });
  assert.equal(records.length, 2);
  assert.ok(records.every((r) => !r.requestedUrl.includes("/private/")));
  assert.equal(summary.skipped.robots, 2);
  assert.equal(server.hits.has("/private/a") || server.hits.has("/private/b"), false);
});

Deno.test("politeness: with logSkipped, URLs robots.txt disallows get records with error robots", async () => {
  await using server = startFixtureServer({
    routes: site(["/ok", "/private/a", "/private/b"], {
      "/robots.txt": () => text("User-agent: *\nDisallow: /private/\n"),
    }),
  });
  const { records } = await crawl({ seeds: [`${server.origin}/`], logSkipped: true });
  assert.equal(records.length, 4);
  for (const path of ["/private/a", "/private/b"]) {
    const record = recordOf(records, server, path);
    assert.equal(record.error, "robots");
    assert.equal(record.status, null);
    assert.equal(server.hits.has(path), false, `${path} was fetched`);
  }
  assert.equal(recordOf(records, server, "/ok").error, undefined);
});

Deno.test("politeness: a robots.txt answering 404 or 403 allows everything", async () => {
  for (const status of [404, 403]) {
    await using server = startFixtureServer({
      routes: site(["/a", "/private"], {
        "/robots.txt": () => text("User-agent: *\nDisallow: /\n", status),
      }),
    });
    const { records, summary } = await crawl({ seeds: [`${server.origin}/`] });
    assert.equal(records.length, 3, `HTTP ${status}`);
    assert.ok(records.every((r) => r.status === 200 && !r.error), `HTTP ${status}`);
    assert.equal(summary.skipped.robots, undefined);
  }
});

Deno.test("politeness: a robots.txt answering 500 disallows the origin, with a record saying so", async () => {
  await using server = startFixtureServer({
    routes: site(["/a"], { "/robots.txt": () => text("oops", 500) }),
  });
  const { records } = await crawl({ seeds: [`${server.origin}/`] });
  assert.equal(records.length, 1);
  assert.equal(records[0]!.error, "robots");
  assert.equal(records[0]!.status, null);
  assert.match(records[0]!.errorMessage!, /unreachable/);
  assert.match(records[0]!.errorMessage!, /HTTP 500/);
  // The URL was retried like any transient failure, asking robots.txt again; the page never.
  assert.deepEqual([...server.hits.keys()], ["/robots.txt"]);
  assert.ok(server.hits.get("/robots.txt")! >= 2, `${server.hits.get("/robots.txt")} requests`);
});

Deno.test("politeness: a robots.txt failing once does not lose its origin", async () => {
  let calls = 0;
  await using server = startFixtureServer({
    routes: site(["/a"], {
      "/robots.txt": () => (++calls === 1 ? text("busy", 503) : text("User-agent: *\nAllow: /\n")),
    }),
  });
  const { records } = await crawl({ seeds: [`${server.origin}/`], retryDelayMs: 1 });
  assert.equal(calls, 2);
  assert.deepEqual(records.map((r) => [new URL(r.url).pathname, r.status]).sort(), [
    ["/", 200],
    ["/a", 200],
  ]);
});

Deno.test("politeness: a host that cannot be reached gets its real failure, not a robots.txt one", async () => {
  const { records, summary } = await crawl({
    seeds: [`http://127.0.0.1:${closedPort()}/`],
    // Short backoff: its retries fail fast.
    retryDelayMs: 1,
  });
  assert.equal(records.length, 1);
  assert.equal(records[0]!.error, "refused");
  assert.equal(records[0]!.attempts, 3, "retried like any transport failure");
  assert.match(records[0]!.errorMessage!, /robots\.txt could not be fetched \(refused\)/);
  assert.equal(summary.errors.refused, 1);
  assert.equal(summary.skipped.robots, undefined, "robots.txt decided nothing");
});

Deno.test("politeness: a robots.txt failure no retry can mend is recorded once, not retried", async () => {
  let origin = "";
  await using server = startFixtureServer({
    routes: site(["/a"], {
      // To https on a plain-HTTP port: the handshake fails however often it is tried.
      "/robots.txt": () =>
        Response.redirect(`${origin.replace("http:", "https:")}/robots.txt`, 301),
    }),
  });
  origin = server.origin;
  const { records } = await crawl({ seeds: [`${server.origin}/`], retryDelayMs: 1 });
  assert.equal(records.length, 1);
  assert.equal(records[0]!.error, "tls");
  assert.equal(records[0]!.attempts, 1, "not retried: a handshake refused stays refused");
  assert.match(records[0]!.errorMessage!, /robots\.txt could not be fetched \(tls\)/);
  assert.equal(server.hits.get("/robots.txt"), 1);
});

/** `/robots.txt` → `/hop/1` → … → `/hop/N`, which serves `body`: N redirects. */
function robotsRedirects(hops: number, body: string): Routes {
  const routes: Routes = {};
  for (let i = 0; i <= hops; i++) {
    routes[i === 0 ? "/robots.txt" : `/hop/${i}`] = () =>
      i === hops ? text(body) : new Response(null, {
        status: i % 2 ? 302 : 301,
        headers: { location: `/hop/${i + 1}` },
      });
  }
  return routes;
}

Deno.test("politeness: robots.txt redirects are followed up to 5", async () => {
  await using server = startFixtureServer({
    routes: site(["/a", "/private"], robotsRedirects(5, "User-agent: *\nDisallow: /private\n")),
  });
  const { records, summary } = await crawl({ seeds: [`${server.origin}/`] });
  assert.equal(server.hits.get("/hop/5"), 1);
  assert.equal(records.length, 2);
  assert.equal(summary.skipped.robots, 1);
  assert.equal(server.hits.has("/private"), false);
});

Deno.test("politeness: robots.txt behind more than 5 redirects allows everything", async () => {
  await using server = startFixtureServer({
    routes: site(["/a", "/private"], robotsRedirects(6, "User-agent: *\nDisallow: /private\n")),
  });
  const { records } = await crawl({ seeds: [`${server.origin}/`] });
  assert.equal(server.hits.has("/hop/6"), false);
  assert.equal(records.length, 3);
  assert.equal(server.hits.get("/private"), 1);
});

Deno.test("politeness: robots.txt Crawl-delay spaces request starts to its host", async () => {
  const leaves = ["/1", "/2", "/3", "/4"];
  await using server = startFixtureServer({
    routes: site(leaves, { "/robots.txt": () => text("User-agent: *\nCrawl-delay: 0.1\n") }),
  });
  const { records } = await crawl({ seeds: [`${server.origin}/`], delayMs: 20 });
  assert.equal(records.length, 5);
  // 100 ms apart, not the 20 ms of delayMs, although perHost (default 2) would allow two at once.
  assertSpaced(leaves.map((path) => arrivals(server, path)[0]!).sort((a, b) => a - b), 100);
});

Deno.test("politeness: a Crawl-delay shorter than delayMs does not shorten it", async () => {
  const leaves = ["/1", "/2", "/3"];
  await using server = startFixtureServer({
    routes: site(leaves, { "/robots.txt": () => text("User-agent: *\nCrawl-delay: 0.01\n") }),
  });
  const { records } = await crawl({ seeds: [`${server.origin}/`], delayMs: 100 });
  assert.equal(records.length, 4);
  assertSpaced(leaves.map((path) => arrivals(server, path)[0]!).sort((a, b) => a - b), 100);
});

Deno.test("politeness: ignoreRobots never requests robots.txt and fetches everything", async () => {
  await using server = startFixtureServer({
    routes: site(["/a"], { "/robots.txt": () => text("User-agent: *\nDisallow: /\n") }),
  });
  const { records } = await crawl({ seeds: [`${server.origin}/`], ignoreRobots: true });
  assert.equal(records.length, 2);
  assert.equal(server.hits.has("/robots.txt"), false);
});

// --- per-host concurrency and delays -----------------------------------------------------------

for (const perHost of [undefined, 3]) {
  Deno.test(`politeness: perHost (${perHost ?? "default 2"}) caps each host while the total goes above it`, async () => {
    const cap = perHost ?? 2;
    let inFlight = 0;
    let maxInFlight = 0;
    // Every leaf page holds its answer 50 ms, so requests pile up and overlap.
    const slow = async () => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((r) => setTimeout(r, 50));
      inFlight--;
      return links();
    };
    const leaves = ["/1", "/2", "/3", "/4", "/5", "/6"];
    const routesOf = (extra: Routes) =>
      Object.fromEntries([...leaves.map((p) => [p, slow]), ...Object.entries(extra)]);
    await using b = startFixtureServer({ hostname: "127.0.0.2", routes: routesOf({}) });
    await using a = startFixtureServer({
      routes: routesOf({ "/": () => links(...leaves, ...leaves.map((p) => b.origin + p)) }),
    });
    const { records } = await crawl({
      seeds: [`${a.origin}/`],
      scope: "any",
      concurrency: 16,
      ignoreRobots: true,
      ...(perHost === undefined ? {} : { perHost }),
    });
    assert.equal(records.length, 13);
    assert.equal(a.maxInFlight, cap, `host A had ${a.maxInFlight} in flight`);
    assert.equal(b.maxInFlight, cap, `host B had ${b.maxInFlight} in flight`);
    assert.ok(maxInFlight > cap, `only ${maxInFlight} in flight over both hosts`);
  });
}

Deno.test("politeness: delayMs spaces request starts to one host", async () => {
  await using server = startFixtureServer({ routes: site(["/1", "/2", "/3", "/4"]) });
  const { records } = await crawl({
    seeds: [`${server.origin}/`],
    delayMs: 60,
    perHost: 4,
    ignoreRobots: true,
  });
  assert.equal(records.length, 5);
  assertSpaced(arrivals(server), 60);
});

Deno.test("politeness: a fetcher serves a ready host instead of sleeping on a delayed one", async () => {
  await using slow = startFixtureServer({
    routes: site(["/1"], { "/robots.txt": () => text("User-agent: *\nCrawl-delay: 0.3\n") }),
  });
  await using fast = startFixtureServer({
    hostname: "127.0.0.2",
    routes: site(["/1", "/2", "/3", "/4", "/5", "/6"]),
  });
  // One fetcher, one request at a time: any sleep on the slow host would hold the fast one up.
  const { records } = await crawl({
    seeds: [`${slow.origin}/`, `${fast.origin}/`],
    concurrency: 1,
    fetchers: 1,
  });
  assert.equal(records.length, 9);
  const slowStart = arrivals(slow, "/")[0]!;
  const slowNext = arrivals(slow, "/1")[0]!;
  const fastPages = arrivals(fast);
  assert.equal(fastPages.length, 7);
  assert.ok(slowNext - slowStart >= 200, "the slow host's Crawl-delay held");
  // Every fast page came while the slow host was still waiting out its delay.
  assert.ok(Math.max(...fastPages) < slowNext, "the fast host waited for the slow host's delay");
});

// --- Retry-After -------------------------------------------------------------------------------

/** A route failing once with `status` and `headers`, then serving a page. */
function failOnce(status: number, headers: () => HeadersInit): Routes[string] {
  let failed = false;
  return () => {
    if (failed) return links();
    failed = true;
    return text("busy", status, headers());
  };
}

/** Asserts no request reached `server` between the first answer on `path` and `until`. */
function assertQuietAfter(server: FixtureServer, path: string, until: (at: number) => number) {
  const first = arrivals(server, path)[0]!;
  const later = server.log.filter((entry) => entry.at > first);
  assert.ok(later.length >= 3, "the paused URL and the other pages came later");
  for (const entry of later) {
    assert.ok(
      entry.at >= until(first),
      `${entry.path} arrived ${(entry.at - first).toFixed(1)} ms after ${path} failed`,
    );
  }
}

Deno.test("politeness: 429 with Retry-After in seconds pauses the host, then the URL succeeds", async () => {
  await using server = startFixtureServer({
    routes: site(["/limited", "/a", "/b"], {
      "/limited": failOnce(429, () => ({ "retry-after": "1" })),
    }),
  });
  // One request at a time to the host; a short backoff, so only the pause can hold it.
  const { records, summary } = await crawl({
    seeds: [`${server.origin}/`],
    perHost: 1,
    retryDelayMs: 1,
    ignoreRobots: true,
  });
  assert.equal(records.length, 4);
  const limited = recordOf(records, server, "/limited");
  assert.equal(limited.status, 200);
  assert.equal(limited.attempts, 2);
  assert.equal(summary.retries, 1);
  assertQuietAfter(server, "/limited", (at) => at + 950);
});

Deno.test("politeness: 503 with Retry-After as an HTTP-date pauses the host until then", async () => {
  // A whole second at least 150 ms ahead: HTTP-dates have one-second resolution.
  const until = Math.ceil((Date.now() + 150) / 1000) * 1000;
  await using server = startFixtureServer({
    routes: site(["/limited", "/a", "/b"], {
      "/limited": failOnce(503, () => ({ "retry-after": new Date(until).toUTCString() })),
    }),
  });
  const { records, summary } = await crawl({
    seeds: [`${server.origin}/`],
    perHost: 1,
    retryDelayMs: 1,
    ignoreRobots: true,
  });
  assert.equal(records.length, 4);
  const limited = recordOf(records, server, "/limited");
  assert.equal(limited.status, 200);
  assert.equal(limited.attempts, 2);
  assert.equal(summary.retries, 1);
  // Compared on the wall clock, with a little slack for clock and timer granularity.
  assertQuietAfter(server, "/limited", () => until - performance.timeOrigin - 25);
});

Deno.test("politeness: maxRetryAfterMs caps an absurd Retry-After", async () => {
  await using server = startFixtureServer({
    routes: site(["/limited", "/a"], {
      "/limited": failOnce(429, () => ({ "retry-after": "86400" })),
    }),
  });
  const { records, summary } = await crawl({
    seeds: [`${server.origin}/`],
    perHost: 1,
    retryDelayMs: 1,
    maxRetryAfterMs: 100,
    ignoreRobots: true,
  }, 3_000);
  assert.equal(summary.stoppedBy, "done");
  assert.equal(recordOf(records, server, "/limited").status, 200);
  const [failed, retried] = arrivals(server, "/limited");
  assert.ok(retried! - failed! >= 90, "the capped pause is still honoured");
  assert.ok(retried! - failed! < 1000, `retried ${(retried! - failed!).toFixed(1)} ms later`);
});

// --- retries -----------------------------------------------------------------------------------

/** A route answering each status of `statuses` in turn, then serving a page. */
function sequence(...statuses: number[]): Routes[string] {
  let i = 0;
  return () => i < statuses.length ? text("failing", statuses[i++]) : links();
}

Deno.test("politeness: a flapping URL is retried and yields one record with its attempts", async () => {
  await using server = startFixtureServer({
    routes: site(["/flap"], { "/flap": sequence(500, 500) }),
  });
  const { records, summary } = await crawl({
    seeds: [`${server.origin}/`],
    retryDelayMs: 5,
    ignoreRobots: true,
  });
  assert.equal(records.length, 2);
  const flap = recordOf(records, server, "/flap");
  assert.equal(flap.status, 200);
  assert.equal(flap.error, undefined);
  assert.equal(flap.attempts, 3);
  assert.equal(server.hits.get("/flap"), 3);
  assert.equal(summary.retries, 2);
  assert.deepEqual(summary.errors, {});
});

Deno.test("politeness: 404 is never retried", async () => {
  await using server = startFixtureServer({
    routes: site(["/gone"], { "/gone": sequence(404) }),
  });
  const { records, summary } = await crawl({
    seeds: [`${server.origin}/`],
    retries: 5,
    retryDelayMs: 1,
    ignoreRobots: true,
  });
  const gone = recordOf(records, server, "/gone");
  assert.equal(gone.status, 404);
  assert.equal(gone.error, "http_4xx");
  assert.equal(gone.attempts, 1);
  assert.equal(server.hits.get("/gone"), 1);
  assert.equal(summary.retries, 0);
});

Deno.test("politeness: 408, 502, 503 and 504 are retried; exhausted retries record the last error", async () => {
  const statuses = [408, 502, 503, 504];
  const always = (status: number) => () => text("failing", status);
  await using server = startFixtureServer({
    routes: site(
      statuses.map((s) => `/s${s}`),
      Object.fromEntries(statuses.map((s) => [`/s${s}`, always(s)])),
    ),
  });
  const { records, summary } = await crawl({
    seeds: [`${server.origin}/`],
    retryDelayMs: 5,
    ignoreRobots: true,
  });
  assert.equal(records.length, 5, "one record per URL, not per attempt");
  for (const status of statuses) {
    const record = recordOf(records, server, `/s${status}`);
    assert.equal(record.status, status);
    assert.equal(record.error, status < 500 ? "http_4xx" : "http_5xx");
    assert.equal(record.attempts, 3, `${status}: the first attempt and 2 retries (the default)`);
    assert.equal(server.hits.get(`/s${status}`), 3);
  }
  assert.equal(summary.retries, 8);
});

Deno.test("politeness: network errors are retried", async () => {
  const { records, summary } = await crawl({
    seeds: [`http://127.0.0.1:${closedPort()}/`],
    retries: 3,
    retryDelayMs: 2,
    ignoreRobots: true,
  });
  assert.equal(records.length, 1);
  assert.equal(records[0]!.error, "refused");
  assert.equal(records[0]!.attempts, 4);
  assert.equal(summary.retries, 3);
});

Deno.test("politeness: retry backoff doubles per attempt from retryDelayMs", async () => {
  await using server = startFixtureServer({
    routes: site(["/flap"], { "/flap": sequence(500, 500, 500) }),
  });
  await crawl({ seeds: [`${server.origin}/`], retries: 3, retryDelayMs: 40, ignoreRobots: true });
  const spacing = gaps(arrivals(server, "/flap"));
  assert.equal(spacing.length, 3);
  // Equal jitter: each wait is between half and all of 40, 80, then 160 ms.
  const [first, second, third] = spacing as [number, number, number];
  assert.ok(first >= 18, `first retry after ${first.toFixed(1)} ms`);
  assert.ok(second >= 38, `second retry after ${second.toFixed(1)} ms`);
  assert.ok(third >= 78, `third retry after ${third.toFixed(1)} ms`);
  assert.ok(third < 1000, `third retry after ${third.toFixed(1)} ms`);
});

Deno.test("politeness: retry backoff is jittered, so retries of many URLs spread out", async () => {
  const paths = Array.from({ length: 10 }, (_, i) => `/flap/${i}`);
  await using server = startFixtureServer({
    routes: site(paths, Object.fromEntries(paths.map((p) => [p, sequence(503)]))),
  });
  await crawl({
    seeds: [`${server.origin}/`],
    perHost: 10,
    retryDelayMs: 200,
    ignoreRobots: true,
  });
  const waits = paths.map((p) => gaps(arrivals(server, p))[0]!);
  for (const wait of waits) assert.ok(wait >= 95, `retried after ${wait.toFixed(1)} ms`);
  // Without jitter all ten wait the same 200 ms; with it they spread over 100-200 ms
  // (ten uniform draws all within 20 ms of each other: odds about 5 in a million).
  const spread = Math.max(...waits) - Math.min(...waits);
  assert.ok(spread > 20, `waits spread over only ${spread.toFixed(1)} ms`);
});
