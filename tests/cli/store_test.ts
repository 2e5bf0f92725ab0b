/**
 * The CLI's three stores (memory, `--state`, `--redis`) take their limits
 * from the one options schema: a default written once acts the same in each.
 *
 * @module
 */

import assert from "node:assert/strict";
import { OPTION_DEFAULTS } from "../../src/pipeline/options.ts";
import { parseJsonl, runCli } from "../support/cli_run.ts";
import { SITE_PATHS, startFixtureServer } from "../support/fixture_server.ts";
import { redisTest, startRedis } from "../support/redis_server.ts";

/** Crawls the fixture site with `--per-host` left out; returns the server's peak in flight. */
async function peakPerHost(storeFlags: (dir: string) => string[]): Promise<number> {
  // Latency lets requests pile up to whatever cap the crawler applies.
  await using server = startFixtureServer({ latencyMs: 20 });
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/out.jsonl`;
    const { code, stderr } = await runCli([
      "--seeds",
      `${server.origin}/index.html`,
      "--allow-private",
      "--ignore-robots",
      "--parsers",
      "0",
      "--concurrency",
      "16",
      "--out",
      out,
      ...storeFlags(dir),
    ]);
    assert.equal(code, 0, stderr);
    const paths = parseJsonl<{ requestedUrl: string }>(await Deno.readTextFile(out))
      .map((r) => new URL(r.requestedUrl).pathname).sort();
    assert.deepEqual(paths, [...SITE_PATHS].sort());
    return server.maxInFlight;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

redisTest(
  "CLI: --per-host's default caps requests per host alike in memory, SQLite and Redis modes",
  async () => {
    const expected = OPTION_DEFAULTS.perHost;
    assert.equal(await peakPerHost(() => []), expected, "in memory");
    assert.equal(await peakPerHost((dir) => ["--state", `${dir}/crawl.db`]), expected, "--state");
    await using redis = await startRedis();
    const peak = await peakPerHost(() => ["--redis", redis.url, "--job", "defaults"]);
    assert.equal(peak, expected, "--redis");
  },
);
