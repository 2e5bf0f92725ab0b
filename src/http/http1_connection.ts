/**
 * One HTTP/1.1 connection of {@linkcode Http1Pool}: a TCP stream and the
 * bytes read from it but not consumed yet, and the reading of a response
 * head (status line and header fields) from it.
 *
 * @module
 */

import { HAND_OVER_MIN_BYTES, handOver, READ_BUFFER_BYTES, readBuffer } from "./read_buffers.ts";

/**
 * Longest response head (status line and header fields) accepted, in bytes:
 * it must fit in the connection's buffer.
 */
const MAX_HEAD_BYTES = READ_BUFFER_BYTES;

/** A response's status line and header fields, and how its body is framed. */
export interface ResponseHead {
  /** The status code. */
  status: number;
  /** The reason phrase, as sent. */
  statusText: string;
  /** The header fields in order, names lower-cased, values trimmed; not validated yet. */
  fields: [string, string][];
  /** The body's length from Content-Length; `-1` when none was sent. */
  contentLength: number;
  /** Whether the body is sent in chunks (Transfer-Encoding: chunked). */
  chunked: boolean;
  /** Whether the server lets the connection carry another request afterwards. */
  keepAlive: boolean;
  /** Whether the response has no body whatever its fields say (a HEAD's, a 204, a 304). */
  bodiless: boolean;
}

/**
 * A TCP connection with a read buffer: what arrived past the part of a
 * response already consumed stays here for the next read.
 */
export class Http1Connection {
  /** The TCP stream. */
  readonly conn: Deno.Conn;
  /** `host:port`, the pool's key. */
  readonly key: string;
  /** The read buffer, as long as the longest head accepted; bytes `start` to `end` are unread. */
  buffer: Uint8Array<ArrayBuffer> = readBuffer();
  /** Where the unread bytes start. */
  start = 0;
  /** Where the unread bytes end. */
  end = 0;
  /** When it went back to the pool, from `performance.now()`. */
  idleSince = 0;
  /** Bytes read into the buffer so far (a body read past the buffer is not counted). */
  received = 0;
  #closed = false;
  /** The read started when the connection went idle, until a request takes it over. */
  #idleRead: Promise<number | null> | undefined;
  /** Whether that read has ended (bytes, the end of the stream, or an error). */
  #idleEnded = false;

  /**
   * Wraps a connected stream.
   *
   * @param conn The TCP stream.
   * @param key `host:port`.
   */
  constructor(conn: Deno.Conn, key: string) {
    this.conn = conn;
    this.key = key;
  }

  /** Whether {@linkcode Http1Connection.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes read but not consumed. */
  get buffered(): number {
    return this.end - this.start;
  }

  /**
   * Starts reading while the connection waits for its next request: an idle
   * connection must stay silent, and whatever comes (bytes, the end of the
   * stream, an error) makes it {@linkcode Http1Connection.spoiled}. The next
   * {@linkcode Http1Connection.fill} takes the read over.
   */
  watchIdle(): void {
    this.start = this.end = 0;
    this.#idleEnded = false;
    const read = this.conn.read(this.buffer);
    this.#idleRead = read;
    read.then(() => this.#idleEnded = true, () => this.#idleEnded = true);
  }

  /**
   * Whether something came while the connection was idle: bytes no request
   * asked for (a server's late or extra answer) would be read as the next
   * response, so the connection is not to be reused.
   */
  get spoiled(): boolean {
    return this.#idleEnded;
  }

  /**
   * Reads more bytes into the buffer, moving the unread ones to its start
   * when it is full.
   *
   * @returns `false` at the end of the stream.
   */
  async fill(): Promise<boolean> {
    const idle = this.#idleRead;
    if (idle !== undefined) {
      // Started into the empty buffer when the connection went idle.
      this.#idleRead = undefined;
      const read = await idle;
      if (read === null) return false;
      this.end += read;
      this.received += read;
      return true;
    }
    if (this.start === this.end) this.start = this.end = 0;
    else if (this.end === this.buffer.length) {
      if (this.start > 0) {
        this.buffer.copyWithin(0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      } else {
        throw new Error(
          `invalid HTTP response: a line or head longer than ${MAX_HEAD_BYTES} bytes`,
        );
      }
    }
    const read = await this.conn.read(this.buffer.subarray(this.end));
    if (read === null) return false;
    this.end += read;
    this.received += read;
    return true;
  }

  /**
   * Moves up to `target.length` unread bytes into `target`.
   *
   * @param target Where they go.
   * @returns How many were moved.
   */
  take(target: Uint8Array): number {
    const count = Math.min(target.length, this.end - this.start);
    target.set(this.buffer.subarray(this.start, this.start + count));
    this.start += count;
    return count;
  }

  /**
   * The next `count` unread bytes (all there: see {@linkcode buffered}) as a
   * body of their own: a copy when small, else in the buffer they were read
   * into, which the connection gives up for another (see `read_buffers.ts`).
   *
   * @param count How many.
   * @returns The bytes.
   */
  takeBody(count: number): Uint8Array<ArrayBuffer> {
    const end = this.start + count;
    if (count < HAND_OVER_MIN_BYTES) {
      const copy = this.buffer.slice(this.start, end);
      this.start = end;
      return copy;
    }
    const body = handOver(this.buffer, this.start, end);
    const rest = this.buffer.subarray(end, this.end);
    this.buffer = readBuffer();
    this.buffer.set(rest);
    this.start = 0;
    this.end = rest.length;
    return body;
  }

  /**
   * Writes all of `bytes`.
   *
   * @param bytes What to send.
   */
  async write(bytes: Uint8Array): Promise<void> {
    let written = 0;
    while (written < bytes.length) written += await this.conn.write(bytes.subarray(written));
  }

  /**
   * Reads the next line (up to LF, CR LF or LF trimmed off), as Latin-1.
   *
   * @returns The line, or `null` when the stream ended before one.
   */
  async readLine(): Promise<string | null> {
    let from = this.start;
    while (true) {
      const lf = this.buffer.indexOf(10, from);
      if (lf !== -1 && lf < this.end) {
        const stop = lf > this.start && this.buffer[lf - 1] === 13 ? lf - 1 : lf;
        const line = latin1(this.buffer, this.start, stop);
        this.start = lf + 1;
        return line;
      }
      const scanned = this.end - this.start;
      if (!(await this.fill())) return null;
      from = this.start + scanned;
    }
  }

  /**
   * Reads a response head, skipping interim (1xx) responses.
   *
   * @param method The request's method: a HEAD response has no body.
   * @returns The head, or `null` when the stream ended before any of it.
   * @throws {Error} `invalid HTTP response: ...` for a head that breaks
   * HTTP/1.1's grammar, or `connection closed ...` when the stream ends inside it.
   */
  async readHead(method: string): Promise<ResponseHead | null> {
    while (true) {
      const head = await this.#readOneHead(method);
      if (head === null || head.status >= 200) return head;
    }
  }

  async #readOneHead(method: string): Promise<ResponseHead | null> {
    // The head ends at the first empty line: find it before decoding anything.
    let from = this.start;
    let headEnd: number;
    while (true) {
      headEnd = endOfHead(this.buffer, from, this.end);
      if (headEnd !== -1) break;
      const scanned = this.end - this.start;
      if (!(await this.fill())) {
        if (this.start === this.end) return null;
        throw new Error("connection closed before the response's headers ended");
      }
      from = this.start + Math.max(0, scanned - 3);
    }
    const lines = latin1(this.buffer, this.start, headEnd).split("\n");
    this.start = headEnd;
    const statusLine = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([^\r]*))?\r?$/.exec(lines[0]!);
    if (statusLine === null) {
      throw new Error(
        `invalid HTTP response: status line ${JSON.stringify(lines[0]!.slice(0, 80))}`,
      );
    }
    const status = Number(statusLine[2]);
    if (status > 599) throw new Error(`invalid HTTP response: status ${status}`);
    const fields: [string, string][] = [];
    let contentLength = -1;
    let chunked = false;
    let connection = "";
    for (let i = 1; i < lines.length; i++) {
      let line = lines[i]!;
      if (line.endsWith("\r")) line = line.slice(0, -1);
      if (line === "") continue;
      const colon = line.indexOf(":");
      if (colon <= 0 || line.charCodeAt(colon - 1) === 32 || line.charCodeAt(colon - 1) === 9) {
        throw new Error(`invalid HTTP response: header line ${JSON.stringify(line.slice(0, 80))}`);
      }
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      fields.push([name, value]);
      if (name === "content-length") {
        const length = /^\d{1,15}$/.test(value) ? Number(value) : NaN;
        if (Number.isNaN(length) || (contentLength !== -1 && contentLength !== length)) {
          throw new Error(`invalid HTTP response: content-length ${JSON.stringify(value)}`);
        }
        contentLength = length;
      } else if (name === "transfer-encoding") {
        chunked = /(?:^|,)\s*chunked\s*$/i.test(value);
        if (!chunked) {
          throw new Error(`invalid HTTP response: transfer-encoding ${JSON.stringify(value)}`);
        }
      } else if (name === "connection") connection += `,${value.toLowerCase()}`;
    }
    const http11 = statusLine[1] === "1";
    const close = /(?:^|,)\s*close\s*(?:,|$)/.test(connection);
    const keepAlive = http11 ? !close : /(?:^|,)\s*keep-alive\s*(?:,|$)/.test(connection) && !close;
    const noBody = method === "HEAD" || status < 200 || status === 204 || status === 304;
    const reason = statusLine[3] ?? "";
    return {
      status,
      // A reason phrase with control characters is dropped: it carries nothing a crawl needs.
      statusText: REASON.test(reason) ? reason : "",
      fields,
      contentLength: noBody ? 0 : chunked ? -1 : contentLength,
      chunked: noBody ? false : chunked,
      // A body that runs to the end of the stream leaves nothing to reuse.
      // Both framings at once (RFC 9112 6.3): read as chunked, and the connection not trusted.
      keepAlive: keepAlive && (noBody || chunked || contentLength !== -1) &&
        !(chunked && contentLength !== -1),
      bodiless: noBody,
    };
  }

  /** Closes the stream; later reads and writes fail. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.conn.close();
    } catch {
      // Already closed by the other side's failure.
    }
  }
}

/** What a reason phrase may hold (RFC 9112 4: tab, space, visible and obs-text bytes). */
const REASON = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Where the head ends (past its empty line), searching from `from`; `-1` when not yet. */
function endOfHead(buffer: Uint8Array, from: number, end: number): number {
  let lf = buffer.indexOf(10, from);
  while (lf !== -1 && lf < end) {
    const next = buffer[lf + 1];
    if (lf + 1 < end && next === 10) return lf + 2;
    if (lf + 2 < end && next === 13 && buffer[lf + 2] === 10) return lf + 3;
    lf = buffer.indexOf(10, lf + 1);
  }
  return -1;
}

/** Bytes as Latin-1 (one char per byte, as HTTP's field values are carried). */
function latin1(buffer: Uint8Array, start: number, end: number): string {
  let text = "";
  for (let at = start; at < end; at += 4096) {
    text += String.fromCharCode.apply(
      null,
      buffer.subarray(at, Math.min(end, at + 4096)) as unknown as number[],
    );
  }
  return text;
}
