/**
 * A tag cut by the end of a piece of the document: its text so far and how
 * far its reading got, so the next piece goes on from there. Read again
 * from its `<` with each piece instead, a tag of megabytes (a `data:` URL,
 * thousands of attributes) in 32 KiB pieces would be read hundreds of
 * times. Once the character that settles it comes, the tag is read whole
 * (`tag_scanner.ts`).
 *
 * @module
 */

import { isAsciiLetter, isSpace } from "./html_chars.ts";

/** Where the reading of a cut tag stands (htmlparser2's states, the ones a tag can be cut in). */
export const enum CutPhase {
  /** A start tag's name. */
  Name,
  /** Between attributes. */
  BeforeAttribute,
  /** After a `/` in a start tag: `>` ends it self-closing. */
  Slash,
  AttributeName,
  AfterAttributeName,
  BeforeValue,
  DoubleQuoted,
  SingleQuoted,
  Unquoted,
  /** After `</`, whitespace only so far. */
  BeforeEndName,
  /** An end tag's name. */
  EndName,
}

/**
 * A start or end tag cut by a piece's end.
 *
 * @example Usage
 * ```ts
 * import { CutPhase, CutTag } from "./cut_tag.ts";
 * import assert from "node:assert/strict";
 *
 * const piece = '<p>x<a href="/lo';
 * const tag = new CutTag(piece, piece.indexOf("<a"), false);
 * assert.equal(tag.phase, CutPhase.DoubleQuoted);
 * const next = 'ng">y';
 * const at = tag.feed(next, 0);
 * assert.equal(at, 3); // the `>`
 * assert.equal(tag.text + ">", '<a href="/long">'); // the text fed before the settling `>`
 * ```
 */
export class CutTag {
  /** Whether it is an end tag. */
  readonly end: boolean;
  /** How far its reading got. */
  phase: CutPhase;
  #parts: string[] = [];

  /**
   * Starts a cut tag: the text from its `<` to the end of the piece.
   *
   * @param text The piece.
   * @param lt Where the tag's `<` is.
   * @param end Whether it is an end tag (`</`).
   */
  constructor(text: string, lt: number, end: boolean) {
    this.end = end;
    this.phase = end ? CutPhase.BeforeEndName : CutPhase.Name;
    this.#parts.push(text.slice(lt, lt + 2));
    const settled = this.feed(text, lt + 2);
    if (settled !== -1) {
      throw new Error(`Cannot cut a tag that is whole: it is settled at ${settled}`);
    }
  }

  /** The tag's text so far (the parts fed, joined). */
  get text(): string {
    if (this.#parts.length > 1) this.#parts = [this.#parts.join("")];
    return this.#parts[0]!;
  }

  /**
   * Reads on in the next piece, from `from`: to the character that settles
   * the tag (a start tag's `>`; an end tag's name's end, or the character
   * after `</` that makes it text or a bogus comment), or to the piece's
   * end.
   *
   * @param text The piece.
   * @param from Where to start.
   * @returns Where the settling character is (the text before it is fed), or -1 (all fed).
   */
  feed(text: string, from: number): number {
    const n = text.length;
    let j = from;
    let phase = this.phase;
    for (; j < n; j++) {
      const c = text.charCodeAt(j);
      switch (phase) {
        case CutPhase.Name:
          if (c === 0x3e) return this.#settle(text, from, j, phase);
          if (c === 0x2f) phase = CutPhase.Slash;
          else if (isSpace(c)) phase = CutPhase.BeforeAttribute;
          break;
        case CutPhase.Slash:
          if (isSpace(c)) break;
          if (c === 0x3e) return this.#settle(text, from, j, phase);
          phase = this.#beforeAttribute(c);
          break;
        case CutPhase.BeforeAttribute:
          if (c === 0x3e) return this.#settle(text, from, j, phase);
          if (!isSpace(c)) phase = this.#beforeAttribute(c);
          break;
        case CutPhase.AttributeName:
          if (c === 0x3d) phase = CutPhase.BeforeValue;
          else if (c === 0x3e) return this.#settle(text, from, j, phase);
          else if (c === 0x2f) phase = CutPhase.Slash;
          else if (isSpace(c)) phase = CutPhase.AfterAttributeName;
          break;
        case CutPhase.AfterAttributeName:
          if (c === 0x3d) phase = CutPhase.BeforeValue;
          else if (c === 0x3e) return this.#settle(text, from, j, phase);
          else if (!isSpace(c)) phase = this.#beforeAttribute(c);
          break;
        case CutPhase.BeforeValue:
          if (c === 0x22) phase = CutPhase.DoubleQuoted;
          else if (c === 0x27) phase = CutPhase.SingleQuoted;
          else if (c === 0x3e) return this.#settle(text, from, j, phase);
          else if (!isSpace(c)) phase = CutPhase.Unquoted;
          break;
        case CutPhase.DoubleQuoted:
        case CutPhase.SingleQuoted: {
          const close = text.indexOf(phase === CutPhase.DoubleQuoted ? '"' : "'", j);
          if (close === -1) j = n - 1;
          else {
            j = close;
            phase = CutPhase.BeforeAttribute;
          }
          break;
        }
        case CutPhase.Unquoted:
          if (c === 0x3e) return this.#settle(text, from, j, phase);
          if (isSpace(c)) phase = CutPhase.BeforeAttribute;
          break;
        case CutPhase.BeforeEndName:
          if (isSpace(c)) break;
          if (isAsciiLetter(c)) phase = CutPhase.EndName;
          else return this.#settle(text, from, j, phase);
          break;
        case CutPhase.EndName:
          if (c === 0x3e || isSpace(c)) return this.#settle(text, from, j, phase);
          break;
      }
    }
    this.phase = phase;
    this.#parts.push(from === 0 ? text : text.slice(from));
    return -1;
  }

  /** The phase after a character that starts over between attributes (not whitespace, not `>`). */
  #beforeAttribute(c: number): CutPhase {
    // A slash may end the tag; anything else starts a name, itself its first character.
    return c === 0x2f ? CutPhase.Slash : CutPhase.AttributeName;
  }

  #settle(text: string, from: number, at: number, phase: CutPhase): number {
    this.phase = phase;
    if (at > from) this.#parts.push(text.slice(from, at));
    return at;
  }
}
