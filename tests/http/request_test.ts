import assert from "node:assert/strict";
import { fetchPage, request, type RequestOptions } from "../../src/http/request.ts";
import { BodyDecodeError, BodyTooLargeError } from "../../src/http/body.ts";
import type { ErrorCode } from "../../src/output/record.ts";
import { startFixtureServer } from "../support/fixture_server.ts";

const OPTIONS: RequestOptions = { timeoutMs: 5_000, maxBytes: 1024 * 1024, maxRedirects: 5 };

function redirect(location: string, status = 302): () => Response {
  return () => new Response(null, { status, headers: { location } });
}

function html(body: string, headers: Record<string, string> = {}): () => Response {
  return () => new Response(body, { headers: { "content-type": "text/html", ...headers } });
}

/**
 * A body that sends `first`, then nothing more until cancelled (`cancelled`
 * settles then) or ended by `end()`.
 */
function stalledBody(first: string) {
  const cancelled = Promise.withResolvers<void>();
  let stream: ReadableStreamDefaultController<Uint8Array> | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      stream = controller;
      controller.enqueue(new TextEncoder().encode(first));
    },
    cancel() {
      cancelled.resolve();
    },
  });
  const end = () => {
    try {
      stream?.close();
    } catch {
      // Already cancelled: nothing to end.
    }
  };
  return { body, cancelled: cancelled.promise, end };
}

/**
 * Whether `stalled` gets cancelled within 10 s; past that it is ended, so a
 * bug fails the test instead of hanging it (and the server can shut down).
 */
async function cancelledWithin10s(stalled: ReturnType<typeof stalledBody>): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const fallback = new Promise<string>((resolve) => {
    timer = setTimeout(() => {
      stalled.end();
      resolve("still open");
    }, 10_000);
  });
  try {
    return await Promise.race([stalled.cancelled.then(() => "cancelled"), fallback]);
  } finally {
    clearTimeout(timer);
  }
}

async function gzip(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream("gzip"));
  return await new Response(stream).bytes();
}

// --- the hop check ---

Deno.test("request: with checkFirst, checkHop refuses the first URL before any request", async () => {
  await using server = startFixtureServer({ routes: { "/": html("<title>x</title>") } });
  const asked: [string, boolean][] = [];
  const result = await request(`${server.origin}/`, {
    ...OPTIONS,
    checkFirst: true,
    checkHop: (url, signal) => {
      asked.push([url, signal.aborted]);
      return "blocked_address";
    },
  });
  assert.deepEqual(asked, [[`${server.origin}/`, false]]);
  assert.equal(result.error, "blocked_address");
  assert.equal(result.errorMessage, `request refused: ${server.origin}/`);
  assert.equal(result.url, `${server.origin}/`);
  assert.equal(result.status, null);
  assert.equal(server.log.length, 0);
});

Deno.test("request: checkHop refuses a redirect target; without checkFirst the first URL is not checked", async () => {
  await using server = startFixtureServer({
    routes: {
      "/start": redirect("/next", 301),
      "/next": redirect("/forbidden", 307),
      "/forbidden": html("<title>never</title>"),
    },
  });
  const o = server.origin;
  const asked: string[] = [];
  const result = await request(`${o}/start`, {
    ...OPTIONS,
    checkHop: (url) => {
      asked.push(url);
      return Promise.resolve<ErrorCode | undefined>(
        url.endsWith("/forbidden") ? "out_of_scope" : undefined,
      );
    },
  });
  assert.deepEqual(asked, [`${o}/next`, `${o}/forbidden`]);
  assert.equal(result.error, "out_of_scope");
  assert.equal(result.errorMessage, `redirect target refused: ${o}/forbidden`);
  assert.equal(result.requestedUrl, `${o}/start`);
  assert.equal(result.url, `${o}/forbidden`);
  assert.equal(result.status, 307, "the status of the last response");
  assert.deepEqual(result.redirects, [{ url: `${o}/start`, status: 301 }, {
    url: `${o}/next`,
    status: 307,
  }]);
  assert.equal(server.hits.has("/forbidden"), false);
});

Deno.test("request: checkHop runs inside the deadline and gets its signal", async () => {
  await using server = startFixtureServer({ routes: { "/": html("<title>x</title>") } });
  const result = await request(`${server.origin}/`, {
    ...OPTIONS,
    timeoutMs: 100,
    checkFirst: true,
    // A check that only ends when its signal aborts (a DNS lookup that never answers).
    checkHop: (_url, signal) =>
      new Promise((_, reject) =>
        signal.addEventListener("abort", () => reject(signal.reason), { once: true })
      ),
  });
  assert.equal(result.error, "timeout");
  assert.equal(server.log.length, 0);
});

// --- the deadline ---

Deno.test("request: the deadline covers a body that stops coming, and cancels it", async () => {
  const stalled = stalledBody("<!doctype html><title>slow");
  await using server = startFixtureServer({
    routes: {
      "/slow": () => new Response(stalled.body, { headers: { "content-type": "text/html" } }),
    },
  });
  // Only so that a body read without a deadline fails the test instead of hanging it.
  const fallback = setTimeout(stalled.end, 10_000);
  const started = performance.now();
  try {
    const result = await request(`${server.origin}/slow`, { ...OPTIONS, timeoutMs: 200 });
    assert.equal(result.error, "timeout");
    assert.equal(result.errorMessage, "request deadline passed");
    assert.equal(result.status, 200, "the headers came in time");
    assert.equal(result.body, null);
    assert.ok(performance.now() - started >= 190, "ended before the deadline");
    assert.ok(result.durationMs >= 190);
  } finally {
    clearTimeout(fallback);
  }
  assert.equal(await cancelledWithin10s(stalled), "cancelled");
});

Deno.test("request: the crawl signal aborting after the headers ends the request as aborted", async () => {
  const controller = new AbortController();
  const stalled = stalledBody("<html>");
  await using server = startFixtureServer({
    routes: {
      "/": () => new Response(stalled.body, { headers: { "content-type": "text/html" } }),
    },
  });
  const result = await request(`${server.origin}/`, {
    ...OPTIONS,
    signal: controller.signal,
    onResponse: () => controller.abort(new Error("crawl stopped")),
  });
  assert.equal(result.error, "aborted");
  assert.equal(result.errorMessage, "crawl cancelled");
  assert.equal(result.status, 200);
  assert.equal(await cancelledWithin10s(stalled), "cancelled");
});

// --- the body cap ---

Deno.test("request: maxBytes caps the decompressed body, not the bytes on the wire", async () => {
  const zeros = new Uint8Array(1024 * 1024); // 1 MiB, ~1 KiB gzipped
  const compressed = await gzip(zeros);
  await using server = startFixtureServer({
    routes: {
      "/bomb": () =>
        new Response(compressed, {
          headers: { "content-encoding": "gzip", "content-type": "application/octet-stream" },
        }),
    },
  });
  const url = `${server.origin}/bomb`;
  // The declared length (~1 KiB) is under the cap: only the inflated bytes may count.
  const capped = await request(url, { ...OPTIONS, maxBytes: 64 * 1024 });
  assert.equal(capped.error, "too_large");
  assert.equal(capped.errorMessage, "body exceeds 65536 bytes");
  assert.equal(capped.body, null);
  const whole = await request(url, { ...OPTIONS, maxBytes: 2 * 1024 * 1024 });
  assert.equal(whole.error, undefined);
  assert.equal(whole.bytes, zeros.byteLength);
  assert.deepEqual(whole.body, zeros);
});

Deno.test("request: maxBytes holds for declared lengths and for bodies of unknown length", async () => {
  const text = "x".repeat(1000);
  await using server = startFixtureServer({
    routes: {
      "/declared": () => new Response(text),
      "/streamed": () => new Response(new Blob([text]).stream()),
    },
  });
  for (const path of ["/declared", "/streamed"]) {
    const url = `${server.origin}${path}`;
    const exact = await request(url, { ...OPTIONS, maxBytes: 1000 });
    assert.equal(exact.error, undefined, path);
    assert.equal(exact.bytes, 1000, path);
    const over = await request(url, { ...OPTIONS, maxBytes: 999 });
    assert.equal(over.error, "too_large", path);
  }
});

// --- the body reader ---

Deno.test("request: a custom body reader reads only the final response, under the deadline", async () => {
  await using server = startFixtureServer({
    routes: {
      "/moved": redirect("/data"),
      "/data": () => new Response("hello", { headers: { "content-type": "text/plain" } }),
    },
  });
  const calls: { url: string; status: number; aborted: boolean; maxBytes: number }[] = [];
  const result = await request(`${server.origin}/moved`, {
    ...OPTIONS,
    maxBytes: 123,
    readBody: async (response, signal, maxBytes) => {
      calls.push({ url: response.url, status: response.status, aborted: signal.aborted, maxBytes });
      return new TextEncoder().encode((await response.text()).toUpperCase() + "!");
    },
  });
  assert.deepEqual(calls, [{
    url: `${server.origin}/data`,
    status: 200,
    aborted: false,
    maxBytes: 123,
  }]);
  assert.equal(result.error, undefined);
  assert.equal(new TextDecoder().decode(result.body!), "HELLO!");
  assert.equal(result.bytes, 6);
  assert.equal(result.contentType, "text/plain");
  assert.deepEqual(result.redirects, [{ url: `${server.origin}/moved`, status: 302 }]);
});

Deno.test("request: a reader answering null leaves the body unread, cancelled, its length declared", async () => {
  const stalled = stalledBody("x".repeat(100));
  await using server = startFixtureServer({
    routes: {
      "/endless": () => new Response(stalled.body),
      "/sized": () => new Response("y".repeat(4321)),
    },
  });
  const skip = () => Promise.resolve(null);
  const endless = await request(`${server.origin}/endless`, { ...OPTIONS, readBody: skip });
  assert.equal(endless.error, undefined);
  assert.equal(endless.body, null);
  assert.equal(endless.bytes, 0, "no Content-Length");
  assert.equal(await cancelledWithin10s(stalled), "cancelled");
  const sized = await request(`${server.origin}/sized`, { ...OPTIONS, readBody: skip });
  assert.equal(sized.body, null);
  assert.equal(sized.bytes, 4321);
});

Deno.test("request: a reader's cap and decode errors become too_large and decode", async () => {
  await using server = startFixtureServer({ routes: { "/": () => new Response("data") } });
  const url = `${server.origin}/`;
  class FeedTooLargeError extends BodyTooLargeError {}
  const large = await request(url, {
    ...OPTIONS,
    readBody: (_response, _signal, maxBytes) => {
      throw new FeedTooLargeError(maxBytes, "Cannot read feed as it is too large");
    },
  });
  assert.equal(large.error, "too_large");
  assert.equal(large.errorMessage, "Cannot read feed as it is too large");
  const broken = await request(url, {
    ...OPTIONS,
    readBody: () => Promise.reject(new BodyDecodeError("Cannot read feed as it is not UTF-8")),
  });
  assert.equal(broken.error, "decode");
  assert.equal(broken.errorMessage, "Cannot read feed as it is not UTF-8");
  assert.equal(broken.status, 200);
});

// --- redirects ---

Deno.test("request: redirect loops, too many redirects and bad Locations end the chain", async () => {
  await using server = startFixtureServer({
    routes: {
      "/a": redirect("/b"),
      "/b": redirect("/a#again", 303),
      "/hop1": redirect("/hop2"),
      "/hop2": redirect("/hop3"),
      "/hop3": redirect("/hop4"),
      "/ftp": redirect("ftp://example.org/file"),
      "/no-location": () => new Response(null, { status: 302 }),
    },
  });
  const o = server.origin;
  const loop = await request(`${o}/a`, OPTIONS);
  assert.equal(loop.error, "redirect_loop");
  assert.equal(loop.errorMessage, `redirect loop back to ${o}/a`);
  assert.equal(server.hits.get("/a"), 1);

  const many = await request(`${o}/hop1`, { ...OPTIONS, maxRedirects: 2 });
  assert.equal(many.error, "too_many_redirects");
  assert.equal(many.errorMessage, "more than 2 redirects");
  assert.equal(many.url, `${o}/hop3`);
  assert.equal(server.hits.has("/hop4"), false);

  const bad = await request(`${o}/ftp`, OPTIONS);
  assert.equal(bad.error, "bad_redirect");
  assert.equal(
    bad.errorMessage,
    "redirect to a non-http(s) or invalid URL: ftp://example.org/file",
  );

  // A 3xx without a Location is a final response, for the caller to judge.
  const final = await request(`${o}/no-location`, OPTIONS);
  assert.equal(final.error, undefined);
  assert.equal(final.status, 302);
  assert.deepEqual(final.redirects, []);
});

Deno.test("request: resolve normalizes Locations; headersFor and onResponse see every hop", async () => {
  const cookies: (string | null)[] = [];
  await using server = startFixtureServer({
    routes: {
      "/Start": redirect("/NEXT"),
      "/next": (req) => (cookies.push(req.headers.get("cookie")), html("<title>n</title>")()),
    },
  });
  const o = server.origin;
  const seen: [string, number][] = [];
  const result = await request(`${o}/Start`, {
    ...OPTIONS,
    headers: { "user-agent": "request-test/1.0" },
    headersFor: (url): Record<string, string> => url.endsWith("/next") ? { cookie: "a=1" } : {},
    onResponse: (url, response) => void seen.push([url, response.status]),
    resolve: (location, base) => new URL(location.toLowerCase(), base).href,
  });
  assert.equal(result.url, `${o}/next`);
  assert.equal(result.status, 200);
  assert.deepEqual(seen, [[`${o}/Start`, 302], [`${o}/next`, 200]]);
  assert.deepEqual(cookies, ["a=1"]);
  assert.deepEqual(server.log.map((e) => e.userAgent), ["request-test/1.0", "request-test/1.0"]);
});

Deno.test("request: checks its arguments", async () => {
  const url = "http://127.0.0.1:9/";
  await assert.rejects(
    request(url, { ...OPTIONS, timeoutMs: 0 }),
    new RangeError("Cannot request a URL as 'timeoutMs' must be a positive number: received 0"),
  );
  await assert.rejects(
    request(url, { ...OPTIONS, maxBytes: -1 }),
    new RangeError("Cannot request a URL as 'maxBytes' must be a non-negative number: received -1"),
  );
  await assert.rejects(
    request(url, { ...OPTIONS, maxRedirects: 1.5 }),
    new RangeError(
      "Cannot request a URL as 'maxRedirects' must be a non-negative integer: received 1.5",
    ),
  );
});

// --- fetchPage, the page policy ---

Deno.test("fetchPage: reads HTML, sniffs untyped bodies, leaves other types unread", async () => {
  const pdf = stalledBody("%PDF-1.7");
  await using server = startFixtureServer({
    routes: {
      "/page": html("<title>Page</title>", { "content-type": "text/html; charset=utf-8" }),
      "/untyped-html": () => new Response(new TextEncoder().encode("<!DOCTYPE html><p>hi")),
      "/untyped-data": () => new Response(new Uint8Array([1, 2, 3])),
      "/file.pdf": () => new Response(pdf.body, { headers: { "content-type": "application/pdf" } }),
      "/sized.pdf": () =>
        new Response(new Uint8Array(2048), { headers: { "content-type": "application/pdf" } }),
    },
  });
  const o = server.origin;
  const page = await fetchPage(`${o}/page`, OPTIONS);
  assert.equal(page.contentType, "text/html");
  assert.equal(new TextDecoder().decode(page.body!), "<title>Page</title>");

  const sniffed = await fetchPage(`${o}/untyped-html`, OPTIONS);
  assert.equal(sniffed.contentType, "text/html");
  assert.ok(sniffed.body);

  const data = await fetchPage(`${o}/untyped-data`, OPTIONS);
  assert.equal(data.contentType, null);
  assert.equal(data.body, null);
  assert.equal(data.bytes, 3, "read to sniff, so its length is known");

  // An endless PDF: not downloaded at all.
  const file = await fetchPage(`${o}/file.pdf`, OPTIONS);
  assert.equal(file.error, undefined);
  assert.equal(file.body, null);
  assert.equal(await cancelledWithin10s(pdf), "cancelled");
  assert.equal((await fetchPage(`${o}/sized.pdf`, OPTIONS)).bytes, 2048);
});

Deno.test("fetchPage: 4xx and 5xx are errors whose bodies are not read", async () => {
  let status = 404;
  await using server = startFixtureServer({
    routes: { "/": () => new Response("<title>gone</title>", { status }) },
  });
  const missing = await fetchPage(`${server.origin}/`, OPTIONS);
  assert.deepEqual([missing.status, missing.error, missing.errorMessage], [
    404,
    "http_4xx",
    "HTTP 404",
  ]);
  assert.equal(missing.body, null);
  status = 503;
  const down = await fetchPage(`${server.origin}/`, OPTIONS);
  assert.deepEqual([down.status, down.error, down.errorMessage], [503, "http_5xx", "HTTP 503"]);
});

Deno.test("fetchPage: checkHop sees redirect targets only, the first URL being the caller's", async () => {
  await using server = startFixtureServer({
    routes: { "/": redirect("/there"), "/there": html("<title>There</title>") },
  });
  const asked: string[] = [];
  const page = await fetchPage(`${server.origin}/`, {
    ...OPTIONS,
    checkHop: (url) => void asked.push(url),
  });
  assert.deepEqual(asked, [`${server.origin}/there`]);
  assert.equal(page.url, `${server.origin}/there`);
  assert.ok(page.body);
});
