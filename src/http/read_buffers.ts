/**
 * The HTTP/1.1 connections' read buffers, and bodies handed over in them.
 *
 * A small response usually comes whole in one read, head and body. Copying
 * its body out of the connection's buffer cost more than the rest of the
 * exchange's own work: about 17 µs a 32 KB page on this machine (against 31
 * for all the rest, socket calls included), nearly all of it writing memory
 * not touched lately, as a fresh allocation alone cost nearly as much. So a
 * body of some size keeps the buffer it was read into ({@linkcode handOver})
 * and the connection takes another ({@linkcode readBuffer}). Once the crawl is
 * done with the body ({@linkcode releaseBody}), the buffer is detached, so no
 * view of it can read what comes next, and its memory is kept for the next
 * connection that needs a buffer: it is still in the cache.
 *
 * Only a reader that releases what it reads gets the view: the crawl's page
 * reader (`readLentBody()` in `body.ts`), whose pages the parse stage releases.
 * Any other reader (robots.txt, sitemaps, the archive's stream, a library
 * caller) gets a copy of its own ({@linkcode ownBody}), so no 64 KiB buffer
 * stays behind a small body kept for long, and nothing outside the page path
 * sees the rest of a buffer (the head, bytes of earlier responses).
 *
 * @module
 */

/** A read buffer's size: the longest response head a connection reads, too. */
export const READ_BUFFER_BYTES = 64 * 1024;

/**
 * The smallest body handed over in its buffer: a smaller one is copied, as a
 * copy costs little and the buffer is not held for a small body.
 */
export const HAND_OVER_MIN_BYTES = 4 * 1024;

/**
 * Most buffers kept for reuse, 8 MiB at most. A crawl has one out per
 * connection and one per page queued for or in the parse stage: 96 at most at
 * concurrency 32 with the default queue of 32. A cap of 32 let a burst of
 * releases drop buffers that the next burst of reads had to allocate afresh,
 * about 900 times over the 5,001-page bench site, each 64 KiB of memory
 * touched for the first time (25-30 ms of the crawl's thread); with 128 it
 * allocates about 100, the first time each is needed.
 */
const MAX_KEPT = 128;

/** Memory released by bodies, most recent last (the likeliest still in the cache). */
const kept: ArrayBuffer[] = [];

/** Buffers given to a body whole: the body's owner may detach them. */
const handedOver = new WeakSet<ArrayBuffer>();

/**
 * A buffer for a connection to read into: released memory when there is
 * some, else new.
 *
 * @returns {@linkcode READ_BUFFER_BYTES} bytes.
 *
 * @example Usage
 * ```ts
 * import { READ_BUFFER_BYTES, readBuffer } from "./read_buffers.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(readBuffer().byteLength, READ_BUFFER_BYTES);
 * ```
 */
export function readBuffer(): Uint8Array<ArrayBuffer> {
  return new Uint8Array(kept.pop() ?? new ArrayBuffer(READ_BUFFER_BYTES));
}

/**
 * Gives a read buffer to a body: the caller stops using the buffer (it takes
 * another), and the body's owner may release it.
 *
 * @param buffer The connection's buffer, from {@linkcode readBuffer}.
 * @param start Where the body starts in it.
 * @param end Where it ends.
 * @returns The body, a view of the buffer.
 *
 * @example Usage
 * ```ts
 * import { handOver, readBuffer, releaseBody } from "./read_buffers.ts";
 * import assert from "node:assert/strict";
 *
 * const buffer = readBuffer();
 * buffer.set(new TextEncoder().encode("HTTP/1.1 200 OK\r\n\r\nhello"));
 * const body = handOver(buffer, 19, 24);
 * assert.equal(new TextDecoder().decode(body), "hello");
 * releaseBody(body);
 * assert.equal(body.byteLength, 0); // detached: the memory went back for reuse
 * ```
 */
export function handOver(
  buffer: Uint8Array<ArrayBuffer>,
  start: number,
  end: number,
): Uint8Array<ArrayBuffer> {
  handedOver.add(buffer.buffer);
  return buffer.subarray(start, end);
}

/**
 * Frees a body the crawl is done with, at once rather than at a garbage
 * collection: a body in a handed-over buffer gives its memory back for
 * reuse, a body that is a whole buffer of its own frees it, any other view is
 * left alone (it may share its buffer with something else). Either way the
 * body and every view of its buffer are detached (zero bytes long).
 *
 * @param body A page body.
 *
 * @example Usage
 * ```ts
 * import { releaseBody } from "./read_buffers.ts";
 * import assert from "node:assert/strict";
 *
 * const body = new TextEncoder().encode("<p>done</p>");
 * releaseBody(body);
 * assert.equal(body.byteLength, 0);
 * ```
 */
export function releaseBody(body: Uint8Array): void {
  const buffer = body.buffer;
  if (!(buffer instanceof ArrayBuffer) || buffer.detached) return;
  if (handedOver.delete(buffer)) {
    // transfer() moves the memory to a new ArrayBuffer without a copy and detaches this one.
    const memory = buffer.transfer();
    if (kept.length < MAX_KEPT) kept.push(memory);
  } else if (body.byteOffset === 0 && body.byteLength === buffer.byteLength) {
    buffer.transfer(0);
  }
}

/**
 * A body in memory of its own: a handed-over body is copied out and its
 * buffer released for reuse (the view is detached); any other body is
 * returned as it is.
 *
 * @param body A body as a connection gave it.
 * @returns The same bytes, owning their buffer when `body` was handed over.
 *
 * @example Usage
 * ```ts
 * import { handOver, ownBody, readBuffer } from "./read_buffers.ts";
 * import assert from "node:assert/strict";
 *
 * const buffer = readBuffer();
 * buffer.set(new TextEncoder().encode("head\r\n\r\nbody"));
 * const lent = handOver(buffer, 8, 12);
 * const own = ownBody(lent);
 * assert.equal(new TextDecoder().decode(own), "body");
 * assert.equal(own.buffer.byteLength, 4);
 * assert.equal(lent.byteLength, 0);
 * ```
 */
export function ownBody<T extends Uint8Array>(body: T): T {
  if (!handedOver.has(body.buffer as ArrayBuffer)) return body;
  const copy = body.slice() as T;
  releaseBody(body);
  return copy;
}
