/**
 * The character classes HTML's tokenizer (and htmlparser2's) reads tags
 * by, on UTF-16 code units.
 *
 * @module
 */

/**
 * Whether a character is HTML whitespace: space, tab, LF, FF or CR.
 *
 * @param c A UTF-16 code unit.
 * @returns `true` for the five whitespace characters.
 *
 * @example Usage
 * ```ts
 * import { isSpace } from "./html_chars.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isSpace(" ".charCodeAt(0)));
 * assert.ok(!isSpace("\v".charCodeAt(0))); // a vertical tab is not HTML whitespace
 * ```
 */
export function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 12 || c === 13;
}

/**
 * Whether a character ends a tag's or an attribute's name: whitespace, `/`
 * or `>` (htmlparser2's `isEndOfTagSection`).
 *
 * @param c A UTF-16 code unit.
 * @returns `true` if it ends a name.
 *
 * @example Usage
 * ```ts
 * import { endsName } from "./html_chars.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(endsName("/".charCodeAt(0)));
 * assert.ok(!endsName("=".charCodeAt(0))); // ends an attribute's name, not a tag's
 * ```
 */
export function endsName(c: number): boolean {
  return c === 62 || c === 47 || isSpace(c);
}

/**
 * Whether a character is an ASCII letter (what a tag's name starts with).
 *
 * @param c A UTF-16 code unit.
 * @returns `true` for A–Z and a–z.
 *
 * @example Usage
 * ```ts
 * import { isAsciiLetter } from "./html_chars.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isAsciiLetter("Q".charCodeAt(0)));
 * assert.ok(!isAsciiLetter("é".charCodeAt(0)));
 * ```
 */
export function isAsciiLetter(c: number): boolean {
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x7a;
}
