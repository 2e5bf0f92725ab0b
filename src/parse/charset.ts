/**
 * Decoding HTML bodies to text with the right character encoding, in the
 * order browsers use: the Content-Type charset, then a byte order mark, then
 * `<meta charset>` or `<meta http-equiv=Content-Type>` in the first 1024
 * bytes, then UTF-8. Labels are WHATWG encoding labels, resolved by
 * `TextDecoder`.
 *
 * The scan of a UTF-8 page does not decode it: it reads the bytes as
 * Latin-1 text (one character a byte, see {@linkcode utf8BytePieces}), and
 * only the few values it keeps are decoded ({@linkcode bytesToText}).
 *
 * @module
 */

import { Buffer } from "node:buffer";

/**
 * The `charset` parameter of a Content-Type header.
 *
 * @param contentType The header value, e.g. `text/html; charset="Shift_JIS"`.
 * @returns The label as written, or `undefined`.
 */
export function charsetFromContentType(contentType: string | null | undefined): string | undefined {
  if (!contentType) return undefined;
  const match = /;\s*charset\s*=\s*("?)([^";\s]+)\1/i.exec(contentType);
  return match?.[2];
}

function bomEncoding(bytes: Uint8Array): string | undefined {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return "utf-8";
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return "utf-16be";
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return "utf-16le";
  return undefined;
}

const latin1 = new TextDecoder("windows-1252");
const META_CHARSET = /<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9_:.()+-]+)/i;

/**
 * The charset a `<meta>` tag declares in the first 1024 bytes (the
 * WHATWG prescan window).
 *
 * @param bytes The start of the body.
 * @returns The label, or `undefined`.
 */
export function charsetFromMeta(bytes: Uint8Array): string | undefined {
  // Any ASCII-compatible single-byte decoding keeps the tag bytes intact.
  const head = latin1.decode(bytes.subarray(0, 1024));
  return META_CHARSET.exec(head)?.[1];
}

/** Decoders by label: one per encoding for the crawl, not one per page. */
const decoders = new Map<string, TextDecoder | null>();

function decoderFor(label: string | undefined): TextDecoder | undefined {
  if (!label) return undefined;
  let decoder = decoders.get(label);
  if (decoder === undefined) {
    try {
      decoder = new TextDecoder(label.trim());
    } catch {
      decoder = null; // an unknown label is ignored, as browsers do
    }
    if (decoders.size < 256) decoders.set(label, decoder);
  }
  return decoder ?? undefined;
}

/**
 * Picks the encoding of an HTML body.
 *
 * @param bytes The body.
 * @param contentType The Content-Type header, if any.
 * @returns A WHATWG encoding name, e.g. `"shift_jis"`.
 *
 * @example Usage
 * ```ts
 * import { sniffEncoding } from "./charset.ts";
 * import assert from "node:assert/strict";
 *
 * const body = new TextEncoder().encode('<meta charset="windows-1252">');
 * assert.equal(sniffEncoding(body, "text/html"), "windows-1252");
 * ```
 */
export function sniffEncoding(bytes: Uint8Array, contentType?: string | null): string {
  const bom = bomEncoding(bytes);
  // A BOM outranks the header in the WHATWG decode algorithm.
  if (bom) return bom;
  const fromHeader = decoderFor(charsetFromContentType(contentType));
  if (fromHeader) return fromHeader.encoding;
  const fromMeta = decoderFor(charsetFromMeta(bytes));
  if (fromMeta) {
    // A meta tag cannot declare UTF-16: the bytes that said so were ASCII.
    return fromMeta.encoding.startsWith("utf-16") ? "utf-8" : fromMeta.encoding;
  }
  return "utf-8";
}

/**
 * Decodes an HTML body to text.
 *
 * @param bytes The body.
 * @param contentType The Content-Type header, if any.
 * @returns The text, with malformed sequences replaced by U+FFFD.
 *
 * @example Usage
 * ```ts
 * import { decodeHtml } from "./charset.ts";
 * import assert from "node:assert/strict";
 *
 * const body = new Uint8Array([0x63, 0x61, 0x66, 0xe9]); // "café" in windows-1252
 * assert.equal(decodeHtml(body, "text/html; charset=windows-1252"), "café");
 * ```
 */
export function decodeHtml(bytes: Uint8Array, contentType?: string | null): string {
  const encoding = sniffEncoding(bytes, contentType);
  // TextDecoder strips a matching BOM itself; without `stream` it keeps no state between calls.
  return decoderFor(encoding)!.decode(bytes);
}

/**
 * Bytes decoded per piece by {@linkcode decodeHtmlPieces}: its text stays
 * under 128 KiB even as two-byte characters, below the size V8 moves a
 * string into its large-object space.
 */
const PIECE_BYTES = 32 * 1024;

/**
 * UTF-8 keeping a leading U+FEFF as text: for the pieces after the first,
 * where a BOM is no longer the start of the body.
 */
const utf8Inner = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * Where a piece of UTF-8 ending near `end` ends without cutting a
 * character: before the last lead byte when it is among the last three
 * bytes (its sequence may run past `end`), else at `end`. Cutting before any
 * byte that is not a continuation byte decodes as the whole does, malformed
 * sequences included: the decoder never reads a sequence across one.
 */
function utf8PieceEnd(bytes: Uint8Array, at: number, end: number): number {
  for (let i = end - 1; i >= end - 3 && i > at; i--) {
    const byte = bytes[i];
    if ((byte & 0xc0) !== 0x80) return byte >= 0xc0 ? i : end;
  }
  return end;
}

/** Where each UTF-8 piece from `start` ends: at most 32 KiB on, cut between characters. */
function* utf8PieceEnds(bytes: Uint8Array, start: number): Generator<number, void, undefined> {
  for (let at = start; at < bytes.byteLength;) {
    at = at + PIECE_BYTES >= bytes.byteLength
      ? bytes.byteLength
      : utf8PieceEnd(bytes, at, at + PIECE_BYTES);
    yield at;
  }
}

/**
 * Decodes an HTML body to text in pieces of at most 32 KiB of bytes, for
 * {@linkcode scanHtml}: a large page never becomes one large string. A
 * body that fits in one piece is decoded as {@linkcode decodeHtml} does.
 *
 * UTF-8 (most pages) is cut between characters and each piece decoded on
 * its own, by the decoder's single-pass path: a streaming decoder costs
 * about three times as much a byte (0.46 against 0.16 ns on Rust's
 * documentation). Other encodings use a streaming decoder.
 *
 * @param bytes The body.
 * @param contentType The Content-Type header, if any.
 * @returns The text's pieces, in order; joined, {@linkcode decodeHtml}'s text.
 *
 * @example Usage
 * ```ts
 * import { decodeHtmlPieces } from "./charset.ts";
 * import assert from "node:assert/strict";
 *
 * const body = new TextEncoder().encode(`<p>${"é".repeat(40_000)}</p>`);
 * const pieces = [...decodeHtmlPieces(body, "text/html")];
 * assert.ok(pieces.length > 1);
 * assert.equal(pieces.join(""), `<p>${"é".repeat(40_000)}</p>`);
 * ```
 */
export function* decodeHtmlPieces(
  bytes: Uint8Array,
  contentType?: string | null,
): Generator<string, void, undefined> {
  yield* decodePieces(bytes, sniffEncoding(bytes, contentType));
}

/**
 * {@linkcode decodeHtmlPieces} for a body whose encoding is known already
 * (from {@linkcode sniffEncoding}).
 *
 * @param bytes The body.
 * @param encoding A WHATWG encoding name.
 * @returns The text's pieces, in order.
 *
 * @example Usage
 * ```ts
 * import { decodePieces } from "./charset.ts";
 * import assert from "node:assert/strict";
 *
 * const body = new Uint8Array([0x63, 0x61, 0x66, 0xe9]);
 * assert.deepEqual([...decodePieces(body, "windows-1252")], ["café"]);
 * ```
 */
export function* decodePieces(
  bytes: Uint8Array,
  encoding: string,
): Generator<string, void, undefined> {
  const decoder = decoderFor(encoding)!;
  if (bytes.byteLength <= PIECE_BYTES) {
    yield decoder.decode(bytes);
    return;
  }
  if (encoding === "utf-8") {
    let at = 0;
    for (const end of utf8PieceEnds(bytes, 0)) {
      // Only the first piece may start with a BOM (the shared decoder drops it).
      const piece = (at === 0 ? decoder : utf8Inner).decode(bytes.subarray(at, end));
      at = end;
      if (piece !== "") yield piece;
    }
    return;
  }
  // A decoder of its own: a streaming one keeps state between calls, and a scan that throws
  // midway would leave the shared one holding half a character.
  const streaming = new TextDecoder(encoding);
  for (let at = 0; at < bytes.byteLength; at += PIECE_BYTES) {
    const end = Math.min(bytes.byteLength, at + PIECE_BYTES);
    const piece = streaming.decode(bytes.subarray(at, end), { stream: end < bytes.byteLength });
    if (piece !== "") yield piece;
  }
}

/**
 * A UTF-8 body as the tag scanner reads it without decoding: Latin-1 text,
 * one character per byte, in pieces of at most 32 KiB cut between
 * characters as {@linkcode decodeHtmlPieces} cuts them, a leading BOM left
 * out (as the decoder drops it).
 *
 * Why: V8 keeps a string whose characters all fit in a byte in one byte
 * each, and any other in two. Decoding a page with a single character past
 * U+00FF (a `→`, a `§` is enough: 95 % of Rust's documentation) makes the
 * whole page two-byte text, and with it every href and value cut from it;
 * reading its bytes as Latin-1 costs a third of decoding them and keeps it
 * all one-byte. HTML's markup is ASCII, and every byte of a multi-byte
 * UTF-8 sequence is 0x80 or above, so the tags, attributes and text runs
 * are found where decoded text has them. A value cut from these pieces is
 * UTF-8 bytes: {@linkcode bytesToText} decodes it.
 *
 * @param bytes A UTF-8 body.
 * @returns Its bytes as Latin-1 text, in pieces, in order.
 *
 * @example Usage
 * ```ts
 * import { bytesToText, utf8BytePieces } from "./charset.ts";
 * import assert from "node:assert/strict";
 *
 * const body = new TextEncoder().encode("<title>Grüße →</title>");
 * const [piece] = utf8BytePieces(body);
 * assert.equal(piece.length, body.length); // one character a byte
 * assert.equal(bytesToText(piece.slice(7, -8)), "Grüße →");
 * ```
 */
export function* utf8BytePieces(bytes: Uint8Array): Generator<string, void, undefined> {
  let at = bomEncoding(bytes) === "utf-8" ? 3 : 0;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const end of utf8PieceEnds(bytes, at)) {
    yield buffer.toString("latin1", at, end);
    at = end;
  }
}

/** A byte past ASCII: the start or the rest of a multi-byte UTF-8 sequence. */
const NOT_ASCII = /[\x80-\xff]/;

/**
 * Decodes UTF-8 bytes held as Latin-1 text (a value cut from
 * {@linkcode utf8BytePieces}) as the page's decoder would: malformed
 * sequences become U+FFFD. ASCII, most values, comes back as it is.
 *
 * @param bytes One character a byte, each below U+0100.
 * @returns The text.
 *
 * @example Usage
 * ```ts
 * import { bytesToText } from "./charset.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(bytesToText("caf\xc3\xa9"), "café");
 * assert.equal(bytesToText("/plain"), "/plain");
 * ```
 */
export function bytesToText(bytes: string): string {
  return NOT_ASCII.test(bytes) ? Buffer.from(bytes, "latin1").toString("utf8") : bytes;
}

/**
 * Text as the UTF-8 bytes {@linkcode utf8BytePieces} holds, one character a
 * byte: the inverse of {@linkcode bytesToText}, for text added among bytes.
 *
 * @param text Any text.
 * @returns Its UTF-8 bytes as Latin-1 text.
 *
 * @example Usage
 * ```ts
 * import { bytesToText, textToBytes } from "./charset.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(textToBytes("é"), "\xc3\xa9");
 * assert.equal(bytesToText(textToBytes("日本")), "日本");
 * ```
 */
export function textToBytes(text: string): string {
  // Past U+007F a character is more than one byte (and past U+00FF not one Latin-1 character).
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) return Buffer.from(text, "utf8").toString("latin1");
  }
  return text;
}
