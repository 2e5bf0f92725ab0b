/**
 * End to end: several crawler processes share one job in a real
 * redis-server and crawl one fixture site, each a real `main.ts` process.
 *
 * @module
 */

import assert from "node:assert/strict";
import { FIXTURES, SITE_PATHS, startFixtureServer } from "../support/fixture_server.ts";
import { parseJsonl, ROOT, withoutDenoNotices } from "../support/cli_run.ts";
import { freePort, redisTest, startRedis } from "../support/redis_server.ts";

const ENTRY = `${ROOT}main.ts`;

interface Crawler {
  child: Deno.ChildProcess;
  done: Promise<{ code: number; signal: Deno.Signal | null; stderr: string }>;
}

function spawnCrawler(args: string[]): Crawler {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-P", ENTRY, ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const done = child.output().then(({ code, signal, stderr }) => ({
    code,
    signal,
    stderr: withoutDenoNotices(new TextDecoder().decode(stderr)),
  }));
  return { child, done };
}

/** The flags of crawler `i` of a job. */
function crawlerArgs(redisUrl: string, job: string, origin: string, out: string, i: number) {
  return [
    "--redis",
    redisUrl,
    "--job",
    job,
    "--seeds",
    `${origin}/index.html`,
    "--allow-private",
    "--parsers",
    "0",
    "--concurrency",
    "8",
    "--per-host",
    "2",
    "--user-agent",
    `crawler-${i}`,
    "--out",
    out,
  ];
}

async function readRecords(path: string): Promise<{ requestedUrl: string }[]> {
  try {
    return parseJsonl(await Deno.readTextFile(path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

const pathOf = (record: { requestedUrl: string }) => new URL(record.requestedUrl).pathname;

/** Exports the job and checks it holds every page of the site exactly once. */
async function assertJobHasSiteOnce(redisUrl: string, job: string, dir: string) {
  const out = `${dir}/export.jsonl`;
  const exporter = spawnCrawler(["export", "--redis", redisUrl, "--job", job, "--out", out]);
  const { code, stderr } = await exporter.done;
  assert.equal(code, 0, stderr);
  const paths = (await readRecords(out)).map(pathOf).sort();
  assert.deepEqual(paths, [...SITE_PATHS].sort());
}

/** The summary line a crawler printed last. */
function summaryOf(stderr: string): { redis: { finished: number; lost: number } } {
  const line = stderr.trim().split("\n").findLast((l) => l.startsWith("{"));
  assert.ok(line, stderr);
  return JSON.parse(line);
}

redisTest("redis cli: three processes crawl a site once, within one per-host limit", async () => {
  await using redis = await startRedis();
  await using server = startFixtureServer({ latencyMs: 15 });
  const dir = await Deno.makeTempDir();
  try {
    const crawlers = [1, 2, 3].map((i) =>
      spawnCrawler([
        ...crawlerArgs(redis.url, "site", server.origin, `${dir}/out${i}.jsonl`, i),
        "--ignore-robots",
      ])
    );
    const results = await Promise.all(crawlers.map((c) => c.done));
    for (const { code, stderr } of results) assert.equal(code, 0, stderr);
    const outputs = await Promise.all([1, 2, 3].map((i) => readRecords(`${dir}/out${i}.jsonl`)));
    const paths = outputs.flat().map(pathOf).sort();
    assert.deepEqual(paths, [...SITE_PATHS].sort(), "each page in exactly one process's output");
    const finished = results.map((r) => summaryOf(r.stderr).redis.finished);
    assert.equal(finished.reduce((a, b) => a + b, 0), SITE_PATHS.length);
    assert.deepEqual([...server.hits.entries()].filter(([, n]) => n > 1), [], "no URL twice");
    // Three processes of 8 requests each, one job-wide limit of 2.
    assert.equal(server.maxInFlight, 2);
    await assertJobHasSiteOnce(redis.url, "site", dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Serves `path` from the fixture site, running `onHit` on each request first. */
function hookedRoute(path: string, onHit: (request: Request) => void) {
  return {
    [path]: async (request: Request, server: { origin: string }) => {
      onHit(request);
      const html = await Deno.readTextFile(`${FIXTURES}site${path}`);
      return new Response(html.replaceAll("{{origin}}", server.origin), {
        headers: { "content-type": "text/html; charset=utf-8" },
      });
    },
  };
}

redisTest(
  "redis cli: a process killed mid-crawl loses nothing and duplicates nothing",
  async () => {
    await using redis = await startRedis();
    const crawlers: Crawler[] = [];
    let killed = -1;
    // /chain/6.html is only found through /chain/5.html, and /chain/7.html only through it:
    // the crawler fetching it is killed holding its lease, and the job cannot end without it.
    await using server = startFixtureServer({
      latencyMs: 15,
      routes: hookedRoute("/chain/6.html", (request) => {
        if (killed !== -1) return;
        killed = Number(request.headers.get("user-agent")!.slice("crawler-".length));
        crawlers[killed - 1]!.child.kill("SIGKILL");
      }),
    });
    const dir = await Deno.makeTempDir();
    try {
      for (const i of [1, 2, 3]) {
        const args = crawlerArgs(redis.url, "kill", server.origin, `${dir}/out${i}.jsonl`, i);
        crawlers.push(spawnCrawler([...args, "--lease-ms", "1000"]));
      }
      const results = await Promise.all(crawlers.map((c) => c.done));
      assert.notEqual(killed, -1);
      results.forEach(({ code, signal, stderr }, k) => {
        if (k === killed - 1) assert.equal(signal, "SIGKILL");
        else assert.equal(code, 0, stderr);
      });
      await assertJobHasSiteOnce(redis.url, "kill", dir);
      // Outputs hold no page twice (the killed one may have written fewer than it committed).
      const outputs = await Promise.all([1, 2, 3].map((i) => readRecords(`${dir}/out${i}.jsonl`)));
      const paths = outputs.flat().map(pathOf);
      assert.equal(new Set(paths).size, paths.length);
      // Re-fetched: only what the killed process had in flight (at most its --concurrency).
      assert.equal(server.hits.get("/chain/6.html"), 2);
      const twice = [...server.hits].filter(([path, n]) => n > 1 && path !== "/robots.txt");
      assert.ok(twice.length <= 8 && twice.every(([, n]) => n === 2), JSON.stringify(twice));
      assert.ok((server.hits.get("/robots.txt") ?? 0) <= 3, "robots.txt once per process");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

redisTest("redis cli: processes ride out a Redis restart mid-crawl", async () => {
  await using redis = await startRedis();
  let restarted: Promise<void> | undefined;
  await using server = startFixtureServer({
    latencyMs: 15,
    routes: hookedRoute("/chain/4.html", () => restarted ??= redis.restart()),
  });
  const dir = await Deno.makeTempDir();
  try {
    const crawlers = [1, 2, 3].map((i) =>
      spawnCrawler(crawlerArgs(redis.url, "restart", server.origin, `${dir}/out${i}.jsonl`, i))
    );
    const results = await Promise.all(crawlers.map((c) => c.done));
    assert.ok(restarted);
    await restarted;
    for (const { code, stderr } of results) assert.equal(code, 0, stderr);
    await assertJobHasSiteOnce(redis.url, "restart", dir);
    const outputs = await Promise.all([1, 2, 3].map((i) => readRecords(`${dir}/out${i}.jsonl`)));
    assert.deepEqual(outputs.flat().map(pathOf).sort(), [...SITE_PATHS].sort());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("redis cli: an unreachable Redis is one error line and exit 1", async () => {
  const port = freePort();
  const url = `redis://:hunter2@127.0.0.1:${port}/0`;
  const { code, stderr } = await spawnCrawler([
    "--redis",
    url,
    "--job",
    "x",
    "--seeds",
    "http://127.0.0.1:1/",
  ]).done;
  assert.equal(code, 1);
  assert.equal(
    stderr.trim(),
    `error: cannot reach Redis at redis://:***@127.0.0.1:${port}/0: connect ECONNREFUSED 127.0.0.1:${port}`,
  );
});
