/**
 * ioredis' connection over Deno's own TCP: a node-style duplex stream on a
 * `Deno.TcpConn` (given to ioredis by `tcp_connector.ts` for plain
 * `redis://` URLs; `rediss://` keeps Node's `tls`).
 *
 * Why: Deno's `node:net` socket encodes every write into a fresh buffer and
 * passes it through Node's stream layers; a crawl's sync calls (about 15 KB
 * each) spent 93 ms of 5,001 pages there. This stream encodes into one
 * reused buffer and writes it to the connection directly: the same crawl
 * did 3,291 against 3,052 pages/s (five alternated pairs, every pair ahead).
 *
 * Errors keep Node's wording (`connect ECONNREFUSED 127.0.0.1:6390`,
 * `getaddrinfo ENOTFOUND host`, `read ECONNRESET`), as the messages the
 * crawler shows are built from them.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { Duplex } from "node:stream";

const encoder = new TextEncoder();

/** Most bytes one read takes from the connection. */
const READ_BYTES = 64 * 1024;

/**
 * The reused write buffer's first size, and the largest it grows to: a
 * larger command is encoded into an array of its own, not kept.
 */
const SCRATCH_BYTES = 64 * 1024, MAX_SCRATCH_BYTES = 1024 * 1024;

/**
 * An error in Node's wording (`SYSCALL CODE TARGET`) for a Deno one, with
 * its `code` and `syscall`.
 */
function nodeError(error: unknown, syscall: string, target: string): Error {
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    return Object.assign(new Error(`${syscall} ${code}${target ? ` ${target}` : ""}`), {
      code,
      syscall,
      cause: error,
    });
  }
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Connects to the first of a name's addresses that accepts, in the
 * resolver's order (`localhost` may be `::1` first, where a server listens
 * on 127.0.0.1 only), as Node's `net.connect` does; an address as given.
 *
 * @throws The resolver's error (`getaddrinfo ENOTFOUND host`), or the last address's.
 */
async function connectAny(hostname: string, port: number): Promise<Deno.TcpConn> {
  const addresses = isIP(hostname)
    ? [hostname]
    : (await lookup(hostname, { all: true })).map((a) => a.address);
  let failure: unknown;
  for (const address of addresses) {
    try {
      return await Deno.connect({ hostname: address, port });
    } catch (error) {
      failure = nodeError(error, "connect", `${address}:${port}`);
    }
  }
  throw failure;
}

/**
 * A node-style duplex stream over a Deno TCP connection, with the parts of
 * `net.Socket` ioredis uses: the `connect` and `timeout` events,
 * `connecting`, `setNoDelay`, `setKeepAlive`, `setTimeout` and the remote
 * address. Text is encoded into one buffer reused for every write (a
 * writable stream writes one chunk at a time; it grows to 1 MiB, and a
 * larger command gets an array of its own); each read is copied out.
 *
 * @example Usage
 * ```ts
 * import { TcpSocket } from "./tcp_socket.ts";
 * import assert from "node:assert/strict";
 *
 * // A server that answers one line.
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const served = listener.accept().then(async (conn) => {
 *   await conn.read(new Uint8Array(64));
 *   await conn.write(new TextEncoder().encode("+PONG\r\n"));
 *   conn.close();
 * });
 * const socket = new TcpSocket("127.0.0.1", listener.addr.port);
 * const reply = new Promise((resolve) => socket.once("data", (data) => resolve(String(data))));
 * socket.once("connect", () => socket.write("PING\r\n"));
 * assert.equal(await reply, "+PONG\r\n");
 * await served;
 * socket.destroy();
 * ```
 */
export class TcpSocket extends Duplex {
  /** Whether the connection is still being made. */
  connecting = true;
  /** The server's address, once connected. */
  remoteAddress: string | undefined;
  /** The server's port, once connected. */
  remotePort: number | undefined;
  #conn: Deno.TcpConn | undefined;
  #noDelay = true;
  #keepAlive = false;
  #scratch = new Uint8Array(SCRATCH_BYTES);
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Connects to `hostname:port`; emits `connect` once connected, or
   * `error` (Node's wording) and `close`.
   *
   * @param hostname The server's name or address.
   * @param port The server's port.
   */
  constructor(hostname: string, port: number) {
    super({ allowHalfOpen: false, decodeStrings: false });
    connectAny(hostname, port).then((conn) => {
      if (this.destroyed) {
        conn.close();
        return;
      }
      this.#conn = conn;
      this.connecting = false;
      conn.setNoDelay(this.#noDelay);
      conn.setKeepAlive(this.#keepAlive);
      this.remoteAddress = conn.remoteAddr.hostname;
      this.remotePort = conn.remoteAddr.port;
      this.emit("connect");
      this.#readAll(conn);
    }, (error) => this.destroy(error));
  }

  async #readAll(conn: Deno.TcpConn): Promise<void> {
    const buffer = new Uint8Array(READ_BYTES);
    try {
      for (;;) {
        const n = await conn.read(buffer);
        if (n === null) break;
        // Copied: the parser may keep a partial reply's bytes across reads.
        this.push(Buffer.from(buffer.subarray(0, n)));
      }
      this.push(null);
    } catch (error) {
      if (!this.destroyed) this.destroy(nodeError(error, "read", ""));
    }
  }

  /** Reads are pushed as they come; nothing to start. */
  override _read(): void {}

  /**
   * Writes one chunk: text encoded into the reused buffer, bytes as given.
   *
   * @param chunk Text or bytes.
   * @param _encoding Unused: text is UTF-8.
   * @param callback Called once the bytes are written, or with the error.
   */
  override _write(
    chunk: string | Uint8Array,
    _encoding: string,
    callback: (error?: Error | null) => void,
  ): void {
    const conn = this.#conn;
    if (!conn) {
      callback(new Error("Cannot write to the socket as it is not connected"));
      return;
    }
    let bytes = chunk as Uint8Array;
    if (typeof chunk === "string") {
      // UTF-8 takes at most 3 bytes per UTF-16 unit.
      const most = chunk.length * 3;
      if (most > this.#scratch.length && most <= MAX_SCRATCH_BYTES) {
        this.#scratch = new Uint8Array(
          Math.min(MAX_SCRATCH_BYTES, Math.max(most, this.#scratch.length * 2)),
        );
      }
      bytes = most <= this.#scratch.length
        ? this.#scratch.subarray(0, encoder.encodeInto(chunk, this.#scratch).written)
        : encoder.encode(chunk);
    }
    writeAll(conn, bytes).then(
      () => callback(),
      (error) => callback(nodeError(error, "write", "")),
    );
  }

  /**
   * Ends the sending side once everything written is out.
   *
   * @param callback Called once done.
   */
  override _final(callback: (error?: Error | null) => void): void {
    if (!this.#conn) return callback();
    this.#conn.closeWrite().then(() => callback(), () => callback());
  }

  /**
   * Closes the connection.
   *
   * @param error Why, if it failed.
   * @param callback Called once closed.
   */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    try {
      this.#conn?.close();
    } catch {
      // Closed already (by the peer's end).
    }
    callback(error);
  }

  /**
   * Sets `TCP_NODELAY` (now, or once connected).
   *
   * @param noDelay Whether to send small writes at once.
   * @returns This socket.
   */
  setNoDelay(noDelay = true): this {
    this.#noDelay = noDelay;
    this.#conn?.setNoDelay(noDelay);
    return this;
  }

  /**
   * Sets `SO_KEEPALIVE` (now, or once connected).
   *
   * @param enable Whether to send keep-alive probes.
   * @returns This socket.
   */
  setKeepAlive(enable = false): this {
    this.#keepAlive = enable;
    this.#conn?.setKeepAlive(enable);
    return this;
  }

  /**
   * Emits `timeout` (and calls `callback`) `ms` from now; 0 cancels. As
   * ioredis uses it, for its connect timeout: not reset by activity.
   *
   * @param ms The delay in ms, or 0.
   * @param callback Also called on the timeout.
   * @returns This socket.
   */
  setTimeout(ms: number, callback?: () => void): this {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (ms > 0) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.emit("timeout");
        callback?.();
      }, ms);
    }
    return this;
  }
}

async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await conn.write(bytes.subarray(at));
}
