/**
 * Reading one start tag, as htmlparser2's tokenizer reads it: the name, the
 * attributes (a name runs to `=`, whitespace, `/` or `>`, and may start
 * with `=`; a value is quoted, or runs to whitespace or `>`, a slash
 * included), the end (`>`, or `/>` with whitespace allowed between). Only
 * a wanted tag's attributes are kept (as positions) and reported, once the
 * whole tag is read: a tag cut by the end of the text reports nothing.
 *
 * @module
 */

import { endsName, isSpace } from "./html_chars.ts";

/** What a start tag is reported to. Positions are in the `text` passed along. */
export interface StartTagHandler {
  /**
   * Whether a start tag is wanted, by its name: a code above 0 if so, then
   * passed to the other calls. Called once the name is read, and again if
   * the tag is read again (cut by a piece's end): it must not change
   * anything.
   */
  tag(text: string, start: number, end: number): number;
  /**
   * One attribute of a wanted start tag, in order, once the whole tag is
   * read. `valueStart` is -1 for an attribute without a value.
   */
  attribute(
    code: number,
    text: string,
    nameStart: number,
    nameEnd: number,
    valueStart: number,
    valueEnd: number,
  ): void;
  /** A wanted start tag's end, after its attributes (`selfClosing` for `/>`). */
  startTag(code: number, selfClosing: boolean): void;
}

/**
 * Reads start tags; one reader per scanner, reused (it keeps the wanted
 * tag's attribute positions in one array).
 *
 * @example Usage
 * ```ts
 * import { StartTagReader } from "./start_tag.ts";
 * import assert from "node:assert/strict";
 *
 * const seen: string[] = [];
 * const handler = {
 *   tag: () => 1,
 *   attribute: (_code: number, text: string, ns: number, ne: number, vs: number, ve: number) =>
 *     seen.push(`${text.slice(ns, ne)}=${vs < 0 ? "(none)" : text.slice(vs, ve)}`),
 *   startTag: (_code: number, selfClosing: boolean) => seen.push(selfClosing ? "/>" : ">"),
 * };
 * const reader = new StartTagReader();
 * const text = '<a href="/x" hidden data-n=1/>after';
 * assert.equal(reader.read(text, 0, handler), text.indexOf("after"));
 * assert.deepEqual(seen, ["href=/x", "hidden=(none)", "data-n=1/", ">"]); // the slash is the value's
 * assert.equal(reader.read('<a href="/cut', 0, handler), -1);
 * ```
 */
export class StartTagReader {
  /** Where the last tag read whole had its name end. */
  nameEnd = 0;
  /** Whether the last tag read whole ended with `/>`. */
  selfClosing = false;
  /** A wanted tag's attributes: name start, name end, value start, value end. */
  #spans: number[] = [];

  /**
   * Reads the start tag at `lt` (`<` and a letter).
   *
   * @param text The text holding it.
   * @param lt Where its `<` is.
   * @param handler What to report a wanted tag to.
   * @returns The position after its `>`, or -1 if the text ends first (nothing reported).
   */
  read(text: string, lt: number, handler: StartTagHandler): number {
    const n = text.length;
    const nameStart = lt + 1;
    let j = nameStart + 1;
    while (j < n && !endsName(text.charCodeAt(j))) j++;
    if (j >= n) return -1;
    const nameEnd = j;
    const code = handler.tag(text, nameStart, nameEnd);
    const spans = this.#spans;
    let count = 0;
    let selfClosing = false;
    for (;;) {
      if (j >= n) return -1;
      let c = text.charCodeAt(j);
      if (c === 0x3e /* > */) break;
      if (c === 0x2f /* / */) {
        j++;
        while (j < n && isSpace(text.charCodeAt(j))) j++;
        if (j >= n) return -1;
        if (text.charCodeAt(j) === 0x3e) {
          selfClosing = true;
          break;
        }
        continue; // The character after the slash starts over (an attribute, or another slash).
      }
      if (isSpace(c)) {
        j++;
        continue;
      }
      // An attribute: its name runs to `=`, whitespace, `/` or `>` (its first character may be `=`).
      const attrStart = j;
      j++;
      while (j < n) {
        c = text.charCodeAt(j);
        if (c === 0x3d || endsName(c)) break;
        j++;
      }
      const attrEnd = j;
      while (j < n && isSpace(text.charCodeAt(j))) j++;
      if (j >= n) return -1;
      let valueStart = -1, valueEnd = -1;
      if (text.charCodeAt(j) === 0x3d /* = */) {
        j++;
        while (j < n && isSpace(text.charCodeAt(j))) j++;
        if (j >= n) return -1;
        c = text.charCodeAt(j);
        if (c === 0x22 || c === 0x27) {
          valueStart = j + 1;
          valueEnd = text.indexOf(c === 0x22 ? '"' : "'", valueStart);
          if (valueEnd === -1) return -1;
          j = valueEnd + 1;
        } else {
          // Unquoted: to whitespace or `>` (a slash belongs to the value).
          valueStart = j;
          while (j < n) {
            c = text.charCodeAt(j);
            if (c === 0x3e || isSpace(c)) break;
            j++;
          }
          if (j >= n) return -1;
          valueEnd = j;
        }
      }
      // Without a value, what follows is the tag's end, a slash, or the next attribute.
      if (code > 0) {
        spans[count++] = attrStart;
        spans[count++] = attrEnd;
        spans[count++] = valueStart;
        spans[count++] = valueEnd;
      }
    }
    if (code > 0) {
      for (let k = 0; k < count; k += 4) {
        handler.attribute(code, text, spans[k]!, spans[k + 1]!, spans[k + 2]!, spans[k + 3]!);
      }
      handler.startTag(code, selfClosing);
    }
    this.nameEnd = nameEnd;
    this.selfClosing = selfClosing;
    return j + 1;
  }
}
