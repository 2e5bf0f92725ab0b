/**
 * Request limits end to end through `runCrawl` against real loopback
 * servers: the whole-request deadline, the body cap (decompressed bytes),
 * bodies read only for HTML, and the User-Agent header.
 */

import assert from "node:assert/strict";
import { DEFAULT_USER_AGENT } from "../../src/pipeline/options.ts";
import type { CrawlOptionsInput } from "../../src/pipeline/options_input.ts";
import type { CrawlRecord } from "../../src/output/record.ts";
import { crawlRecords } from "../support/crawl.ts";
import { type FixtureServer, startFixtureServer } from "../support/fixture_server.ts";

/** Crawls the loopback fixtures (the private-address guard lifted), under a 5 s deadline. */
const crawl = (options: CrawlOptionsInput, onRecord?: (record: CrawlRecord) => void) =>
  crawlRecords({ allowPrivate: true, ...options }, { deadlineMs: 5_000, onRecord });

/** The record of a path on a server. */
function recordOf(records: CrawlRecord[], server: FixtureServer, path: string): CrawlRecord {
  const record = records.find((r) => r.requestedUrl === server.origin + path);
  assert.ok(record, `no record for ${path}`);
  return record;
}

/**
 * Waits for a server-side stream to be cancelled; a fallback timer fails the
 * test instead of hanging it when the client never lets go.
 */
async function cancelled(stream: { cancelled: Promise<void> }, what: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const fallback = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: the body was never cancelled`)), 2_000);
  });
  try {
    await Promise.race([stream.cancelled, fallback]);
  } finally {
    clearTimeout(timer);
  }
}

/** A body that never ends: `next()` makes each chunk; `cancelled` settles when the client leaves. */
function endless(next: () => Uint8Array) {
  const { promise, resolve } = Promise.withResolvers<void>();
  const body = new ReadableStream<Uint8Array>({
    // Pull-based: the stream only grows as fast as the client reads it.
    pull: (controller) => controller.enqueue(next()),
    cancel: () => resolve(),
  });
  return { body, cancelled: promise };
}

/** A body that sends one byte every 20 ms, forever; `cancelled` settles when the client leaves. */
function drip() {
  const { promise, resolve } = Promise.withResolvers<void>();
  let timer: ReturnType<typeof setInterval> | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode("<!doctype html><title>drip</title>"));
      timer = setInterval(() => controller.enqueue(new Uint8Array([0x20])), 20);
    },
    cancel() {
      clearInterval(timer);
      resolve();
    },
  });
  return { body, cancelled: promise };
}

/** gzip of the concatenated chunks. */
async function gzip(
  chunks: Iterable<Uint8Array<ArrayBuffer>>,
): Promise<Uint8Array<ArrayBuffer>> {
  const stream = ReadableStream.from(chunks).pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const HTML = { "content-type": "text/html; charset=utf-8" };
const MiB = 1024 * 1024;

// --- the whole-request deadline ----------------------------------------------------------------

Deno.test("fetch limits: timeoutMs also ends a body that drips in slowly", async () => {
  const stream = drip();
  await using server = startFixtureServer({
    routes: { "/drip": () => new Response(stream.body, { headers: HTML }) },
  });
  const { records } = await crawl({
    seeds: [`${server.origin}/drip`],
    timeoutMs: 150,
    retries: 0,
    ignoreRobots: true,
  });
  assert.equal(records.length, 1);
  const [record] = records as [CrawlRecord];
  assert.equal(record.error, "timeout");
  assert.equal(record.status, 200, "the headers came in time");
  assert.ok(record.durationMs >= 140, `gave up after ${record.durationMs} ms`);
  assert.ok(record.durationMs < 1000, `gave up only after ${record.durationMs} ms`);
  await cancelled(stream, "/drip");
});

// --- the body cap ------------------------------------------------------------------------------

Deno.test("fetch limits: an endless HTML body fails too_large at maxBytes", async () => {
  const chunk = new TextEncoder().encode("<p>".padEnd(16 * 1024, "x"));
  const stream = endless(() => chunk);
  await using server = startFixtureServer({
    routes: { "/endless": () => new Response(stream.body, { headers: HTML }) },
  });
  const { records } = await crawl({
    seeds: [`${server.origin}/endless`],
    maxBytes: 64 * 1024,
    ignoreRobots: true,
  });
  assert.equal(records.length, 1);
  assert.equal(records[0]!.error, "too_large");
  assert.equal(records[0]!.attempts, 1, "too_large is not retried");
  await cancelled(stream, "/endless");
});

Deno.test("fetch limits: a gzip bomb fails too_large without inflating into memory", async () => {
  // 64 MiB of zeros, about 64 KiB compressed, generated once as a stream (never whole in memory).
  const zeros = new Uint8Array(64 * 1024);
  const bomb = await gzip((function* () {
    for (let i = 0; i < 1024; i++) yield zeros;
  })());
  assert.ok(bomb.byteLength < MiB, `bomb is ${bomb.byteLength} bytes compressed`);
  await using server = startFixtureServer({
    routes: {
      "/bomb": () => new Response(bomb, { headers: { ...HTML, "content-encoding": "gzip" } }),
    },
  });
  const before = Deno.memoryUsage().rss;
  let after = 0;
  const { records } = await crawl(
    { seeds: [`${server.origin}/bomb`], maxBytes: MiB, ignoreRobots: true },
    () => (after = Deno.memoryUsage().rss),
  );
  assert.equal(records.length, 1);
  assert.equal(records[0]!.error, "too_large");
  // Generous: anything near the 64 MiB inflated size means the body was read whole.
  const growth = after - before;
  assert.ok(growth < 32 * MiB, `RSS grew ${(growth / MiB).toFixed(1)} MiB`);
});

Deno.test("fetch limits: maxBytes counts decompressed bytes, not bytes on the wire", async () => {
  const html = `<!doctype html><title>big</title><p>${"a".repeat(256 * 1024)}</p>`;
  const body = await gzip([new TextEncoder().encode(html)]);
  await using server = startFixtureServer({
    routes: {
      "/big": () => new Response(body, { headers: { ...HTML, "content-encoding": "gzip" } }),
    },
  });
  assert.ok(body.byteLength < 10_000, `${body.byteLength} bytes compressed`);
  const small = await crawl({
    seeds: [`${server.origin}/big`],
    maxBytes: 100_000,
    ignoreRobots: true,
  });
  assert.equal(small.records[0]!.error, "too_large");

  // Under a cap that fits the inflated body, the record counts inflated bytes.
  const large = await crawl({ seeds: [`${server.origin}/big`], maxBytes: MiB, ignoreRobots: true });
  const [record] = large.records as [CrawlRecord];
  assert.equal(record.error, undefined);
  assert.equal(record.title, "big");
  assert.equal(record.bytes, html.length);
});

// --- only HTML is read -------------------------------------------------------------------------

Deno.test("fetch limits: other types are recorded at once, without reading their bodies", async () => {
  const blob = endless(() => new Uint8Array(16 * 1024));
  const pdf = endless(() => new Uint8Array(16 * 1024));
  await using server = startFixtureServer({
    routes: {
      "/": () =>
        new Response('<!doctype html><a href="/blob">b</a><a href="/doc.pdf">d</a>', {
          headers: HTML,
        }),
      "/blob": () =>
        new Response(blob.body, { headers: { "content-type": "application/octet-stream" } }),
      // A declared length the server never reaches: only the header can give `bytes`.
      "/doc.pdf": () =>
        new Response(pdf.body, {
          headers: { "content-type": "application/pdf", "content-length": "5000000" },
        }),
    },
  });
  const { records } = await crawl({
    seeds: [`${server.origin}/`],
    maxBytes: 1000,
    timeoutMs: 2000,
    ignoreRobots: true,
  });
  assert.equal(records.length, 3);
  const blobRecord = recordOf(records, server, "/blob");
  assert.equal(blobRecord.error, undefined);
  assert.equal(blobRecord.status, 200);
  assert.equal(blobRecord.contentType, "application/octet-stream");
  assert.equal(blobRecord.bytes, 0, "no Content-Length, nothing read");
  const pdfRecord = recordOf(records, server, "/doc.pdf");
  assert.equal(pdfRecord.error, undefined);
  assert.equal(pdfRecord.contentType, "application/pdf");
  assert.equal(pdfRecord.bytes, 5_000_000);
  assert.deepEqual(pdfRecord.links, []);
  for (const record of [blobRecord, pdfRecord]) {
    assert.ok(record.durationMs < 1000, `${record.url} took ${record.durationMs} ms`);
  }
  await cancelled(blob, "/blob");
  await cancelled(pdf, "/doc.pdf");
});

// --- User-Agent --------------------------------------------------------------------------------

Deno.test("fetch limits: the default User-Agent names the project and a contact URL", async () => {
  await using server = startFixtureServer({
    routes: { "/": () => new Response("<!doctype html><title>home</title>", { headers: HTML }) },
  });
  await crawl({ seeds: [`${server.origin}/`] });
  assert.match(DEFAULT_USER_AGENT, /^deno-crawler\/[\d.]+ \(\+https?:\/\/[^\s)]+\)$/);
  assert.deepEqual(server.log.map((entry) => [entry.path, entry.userAgent]), [
    ["/robots.txt", DEFAULT_USER_AGENT],
    ["/", DEFAULT_USER_AGENT],
  ]);
});

Deno.test("fetch limits: the userAgent option is sent with every request", async () => {
  const userAgent = "acmebot/3.1 (+https://acme.invalid/bot)";
  await using server = startFixtureServer({
    routes: {
      "/": () => new Response('<!doctype html><a href="/next">n</a>', { headers: HTML }),
      "/next": () => new Response("<!doctype html><title>next</title>", { headers: HTML }),
    },
  });
  await crawl({ seeds: [`${server.origin}/`], userAgent });
  assert.deepEqual(server.log.map((entry) => [entry.path, entry.userAgent]), [
    ["/robots.txt", userAgent],
    ["/", userAgent],
    ["/next", userAgent],
  ]);
});
