/**
 * What the CLI tells a person, through the real CLI: progress lines when
 * stderr is a pipe, the live status line on a terminal (a pseudo-terminal
 * made by util-linux `script`), the summary, `--quiet`, `--verbose`,
 * `--stats-json`, and what the first stop signal says.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { CrawlRecord } from "../../src/output/record.ts";
import { parseJsonl, ROOT, runCli } from "../support/cli_run.ts";
import { spawnCli, StreamText } from "../support/cli_stream.ts";
import { SITE_PATHS, startFixtureServer } from "../support/fixture_server.ts";

const HTML = { "content-type": "text/html; charset=utf-8" };

/** A server whose `/slow` page is held until `release()`; `hit` resolves when it is asked for. */
function heldPageServer() {
  const held = Promise.withResolvers<void>();
  const hit = Promise.withResolvers<void>();
  const server = startFixtureServer({
    routes: {
      "/slow": async () => {
        hit.resolve();
        await held.promise;
        return new Response("<title>Slow</title>", { headers: HTML });
      },
    },
  });
  return { server, hit: hit.promise, release: () => held.resolve() };
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "talk_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const DURATION = String.raw`\d+(\.\d)? m?s`;

Deno.test("talk: with stderr on a pipe, a progress line comes while a page is in flight; the summary and the JSON line end it", async () => {
  const { server, release } = heldPageServer();
  await using _server = server;
  await withDir(async (dir) => {
    const out = `${dir}/pages.jsonl`;
    const cli = spawnCli([
      ...["--seeds", `${server.origin}/slow`, "--out", out, "--progress-interval", "20"],
      ...["--allow-private", "--ignore-robots", "--parsers", "0"],
    ]);
    const [progress] = await cli.stderr.waitFor(/^progress: .*$/m);
    assert.match(
      progress,
      new RegExp(
        `^progress: ${DURATION}, pages 0 \\| queued 0 \\| in flight 1 \\| parsing 0 \\| ` +
          String.raw`0\.0 pages/s \| errors 0$`,
      ),
    );
    release();
    const { code, stderr } = await cli.done();
    assert.equal(code, 0, stderr);
    const lines = stderr.trimEnd().split("\n").filter((line) => !line.startsWith("progress: "));
    assert.match(lines[0]!, new RegExp(`^crawl done in ${DURATION}: 1 page ok, 0 errors$`));
    assert.equal(lines[1], `  output   ${out} (1 record, jsonl)`);
    assert.match(lines[2]!, /^ {2}speed {4}[\d.]+ pages\/s, 19 B received$/);
    assert.equal(lines.length, 4, stderr);
    assert.equal(JSON.parse(lines[3]!).pagesOk, 1, "the JSON stats line comes last");
  });
});

Deno.test("talk: the summary counts errors by kind and lists the first broken targets with their page", async () => {
  await using server = startFixtureServer();
  const result = await runCli([
    ...["--seeds", `${server.origin}/index.html`, "--allow-private", "--parsers", "0"],
  ]);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stderr.trimEnd().split("\n");
  const ok = SITE_PATHS.length - 1;
  assert.match(
    lines[0]!,
    new RegExp(`^crawl done in ${DURATION}: ${ok} pages ok, 1 error(, \\d+ skipped)?$`),
  );
  assert.ok(lines.includes("  errors   broken 1 (http_4xx 1)"), result.stderr);
  const broken = lines.find((line) => line.startsWith("  broken   "));
  assert.match(
    broken!,
    new RegExp(`^ {2}broken {3}404 ${server.origin}/missing.html {2}<- ${server.origin}/\\S+$`),
  );
  assert.ok(lines.includes(`  output   stdout (${SITE_PATHS.length} records, jsonl)`));
});

Deno.test("talk: --verbose prints a line per URL, --quiet only errors and hints", async () => {
  await using server = startFixtureServer();
  const verbose = await runCli([
    ...["--seeds", `${server.origin}/index.html`, "--allow-private", "--verbose"],
  ]);
  assert.equal(verbose.code, 0, verbose.stderr);
  const records = parseJsonl<CrawlRecord>(verbose.stdout);
  const requestLines = verbose.stderr.split("\n").filter((line) => /^(\d{3}|---) http/.test(line));
  assert.equal(requestLines.length, records.length);
  assert.ok(
    requestLines.includes(
      `200 ${server.origin}/about.html ${
        Math.round(records.find((r) => r.url.endsWith("/about.html"))!.durationMs)
      } ms`,
    ),
    verbose.stderr,
  );
  assert.match(
    verbose.stderr,
    new RegExp(`^404 ${server.origin}/missing.html \\d+ ms http_4xx$`, "m"),
  );

  const requests = server.log.length;
  const quiet = await runCli(["--seeds", `${server.origin}/index.html`, "--quiet"]);
  assert.equal(quiet.code, 4);
  assert.deepEqual(quiet.stderr.trimEnd().split("\n"), [
    "hint: 127.0.0.1 is a private or loopback address, which the crawler refuses by default: " +
    "pass --allow-private to crawl private networks, or --allow-address 127.0.0.1/32 for this " +
    "address only",
    "error: not a single page could be fetched (blocked_address 1)",
  ]);
  assert.equal(server.log.length, requests, "the refused seed was not requested");
});

Deno.test("talk: --stats-json puts the JSON stats line on stdout, and only there", async () => {
  await using server = startFixtureServer();
  await withDir(async (dir) => {
    const result = await runCli([
      ...["--seeds", `${server.origin}/about.html`, "--max-depth", "0", "--allow-private"],
      ...["--out", `${dir}/about.jsonl`, "--stats-json"],
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.split("\n").length, 2, "one line");
    assert.equal(JSON.parse(result.stdout).pagesOk, 1);
    assert.doesNotMatch(result.stderr, /"pagesOk"/);
    assert.match(result.stderr, /^crawl done in /m);
  });
});

Deno.test("talk: the first SIGINT says what happens next; with --state the end says how to resume", async () => {
  const { server, hit, release } = heldPageServer();
  await using _server = server;
  await withDir(async (dir) => {
    const state = `${dir}/site.db`;
    const cli = spawnCli([
      ...["--seeds", `${server.origin}/slow`, "--state", state, "--out", `${dir}/pages.jsonl`],
      ...["--allow-private", "--ignore-robots", "--parsers", "0"],
    ]);
    await hit;
    cli.child.kill("SIGINT");
    const [stopping] = await cli.stderr.waitFor(/^stopping: .*$/m);
    assert.equal(
      stopping,
      "stopping: finishing 1 page in flight (for at most 10.0 s); Ctrl-C again to stop at once",
    );
    release();
    const { code, stderr } = await cli.done();
    assert.equal(code, 130, stderr);
    assert.match(stderr, new RegExp(`^run 1 stopped by a signal in ${DURATION}: 1 page ok`, "m"));
    assert.match(
      stderr,
      new RegExp(
        `^ {2}resume {3}run the same command again: ${state} keeps what is left to crawl$`,
        "m",
      ),
    );
  });
});

Deno.test("talk: on a terminal, the live status line is drawn, then the summary, and no JSON line", async () => {
  const { server, release } = heldPageServer();
  await using _server = server;
  await withDir(async (dir) => {
    const deno = [Deno.execPath(), "run", "-P", `${ROOT}main.ts`];
    const args = [
      ...["--seeds", `${server.origin}/slow`, "--out", `${dir}/pages.jsonl`],
      ...["--allow-private", "--ignore-robots", "--parsers", "0"],
    ];
    // util-linux script gives the CLI a pseudo-terminal; what it draws comes out on stdout.
    const child = new Deno.Command("script", {
      args: ["-qec", [...deno, ...args].join(" "), "/dev/null"],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const terminal = new StreamText(child.stdout);
    const stderr = new Response(child.stderr).text();
    // Back to column 0, erase the line (ESC [2K), draw.
    const redraw = `\r${String.fromCharCode(27)}\\[2K`;
    await terminal.waitFor(
      new RegExp(`${redraw}pages 0 \\| queued 0 \\| in flight 1 \\| parsing 0`),
    );
    release();
    const status = await child.status;
    await terminal.ended;
    assert.equal(status.code, 0, terminal.text + (await stderr));
    const shown = terminal.text.replaceAll("\r\x1b[2K", "\n").replaceAll("\r\n", "\n");
    assert.match(shown, new RegExp(`^crawl done in ${DURATION}: 1 page ok, 0 errors$`, "m"));
    assert.doesNotMatch(shown, /"pagesOk"/, "no JSON line on a terminal");
  });
});
