import assert from "node:assert/strict";
import { fetchRobots } from "../../src/robots/fetch.ts";
import { ROBOTS_MAX_BYTES } from "../../src/robots/rules.ts";
import { startFixtureServer } from "../support/fixture_server.ts";

const UA = "deno-crawler/0.1 (+https://example.invalid/crawler-contact)";

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

Deno.test("robots: fetchRobots has checkHop vet robots.txt before requesting it", async () => {
  await using server = startFixtureServer({
    routes: { "/robots.txt": () => new Response(DISALLOW_ROOT) },
  });
  const asked: string[] = [];
  const result = await fetchRobots(server.origin, {
    ...OPTIONS,
    checkHop: (url, signal) => {
      asked.push(url);
      assert.equal(signal.aborted, false);
      return "blocked_address";
    },
  });
  assert.deepEqual(asked, [`${server.origin}/robots.txt`]);
  // Refused is unreachable, never "no robots.txt": a guard must not open the site.
  assert.equal(result.kind, "disallow_all");
  assert.equal(result.reason, "blocked_address");
  assert.equal(result.status, null);
  assert.equal(result.robots.isAllowed(`${server.origin}/a`), false);
  assert.equal(server.log.length, 0);
});

Deno.test("robots: fetchRobots has checkHop vet every redirect target", async () => {
  await using inside = startFixtureServer({
    routes: { "/robots.txt": () => new Response("User-agent: *\nAllow: /\n") },
  });
  await using server = startFixtureServer({
    hostname: "127.0.0.2",
    routes: {
      "/robots.txt": () =>
        new Response(null, { status: 302, headers: { location: `${inside.origin}/robots.txt` } }),
    },
  });
  const asked: string[] = [];
  const result = await fetchRobots(server.origin, {
    ...OPTIONS,
    checkHop: (url) => {
      asked.push(url);
      return Promise.resolve(url.startsWith(inside.origin) ? "permission" : undefined);
    },
  });
  assert.deepEqual(asked, [`${server.origin}/robots.txt`, `${inside.origin}/robots.txt`]);
  assert.equal(result.kind, "disallow_all");
  assert.equal(result.reason, "permission");
  assert.equal(result.url, `${inside.origin}/robots.txt`);
  assert.equal(result.status, 302);
  assert.equal(inside.log.length, 0);
});

Deno.test("robots: fetchRobots allows everything after a redirect loop or to a non-http(s) URL", async () => {
  await using server = startFixtureServer({
    routes: {
      "/robots.txt": () => new Response(null, { status: 301, headers: { location: "/again" } }),
      "/again": () => new Response(null, { status: 302, headers: { location: "/robots.txt" } }),
    },
  });
  const loop = await fetchRobots(server.origin, OPTIONS);
  assert.equal(loop.kind, "allow_all");
  assert.equal(loop.reason, `redirect loop back to ${server.origin}/robots.txt`);
  assert.equal(server.hits.get("/robots.txt"), 1);

  await using ftp = startFixtureServer({
    routes: {
      "/robots.txt": () =>
        new Response(null, { status: 301, headers: { location: "ftp://example.org/robots.txt" } }),
    },
  });
  const other = await fetchRobots(ftp.origin, OPTIONS);
  assert.equal(other.kind, "allow_all");
  assert.equal(
    other.reason,
    "redirect to a non-http(s) or invalid URL: ftp://example.org/robots.txt",
  );
});

Deno.test("robots: fetchRobots treats a 3xx without Location like a 4xx", async () => {
  await using server = startFixtureServer({
    routes: { "/robots.txt": () => new Response(DISALLOW_ROOT, { status: 302 }) },
  });
  const result = await fetchRobots(server.origin, OPTIONS);
  assert.equal(result.kind, "allow_all");
  assert.equal(result.reason, "HTTP 302");
});
