/**
 * Random and mutated bytes for fuzz targets that read raw bodies (robots.txt
 * files, sitemaps, pages in any encoding).
 *
 * Every function draws only from the {@linkcode Rng} it is given, so the same
 * seed gives the same bytes.
 *
 * @module
 */

import type { Rng } from "./fuzz_rng.ts";
import { COMMON_TOKENS } from "./fuzz_text.ts";

const encoder = new TextEncoder();

/**
 * Random bytes.
 *
 * @example Usage
 * ```ts
 * import { Rng } from "./fuzz_rng.ts";
 * import { randomBytes } from "./fuzz_bytes.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = randomBytes(new Rng(1), 64);
 * assert.ok(bytes.length <= 64);
 * assert.deepEqual(randomBytes(new Rng(1), 64), bytes); // the same seed, the same bytes
 * ```
 *
 * @param rng The PRNG.
 * @param maxLength The longest length.
 * @returns The bytes.
 */
export function randomBytes(rng: Rng, maxLength: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(rng.size(maxLength));
  for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256);
  return bytes;
}

/**
 * Mutates bytes as `mutateText` (in `fuzz_text.ts`) mutates text, with bit flips
 * instead of character flips; tokens are spliced in as UTF-8.
 *
 * @example Usage
 * ```ts
 * import { Rng } from "./fuzz_rng.ts";
 * import { mutateBytes } from "./fuzz_bytes.ts";
 * import assert from "node:assert/strict";
 *
 * const valid = new TextEncoder().encode("<urlset><url><loc>/a</loc></url></urlset>");
 * const mutated = mutateBytes(new Rng(2), valid, ["<loc>"]);
 * assert.deepEqual(mutateBytes(new Rng(2), valid, ["<loc>"]), mutated);
 * ```
 *
 * @param rng The PRNG.
 * @param bytes The input to start from; it is not modified.
 * @param tokens Dictionary tokens to splice in (on top of {@linkcode COMMON_TOKENS}).
 * @returns The mutated bytes.
 */
export function mutateBytes(
  rng: Rng,
  bytes: Uint8Array,
  tokens: readonly string[] = [],
): Uint8Array<ArrayBuffer> {
  let out: number[] = Array.from(bytes);
  const rounds = rng.range(1, 8);
  for (let round = 0; round < rounds; round++) {
    const at = rng.int(out.length + 1);
    const span = Math.min(out.length - at, rng.size(64));
    const token = () =>
      encoder.encode(
        tokens.length > 0 && rng.chance(0.7) ? rng.pick(tokens) : rng.pick(COMMON_TOKENS),
      );
    switch (rng.int(7)) {
      case 0: // flip a bit
        if (out.length > 0) out[rng.int(out.length)]! ^= 1 << rng.int(8);
        break;
      case 1: // set a random byte
        if (out.length > 0) out[rng.int(out.length)] = rng.int(256);
        break;
      case 2: // insert random bytes
        out.splice(at, 0, ...randomBytes(rng, 16));
        break;
      case 3: // delete a slice
        out.splice(at, span);
        break;
      case 4: // duplicate a slice elsewhere
        out.splice(rng.int(out.length + 1), 0, ...out.slice(at, at + span));
        break;
      case 5: // insert a token
        out.splice(at, 0, ...token());
        break;
      default: // truncate
        if (rng.chance(0.3)) out = out.slice(0, at);
    }
  }
  return new Uint8Array(out);
}
