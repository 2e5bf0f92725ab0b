/**
 * Reading response bodies within a byte budget, so a huge or endless body
 * (or a decompression bomb) cannot grow memory past it, and the
 * {@linkcode BodyReader} contract through which `request()` has a caller's
 * reader read the final response's body.
 *
 * @module
 */

import { takeHeldBody } from "./held_body.ts";
import { ownBody } from "./read_buffers.ts";

/**
 * Thrown by a body reader when a body is longer than its limit; `request()`
 * reports it as `too_large`, with this error's message.
 *
 * @example Usage
 * ```ts
 * import { BodyTooLargeError } from "./body.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new BodyTooLargeError(1024);
 * assert.equal(error.message, "body exceeds 1024 bytes");
 * assert.equal(error.limit, 1024);
 * ```
 */
export class BodyTooLargeError extends Error {
  /** The limit that was passed, in bytes. */
  readonly limit: number;

  /**
   * Creates the error for a limit.
   *
   * @param limit The limit that was passed, in bytes.
   * @param message One line for humans; by default it names the limit.
   */
  constructor(limit: number, message = `body exceeds ${limit} bytes`) {
    super(message);
    this.name = "BodyTooLargeError";
    this.limit = limit;
  }
}

/**
 * Thrown by a body reader when the bytes cannot be decoded (e.g. invalid
 * gzip data); `request()` reports it as `decode`, with this error's message.
 * A `TypeError`, as the platform's own decoding errors are.
 *
 * @example Usage
 * ```ts
 * import { BodyDecodeError } from "./body.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new BodyDecodeError("Cannot read sitemap as its gzip data is invalid");
 * assert.ok(error instanceof TypeError);
 * ```
 */
export class BodyDecodeError extends TypeError {
  /**
   * Creates the error.
   *
   * @param message One line for humans.
   * @param options The underlying error, as `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BodyDecodeError";
  }
}

/**
 * Reads the final response's body for `request()`, which calls it under the
 * request's deadline and turns what it throws into an error code
 * ({@linkcode BodyTooLargeError}: `too_large`, {@linkcode BodyDecodeError}:
 * `decode`). Resolving to `null` means "not read": the reader must then not
 * have touched the body, which `request()` cancels.
 *
 * @param response The final (non-redirect) response.
 * @param signal The request's deadline signal (the fetch's own, so the body
 * stream already errors when it aborts; a reader that pipes the body
 * elsewhere uses it to stop that too).
 * @param maxBytes The request's `maxBytes`: most bytes to keep.
 * @returns The bytes read, or `null` to leave the body unread.
 */
export type BodyReader = (
  response: Response,
  signal: AbortSignal,
  maxBytes: number,
) => Promise<Uint8Array | null>;

/** Options for {@linkcode readBody}. */
export interface ReadBodyOptions {
  /** Most bytes kept. */
  limit: number;
  /**
   * `"error"` (default): a longer body throws {@linkcode BodyTooLargeError};
   * `"cut"`: the bytes read so far (at least `limit`) are returned, the rest cancelled.
   */
  overflow?: "error" | "cut";
}

/**
 * Joins chunks into one array (the chunk itself when there is one).
 *
 * @param chunks The chunks, in order.
 * @param total Their total length, when already known.
 * @returns The bytes.
 *
 * @example Usage
 * ```ts
 * import { concatBytes } from "./body.ts";
 * concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])]); // Uint8Array [1, 2, 3]
 * ```
 */
export function concatBytes<T extends Uint8Array>(
  chunks: readonly T[],
  total?: number,
): T | Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total ?? chunks.reduce((n, chunk) => n + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * Reads a stream chunk by chunk up to a limit, cancelling it past the limit.
 *
 * @param body The stream (a response body).
 * @param options The limit and what happens past it.
 * @returns The bytes read.
 * @throws {BodyTooLargeError} Past the limit, with `overflow: "error"`.
 *
 * @example Usage
 * ```ts
 * import { readBody } from "./body.ts";
 * const bytes = await readBody(new Response("hello").body!, { limit: 1024 });
 * bytes.byteLength; // 5
 * ```
 */
export async function readBody(
  body: ReadableStream<Uint8Array>,
  options: ReadBodyOptions,
): Promise<Uint8Array> {
  const { limit, overflow = "error" } = options;
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit && overflow === "error") {
        await reader.cancel().catch(() => {});
        throw new BodyTooLargeError(limit);
      }
      chunks.push(value);
      if (total >= limit && overflow === "cut") {
        await reader.cancel().catch(() => {});
        break;
      }
    }
  } finally {
    reader.releaseLock();
  }
  return concatBytes(chunks, total);
}

/** What {@linkcode readRawBody} read. */
export interface RawBody {
  /** The bytes that arrived (at most the limit). */
  bytes: Uint8Array;
  /** Why the body stopped early: the deadline (`time`) or a failed connection (`disconnect`). */
  truncated?: "time" | "disconnect";
  /** The failure that stopped it, to be rethrown by the caller. */
  error?: unknown;
}

/**
 * Reads a body as far as it comes, up to a limit, never throwing: what
 * arrived before a failure is kept with the failure beside it (for an
 * archive, which stores a cut body marked as cut).
 *
 * @param body The stream, or `null` for none.
 * @param limit Most bytes kept; the rest is cancelled.
 * @param signal The request's deadline signal: when it has aborted, a failure is `time`.
 * @returns The bytes, and why and how the reading stopped early.
 *
 * @example Usage
 * ```ts
 * import { readRawBody } from "./body.ts";
 * import assert from "node:assert/strict";
 *
 * const read = await readRawBody(new Response("hello").body, 4, new AbortController().signal);
 * assert.equal(new TextDecoder().decode(read.bytes), "hell");
 * assert.equal(read.error, undefined);
 * ```
 */
export async function readRawBody(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
  signal: AbortSignal,
): Promise<RawBody> {
  if (body === null) return { bytes: new Uint8Array() };
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  try {
    while (total < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.byteLength;
    }
    if (total >= limit) await reader.cancel().catch(() => {});
  } catch (error) {
    const bytes = concatBytes(chunks, total);
    return { bytes, truncated: signal.aborted ? "time" : "disconnect", error };
  } finally {
    reader.releaseLock();
  }
  const bytes = concatBytes(chunks, total);
  return { bytes: total > limit ? bytes.subarray(0, limit) : bytes };
}

/**
 * Reads a response's whole body within a limit. When the server declares an
 * uncompressed length within the limit, the body is read in one call (no
 * per-chunk JavaScript); otherwise, or when it is compressed, chunk by chunk
 * with {@linkcode readBody}, so the limit holds on decompressed bytes.
 *
 * @param response The response whose body to read.
 * @param options The limit and what happens past it.
 * @returns The bytes read (empty for a response without a body).
 * @throws {BodyTooLargeError} Past the limit, with `overflow: "error"`.
 *
 * @example Usage
 * ```ts
 * import { readResponseBody } from "./body.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = await readResponseBody(new Response("hello"), { limit: 1024 });
 * assert.equal(bytes.byteLength, 5);
 * ```
 */
export function readResponseBody(
  response: Response,
  options: ReadBodyOptions,
): Promise<Uint8Array> {
  return readWithin(response, options.limit, options.overflow ?? "error");
}

/**
 * The standard {@linkcode BodyReader}: the whole body, failing with
 * {@linkcode BodyTooLargeError} past `maxBytes` (see
 * {@linkcode readResponseBody}). It is the reader `request()` uses when the
 * caller names none.
 *
 * @param response The final response.
 * @param _signal Unused: the body stream already follows the request's deadline.
 * @param maxBytes Most bytes read.
 * @returns The bytes read (empty for a response without a body).
 * @throws {BodyTooLargeError} Past `maxBytes`.
 *
 * @example Usage
 * ```ts
 * import { BodyTooLargeError, readCappedBody } from "./body.ts";
 * import assert from "node:assert/strict";
 *
 * const signal = new AbortController().signal;
 * assert.equal((await readCappedBody(new Response("hello"), signal, 5)).byteLength, 5);
 * await assert.rejects(readCappedBody(new Response("hello"), signal, 4), BodyTooLargeError);
 * ```
 */
export function readCappedBody(
  response: Response,
  _signal: AbortSignal,
  maxBytes: number,
): Promise<Uint8Array> {
  return readWithin(response, maxBytes, "error");
}

/**
 * {@linkcode readCappedBody} for a caller that releases the body once done
 * with it (`releaseBody()` in `read_buffers.ts`), as the crawl's parse stage
 * does its pages: a small body that came whole with its head may then be a
 * view in the buffer it was read into, with no copy. Any other caller keeps
 * what it reads, so it gets a copy of its own.
 *
 * @param response The final response.
 * @param _signal Unused: the body stream already follows the request's deadline.
 * @param maxBytes Most bytes read.
 * @returns The bytes read (empty for a response without a body).
 * @throws {BodyTooLargeError} Past `maxBytes`.
 *
 * @example Usage
 * ```ts
 * import { readLentBody } from "./body.ts";
 * import { releaseBody } from "./read_buffers.ts";
 * import assert from "node:assert/strict";
 *
 * const body = await readLentBody(new Response("hello"), new AbortController().signal, 5);
 * assert.equal(new TextDecoder().decode(body), "hello");
 * releaseBody(body);
 * ```
 */
export function readLentBody(
  response: Response,
  _signal: AbortSignal,
  maxBytes: number,
): Promise<Uint8Array> {
  return readWithin(response, maxBytes, "error", true);
}

// Positional rather than an options object: this runs for every page fetched.
async function readWithin(
  response: Response,
  limit: number,
  overflow: "error" | "cut",
  lend = false,
): Promise<Uint8Array> {
  if (response.body === null) return new Uint8Array();
  const taken = takeHeldBody(response);
  const held = taken instanceof Uint8Array && !lend ? ownBody(taken) : taken;
  if (held instanceof Uint8Array) {
    if (held.byteLength <= limit) return held;
    if (overflow === "error") throw new BodyTooLargeError(limit);
    return held.subarray(0, limit);
  }
  const length = Number(response.headers.get("content-length") ?? NaN);
  const encoding = response.headers.get("content-encoding");
  // A Content-Length is the body's length only without a Transfer-Encoding, which overrides
  // it (RFC 9112 6.3): a chunked body sent with "content-length: 3" may be endless.
  if (
    length <= limit && (encoding === null || encoding === "identity") &&
    !response.headers.has("transfer-encoding")
  ) {
    // Our HTTP/1.1 client reads such a body straight into one array of its length.
    const bytes = held !== undefined ? await held() : new Uint8Array(await response.arrayBuffer());
    // A server that sent more than it declared gets the same answer as any overlong body.
    if (bytes.byteLength <= limit) return bytes;
    if (overflow === "error") throw new BodyTooLargeError(limit);
    return bytes.subarray(0, limit);
  }
  return await readBody(response.body, { limit, overflow });
}

/**
 * A fingerprint of a response body for change detection: `sha256:` and the
 * first 32 hex digits of the body's SHA-256 when it was read, `length:N`
 * from the declared length when it was not (a body the crawler does not
 * parse is not downloaded), `undefined` when neither is known.
 *
 * @param body The body bytes, or `null` when not read.
 * @param bytes The declared length of a body not read (0 when unknown).
 * @returns The fingerprint.
 *
 * @example Usage
 * ```ts
 * import { fingerprintBody } from "./body.ts";
 * import assert from "node:assert/strict";
 *
 * const a = await fingerprintBody(new TextEncoder().encode("<title>A</title>"), 16);
 * assert.match(a!, /^sha256:[0-9a-f]{32}$/);
 * assert.equal(await fingerprintBody(null, 2048), "length:2048");
 * assert.equal(await fingerprintBody(null, 0), undefined);
 * ```
 */
export async function fingerprintBody(
  body: Uint8Array | null,
  bytes: number,
): Promise<string | undefined> {
  if (body === null) return bytes > 0 ? `length:${bytes}` : undefined;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body as BufferSource));
  let hex = "";
  for (let i = 0; i < 16; i++) hex += digest[i]!.toString(16).padStart(2, "0");
  return `sha256:${hex}`;
}
