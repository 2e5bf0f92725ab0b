import assert from "node:assert/strict";
import {
  InvalidGzipError,
  parseSitemap,
  readSitemapBody,
  SitemapTooLargeError,
} from "../../src/robots/sitemap_file.ts";
import { BodyDecodeError, BodyTooLargeError } from "../../src/http/body.ts";
import { classifyFetchError } from "../../src/http/errors.ts";
import {
  gzip,
  gzipBomb,
  LENIENT_URLSET,
  measurePeakRss,
  sitemapIndex,
  urlset,
} from "./sitemap_helpers.ts";

Deno.test("sitemap: readSitemapBody cancels the source once the inflated size passes the cap", async () => {
  const bomb = await gzipBomb(200); // 200 MiB of zeros in ~200 KiB
  const chunkBytes = 64 * 1024;
  let pulled = 0;
  let cancelled = false;
  const source = new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(controller) {
      if (pulled >= bomb.byteLength) return controller.close();
      controller.enqueue(bomb.slice(pulled, pulled + chunkBytes));
      pulled += chunkBytes;
    },
    cancel() {
      cancelled = true;
    },
  }, { highWaterMark: 0 });
  const growth = await measurePeakRss();
  await assert.rejects(
    readSitemapBody(new Response(source), { maxBytes: 256 * 1024 }),
    SitemapTooLargeError,
  );
  // One 64 KiB read inflated in one go would be a 64 MiB chunk.
  const grown = await growth?.();
  if (grown !== undefined) assert.ok(grown < 12 * 1024 * 1024, `peak RSS grew by ${grown} bytes`);
  assert.ok(cancelled, "the compressed source was not cancelled");
  assert.equal(pulled, chunkBytes, "read past the first compressed chunk");
});

Deno.test("sitemap: parseSitemap reads prefixed, CDATA and entity-encoded entries leniently", () => {
  const parsed = parseSitemap(LENIENT_URLSET);
  assert.equal(parsed.kind, "urlset");
  assert.equal(parsed.truncated, false);
  assert.deepEqual(parsed.entries, [
    { loc: "https://example.org/a?x=1&y=2", lastmod: "2024-05-01T10:00:00+00:00" },
    { loc: "https://example.org/b?q=%3C1%3E" },
    { loc: "https://example.org/unprefixed" },
  ]);
});

Deno.test("sitemap: parseSitemap keeps only absolute http(s) locs", () => {
  const parsed = parseSitemap(urlset([
    { loc: "http://example.org/ok" },
    { loc: "/relative/path" },
    { loc: "ftp://example.org/file" },
    { loc: "mailto:someone@example.org" },
    { loc: "javascript:alert(1)" },
    { loc: "" },
    { loc: "HTTPS://EXAMPLE.ORG/Upper" },
  ]));
  assert.deepEqual(parsed.entries.map((e) => e.loc), [
    "http://example.org/ok",
    "https://example.org/Upper",
  ]);
});

Deno.test("sitemap: parseSitemap tells indexes from urlsets and non-sitemaps", () => {
  const index = parseSitemap(sitemapIndex(["https://example.org/s1.xml"]));
  assert.equal(index.kind, "sitemapindex");
  assert.deepEqual(index.entries, [{ loc: "https://example.org/s1.xml" }]);
  const html = parseSitemap("<!doctype html><html><body><loc>https://x.org/</loc></body></html>");
  assert.equal(html.kind, "unknown");
  assert.equal(html.root, "html");
  assert.deepEqual(html.entries, []);
  assert.equal(parseSitemap("not xml at all").kind, "unknown");
  assert.equal(parseSitemap("").root, null);
});

Deno.test("sitemap: parseSitemap stops at maxEntries (50,000 by default)", () => {
  const many = urlset(Array.from({ length: 50_001 }, (_, i) => ({ loc: `https://e.org/${i}` })));
  const parsed = parseSitemap(many);
  assert.equal(parsed.entries.length, 50_000);
  assert.equal(parsed.truncated, true);
  const few = parseSitemap(many, { maxEntries: 3 });
  assert.deepEqual(few.entries.map((e) => e.loc), [
    "https://e.org/0",
    "https://e.org/1",
    "https://e.org/2",
  ]);
  assert.throws(
    () => parseSitemap(many, { maxEntries: 0 }),
    new RangeError("Cannot parse sitemap as 'maxEntries' must be a positive integer: received 0"),
  );
});

Deno.test("sitemap: readSitemapBody caps plain bodies and reports broken gzip", async () => {
  await assert.rejects(
    readSitemapBody(new Response("x".repeat(2000)), { maxBytes: 1000 }),
    new SitemapTooLargeError(1000),
  );
  const exact = await readSitemapBody(new Response("x".repeat(1000)), { maxBytes: 1000 });
  assert.equal(exact.byteLength, 1000);
  const gz = await gzip(urlset([{ loc: "https://e.org/" }]));
  await assert.rejects(
    readSitemapBody(new Response(gz.slice(0, gz.byteLength - 8))),
    (error: unknown) =>
      error instanceof TypeError &&
      error.message.startsWith("Cannot read sitemap as its gzip data is invalid"),
  );
  // A body split before the second magic byte is still recognized.
  const split = new ReadableStream<Uint8Array<ArrayBuffer>>({
    start(controller) {
      controller.enqueue(gz.slice(0, 1));
      controller.enqueue(gz.slice(1));
      controller.close();
    },
  });
  const text = new TextDecoder().decode(await readSitemapBody(new Response(split)));
  assert.equal(text, urlset([{ loc: "https://e.org/" }]));
  assert.equal((await readSitemapBody(new Response(null))).byteLength, 0);
  await assert.rejects(
    readSitemapBody(new Response("x"), { maxBytes: 0 }),
    new RangeError("Cannot read sitemap as 'maxBytes' must be a positive integer: received 0"),
  );
});

Deno.test("sitemap: readSitemapBody stops and cancels the body when its signal aborts", async () => {
  const controller = new AbortController();
  let cancelled = false;
  const endless = new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(stream) {
      stream.enqueue(new TextEncoder().encode("<urlset>"));
      controller.abort(new Error("stop"));
    },
    cancel() {
      cancelled = true;
    },
  }, { highWaterMark: 0 });
  await assert.rejects(
    readSitemapBody(new Response(endless), { signal: controller.signal }),
    new Error("stop"),
  );
  assert.ok(cancelled);
});

Deno.test("sitemap: its size and gzip errors are the body errors request() classifies", async () => {
  const large = new SitemapTooLargeError(100);
  assert.ok(large instanceof BodyTooLargeError);
  assert.equal(large.limit, 100);
  assert.deepEqual(classifyFetchError(large), {
    code: "too_large",
    message: "Cannot read sitemap as it exceeds 100 bytes uncompressed",
  });
  const gz = await gzip("<urlset/>");
  const error = await readSitemapBody(new Response(gz.slice(0, 12))).catch((e) => e);
  assert.ok(error instanceof InvalidGzipError && error instanceof BodyDecodeError);
  assert.ok(error.cause instanceof TypeError, "the decompressor's error is the cause");
  const { code, message } = classifyFetchError(error);
  assert.equal(code, "decode");
  assert.match(message, /^Cannot read sitemap as its gzip data is invalid: /);
});

Deno.test("sitemap: parseSitemap takes the kind of the first root element only", () => {
  // Found by fuzzing: a second top-level element replaced the kind of the first.
  const parsed = parseSitemap(
    urlset([{ loc: "https://e.org/page" }]) + sitemapIndex(["https://e.org/s.xml"]),
  );
  assert.equal(parsed.kind, "urlset");
  assert.equal(parsed.root, "urlset");
  assert.deepEqual(parsed.entries, [{ loc: "https://e.org/page" }]);
});

Deno.test("sitemap: parseSitemap reads a tag left open at the end wherever 64 KiB falls", () => {
  // Found by fuzzing: written in 64 KiB slices, the unclosed end tag's text came from the
  // wrong slice, so the last loc depended on where the document started.
  const xml = "<URLSET><URL><LOC>http://a.test/&lt/>LOC><LOC>a.test/</LOhttp://a.test/2</LOC\r\n";
  const expected = parseSitemap(xml);
  assert.deepEqual(expected.entries, [{ loc: "http://a.test/&lt/%3ELOC%3Ea.test/" }]);
  for (let at = 0; at < xml.length; at++) {
    assert.deepEqual(parseSitemap(" ".repeat(65_536 - at) + xml), expected, `boundary at ${at}`);
  }
});

Deno.test("sitemap: parseSitemap stops at deep nesting instead of taking quadratic time", () => {
  // Found by fuzzing: htmlparser2 spends time proportional to the depth on every tag, so
  // 100,000 nested tags took ~10 s. Past 32 levels the parse ends, keeping what it read.
  const entry = (loc: string) => `<url><loc>${loc}</loc></url>`;
  const deep = (depth: number) =>
    parseSitemap(
      `<urlset>${entry("https://e.org/a")}<url>${"<x>".repeat(depth)}${"</x>".repeat(depth)}` +
        `</url>${entry("https://e.org/b")}</urlset>`,
    ).entries.map((e) => e.loc);
  assert.deepEqual(deep(30), ["https://e.org/a", "https://e.org/b"]);
  assert.deepEqual(deep(31), ["https://e.org/a"]);
  const start = performance.now();
  assert.deepEqual(deep(100_000), ["https://e.org/a"]);
  const elapsed = performance.now() - start;
  assert.ok(elapsed < 1000, `took ${Math.round(elapsed)} ms`);
});
