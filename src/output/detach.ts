/**
 * Strings a record keeps, cut from a page: none may stay a view on it.
 *
 * V8 makes a substring of 13 characters or more (`slice`, a regex match, a
 * tokenizer's attribute value) as a view on the string it was cut from, so a
 * page's title or canonical URL kept in a record keeps the whole decoded
 * page alive with it, up to a 32 KiB piece (see `decodeHtmlPieces()` in `../parse/charset.ts`), as long as the
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

/**
 * A copy of a string that shares no memory with the string it was cut from.
 *
 * A string joined to another is flattened into new memory when something
 * reads its characters; a slice of that new string views only it. That costs
 * an allocation and a copy (about 0.1 µs for a URL), so it is for what is
 * kept, not for every string a parse makes.
 *
 * The copy is a view itself, and one view anywhere in a record sends
 * `JSON.stringify` down its slow path for the whole record (5.0–5.6 against
 * 2.0 µs for a bench-site record). Copies that keep the fast path were
 * measured and not kept: interning (a `Map` lookup makes V8 do that) and a
 * join of two pieces both raised the peak RSS of a crawl of Rust's
 * documentation, whose records run to a megabyte, from a median of 194 to
 * 206 MiB, with no CPU gain that showed there.
 * tests/output/detach_test.ts checks that kept results hold no page alive.
 *
 * @param text A string, possibly a view on a larger one.
 * @returns The same text in its own memory (or `text` itself when short).
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
  return text.length < VIEW_MIN_LENGTH ? text : ` ${text}`.slice(1);
}
