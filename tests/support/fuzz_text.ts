/**
 * Random and mutated text for fuzz targets: text from a few alphabets, soups
 * of grammar tokens, and mutations of valid inputs (which reach deeper into a
 * parser than random text does).
 *
 * Every function draws only from the {@linkcode Rng} it is given, so the same
 * seed gives the same text.
 *
 * @module
 */

import type { Rng } from "./fuzz_rng.ts";

/** Characters that often break text handling: controls, separators, BOM, surrogates, astral. */
const ODD_CHARS = [
  "\0",
  "\t",
  "\n",
  "\r",
  "\x0b",
  "\x0c",
  "\x1f",
  " ",
  "\x7f",
  "\x85",
  "\xa0",
  "\xad",
  "\u2028",
  "\u200b",
  "\ufeff",
  "\ufffd",
  "\ud800",
  "\udfff",
  "\u{1f600}",
  "\u0130",
  "\u017f",
  "\u212a",
  "\uff0e",
  "\uff0f",
  "ß",
  "é",
];

/**
 * Tokens spliced into any input besides each target's own: escapes, dot
 * segments, entities and odd characters.
 *
 * @example Usage
 * ```ts
 * import { COMMON_TOKENS } from "./fuzz_text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(COMMON_TOKENS.includes("../"));
 * ```
 */
export const COMMON_TOKENS: readonly string[] = [
  ...ODD_CHARS,
  "%",
  "%2F",
  "%2f",
  "%2E",
  "%2e%2E",
  "%00",
  "%25",
  "%7E",
  "%ZZ",
  "%C3%A9",
  "%FF",
  "../",
  "./",
  "..",
  "/",
  "//",
  "\\",
  "?",
  "#",
  "&",
  "=",
  "&amp;",
  "&#0;",
  "&#x110000;",
  "&#",
  "*",
  "$",
  ":",
  "@",
  "[",
  "]",
  "<",
  ">",
  '"',
  "'",
  "\r\n",
];

/**
 * Random text from one of a few alphabets: printable ASCII, any ASCII, odd
 * characters, or any UTF-16 code unit (lone surrogates included).
 *
 * @example Usage
 * ```ts
 * import { Rng } from "./fuzz_rng.ts";
 * import { randomText } from "./fuzz_text.ts";
 * import assert from "node:assert/strict";
 *
 * const text = randomText(new Rng(1), 40);
 * assert.equal(randomText(new Rng(1), 40), text); // the same seed, the same text
 * ```
 *
 * @param rng The PRNG.
 * @param maxLength The longest text, in code units (roughly).
 * @returns The text.
 */
export function randomText(rng: Rng, maxLength: number): string {
  const length = rng.size(maxLength);
  const alphabet = rng.int(4);
  let out = "";
  for (let i = 0; i < length; i++) {
    switch (alphabet) {
      case 0:
        out += String.fromCharCode(rng.range(0x20, 0x7e));
        break;
      case 1:
        out += String.fromCharCode(rng.int(0x80));
        break;
      case 2:
        out += rng.pick(ODD_CHARS);
        break;
      default:
        out += String.fromCharCode(rng.chance(0.7) ? rng.int(0x80) : rng.int(0x10000));
    }
  }
  return out;
}

/**
 * Text of random tokens: a crude grammar that reaches deeper than random
 * characters do.
 *
 * @example Usage
 * ```ts
 * import { Rng } from "./fuzz_rng.ts";
 * import { tokenSoup } from "./fuzz_text.ts";
 * import assert from "node:assert/strict";
 *
 * const soup = tokenSoup(new Rng(3), ["<a>", "</a>", "href="], 20);
 * assert.equal(typeof soup, "string");
 * ```
 *
 * @param rng The PRNG.
 * @param tokens The tokens to draw from.
 * @param maxTokens The most tokens.
 * @returns The text.
 */
export function tokenSoup(rng: Rng, tokens: readonly string[], maxTokens: number): string {
  let out = "";
  const count = rng.size(maxTokens);
  for (let i = 0; i < count; i++) out += rng.chance(0.9) ? rng.pick(tokens) : randomText(rng, 8);
  return out;
}

/**
 * Mutates text: character flips, random insertions, deleted, duplicated or
 * swapped slices, dictionary tokens spliced in, slices of other inputs
 * spliced in, truncation and (rarely) a very long run of one token.
 *
 * @example Usage
 * ```ts
 * import { Rng } from "./fuzz_rng.ts";
 * import { mutateText } from "./fuzz_text.ts";
 * import assert from "node:assert/strict";
 *
 * const valid = "User-agent: *\nDisallow: /private";
 * const mutated = mutateText(new Rng(5), valid, ["Allow:", "$"]);
 * assert.equal(mutateText(new Rng(5), valid, ["Allow:", "$"]), mutated);
 * ```
 *
 * @param rng The PRNG.
 * @param text The input to start from.
 * @param tokens Dictionary tokens to splice in (on top of {@linkcode COMMON_TOKENS}).
 * @param others Other inputs, slices of which may be spliced in.
 * @returns The mutated text.
 */
export function mutateText(
  rng: Rng,
  text: string,
  tokens: readonly string[] = [],
  others: readonly string[] = [],
): string {
  let out = text;
  const rounds = rng.range(1, 8);
  for (let round = 0; round < rounds; round++) {
    const at = rng.int(out.length + 1);
    const span = Math.min(out.length - at, rng.size(64));
    const token = () =>
      tokens.length > 0 && rng.chance(0.7) ? rng.pick(tokens) : rng.pick(COMMON_TOKENS);
    switch (rng.int(10)) {
      case 0: // replace one character
        if (out.length > 0) {
          const i = rng.int(out.length);
          const code = out.charCodeAt(i) ^ (1 << rng.int(rng.chance(0.8) ? 7 : 16));
          out = out.slice(0, i) + String.fromCharCode(code) + out.slice(i + 1);
        }
        break;
      case 1: // insert random characters
        out = out.slice(0, at) + randomText(rng, 16) + out.slice(at);
        break;
      case 2: // delete a slice
        out = out.slice(0, at) + out.slice(at + span);
        break;
      case 3: { // duplicate a slice elsewhere
        const to = rng.int(out.length + 1);
        out = out.slice(0, to) + out.slice(at, at + span) + out.slice(to);
        break;
      }
      case 4:
      case 5: // insert a token
        out = out.slice(0, at) + token() + out.slice(at);
        break;
      case 6: // replace a slice with a token
        out = out.slice(0, at) + token() + out.slice(at + span);
        break;
      case 7: { // splice in a slice of another input
        if (others.length === 0) break;
        const other = rng.pick(others);
        const from = rng.int(other.length + 1);
        out = out.slice(0, at) + other.slice(from, from + rng.size(256)) + out.slice(at);
        break;
      }
      case 8: // truncate
        if (rng.chance(0.3)) out = out.slice(0, at);
        break;
      default: // a long run (rarely a very long one)
        out = out.slice(0, at) + token().repeat(rng.chance(0.1) ? rng.range(1000, 20_000) : 64) +
          out.slice(at);
    }
  }
  return out;
}
