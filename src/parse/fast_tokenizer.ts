/**
 * htmlparser2's Tokenizer with its longest loop run as a string search.
 *
 * The Tokenizer reads a page one character at a time through a state
 * machine: a call and a `switch` for each character. `FastTokenizer` keeps
 * every state's logic and only replaces `fastForwardTo`, the search for the
 * next `<` in text, the closing quote of an attribute value, or the end of a
 * comment, with `String.prototype.indexOf`: the same result, and on a page
 * of mostly text most of the tokenizer's time.
 * tests/parse/fast_tokenizer_test.ts checks both give the same tokens on
 * tricky, real and fuzzed HTML written whole and in chunks, and that the
 * method is still there to replace. (Names of tags and attributes run the
 * same way were measured too: no faster, as names are short.)
 *
 * @module
 */

import { Tokenizer } from "htmlparser2";

/** The fields of htmlparser2's (10.1) Tokenizer that `fastForwardTo` reads and moves. */
export interface TokenizerCursor {
  /** The text written and not yet consumed. */
  buffer: string;
  /** The position of the character being read, counted from the first text written. */
  index: number;
  /** The position of `buffer`'s first character, counted the same way. */
  offset: number;
  /** Where the section being read (a name, a value, text) starts; `-1` between sections. */
  sectionStart: number;
}

/** One-character strings by char code, for `indexOf`. */
const CHARS = Array.from({ length: 128 }, (_, code) => String.fromCharCode(code));

/**
 * htmlparser2's Tokenizer, with `fastForwardTo` done by `indexOf` (see the
 * module docs).
 *
 * @example Usage
 * ```ts
 * import { FastTokenizer } from "./fast_tokenizer.ts";
 * import assert from "node:assert/strict";
 *
 * const html = '<a href="/x">x</a>';
 * const names: string[] = [];
 * const noop = () => {};
 * const tokenizer = new FastTokenizer({ xmlMode: false, decodeEntities: false }, {
 *   onopentagname: (start, end) => names.push(html.slice(start, end)),
 *   onattribname: (start, end) => names.push(html.slice(start, end)),
 *   onclosetag: (start, end) => names.push(`/${html.slice(start, end)}`),
 *   onattribdata: noop, onattribentity: noop, onattribend: noop, oncdata: noop,
 *   oncomment: noop, ondeclaration: noop, onend: noop, onopentagend: noop,
 *   onprocessinginstruction: noop, onselfclosingtag: noop, ontext: noop, ontextentity: noop,
 * });
 * tokenizer.write(html);
 * tokenizer.end();
 * assert.deepEqual(names, ["a", "href", "/a"]);
 * ```
 */
export class FastTokenizer extends Tokenizer {}

const fast = FastTokenizer.prototype as unknown as Record<string, unknown>;
fast.fastForwardTo = function fastForwardTo(this: TokenizerCursor, c: number): boolean {
  const at = this.buffer.indexOf(CHARS[c] ?? String.fromCharCode(c), this.index + 1 - this.offset);
  if (at === -1) {
    // Where the original leaves the cursor when the character is not in this buffer.
    this.index = this.buffer.length + this.offset - 1;
    return false;
  }
  this.index = at + this.offset;
  return true;
};
