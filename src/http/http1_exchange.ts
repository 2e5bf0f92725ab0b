/**
 * One request's exchange on an {@linkcode Http1Pool} connection: the
 * response built from its head, its body read from the socket as the caller
 * reads it (by length, chunked, or to the end of the stream; gzip and deflate
 * inflated in small pieces), and the connection given back exactly once.
 *
 * @module
 */

import type { Http1Connection, ResponseHead } from "./http1_connection.ts";
import { holdBody } from "./held_body.ts";
import { ownBody } from "./read_buffers.ts";
import { BodyDecodeError } from "./body.ts";

/**
 * Most bytes of a body read whole into one array of its declared length
 * (see `held_body.ts`). The array is reserved at once, though its pages take
 * memory only as bytes arrive; a longer body is streamed, chunk by chunk.
 */
const WHOLE_MAX_BYTES = 64 * 1024 * 1024;
/**
 * Most bytes of an encoded body handed to the decoder at once: it inflates
 * each piece whole, and deflate's ratio reaches about 1000:1, so a bigger
 * piece of a decompression bomb would take that much memory before the
 * reader's byte cap can stop it.
 */
const ENCODED_PIECE_BYTES = 8 * 1024;
/** Statuses whose `Response` cannot have a body. */
const NULL_BODY = new Set([204, 205, 304]);
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
 * One request's hold on a connection: closes it when the signal aborts,
 * and gives it back exactly once when the response is done with.
 *
 * @example Usage
 * ```ts
 * import { Exchange } from "./http1_exchange.ts";
 * import { Http1Connection } from "./http1_connection.ts";
 * import assert from "node:assert/strict";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const tcp = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * using server = await listener.accept();
 * await server.write(new TextEncoder().encode("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"));
 * const conn = new Http1Connection(tcp, "127.0.0.1:80");
 * let reusable: boolean | undefined;
 * const exchange = new Exchange(conn, new AbortController().signal, (r) => reusable = r);
 * const response = exchange.response((await conn.readHead("GET"))!, true);
 * assert.equal(await response.text(), "ok");
 * assert.equal(reusable, true); // given back once the body was read
 * conn.close();
 * ```
 */
export class Exchange {
  readonly #conn: Http1Connection;
  readonly #signal: AbortSignal;
  readonly #release: (reusable: boolean) => void;
  #done = false;
  /** Whether the body was read whole (see `held_body.ts`): its stream must not read too. */
  #readWhole = false;
  readonly #onAbort = () => this.#conn.close();

  /**
   * Takes a connection for one request.
   *
   * @param conn The connection.
   * @param signal Aborting it closes the connection.
   * @param release Gives the connection back, reusable or not; called once.
   */
  constructor(conn: Http1Connection, signal: AbortSignal, release: (reusable: boolean) => void) {
    this.#conn = conn;
    this.#signal = signal;
    this.#release = release;
    signal.addEventListener("abort", this.#onAbort, { once: true });
  }

  /**
   * Gives the connection back (at most once).
   *
   * @param reusable Whether it may carry another request.
   */
  finish(reusable: boolean): void {
    if (this.#done) return;
    this.#done = true;
    this.#signal.removeEventListener("abort", this.#onAbort);
    this.#release(reusable);
  }

  /**
   * Gives the connection up after a failure.
   *
   * @param error What failed.
   * @returns The error to report: the signal's reason once it aborted.
   */
  failure(error: unknown): unknown {
    this.finish(false);
    return this.#signal.aborted ? this.#signal.reason : error;
  }

  /**
   * The response for a head: its body read from the connection as the
   * caller reads it (a small one already whole), the connection given back
   * at its end.
   *
   * @param head The response head.
   * @param decode Whether the client chose `accept-encoding` (then gzip and
   * deflate are inflated, and any other coding is refused).
   * @returns The response.
   * @throws {BodyDecodeError} For a coding that was not asked for.
   * @throws {Error} For a header field `Headers` refuses.
   */
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
      // An unencoded body's chunks are what each read brought (at most the connection's buffer).
      const piece = format === undefined ? Number.POSITIVE_INFINITY : ENCODED_PIECE_BYTES;
      const conn = this.#conn;
      if (
        format === undefined && !head.chunked && head.contentLength > 0 &&
        conn.buffered >= head.contentLength
      ) {
        // The usual small page came whole with its head: handed over as bytes, no stream
        // to pull, and the connection is free at once.
        const bytes = conn.takeBody(head.contentLength);
        // The stream, for a reader other than the body readers (the archive's): the same bytes,
        // in memory of their own (see read_buffers.ts).
        const stream = new ReadableStream<Uint8Array>({
          pull(controller) {
            controller.enqueue(ownBody(bytes));
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
      if (
        format === undefined && !head.chunked && head.contentLength > 0 &&
        head.contentLength <= WHOLE_MAX_BYTES
      ) {
        const { contentLength, keepAlive } = head;
        holdBody(response, () => this.#wholeBody(contentLength, keepAlive));
      }
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

  /**
   * A body of known length read into one array of that length: what came
   * with the head, then reads straight into the rest of the array.
   */
  async #wholeBody(length: number, keepAlive: boolean): Promise<Uint8Array> {
    this.#readWhole = true;
    const conn = this.#conn;
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(length);
      let at = conn.take(bytes);
      while (at < length) {
        const read = await conn.conn.read(bytes.subarray(at));
        if (read === null) throw new Error("connection closed before the body ended");
        at += read;
      }
    } catch (error) {
      throw this.failure(error);
    }
    this.finish(keepAlive);
    return bytes;
  }

  #lengthBody(length: number, keepAlive: boolean, piece: number): ReadableStream<Uint8Array> {
    const conn = this.#conn;
    let remaining = length;
    return this.#stream(async (controller) => {
      if (this.#readWhole) throw new TypeError("Cannot read the body as it was read whole");
      // One read a pull, into the connection's buffer (what came with the head first: for a
      // small page, all of it), handed over as it came: a reader's byte cap sees a stalled
      // body's bytes, and a deadline cuts it where it stopped. Each chunk is a copy of just
      // the bytes read: a read into a fresh array of the piece's size would keep that whole
      // array alive for the few bytes a socket read returns (a 10 MB page pinned 70-125 MiB).
      if (conn.buffered === 0 && !(await conn.fill())) {
        throw new Error("connection closed before the body ended");
      }
      const chunk = new Uint8Array(Math.min(remaining, piece, conn.buffered));
      conn.take(chunk);
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
