/**
 * The crawler's own HTTP/1.1 client for plain `http:` URLs: persistent
 * connections kept per host and port, one request at a time on each,
 * answered with a standard `Response` whose body is read from the socket
 * only as the caller reads it. It exists for speed: on the bench site it
 * costs about half the CPU of `fetch()` per page and holds less memory
 * (see docs/performance.md). `https:` and proxied requests go through
 * `fetch()` (see {@linkcode HttpClient}).
 *
 * @module
 */

import { abortable } from "../async/abortable.ts";
import { Http1Connection, type ResponseHead } from "./http1_connection.ts";
import { holdBody } from "./held_body.ts";
import { BodyDecodeError } from "./body.ts";

/** Options for {@linkcode Http1Pool}. */
export interface Http1PoolOptions {
  /** Most idle connections kept per host and port; default 64. */
  maxIdlePerHost?: number;
  /** How long an idle connection may wait for reuse before it is closed, in ms; default 30,000. */
  idleTimeoutMs?: number;
}

/** One request for {@linkcode Http1Pool.send}. */
export interface Http1Request {
  /** The method; default `GET`. */
  method?: "GET" | "HEAD";
  /**
   * The request headers. `accept` and `accept-language` default to `*\/*`
   * and `*`, as `fetch()` sends them; without an `accept-encoding`, gzip,
   * deflate and brotli are asked for and the body is decoded, as `fetch()`
   * does; with one, the body comes as sent.
   */
  headers?: Record<string, string>;
  /** Aborting it closes the connection; the request or the body read then fails with its reason. */
  signal: AbortSignal;
}

/** Most bytes of a body handed over in one chunk. */
const CHUNK_BYTES = 1024 * 1024;
/**
 * Most bytes of an encoded body handed to the decoder at once: it inflates
 * each piece whole, and deflate's ratio reaches about 1000:1, so a bigger
 * piece of a decompression bomb would take that much memory before the
 * reader's byte cap can stop it.
 */
const ENCODED_PIECE_BYTES = 8 * 1024;
/** Statuses whose `Response` cannot have a body. */
const NULL_BODY = new Set([204, 205, 304]);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const ENCODER = new TextEncoder();
/**
 * The codings decoded when the caller left `accept-encoding` to this client,
 * which asks for gzip alone: brotli can grow a hundred bytes into gigabytes
 * in one call of the platform's decoder, before any byte cap can look. A
 * server's deflate is decoded too; any other coding is a `decode` failure.
 */
const DECODINGS: Record<string, CompressionFormat> = {
  gzip: "gzip",
  "x-gzip": "gzip",
  deflate: "deflate",
};

/**
 * Persistent HTTP/1.1 connections for `http:` URLs. Dispose of it (`using`)
 * to close them all; a request after that fails.
 *
 * @example Usage
 * ```ts
 * import { Http1Pool } from "./http1_pool.ts";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
 *   new Response("<title>Home</title>", { headers: { "content-type": "text/html" } }));
 * using pool = new Http1Pool();
 * const signal = new AbortController().signal;
 * const response = await pool.send(`http://127.0.0.1:${server.addr.port}/`, { signal });
 * assert.equal(response.status, 200);
 * assert.equal(await response.text(), "<title>Home</title>");
 * ```
 */
export class Http1Pool implements Disposable {
  readonly #maxIdlePerHost: number;
  readonly #idleTimeoutMs: number;
  /** Idle connections per `host:port`, the most recently used last. */
  readonly #idle = new Map<string, Http1Connection[]>();
  /** Every open connection, idle or busy: closed on dispose. */
  readonly #open = new Set<Http1Connection>();
  #closed = false;
  /** The timer that closes connections idle past their time, while any are idle. */
  #sweep: ReturnType<typeof setTimeout> | undefined;

  /**
   * Creates an empty pool.
   *
   * @param options Idle connection limits.
   */
  constructor(options: Http1PoolOptions = {}) {
    this.#maxIdlePerHost = options.maxIdlePerHost ?? 64;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  }

  /** Connections open now, idle or busy. */
  get openConnections(): number {
    return this.#open.size;
  }

  /**
   * Sends a request and resolves once the response's head has arrived; the
   * body is read from the connection as the caller reads `response.body`,
   * and the connection goes back to the pool once the body is read to its
   * end (closed instead when the body is cancelled). Redirects are not
   * followed. A request on a kept connection the server had closed is sent
   * again on a new one, once per stale connection, as long as no byte of a
   * response came.
   *
   * @param url An absolute `http:` URL.
   * @param request Method, headers and signal.
   * @returns The response.
   * @throws {TypeError} For a URL that is not `http:`, or an invalid header.
   * @throws {Error} For a failed connection or a response that breaks
   * HTTP/1.1; the signal's reason once it aborts.
   */
  async send(url: string, request: Http1Request): Promise<Response> {
    const target = new URL(url);
    if (target.protocol !== "http:") {
      throw new TypeError(`Cannot send a request as the URL is not http: received ${url}`);
    }
    if (this.#closed) throw new Error("Cannot send a request as the pool is closed");
    const method = request.method ?? "GET";
    const { bytes, decode } = serializeRequest(method, target, request.headers);
    const hostname = target.hostname.startsWith("[")
      ? target.hostname.slice(1, -1)
      : target.hostname;
    const port = target.port === "" ? 80 : Number(target.port);
    const key = `${hostname}:${port}`;
    const { signal } = request;
    while (true) {
      signal.throwIfAborted();
      let conn = this.#takeIdle(key);
      const reused = conn !== undefined;
      conn ??= await this.#connect(hostname, port, key, signal);
      const exchange = new Exchange(conn, signal, (reusable) => this.#release(conn, reusable));
      if (signal.aborted) {
        // Aborted while connecting, before the exchange listened for it.
        exchange.finish(false);
        throw signal.reason;
      }
      const before = conn.received;
      let head: ResponseHead | null;
      try {
        await conn.write(bytes);
        conn.requests++;
        head = await conn.readHead(method);
      } catch (error) {
        exchange.finish(false);
        if (signal.aborted) throw signal.reason;
        // A kept connection the server closed meanwhile: nothing was lost, send again.
        if (reused && conn.received === before) continue;
        throw error;
      }
      if (head === null) {
        exchange.finish(false);
        if (reused) continue;
        throw new Error("connection closed before a response");
      }
      try {
        return exchange.response(head, decode);
      } catch (error) {
        exchange.finish(false);
        throw error;
      }
    }
  }

  /** Closes every connection, busy ones included. */
  [Symbol.dispose](): void {
    this.#closed = true;
    clearTimeout(this.#sweep);
    this.#sweep = undefined;
    for (const conn of this.#open) conn.close();
    this.#open.clear();
    this.#idle.clear();
  }

  #takeIdle(key: string): Http1Connection | undefined {
    const idle = this.#idle.get(key);
    if (idle === undefined) return undefined;
    const now = performance.now();
    while (idle.length > 0) {
      const conn = idle.pop()!;
      if (now - conn.idleSince <= this.#idleTimeoutMs && !conn.spoiled) return conn;
      this.#discard(conn);
    }
    this.#idle.delete(key);
    return undefined;
  }

  /** Closes the connections idle past their time, and waits for the next to be. */
  #sweepIdle(): void {
    this.#sweep = undefined;
    const now = performance.now();
    let next = Infinity;
    for (const [key, idle] of this.#idle) {
      // Oldest first: the ones past their time lead.
      while (idle.length > 0 && now - idle[0]!.idleSince > this.#idleTimeoutMs) {
        this.#discard(idle.shift()!);
      }
      if (idle.length === 0) this.#idle.delete(key);
      else next = Math.min(next, idle[0]!.idleSince + this.#idleTimeoutMs);
    }
    if (next !== Infinity) this.#armSweep(next - now);
  }

  #armSweep(delayMs: number): void {
    if (this.#sweep !== undefined || this.#closed) return;
    this.#sweep = setTimeout(() => this.#sweepIdle(), Math.max(0, delayMs) + 1);
    // Idle connections are no work left to do: they never keep the program running.
    Deno.unrefTimer(this.#sweep);
  }

  async #connect(
    hostname: string,
    port: number,
    key: string,
    signal: AbortSignal,
  ): Promise<Http1Connection> {
    const connecting = Deno.connect({ hostname, port });
    let tcp: Deno.TcpConn;
    try {
      tcp = await abortable(connecting, signal);
    } catch (error) {
      // Given up on: a connection that still comes is closed at once.
      connecting.then((late) => late.close(), () => {});
      throw error;
    }
    // Each request goes out in one write; waiting to coalesce it would only add delay.
    tcp.setNoDelay(true);
    const conn = new Http1Connection(tcp, key);
    if (this.#closed) {
      conn.close();
      throw new Error("Cannot send a request as the pool is closed");
    }
    this.#open.add(conn);
    return conn;
  }

  #release(conn: Http1Connection, reusable: boolean): void {
    // Bytes past the response are a broken server's: that connection is not to be trusted.
    if (
      !reusable || this.#closed || conn.closed || conn.buffered > 0 || this.#maxIdlePerHost === 0
    ) {
      this.#discard(conn);
      return;
    }
    let idle = this.#idle.get(conn.key);
    if (idle === undefined) this.#idle.set(conn.key, idle = []);
    conn.idleSince = performance.now();
    // The oldest idle ones go first, past the cap or past their time.
    while (
      idle.length > 0 &&
      (idle.length >= this.#maxIdlePerHost ||
        conn.idleSince - idle[0]!.idleSince > this.#idleTimeoutMs)
    ) {
      this.#discard(idle.shift()!);
    }
    idle.push(conn);
    conn.watchIdle();
    this.#armSweep(this.#idleTimeoutMs);
  }

  #discard(conn: Http1Connection): void {
    conn.close();
    this.#open.delete(conn);
  }
}

/**
 * One request's hold on a connection: closes it when the signal aborts,
 * and gives it back exactly once when the response is done with.
 */
class Exchange {
  readonly #conn: Http1Connection;
  readonly #signal: AbortSignal;
  readonly #release: (reusable: boolean) => void;
  #done = false;
  readonly #onAbort = () => this.#conn.close();

  constructor(conn: Http1Connection, signal: AbortSignal, release: (reusable: boolean) => void) {
    this.#conn = conn;
    this.#signal = signal;
    this.#release = release;
    signal.addEventListener("abort", this.#onAbort, { once: true });
  }

  finish(reusable: boolean): void {
    if (this.#done) return;
    this.#done = true;
    this.#signal.removeEventListener("abort", this.#onAbort);
    this.#release(reusable);
  }

  /** Gives the connection up after a failure; the error to report (the signal's reason once it aborted). */
  failure(error: unknown): unknown {
    this.finish(false);
    return this.#signal.aborted ? this.#signal.reason : error;
  }

  response(head: ResponseHead, decode: boolean): Response {
    const { status } = head;
    let response: Response;
    if (head.contentLength === 0 || NULL_BODY.has(status)) {
      // A body where none may be (a 204 or 304 with a length) is not read, nor the connection reused.
      this.finish(head.contentLength === 0 && head.keepAlive);
      const none = head.bodiless || NULL_BODY.has(status);
      response = new Response(none ? null : new Uint8Array(0), {
        status,
        statusText: head.statusText,
      });
    } else {
      let encoding: string | undefined;
      if (decode) {
        for (const [name, value] of head.fields) {
          if (name === "content-encoding") encoding = value.toLowerCase();
        }
      }
      const format = encoding === undefined || encoding === "identity"
        ? undefined
        : DECODINGS[encoding];
      if (encoding !== undefined && encoding !== "identity" && format === undefined) {
        this.finish(false);
        throw new BodyDecodeError(
          `Cannot decode the body as its content-encoding '${encoding}' was not asked for`,
        );
      }
      const piece = format === undefined ? CHUNK_BYTES : ENCODED_PIECE_BYTES;
      const conn = this.#conn;
      if (
        format === undefined && !head.chunked && head.contentLength > 0 &&
        conn.buffered >= head.contentLength
      ) {
        // The usual small page came whole with its head: handed over as bytes, no stream
        // to pull, and the connection is free at once.
        const bytes = conn.buffer.slice(conn.start, conn.start + head.contentLength);
        conn.start += head.contentLength;
        // The stream, for a reader other than the body readers (the archive's): the same bytes.
        const stream = new ReadableStream<Uint8Array>({
          pull(controller) {
            controller.enqueue(bytes);
            controller.close();
          },
        }, { highWaterMark: 0 });
        const response = withFields(
          holdBody(new Response(stream, { status, statusText: head.statusText }), bytes),
          head,
        );
        // Free for the next request once the head proved well-formed.
        this.finish(head.keepAlive);
        return response;
      }
      let body: ReadableStream<Uint8Array> = head.chunked
        ? this.#chunkedBody(head.keepAlive, piece)
        : head.contentLength > 0
        ? this.#lengthBody(head.contentLength, head.keepAlive, piece)
        : this.#untilCloseBody(piece);
      if (format !== undefined) {
        body = (body as ReadableStream<Uint8Array<ArrayBuffer>>).pipeThrough(
          new DecompressionStream(format),
        );
      }
      response = new Response(body, { status, statusText: head.statusText });
    }
    try {
      return withFields(response, head);
    } catch (error) {
      this.finish(false);
      throw error;
    }
  }

  #stream(
    pull: (controller: ReadableStreamDefaultController<Uint8Array>) => Promise<void>,
  ): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          await pull(controller);
        } catch (error) {
          controller.error(this.failure(error));
        }
      },
      // Not drained: a body nobody wants may be long, so its connection is closed instead.
      cancel: () => this.finish(false),
    }, { highWaterMark: 0 });
  }

  #lengthBody(length: number, keepAlive: boolean, piece: number): ReadableStream<Uint8Array> {
    const conn = this.#conn;
    let remaining = length;
    return this.#stream(async (controller) => {
      const size = Math.min(remaining, piece);
      let chunk: Uint8Array;
      if (conn.buffered > 0) {
        // What came with the head (for a small page, all of it): one copy out of the buffer.
        const count = Math.min(size, conn.buffered);
        chunk = conn.buffer.slice(conn.start, conn.start + count);
        conn.start += count;
      } else {
        // One read a pull, handed over as it came: a reader's byte cap sees a stalled body's
        // bytes, and a deadline cuts it where it stopped.
        const space = new Uint8Array(size);
        const read = await conn.conn.read(space);
        if (read === null) throw new Error("connection closed before the body ended");
        chunk = read === size ? space : space.subarray(0, read);
      }
      remaining -= chunk.length;
      controller.enqueue(chunk);
      if (remaining === 0) {
        controller.close();
        this.finish(keepAlive);
      }
    });
  }

  #chunkedBody(keepAlive: boolean, piece: number): ReadableStream<Uint8Array> {
    const conn = this.#conn;
    let left = 0;
    return this.#stream(async (controller) => {
      if (left === 0) {
        const line = await conn.readLine();
        const size = line === null ? null : /^([0-9a-fA-F]{1,12})[ \t]*(?:;.*)?$/.exec(line);
        if (line === null) throw new Error("connection closed before the body ended");
        if (size === null) {
          throw new Error(`invalid HTTP response: chunk size ${JSON.stringify(line)}`);
        }
        left = parseInt(size[1]!, 16);
        if (left === 0) {
          // Trailer fields, if any, are read past and dropped, as fetch() does.
          let trailer: string | null;
          do {
            trailer = await conn.readLine();
            if (trailer === null) throw new Error("connection closed before the body ended");
          } while (trailer !== "");
          controller.close();
          this.finish(keepAlive);
          return;
        }
      }
      if (conn.buffered === 0 && !(await conn.fill())) {
        throw new Error("connection closed before the body ended");
      }
      const chunk = new Uint8Array(Math.min(left, conn.buffered, piece));
      conn.take(chunk);
      left -= chunk.length;
      if (left === 0) {
        const end = await conn.readLine();
        if (end === null) throw new Error("connection closed before the body ended");
        if (end !== "") throw new Error("invalid HTTP response: a chunk longer than its size");
      }
      controller.enqueue(chunk);
    });
  }

  #untilCloseBody(piece: number): ReadableStream<Uint8Array> {
    const conn = this.#conn;
    return this.#stream(async (controller) => {
      if (conn.buffered === 0 && !(await conn.fill())) {
        controller.close();
        this.finish(false);
        return;
      }
      const chunk = new Uint8Array(Math.min(conn.buffered, piece));
      conn.take(chunk);
      controller.enqueue(chunk);
    });
  }
}

/**
 * Appends a head's fields to a response's own headers: one validation
 * pass, no copy.
 */
function withFields(response: Response, head: ResponseHead): Response {
  const headers = response.headers;
  for (const [name, value] of head.fields) {
    try {
      headers.append(name, value);
    } catch {
      const field = `${name}: ${value}`.slice(0, 80);
      throw new Error(`invalid HTTP response: header ${JSON.stringify(field)}`);
    }
  }
  return response;
}

/** The request head's bytes, and whether the body is to be decoded (no caller's `accept-encoding`). */
function serializeRequest(
  method: string,
  url: URL,
  headers: Record<string, string> | undefined,
): { bytes: Uint8Array; decode: boolean } {
  let text = `${method} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n`;
  let accept = false, language = false, encoding = false, agent = false, authorization = false;
  for (const name in headers) {
    const value = headers[name]!;
    if (!TOKEN.test(name) || !FIELD_VALUE.test(value)) {
      throw new TypeError(`Cannot send a request as header '${name}' is invalid`);
    }
    const lower = name.toLowerCase();
    // The connection's framing is this client's to say.
    if (lower === "host" || lower === "connection" || lower === "content-length") continue;
    if (lower === "transfer-encoding" || lower === "keep-alive") continue;
    accept ||= lower === "accept";
    language ||= lower === "accept-language";
    encoding ||= lower === "accept-encoding";
    agent ||= lower === "user-agent";
    authorization ||= lower === "authorization";
    text += `${name}: ${value.trim()}\r\n`;
  }
  if (!accept) text += "accept: */*\r\n";
  if (!language) text += "accept-language: *\r\n";
  if (!encoding) text += "accept-encoding: gzip\r\n";
  if (!authorization && (url.username !== "" || url.password !== "")) {
    // As fetch() does: a URL's credentials become Basic authorization.
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    text += `authorization: Basic ${base64(ENCODER.encode(credentials))}\r\n`;
  }
  if (!agent) text += `user-agent: Deno/${Deno.version.deno}\r\n`;
  text += "\r\n";
  return { bytes: latin1Bytes(text), decode: !encoding };
}

/** Bytes in base64. */
function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** A head's text as bytes, one per char (field values are Latin-1, not UTF-8). */
function latin1Bytes(text: string): Uint8Array {
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return ENCODER.encode(text);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
