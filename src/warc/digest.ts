/**
 * WARC digests: SHA-1 in base32, written `sha1:` and 32 letters, the form
 * Heritrix, wget, warcio and pywb write and compare.
 *
 * @module
 */

import { createHash } from "node:crypto";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/**
 * RFC 4648 base32 (upper case, no padding needed for 20-byte digests).
 *
 * @param bytes The bytes.
 * @returns Their base32 text, padded with `=` to a multiple of 8.
 *
 * @example Usage
 * ```ts
 * import { base32 } from "./digest.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(base32(new TextEncoder().encode("foobar")), "MZXW6YTBOI======");
 * ```
 */
export function base32(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += "=";
  return out;
}

/**
 * The WARC digest of some bytes, taken in pieces (a block is its head and
 * its payload, which are never joined).
 *
 * @param parts The bytes, in order.
 * @returns `sha1:` and the base32 SHA-1.
 *
 * @example Usage
 * ```ts
 * import { sha1Digest } from "./digest.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sha1Digest(), "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"); // nothing at all
 * ```
 */
export function sha1Digest(...parts: Uint8Array[]): string {
  const hash = createHash("sha1");
  for (const part of parts) hash.update(part);
  return `sha1:${base32(hash.digest())}`;
}
