import assert from "node:assert/strict";
import { request } from "../../src/http/request.ts";
import {
  BodyDecodeError,
  BodyTooLargeError,
  concatBytes,
  readBody,
  readCappedBody,
  readResponseBody,
} from "../../src/http/body.ts";

function stream(chunks: number[], onCancel?: () => void): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i === chunks.length) return controller.close();
      controller.enqueue(new Uint8Array(chunks[i++]!).fill(i));
    },
    cancel: onCancel,
  });
}

Deno.test("readBody returns a body within the limit", async () => {
  const bytes = await readBody(stream([3, 4]), { limit: 7 });
  assert.deepEqual([...bytes], [1, 1, 1, 2, 2, 2, 2]);
});

Deno.test("readBody throws past the limit and cancels the stream", async () => {
  let cancelled = false;
  const error = await readBody(stream([4, 4, 4], () => (cancelled = true)), { limit: 7 })
    .then(() => undefined, (e) => e);
  assert.ok(error instanceof BodyTooLargeError);
  assert.equal(error.limit, 7);
  assert.equal(cancelled, true);
});

Deno.test("readBody with overflow cut keeps what it read and cancels the rest", async () => {
  let cancelled = false;
  const bytes = await readBody(stream([4, 4, 4, 4], () => (cancelled = true)), {
    limit: 6,
    overflow: "cut",
  });
  assert.equal(bytes.byteLength, 8, "whole chunks up to the first past the limit");
  assert.equal(cancelled, true);
});

Deno.test("concatBytes joins chunks and passes a single chunk through", () => {
  const one = new Uint8Array([9]);
  assert.equal(concatBytes([one]), one);
  assert.deepEqual([...concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])])], [1, 2, 3]);
  assert.deepEqual([...concatBytes([])], []);
});

Deno.test("readResponseBody reads a declared length in one go and still checks it", async () => {
  const declared = new Response("hello", { headers: { "content-length": "5" } });
  assert.equal((await readResponseBody(declared, { limit: 5 })).byteLength, 5);
  await assert.rejects(
    readResponseBody(new Response("hello", { headers: { "content-length": "5" } }), { limit: 4 }),
    new BodyTooLargeError(4),
  );
  // A length header that lies low: the bytes are counted anyway.
  const lying = new Response("hello", { headers: { "content-length": "1" } });
  await assert.rejects(readResponseBody(lying, { limit: 3 }), BodyTooLargeError);
  const cut = new Response("hello", { headers: { "content-length": "1" } });
  assert.deepEqual(
    new TextDecoder().decode(await readResponseBody(cut, { limit: 3, overflow: "cut" })),
    "hel",
  );
  assert.equal((await readResponseBody(new Response(null), { limit: 1 })).byteLength, 0);
});

Deno.test("readResponseBody streams compressed or undeclared bodies, cancelling past the limit", async () => {
  let cancelled = false;
  const encoded = new Response(stream([4, 4, 4], () => (cancelled = true)), {
    headers: { "content-encoding": "gzip", "content-length": "3" },
  });
  await assert.rejects(readResponseBody(encoded, { limit: 7 }), BodyTooLargeError);
  assert.equal(cancelled, true);
  cancelled = false;
  const bytes = await readResponseBody(new Response(stream([4, 4, 4], () => (cancelled = true))), {
    limit: 6,
    overflow: "cut",
  });
  assert.equal(bytes.byteLength, 8);
  assert.equal(cancelled, true);
});

Deno.test("readCappedBody is readResponseBody as a BodyReader, failing past maxBytes", async () => {
  const signal = new AbortController().signal;
  assert.equal((await readCappedBody(new Response("abc"), signal, 3)).byteLength, 3);
  const error = await readCappedBody(new Response(stream([2, 2])), signal, 3).catch((e) => e);
  assert.ok(error instanceof BodyTooLargeError);
  assert.equal(error.message, "body exceeds 3 bytes");
});

Deno.test("BodyTooLargeError and BodyDecodeError keep a caller's message", () => {
  const large = new BodyTooLargeError(10, "Cannot read feed as it exceeds 10 bytes");
  assert.equal(large.limit, 10);
  assert.equal(large.message, "Cannot read feed as it exceeds 10 bytes");
  const cause = new TypeError("corrupt deflate stream");
  const decode = new BodyDecodeError("Cannot read feed as its data is invalid", { cause });
  assert.ok(decode instanceof TypeError);
  assert.equal(decode.cause, cause);
  assert.equal(decode.name, "BodyDecodeError");
});

Deno.test("request() fails too_large on a chunked body past the cap that also declares a small Content-Length", async () => {
  // Transfer-Encoding overrides Content-Length: the body is 4 MiB, not the 3 bytes declared.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { promise: finished, resolve: finish } = Promise.withResolvers<void>();
  const serving = (async () => {
    const conn = await listener.accept();
    try {
      await conn.read(new Uint8Array(64 * 1024));
      const encoder = new TextEncoder();
      await conn.write(encoder.encode(
        "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 3\r\n" +
          "transfer-encoding: chunked\r\n\r\n",
      ));
      const chunk = encoder.encode(`100000\r\n${"a".repeat(0x100000)}\r\n`);
      for (let i = 0; i < 4; i++) await conn.write(chunk);
      // The body never ends: only the client's giving up ends this exchange.
      await finished;
    } catch {
      // The client closed the connection, as it should once past the cap.
    } finally {
      conn.close();
    }
  })();
  const page = await request(`http://127.0.0.1:${listener.addr.port}/`, {
    timeoutMs: 60_000,
    maxBytes: 64 * 1024,
    maxRedirects: 0,
  });
  finish();
  await serving;
  listener.close();
  assert.equal(page.error, "too_large", `${page.error}: ${page.errorMessage}`);
});
