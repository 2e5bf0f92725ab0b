/**
 * The elements whose content is raw text up to their end tag, as
 * htmlparser2 recognizes them: `<script>`, `<style>`, `<title>`,
 * `<textarea>` and `<xmp>`. htmlparser2 matches a start tag's name letter
 * by letter after its first (s; t or x), so `<tmp>`, `<xitle>` and
 * `<xextarea>` open raw text too, ended by `</xmp>`, `</title>` and
 * `</textarea>`; the tag scanner copies that, for the same tokens.
 *
 * @module
 */

/** After a first letter t or x: the rest of each name, and the end tag's name. */
const AFTER_T_OR_X: ReadonlyArray<readonly [string, string]> = [
  ["itle", "title"],
  ["extarea", "textarea"],
  ["mp", "xmp"],
];
/** After a first letter s. */
const AFTER_S: ReadonlyArray<readonly [string, string]> = [
  ["cript", "script"],
  ["tyle", "style"],
];

/**
 * Whether `text` from `at` holds `rest` (lowercase ASCII letters, `<` or
 * `/`), in any case, before `end`.
 *
 * @param text The text.
 * @param at Where to compare.
 * @param rest What to find there, lowercase.
 * @param end Where the text may be read to.
 * @returns `true` if every character of `rest` is there.
 *
 * @example Usage
 * ```ts
 * import { restMatches } from "./raw_text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(restMatches("</SCRIPT>", 2, "script", 9));
 * assert.ok(!restMatches("</scr", 2, "script", 5)); // cut before the end
 * ```
 */
export function restMatches(text: string, at: number, rest: string, end: number): boolean {
  for (let i = 0; i < rest.length; i++) {
    if (at + i >= end || (text.charCodeAt(at + i) | 0x20) !== rest.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * The name of the end tag that ends a start tag's raw text, or `""` for a
 * tag whose content is markup. By length first: most names are none.
 *
 * @param text The text holding the name.
 * @param start Where the name starts.
 * @param end Where it ends.
 * @returns `"script"`, `"style"`, `"title"`, `"textarea"`, `"xmp"`, or `""`.
 *
 * @example Usage
 * ```ts
 * import { rawEndTag } from "./raw_text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(rawEndTag("<Script>", 1, 7), "script");
 * assert.equal(rawEndTag("<tmp>", 1, 4), "xmp"); // htmlparser2's letter-by-letter match
 * assert.equal(rawEndTag("<span>", 1, 5), "");
 * ```
 */
export function rawEndTag(text: string, start: number, end: number): string {
  const length = end - start;
  if (length !== 3 && length !== 5 && length !== 6 && length !== 8) return "";
  const first = text.charCodeAt(start) | 0x20;
  if (first === 0x73 /* s */) {
    if (length === 6 && restMatches(text, start + 1, "cript", end)) return "script";
    if (length === 5 && restMatches(text, start + 1, "tyle", end)) return "style";
  } else if (first === 0x74 /* t */ || first === 0x78 /* x */) {
    if (length === 5 && restMatches(text, start + 1, "itle", end)) return "title";
    if (length === 8 && restMatches(text, start + 1, "extarea", end)) return "textarea";
    if (length === 3 && restMatches(text, start + 1, "mp", end)) return "xmp";
  }
  return "";
}

/**
 * Whether the letters of a start tag's name cut by the end of the document
 * are ones htmlparser2 was still matching against a raw-text name: it then
 * reports them as text.
 *
 * @param text The text holding the letters.
 * @param start Where they start.
 * @param end Where the document ends.
 * @returns `true` for a first letter s, t or x alone, or followed by the start of (or all of) a name's rest.
 *
 * @example Usage
 * ```ts
 * import { isRawNamePrefix } from "./raw_text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isRawNamePrefix("<scr", 1, 4));
 * assert.ok(!isRawNamePrefix("<spa", 1, 4));
 * ```
 */
export function isRawNamePrefix(text: string, start: number, end: number): boolean {
  const first = text.charCodeAt(start) | 0x20;
  const table = first === 0x73
    ? AFTER_S
    : first === 0x74 || first === 0x78
    ? AFTER_T_OR_X
    : undefined;
  if (table === undefined) return false;
  if (end - start === 1) return true;
  for (const [rest] of table) {
    if ((text.charCodeAt(start + 1) | 0x20) !== rest.charCodeAt(0)) continue;
    // The letters so far are the start of the rest (or all of it: the name's end is still to come).
    return end - start - 1 <= rest.length &&
      restMatches(text, start + 1, rest.slice(0, end - start - 1), end);
  }
  return false;
}
