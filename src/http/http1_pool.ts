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
import { Exchange } from "./http1_exchange.ts";
import { serializeRequest } from "./http1_request.ts";

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
