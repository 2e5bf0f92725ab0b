/**
 * Strings a record keeps, cut from a page: none may stay a view on it.
 *
 * V8 makes a substring of 13 characters or more (`slice`, a regex match, a
 * tokenizer's attribute value) as a view on the string it was cut from, so a
 * page's title or canonical URL kept in a record keeps the whole decoded
 * page alive with it, up to a 32 KiB piece (see `../parse/pieces.ts`), as long as the
 * record lives. Over Redis a record waits a round trip for its finish: the
 * bench site then kept 15 pages' text alive at any moment instead of one, and
 * V8's young-generation collections copied 104 MB instead of 59 over 5,001
 * pages; and a library user keeping records kept every page.
 *
 * @module
 */

/**
 * Shortest substring V8 makes as a view (`SlicedString::kMinLength`):
 * shorter ones are copies already.
 */
const VIEW_MIN_LENGTH = 13;

/** Looked up, never filled: see {@linkcode detach}. */
const LOOKUPS = new Map<string, never>();

/**
 * The same string, no longer a view on the string it was cut from.
 *
 * Looking a string up as a key makes V8 intern it: a copy goes in V8's
 * string table and the string itself becomes a pointer to that copy, so what
 * it was cut from can be collected. That also keeps `JSON.stringify` on its
 * fast path: one view anywhere in a record sent the whole record down the
 * slow one (2.0 against 5.0–5.6 µs for a bench-site record).
 * tests/output/detach_test.ts checks that kept results hold no page alive.
 *
 * @param text A string, possibly a view on a larger one.
 * @returns `text`, which holds only its own characters from now on.
 *
 * @example Usage
 * ```ts
 * import { detach } from "./detach.ts";
 * import assert from "node:assert/strict";
 *
 * const page = `<title>A title long enough to be a view</title>${"x".repeat(100_000)}`;
 * const title = detach(page.slice(7, 38)); // `page` can now be collected
 * assert.equal(title, "A title long enough to be a view".slice(0, 31));
 * ```
 */
export function detach(text: string): string {
  if (text.length >= VIEW_MIN_LENGTH) LOOKUPS.get(text);
  return text;
}
