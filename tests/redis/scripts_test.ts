import assert from "node:assert/strict";
import { openRedis } from "../../src/redis/connect.ts";
import { JobScripts } from "../../src/redis/scripts.ts";
import { redisTest, startRedis } from "../support/redis_server.ts";

const SETTINGS = { perHost: 5000, delayMs: 0, maxPages: 0, maxPagesPerHost: 0, leaseMs: 60_000 };

redisTest(
  "JobScripts.extend() renews 4,500 leases in one call (more than Lua unpacks at once) and names those no longer leased",
  async () => {
    await using redis = await startRedis();
    const { client } = await openRedis(redis.url);
    try {
      const scripts = new JobScripts(client, "extend", "c1");
      await scripts.init(SETTINGS);
      const adds = Array.from({ length: 4500 }, (_, i) => {
        const url = `http://h.test/${i}`;
        return { url, host: "h.test", entry: JSON.stringify({ attempts: 0, url, depth: 0 }) };
      });
      for (let i = 0; i < adds.length; i += 250) {
        await scripts.sync({ releases: [], finishes: [], adds: adds.slice(i, i + 250), lease: 0 });
      }
      const tokens: string[] = [];
      for (let i = 0; i < 5; i++) {
        const { lease } = await scripts.sync({ releases: [], finishes: [], adds: [], lease: 1000 });
        tokens.push(...lease.leases.map((l) => l.token));
      }
      assert.equal(new Set(tokens).size, 4500);
      // Three leases as if about to expire, one in each chunk of a thousand.
      const samples = [tokens[0]!, tokens[2200]!, tokens.at(-1)!];
      for (const token of samples) await client.zadd("crawl:{extend}:lexp", 1, token);
      const lost = await scripts.extend([...tokens, "no-such-lease"]);
      assert.deepEqual(lost, ["no-such-lease"]);
      const [seconds] = await client.time();
      for (const token of samples) {
        const expiry = Number(await client.zscore("crawl:{extend}:lexp", token));
        assert.ok(expiry > Number(seconds) * 1000, `lease ${token} renewed`);
      }
    } finally {
      client.disconnect();
    }
  },
);
