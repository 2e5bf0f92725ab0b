import assert from "node:assert/strict";
import { connectJob } from "../../src/redis/job.ts";
import { RobotsCache } from "../../src/robots/cache.ts";
import { startFixtureServer } from "../support/fixture_server.ts";
import { redisTest, startRedis } from "../support/redis_server.ts";

redisTest("redis robots: a job's processes share one robots.txt fetch per origin", async () => {
  await using redis = await startRedis();
  await using server = startFixtureServer({
    routes: {
      "/robots.txt": () => new Response("User-agent: *\nDisallow: /private/\nCrawl-delay: 1\n"),
    },
  });
  const first = await connectJob(redis.url, "robots-share");
  const second = await connectJob(redis.url, "robots-share");
  try {
    const options = { userAgent: "deno-crawler/0.1", timeoutMs: 2000 };
    const a = await new RobotsCache({ ...options, shared: first.robots }).get(server.origin);
    const b = await new RobotsCache({ ...options, shared: second.robots }).get(server.origin);
    assert.equal(server.hits.get("/robots.txt"), 1, "the second process read the shared result");
    for (const result of [a, b]) {
      assert.equal(result.kind, "parsed");
      assert.equal(result.robots.isAllowed(`${server.origin}/private/x`), false);
      assert.equal(result.robots.isAllowed(`${server.origin}/public`), true);
      assert.equal(result.robots.crawlDelayMs, 1000);
    }
  } finally {
    await first.close();
    await second.close();
  }
});

redisTest("redis robots: an unreachable robots.txt is not shared", async () => {
  await using redis = await startRedis();
  let calls = 0;
  await using server = startFixtureServer({
    routes: { "/robots.txt": () => (calls++, new Response("down", { status: 503 })) },
  });
  const job = await connectJob(redis.url, "robots-down");
  try {
    const options = { userAgent: "deno-crawler/0.1", timeoutMs: 2000, shared: job.robots };
    assert.equal((await new RobotsCache(options).get(server.origin)).kind, "disallow_all");
    assert.equal((await new RobotsCache(options).get(server.origin)).kind, "disallow_all");
    assert.equal(calls, 2, "each process tries an unreachable origin itself");
  } finally {
    await job.close();
  }
});
