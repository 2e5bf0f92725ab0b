/**
 * Reading response bodies within a byte budget, so a huge or endless body
 * (or a decompression bomb) cannot grow memory past it.
 *
 * @module
 */

/** Thrown by {@linkcode readBody} when a body is longer than its limit. */
export class BodyTooLargeError extends Error {
  /**
   * Creates the error for a limit.
   *
   * @param limit The limit that was passed, in bytes.
   */
  constructor(readonly limit: number) {
    super(`body exceeds ${limit} bytes`);
    this.name = "BodyTooLargeError";
  }
}

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
