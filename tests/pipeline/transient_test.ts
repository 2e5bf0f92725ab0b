/**
 * Transport failures are transient wherever they happen, end to end through
 * the CLI against a raw loopback server: before any reply byte, mid-body (a
 * Content-Length or chunked body cut short), by the deadline while a body
 * drips; a corrupt compression stream is not. A partial body is never parsed.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { CrawlRecord } from "../../src/output/record.ts";
import { parseJsonl, runCli } from "../support/cli_run.ts";
import { head, html, startRawServer } from "../support/raw_server.ts";

const encoder = new TextEncoder();
const PAGE = '<title>Whole</title><a href="/linked">linked</a>';

/** Crawls one URL of `origin` with fast retries; returns its record and the summary. */
async function crawlOne(origin: string, extra: string[] = []) {
  const { code, stdout, stderr } = await runCli([
    "--seeds",
    `${origin}/page`,
    "--allow-private",
    "--ignore-robots",
    "--parsers",
    "0",
    "--max-depth",
    "0",
    "--retries",
    "2",
    "--retry-delay",
    "1",
    ...extra,
  ]);
  const records = parseJsonl<CrawlRecord>(stdout);
  // Exit 4: not a single page could be fetched.
  assert.equal(code, records.some((r) => !r.error) ? 0 : 4, stderr);
  const summary = JSON.parse(stderr.trim().split("\n").findLast((l) => l.startsWith("{"))!);
  return { record: records.find((r) => r.requestedUrl === `${origin}/page`)!, records, summary };
}

Deno.test("CLI: a body cut short before its Content-Length is retried, and the retry's page is kept", async () => {
  await using server = startRawServer(async (conn, { path, attempt }) => {
    if (path !== "/page") return;
    if (attempt === 0) {
      await conn.write(head(200, { "content-type": "text/html", "content-length": 1000 }));
      await conn.write(encoder.encode('<title>Partial</title><a href="/linked">'));
    } else {
      await conn.write(html(PAGE));
    }
  });
  const { record, summary } = await crawlOne(server.origin);
  assert.equal(record.error, undefined, record.errorMessage);
  assert.equal(record.attempts, 2);
  assert.equal(record.title, "Whole");
  assert.equal(summary.retries, 1);
});

Deno.test("CLI: a chunked body that always ends early fails as reset after every attempt, never parsed", async () => {
  await using server = startRawServer(async (conn, { path }) => {
    if (path !== "/page") return;
    await conn.write(head(200, { "content-type": "text/html", "transfer-encoding": "chunked" }));
    const chunk = '<title>Partial</title><a href="/linked">x</a>';
    await conn.write(encoder.encode(`${chunk.length.toString(16)}\r\n${chunk}\r\n`));
  });
  const { record, summary } = await crawlOne(server.origin, ["--max-depth", "1"]);
  assert.equal(record.error, "reset");
  assert.equal(record.status, 200, "the status line came; the body did not");
  assert.equal(record.attempts, 3);
  assert.equal(record.title, null, "a partial body is not parsed");
  assert.deepEqual(record.links, []);
  assert.equal(server.hits.get("/linked"), undefined, "no link followed from a partial body");
  assert.equal(summary.errors.reset, 1);
});

Deno.test("CLI: a connection closed before any reply byte is retried", async () => {
  await using server = startRawServer(async (conn, { path, attempt }) => {
    if (path === "/page" && attempt > 0) await conn.write(html(PAGE));
  });
  const { record } = await crawlOne(server.origin);
  assert.equal(record.error, undefined, record.errorMessage);
  assert.equal(record.attempts, 2);
});

Deno.test("CLI: a body dripping past --timeout times out and is retried up to --retries", async () => {
  await using server = startRawServer(async (conn, { path }) => {
    if (path !== "/page") return;
    await conn.write(head(200, { "content-type": "text/html", "content-length": 100_000 }));
    // A byte every 50 ms: the whole body would take over an hour.
    for (let i = 0; i < 100_000; i++) {
      await conn.write(encoder.encode("x"));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
  const { record } = await crawlOne(server.origin, ["--timeout", "300"]);
  assert.equal(record.error, "timeout");
  assert.equal(record.status, 200);
  assert.equal(record.attempts, 3);
  assert.equal(server.hits.get("/page"), 3);
});

/** A gzip stream of `text`. */
async function gzipOf(text: string): Promise<Uint8Array> {
  return new Uint8Array(
    await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip")))
      .arrayBuffer(),
  );
}

/**
 * A raw server whose `/page` is a valid gzip stream, its connection closed
 * halfway through the deflate data on the attempts `cut` chooses.
 */
async function cutGzipServer(cut: (attempt: number) => boolean) {
  // Random-looking text so the gzip stream is long, and cut well inside its deflate data.
  let text = `<title>Zipped</title>`;
  for (let i = 0; i < 4000; i++) text += ((i * 2654435761) >>> 0).toString(36);
  const gzip = await gzipOf(text);
  return startRawServer(async (conn, { path, attempt }) => {
    if (path !== "/page") return;
    const headers = {
      "content-type": "text/html",
      "content-encoding": "gzip",
      "content-length": gzip.length,
    };
    await conn.write(head(200, headers));
    await conn.write(cut(attempt) ? gzip.subarray(0, gzip.length >> 1) : gzip);
  });
}

Deno.test("CLI: a gzip body cut mid-stream is retried, and the retry's page is kept", async () => {
  await using server = await cutGzipServer((attempt) => attempt === 0);
  const { record, summary } = await crawlOne(server.origin);
  assert.equal(record.error, undefined, record.errorMessage);
  assert.equal(record.attempts, 2, "the cut attempt was retried");
  assert.equal(record.title, "Zipped");
  assert.equal(summary.retries, 1);
  assert.equal(server.hits.get("/page"), 2);
});

Deno.test("CLI: a gzip body always cut mid-stream fails as reset, not as a decode error", async () => {
  await using server = await cutGzipServer(() => true);
  const { record, summary } = await crawlOne(server.origin);
  assert.equal(record.error, "reset", record.errorMessage);
  assert.equal(record.attempts, 3);
  assert.equal(record.title, null, "a partial body is not parsed");
  assert.deepEqual(summary.errors, { reset: 1 });
});

Deno.test("CLI: a corrupt gzip body is a decode error, not retried", async () => {
  const gzip = await gzipOf(`<title>Zipped</title>${"x".repeat(5000)}`);
  for (let i = 20; i < 60; i++) gzip[i]! ^= 0x55;
  await using server = startRawServer(async (conn, { path }) => {
    if (path !== "/page") return;
    await conn.write(head(200, {
      "content-type": "text/html",
      "content-encoding": "gzip",
      "content-length": gzip.length,
    }));
    await conn.write(gzip);
  });
  const { record } = await crawlOne(server.origin);
  assert.equal(record.error, "decode");
  assert.equal(record.attempts, 1);
  assert.equal(server.hits.get("/page"), 1);
});

Deno.test("CLI: a host that cannot be reached gets its transport failure, counted as an error, not a robots skip", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const origin = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
  listener.close(); // a closed port: robots.txt and the page are refused alike
  // (The exit code of a crawl where nothing could be fetched is the CLI's own matter.)
  const { stdout, stderr } = await runCli([
    "--seeds",
    `${origin}/`,
    "--allow-private",
    "--retries",
    "1",
    "--retry-delay",
    "1",
  ]);
  const [record] = parseJsonl<CrawlRecord>(stdout);
  assert.equal(record!.error, "refused");
  assert.equal(record!.attempts, 2);
  const summary = JSON.parse(stderr.trim().split("\n").findLast((l) => l.startsWith("{"))!);
  assert.deepEqual(summary.errors, { refused: 1 });
  assert.equal(summary.skipped.robots, undefined);
});
