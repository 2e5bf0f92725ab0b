/**
 * `--warc` with `--redis`: each process of a shared job writes WARC files
 * of its own, named after its host and pid; together they hold one response
 * per page, and `export --warc-files` lists them.
 *
 * @module
 */

import assert from "node:assert/strict";
import { hostname } from "node:os";
import { cliCommand, runCli, withoutDenoNotices } from "../support/cli_run.ts";
import { SITE_PATHS, startFixtureServer } from "../support/fixture_server.ts";
import { redisTest, startRedis } from "../support/redis_server.ts";
import { readWarc, warcFiles, warcio } from "../support/warc.ts";

redisTest(
  "--warc with --redis: each process writes its own files, export --warc-files lists them",
  async () => {
    await using redis = await startRedis();
    await using server = startFixtureServer({ latencyMs: 10 });
    const dir = await Deno.makeTempDir({ prefix: "warc_redis_test_" });
    try {
      const crawlers = [1, 2].map((i) => {
        const child = cliCommand([
          "--redis",
          redis.url,
          "--job",
          "site",
          "--seeds",
          `${server.origin}/index.html`,
          "--allow-private",
          "--ignore-robots",
          "--parsers",
          "0",
          "--concurrency",
          "4",
          "--out",
          `${dir}/out${i}.jsonl`,
          "--warc",
          `${dir}/site.warc.gz`,
          "--quiet",
        ]).spawn();
        return { pid: child.pid, done: child.stdin.close().then(() => child.output()) };
      });
      for (const { done } of crawlers) {
        const { code, stderr } = await done;
        assert.equal(code, 0, withoutDenoNotices(new TextDecoder().decode(stderr)));
      }
      const files = await warcFiles(dir);
      const host = hostname().replace(/[^A-Za-z0-9.]+/g, "_");
      for (const { pid } of crawlers) {
        assert.equal(
          files.filter((f) => f.endsWith(`-00000-${host}-${pid}.warc.gz`)).length,
          1,
          `process ${pid} wrote its own file: ${files.join(", ")}`,
        );
      }
      await warcio("index", files);
      const responses: string[] = [];
      for (const file of files) {
        for (const record of await readWarc(file)) {
          if (record.type === "response") {
            responses.push(
              new URL(record.field("WARC-Target-URI")!).pathname,
            );
          }
        }
      }
      assert.deepEqual(
        responses.sort(),
        [...SITE_PATHS].sort(),
        "each page once across the processes",
      );
      const listed = await runCli([
        "export",
        "--redis",
        redis.url,
        "--job",
        "site",
        "--warc-files",
        "-q",
      ]);
      assert.equal(listed.code, 0, listed.stderr);
      assert.deepEqual(
        listed.stdout.trim().split("\n").sort(),
        files.map((f) => `${hostname()}:${f}`).sort(),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
