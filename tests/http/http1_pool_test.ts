import assert from "node:assert/strict";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { Http1Pool } from "../../src/http/http1_pool.ts";
import { HttpClient } from "../../src/http/client.ts";
import { request } from "../../src/http/request.ts";
import { BodyDecodeError, readCappedBody, readLentBody } from "../../src/http/body.ts";
import {
  HAND_OVER_MIN_BYTES,
  READ_BUFFER_BYTES,
  releaseBody,
} from "../../src/http/read_buffers.ts";

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();

/** What a scripted server answers one request with: raw bytes, or a function writing them. */
type Answer = string | Uint8Array | ((conn: Deno.Conn) => Promise<void>);

/** A TCP server answering each request with the next of `answers`' results, bytes exactly as given. */
class ScriptedServer implements AsyncDisposable {
  readonly listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  readonly origin = `http://127.0.0.1:${this.listener.addr.port}`;
  /** Each request's head, as it arrived. */
  readonly requests: string[] = [];
  connections = 0;
  readonly #conns = new Set<Deno.Conn>();
  readonly #serving: Promise<void>;

  constructor(answer: (request: string, index: number) => Answer | "close") {
    this.#serving = (async () => {
      const handlers: Promise<void>[] = [];
      for await (const conn of this.listener) {
        this.connections++;
        this.#conns.add(conn);
        handlers.push(this.#handle(conn, answer).finally(() => this.#conns.delete(conn)));
      }
      await Promise.allSettled(handlers);
    })();
  }

  async #handle(
    conn: Deno.Conn,
    answer: (request: string, index: number) => Answer | "close",
  ): Promise<void> {
    let pending = "";
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (true) {
        while (!pending.includes("\r\n\r\n")) {
          const read = await conn.read(buffer);
          if (read === null) {
            this.#closing?.resolve();
            this.#closing = undefined;
            return;
          }
          pending += DECODER.decode(buffer.subarray(0, read));
        }
        const end = pending.indexOf("\r\n\r\n") + 4;
        const head = pending.slice(0, end);
        pending = pending.slice(end);
        this.requests.push(head);
        const reply = answer(head, this.requests.length - 1);
        if (reply === "close") return;
        if (typeof reply === "function") await reply(conn);
        else await conn.write(typeof reply === "string" ? ENCODER.encode(reply) : reply);
      }
    } catch {
      // The client closed the connection mid-answer: what some tests do on purpose.
    } finally {
      try {
        conn.close();
      } catch {
        // Closed already.
      }
    }
  }

  /** Resolves when the next of its connections is closed by the client. */
  closed(): Promise<void> {
    return (this.#closing ??= Promise.withResolvers<void>()).promise;
  }

  #closing: PromiseWithResolvers<void> | undefined;

  async [Symbol.asyncDispose](): Promise<void> {
    this.listener.close();
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch {
        // Closed already.
      }
    }
    await this.#serving;
  }
}

function ok(body: string, extra = ""): string {
  return `HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: ${
    ENCODER.encode(body).length
  }\r\n${extra}\r\n${body}`;
}

function withBody(head: string, body: Uint8Array): Uint8Array {
  const start = ENCODER.encode(head);
  const bytes = new Uint8Array(start.length + body.length);
  bytes.set(start);
  bytes.set(body, start.length);
  return bytes;
}

const never = () => new AbortController().signal;

Deno.test("Http1Pool.send() keeps one connection for requests one after another", async () => {
  await using server = new ScriptedServer((_, i) => ok(`page ${i}`));
  using pool = new Http1Pool();
  for (let i = 0; i < 3; i++) {
    const response = await pool.send(`${server.origin}/p/${i}?q=1`, { signal: never() });
    assert.equal(await response.text(), `page ${i}`);
  }
  assert.equal(server.connections, 1);
  assert.match(server.requests[2]!, /^GET \/p\/2\?q=1 HTTP\/1\.1\r\n/);
  assert.match(server.requests[2]!, /\r\nhost: 127\.0\.0\.1:\d+\r\n/);
  assert.match(server.requests[2]!, /\r\naccept-encoding: gzip\r\n/);
});

Deno.test("Http1Pool.send() lends a body that came with its head in its read buffer to readLentBody(), copies a small one, and reads on into another", async () => {
  const large = "a".repeat(2 * HAND_OVER_MIN_BYTES);
  const small = "b".repeat(100);
  await using server = new ScriptedServer((_, i) => ok(i === 0 ? large : i === 1 ? small : "c"));
  using pool = new Http1Pool();
  const read = async (path: string) =>
    await readLentBody(
      await pool.send(`${server.origin}${path}`, { signal: never() }),
      never(),
      1 << 20,
    );
  const first = await read("/large");
  // The buffer it was read into, after the head: no copy.
  assert.equal(first.buffer.byteLength, READ_BUFFER_BYTES);
  assert.ok(first.byteOffset > 0);
  const second = await read("/small");
  assert.equal(second.buffer.byteLength, small.length);
  assert.equal(DECODER.decode(await read("/c")), "c");
  // The connection read the later responses into another buffer: the first body is intact.
  assert.equal(server.connections, 1);
  assert.equal(DECODER.decode(first), large);
  assert.equal(DECODER.decode(second), small);
  releaseBody(first);
  assert.equal(first.byteLength, 0);
});

Deno.test("Http1Pool.send() gives a reader that keeps the body (readCappedBody(), the stream) a copy of its own", async () => {
  const large = "a".repeat(2 * HAND_OVER_MIN_BYTES);
  await using server = new ScriptedServer(() => ok(large));
  using pool = new Http1Pool();
  const kept = await readCappedBody(
    await pool.send(`${server.origin}/kept`, { signal: never() }),
    never(),
    1 << 20,
  );
  assert.equal(kept.buffer.byteLength, large.length);
  assert.equal(DECODER.decode(kept), large);
  const streamed = await pool.send(`${server.origin}/streamed`, { signal: never() });
  const chunks = await Array.fromAsync(streamed.body!);
  assert.deepEqual(chunks.map((chunk) => chunk.buffer.byteLength), [large.length]);
  assert.equal(DECODER.decode(chunks[0]), large);
});

Deno.test("Http1Pool.send() sends the caller's headers and fetch()'s defaults", async () => {
  await using server = new ScriptedServer(() => ok(""));
  using pool = new Http1Pool();
  const headers = { "User-Agent": "crawler/1", "accept-encoding": "identity", cookie: "a=b" };
  await (await pool.send(`${server.origin}/`, { signal: never(), headers })).text();
  const sent = server.requests[0]!;
  assert.match(sent, /\r\nUser-Agent: crawler\/1\r\n/);
  assert.match(sent, /\r\naccept-encoding: identity\r\n/);
  assert.match(sent, /\r\ncookie: a=b\r\n/);
  assert.match(sent, /\r\naccept: \*\/\*\r\n/);
  assert.match(sent, /\r\naccept-language: \*\r\n/);
  assert.doesNotMatch(sent, /gzip/);
  await assert.rejects(
    pool.send(`${server.origin}/`, { signal: never(), headers: { "x-a": "1\r\nx-b: 2" } }),
    TypeError,
  );
});

Deno.test("Http1Pool.send() reads chunked bodies with extensions and trailers, and bare LF heads", async () => {
  const chunked = "HTTP/1.1 200 OK\ntransfer-encoding: chunked\n\n" +
    "5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nx-trailer: t\r\n\r\n";
  await using server = new ScriptedServer(() => chunked);
  using pool = new Http1Pool();
  for (let i = 0; i < 2; i++) {
    const response = await pool.send(`${server.origin}/`, { signal: never() });
    assert.equal(await response.text(), "hello 0123456789");
  }
  assert.equal(server.connections, 1);
});

Deno.test("Http1Pool.send() skips interim responses and reads HTTP/1.0 bodies to the end of the stream", async () => {
  await using server = new ScriptedServer((_, i) =>
    i === 0
      ? "HTTP/1.1 103 Early Hints\r\nlink: </a.css>\r\n\r\n" + ok("after hints")
      : async (conn) => {
        await conn.write(
          ENCODER.encode("HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil"),
        );
        await conn.write(ENCODER.encode(" close"));
        conn.close();
      }
  );
  using pool = new Http1Pool();
  const first = await pool.send(`${server.origin}/`, { signal: never() });
  assert.equal(first.status, 200);
  assert.equal(await first.text(), "after hints");
  const second = await pool.send(`${server.origin}/`, { signal: never() });
  assert.equal(await second.text(), "until close");
  assert.equal(pool.openConnections, 0);
});

Deno.test("Http1Pool.send() sends again on a new connection when a kept one was closed by the server", async () => {
  // The server closes every connection after one response, without saying so.
  await using server = new ScriptedServer((_, i) => async (conn) => {
    await conn.write(ENCODER.encode(ok(`page ${i}`)));
    conn.close();
  });
  using pool = new Http1Pool();
  for (let i = 0; i < 3; i++) {
    const response = await pool.send(`${server.origin}/`, { signal: never() });
    assert.equal(await response.text(), `page ${i}`);
  }
  assert.equal(server.connections, 3);
});

Deno.test("Http1Pool.send() does not reuse a connection the server said it closes", async () => {
  await using server = new ScriptedServer(() => ok("x", "connection: close\r\n"));
  using pool = new Http1Pool();
  await (await pool.send(`${server.origin}/`, { signal: never() })).text();
  assert.equal(pool.openConnections, 0);
  await (await pool.send(`${server.origin}/`, { signal: never() })).text();
  assert.equal(server.connections, 2);
});

Deno.test("Http1Pool.send() decodes gzip and deflate bodies unless the caller chose the encodings, and refuses brotli it did not ask for", async () => {
  const html = "<p>" + "compressed ".repeat(200) + "</p>";
  const encoded: Record<string, Uint8Array> = {
    gzip: gzipSync(html),
    deflate: deflateSync(html),
    br: brotliCompressSync(html),
  };
  await using server = new ScriptedServer((head) => {
    const encoding = /x-want: (\w+)/.exec(head)![1]!;
    const body = encoded[encoding]!;
    return withBody(
      `HTTP/1.1 200 OK\r\ncontent-encoding: ${encoding}\r\ncontent-length: ${body.length}\r\n\r\n`,
      body,
    );
  });
  using pool = new Http1Pool();
  for (const encoding of ["gzip", "deflate"]) {
    const headers = { "x-want": encoding };
    const response = await pool.send(`${server.origin}/`, { signal: never(), headers });
    assert.equal(await response.text(), html, encoding);
  }
  // Brotli can grow a few bytes into gigabytes in one decoder call: never asked for, never decoded.
  await assert.rejects(
    pool.send(`${server.origin}/`, { signal: never(), headers: { "x-want": "br" } }),
    BodyDecodeError,
  );
  const raw = await pool.send(`${server.origin}/`, {
    signal: never(),
    headers: { "x-want": "br", "accept-encoding": "br" },
  });
  assert.deepEqual(await raw.bytes(), new Uint8Array(encoded.br!));
});

Deno.test("Http1Pool.send() does not take bytes that came on an idle connection for the next response", async () => {
  const { promise: sendExtra, resolve: extra } = Promise.withResolvers<void>();
  const { promise: extraSent, resolve: sent } = Promise.withResolvers<void>();
  await using server = new ScriptedServer((head) => {
    if (head.startsWith("GET /a ")) {
      return async (conn) => {
        await conn.write(ENCODER.encode(ok("A")));
        await sendExtra;
        await conn.write(ENCODER.encode(ok("EVIL")));
        sent();
      };
    }
    return ok(head.startsWith("GET /probe ") ? "probe" : "good");
  });
  using pool = new Http1Pool();
  assert.equal(await (await pool.send(`${server.origin}/a`, { signal: never() })).text(), "A");
  extra();
  await extraSent;
  // A round trip on another connection: the idle one's read has come back by then.
  using other = new Http1Pool();
  await (await other.send(`${server.origin}/probe`, { signal: never() })).text();
  const b = await pool.send(`${server.origin}/b`, { signal: never() });
  assert.equal(await b.text(), "good");
});

Deno.test("Http1Pool closes connections idle past their time and keeps none with a cap of 0", async () => {
  await using server = new ScriptedServer(() => ok("x"));
  using pool = new Http1Pool({ idleTimeoutMs: 1 });
  await (await pool.send(`${server.origin}/`, { signal: never() })).text();
  assert.equal(pool.openConnections, 1);
  // The pool's own sweep closes it; this waits on the server seeing the connection end.
  await server.closed();
  assert.equal(pool.openConnections, 0);
  using none = new Http1Pool({ maxIdlePerHost: 0 });
  await (await none.send(`${server.origin}/`, { signal: never() })).text();
  assert.equal(none.openConnections, 0);
});

/** Answers with a body of `size` bytes of `a`, declared by Content-Length, written 64 KiB at a time. */
function largeBody(size: number): (conn: Deno.Conn) => Promise<void> {
  return async (conn) => {
    await conn.write(ENCODER.encode(
      `HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: ${size}\r\n\r\n`,
    ));
    const piece = new Uint8Array(64 * 1024).fill(0x61);
    for (let at = 0; at < size;) {
      // A write may take only part of what it is given.
      at += await conn.write(piece.subarray(0, Math.min(piece.length, size - at)));
    }
  };
}

Deno.test("Http1Pool.send() streams a large body in chunks that hold just the bytes read", async () => {
  const size = 4 * 1024 * 1024;
  await using server = new ScriptedServer(() => largeBody(size));
  using pool = new Http1Pool();
  const response = await pool.send(`${server.origin}/big`, { signal: never() });
  let read = 0;
  let held = 0;
  for await (const chunk of response.body!) {
    read += chunk.byteLength;
    held += chunk.buffer.byteLength;
  }
  assert.equal(read, size);
  // A fresh 1 MiB array a socket read would keep whole for the tens of KiB it returned.
  assert.ok(held <= size * 1.1, `chunks keep ${held} bytes for ${size}`);
});

Deno.test("readCappedBody() reads a large body of declared length into one array, once", async () => {
  const size = 8 * 1024 * 1024;
  await using server = new ScriptedServer(() => largeBody(size));
  using pool = new Http1Pool();
  const signal = never();
  const first = await pool.send(`${server.origin}/big`, { signal });
  const before = Deno.memoryUsage().external;
  const bytes = await readCappedBody(first, signal, size);
  const grown = Deno.memoryUsage().external - before;
  assert.equal(bytes.byteLength, size);
  assert.ok(bytes.every((b) => b === 0x61));
  // Through the stream, the chunks and the array they are copied into: twice the body.
  assert.ok(grown < size * 1.5, `${grown} bytes allocated for a ${size}-byte body`);
  assert.equal(first.bodyUsed, false, "the stream was not read");
  // Read to its end, the connection carries the next request.
  const second = await pool.send(`${server.origin}/again`, { signal });
  assert.equal((await readCappedBody(second, signal, size)).byteLength, size);
  assert.equal(server.connections, 1);
});

Deno.test("Http1Pool.send() hands over a stalled body's bytes as they come, sends a URL's credentials, and drops a bad reason phrase", async () => {
  const { promise: hang, resolve: release } = Promise.withResolvers<void>();
  await using server = new ScriptedServer((head) => {
    if (head.startsWith("GET /stall ")) {
      return async (conn) => {
        await conn.write(ENCODER.encode(
          "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 10000000\r\n\r\n",
        ));
        await conn.write(new Uint8Array(200 * 1024).fill(0x61));
        await hang;
      };
    }
    if (head.startsWith("GET /reason ")) {
      return "HTTP/1.1 200 O\x01K\r\ncontent-length: 2\r\n\r\nok";
    }
    return ok(/\r\nauthorization: (.*)\r\n/.exec(head)?.[1] ?? "none");
  });
  using client = new HttpClient();
  const stalled = await request(`${server.origin}/stall`, {
    timeoutMs: 60_000,
    maxBytes: 100 * 1024,
    maxRedirects: 0,
    client,
  });
  release();
  assert.equal(stalled.error, "too_large");
  using pool = new Http1Pool();
  const origin = server.origin.replace("http://", "http://us%40er:p%C3%A4ss@");
  const auth = await (await pool.send(`${origin}/`, { signal: never() })).text();
  assert.equal(auth, `Basic ${btoa("us@er:p\xc3\xa4ss")}`);
  const reason = await pool.send(`${server.origin}/reason`, { signal: never() });
  assert.equal(reason.statusText, "");
  assert.equal(await reason.text(), "ok");
});

Deno.test("Http1Pool.send() reports a chunked body cut before its CRLF as cut, and keeps no connection that sent both framings", async () => {
  await using server = new ScriptedServer((head) =>
    head.startsWith("GET /cut ")
      ? async (conn) => {
        await conn.write(
          ENCODER.encode("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc"),
        );
        conn.close();
      }
      : "HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
  );
  using pool = new Http1Pool();
  const cut = await pool.send(`${server.origin}/cut`, { signal: never() });
  await assert.rejects(cut.text(), /connection closed before the body ended/);
  const both = await pool.send(`${server.origin}/both`, { signal: never() });
  assert.equal(await both.text(), "abc");
  assert.equal(pool.openConnections, 0);
});

Deno.test("Http1Pool.send() gives HEAD, 204 and 304 responses no body and keeps the connection", async () => {
  await using server = new ScriptedServer((head, i) =>
    head.startsWith("HEAD")
      ? "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 5000\r\n\r\n"
      : i === 1
      ? "HTTP/1.1 204 No Content\r\n\r\n"
      : 'HTTP/1.1 304 Not Modified\r\netag: "x"\r\n\r\n'
  );
  using pool = new Http1Pool();
  const head = await pool.send(`${server.origin}/`, { method: "HEAD", signal: never() });
  assert.equal(head.body, null);
  assert.equal(head.headers.get("content-length"), "5000");
  assert.equal((await pool.send(`${server.origin}/`, { signal: never() })).status, 204);
  const notModified = await pool.send(`${server.origin}/`, { signal: never() });
  assert.equal(notModified.status, 304);
  assert.equal(notModified.body, null);
  assert.equal(server.connections, 1);
});

Deno.test("Http1Pool.send() closes the connection of a cancelled body, and of a body past its length", async () => {
  await using server = new ScriptedServer((_, i) =>
    i === 0 ? ok("x".repeat(100_000)) : ok("ab") + "garbage"
  );
  using pool = new Http1Pool();
  const large = await pool.send(`${server.origin}/`, { signal: never() });
  await large.body!.cancel();
  assert.equal(pool.openConnections, 0);
  const overlong = await pool.send(`${server.origin}/`, { signal: never() });
  assert.equal(await overlong.text(), "ab");
  assert.equal(pool.openConnections, 0);
});

Deno.test("Http1Pool.send() fails on responses that break HTTP/1.1", async () => {
  const broken = [
    "HTTP/2 200 OK\r\n\r\n",
    "HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello",
    "HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n",
    "HTTP/1.1 200 OK\r\nbad header\r\n\r\n",
    "HTTP/1.1 200 OK\r\nx-big: " + "a".repeat(70_000) + "\r\n\r\n",
  ];
  await using server = new ScriptedServer((_, i) => broken[i]!);
  using pool = new Http1Pool();
  for (const _ of broken) {
    await assert.rejects(
      pool.send(`${server.origin}/`, { signal: never() }),
      /invalid HTTP response/,
    );
  }
});

Deno.test("request() over Http1Pool gives reset for a body cut short and timeout for one too slow", async () => {
  const { promise: hang, resolve: release } = Promise.withResolvers<void>();
  await using server = new ScriptedServer((_, i) => async (conn) => {
    await conn.write(ENCODER.encode(
      "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 100\r\n\r\npartial",
    ));
    if (i === 0) conn.close();
    else await hang;
  });
  using client = new HttpClient();
  const options = { timeoutMs: 300, maxBytes: 1000, maxRedirects: 0, client };
  const cut = await request(`${server.origin}/cut`, options);
  assert.equal(cut.error, "reset");
  const slow = await request(`${server.origin}/slow`, options);
  release();
  assert.equal(slow.error, "timeout");
  assert.equal(slow.status, 200);
});

Deno.test("request() over Http1Pool gives reset for a body declared too long to hold that is cut short", async () => {
  await using server = new ScriptedServer(() => async (conn) => {
    await conn.write(ENCODER.encode(
      "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 99999999999999\r\n\r\npartial!",
    ));
    conn.close();
  });
  using client = new HttpClient();
  const options = { timeoutMs: 5_000, maxBytes: Number.MAX_SAFE_INTEGER, maxRedirects: 0, client };
  const page = await request(`${server.origin}/huge`, options);
  assert.equal(page.error, "reset");
});

Deno.test("request() over Http1Pool gives refused for a port nobody listens on", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  using client = new HttpClient();
  const page = await request(`http://127.0.0.1:${port}/`, {
    timeoutMs: 5_000,
    maxBytes: 1000,
    maxRedirects: 0,
    client,
  });
  assert.equal(page.error, "refused");
});

Deno.test("Http1Pool.send() rejects with the signal's reason when aborted waiting for a response", async () => {
  const { promise: hang, resolve: release } = Promise.withResolvers<void>();
  const { promise: received, resolve: receive } = Promise.withResolvers<void>();
  await using server = new ScriptedServer(() => {
    receive();
    return () => hang;
  });
  using pool = new Http1Pool();
  const controller = new AbortController();
  const sent = pool.send(`${server.origin}/`, { signal: controller.signal });
  const reason = new Error("stop");
  // Aborted once the server has the request: the abort meets a pending read.
  await received;
  controller.abort(reason);
  await assert.rejects(sent, (error) => error === reason);
  release();
  assert.equal(pool.openConnections, 0);
});
