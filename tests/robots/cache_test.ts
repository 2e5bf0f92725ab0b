import assert from "node:assert/strict";
import { RobotsCache } from "../../src/robots/cache.ts";
import { startFixtureServer } from "../support/fixture_server.ts";

const UA = "deno-crawler/0.1 (+https://example.invalid/crawler-contact)";
const OPTIONS = { timeoutMs: 5_000, userAgent: UA };
const DISALLOW_ROOT = "User-agent: *\nDisallow: /\n";

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

Deno.test("robots: RobotsCache passes checkHop to each fetch; a refused origin is disallowed", async () => {
  await using server = startFixtureServer({
    routes: { "/robots.txt": () => new Response("User-agent: *\nAllow: /\n") },
  });
  const asked: string[] = [];
  const cache = new RobotsCache({
    ...OPTIONS,
    checkHop: (url) => {
      asked.push(url);
      return "blocked_address";
    },
  });
  const result = await cache.get(server.origin);
  assert.equal(result.kind, "disallow_all");
  assert.equal(result.reason, "blocked_address");
  assert.deepEqual(asked, [`${server.origin}/robots.txt`]);
  assert.equal(server.log.length, 0);
});
