/**
 * A document's text as it is written to the tokenizer, in pieces: the
 * tokenizer reports positions in the whole document, and a tag or
 * attribute name may start in one piece and end in the next. Scanning a
 * large page in pieces keeps each string small: V8 allocates a string of
 * more than about 128 KiB in its large-object space, where it lives until a
 * full collection, so whole multi-megabyte pages decoded at once raised the
 * peak heap of a crawl of big pages by tens of megabytes.
 *
 * @module
 */

/**
 * The pieces of a document still needed: slices by position in the whole
 * document, across pieces.
 *
 * @example Usage
 * ```ts
 * import { PieceText } from "./pieces.ts";
 * import assert from "node:assert/strict";
 *
 * const text = new PieceText();
 * text.add("<ti");
 * text.add("tle>");
 * assert.equal(text.slice(1, 6), "title");
 * text.release(3);
 * assert.equal(text.slice(3, 7), "tle>");
 * ```
 */
export class PieceText {
  readonly #pieces: string[] = [];
  /** Where each piece starts in the whole document. */
  readonly #starts: number[] = [];
  #end = 0;
  // The last piece and its start, kept apart: the scan reads them for nearly every name.
  #last = "";
  #lastStart = 0;

  /**
   * Appends the next piece.
   *
   * @param piece The text that follows the last piece.
   */
  add(piece: string): void {
    this.#pieces.push(piece);
    this.#starts.push(this.#end);
    this.#last = piece;
    this.#lastStart = this.#end;
    this.#end += piece.length;
  }

  /** The last piece added. */
  get last(): string {
    return this.#last;
  }

  /** Where the last piece starts in the whole document. */
  get lastStart(): number {
    return this.#lastStart;
  }

  /**
   * Forgets the pieces that end at or before a position (the last piece is kept).
   *
   * @param position Nothing before it will be sliced again.
   */
  release(position: number): void {
    while (this.#pieces.length > 1 && this.#starts[1]! <= position) {
      this.#pieces.shift();
      this.#starts.shift();
    }
  }

  /**
   * The text from `start` to `end` (positions in the whole document), which
   * may span pieces.
   *
   * @param start The first position, not released.
   * @param end The position after the last.
   * @returns The text.
   */
  slice(start: number, end: number): string {
    const lastStart = this.lastStart;
    if (start >= lastStart) return this.last.slice(start - lastStart, end - lastStart);
    let text = "";
    for (let i = 0; i < this.#pieces.length; i++) {
      const pieceStart = this.#starts[i]!;
      const piece = this.#pieces[i]!;
      if (pieceStart >= end) break;
      if (pieceStart + piece.length <= start) continue;
      text += piece.slice(
        Math.max(0, start - pieceStart),
        Math.min(piece.length, end - pieceStart),
      );
    }
    return text;
  }
}
