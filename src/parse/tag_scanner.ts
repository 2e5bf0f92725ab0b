/**
 * A reader of HTML tags that tokenizes as htmlparser2's Tokenizer does
 * (HTML mode, entities left as written) but reports only what its handler
 * asks for: the attributes of the start tags it wants, the end tags, and
 * text while it wants text. Comments, declarations, processing
 * instructions and CDATA are skipped with a string search; a tag nobody
 * wants is read to its end without a call; text is found with `indexOf`.
 *
 * Same tokens as htmlparser2 means the same tag boundaries in every odd
 * case: `<script>`, `<style>`, `<title>`, `<textarea>` and `<xmp>` hold raw
 * text up to their end tag (and, as htmlparser2 matches names by their
 * letters, so do `<tmp>`, `<xitle>` and `<xextarea>`, up to `</xmp>`,
 * `</title>` and `</textarea>`); `</>` is text; an end tag's name ends at
 * whitespace or `>`; a document that ends inside a tag drops that tag.
 * Two differences, on purpose: where htmlparser2 reports text from a
 * position it has forgotten (a document ending in `<a/` or in `</a x`),
 * nothing is reported; and a raw text's end tag is `</` and its name, where
 * htmlparser2 also takes the control characters U+001C and U+000F for `<`
 * and `/` (it compares characters OR-ed with 0x20). tests/parse/tag_scanner_test.ts checks both give
 * the same tags, attributes and text on tricky, fixture, bench and fuzzed
 * HTML, written whole and in pieces.
 *
 * A document may come in pieces ({@linkcode TagScanner.write} each, then
 * {@linkcode TagScanner.end}): a tag cut by a piece's end is read on from
 * where it was cut (`cut_tag.ts`) and then whole; a comment or raw text is
 * searched piece by piece, carrying only the few characters an end marker
 * could start with. Each character is read a bounded number of times.
 *
 * @module
 */

import { CutPhase, CutTag } from "./cut_tag.ts";
import { isAsciiLetter, isSpace } from "./html_chars.ts";
import { isRawNamePrefix, rawEndTag, restMatches } from "./raw_text.ts";
import { type StartTagHandler, StartTagReader } from "./start_tag.ts";

/**
 * What a {@linkcode TagScanner} reports to: wanted start tags (see
 * {@linkcode StartTagHandler}), end tags and, while wanted, text.
 * Positions are in the `text` passed along.
 */
export interface TagHandler extends StartTagHandler {
  /** An end tag, by its name (as written). */
  endTag(text: string, start: number, end: number): void;
  /** Text (raw: entities as written), in runs; given only while {@linkcode TagHandler.wantsText}. */
  text(text: string, start: number, end: number): void;
  /**
   * Whether text is wanted now (asked before each run of text). A method,
   * not a getter: V8 keeps a getter of an object literal in old space, and
   * through its closure everything a scan makes would then outlive the
   * young generation's collections.
   */
  wantsText(): boolean;
}

/** What the scanner is in between pieces. */
const enum Mode {
  Text,
  /** A comment: up to `-->`. */
  Comment,
  /** A CDATA section: up to `]]>`. */
  Cdata,
  /** Up to the next `>`: a declaration, processing instruction, bogus comment or end tag's rest. */
  Skip,
  /** The raw text of a `<script>`, `<style>`, `<title>`, `<textarea>` or `<xmp>`. */
  Raw,
  /** A tag cut by a piece's end (`cut_tag.ts`). */
  Tag,
}

/** Stop reading this text: the rest (a few characters at most) is carried to the next piece. */
const MORE = -1;

/**
 * Tokenizes HTML as htmlparser2 does and reports what a {@linkcode TagHandler} wants.
 *
 * @example Usage
 * ```ts
 * import { TagScanner, type TagHandler } from "./tag_scanner.ts";
 * import assert from "node:assert/strict";
 *
 * const hrefs: string[] = [];
 * let inA = false;
 * const handler: TagHandler = {
 *   tag: (text, start, end) => end - start === 1 && (text[start] === "a" || text[start] === "A") ? 1 : 0,
 *   attribute(_code, text, nameStart, nameEnd, valueStart, valueEnd) {
 *     if (text.slice(nameStart, nameEnd).toLowerCase() === "href" && valueStart >= 0) {
 *       hrefs.push(text.slice(valueStart, valueEnd));
 *     }
 *   },
 *   startTag: () => inA = true,
 *   endTag: () => inA = false,
 *   text: () => {},
 *   wantsText: () => inA,
 * };
 * const scanner = new TagScanner(handler);
 * scanner.write('<p>See <a href="/x">x</a><!-- <a href="/no"> --> and <A HREF=');
 * scanner.write("/y>y</a></p>");
 * scanner.end();
 * assert.deepEqual(hrefs, ["/x", "/y"]);
 * ```
 */
export class TagScanner {
  #handler: TagHandler;
  #mode = Mode.Text;
  /** The end of what was written that is read again with the next piece (a few characters). */
  #carry = "";
  /** In raw text: the end tag's name, lowercase. */
  #raw = "";
  /** In `Skip`: the text htmlparser2 would report if the document ended there (only when wanted). */
  #skipped: string | undefined;
  /** In `Tag`: the tag cut by a piece's end. */
  #cut: CutTag | undefined;
  #startTags = new StartTagReader();
  #ended = false;

  /**
   * Creates a scanner.
   *
   * @param handler What to report to.
   */
  constructor(handler: TagHandler) {
    this.#handler = handler;
  }

  /**
   * Reads the next piece of the document.
   *
   * @param piece Text following what was written before.
   * @throws {Error} If the scanner ended.
   */
  write(piece: string): void {
    if (this.#ended) throw new Error("Cannot write to the tag scanner as it has ended");
    const text = this.#carry === "" ? piece : this.#carry + piece;
    this.#carry = "";
    this.#read(text, false);
  }

  /**
   * Reads what is left: the document ends.
   *
   * @throws {Error} If the scanner ended already.
   */
  end(): void {
    if (this.#ended) throw new Error("Cannot end the tag scanner as it has ended");
    this.#ended = true;
    const text = this.#carry;
    this.#carry = "";
    this.#read(text, true);
    if (this.#mode === Mode.Skip && this.#skipped) {
      this.#handler.text(this.#skipped, 0, this.#skipped.length);
    } else if (this.#mode === Mode.Tag) {
      this.#cutAtEnd(this.#cut!);
    }
  }

  #read(text: string, last: boolean): void {
    const n = text.length;
    let i = 0;
    while (i < n) {
      switch (this.#mode) {
        case Mode.Text:
          i = this.#text(text, i, last);
          break;
        case Mode.Comment:
          i = this.#until(text, i, "-->", last);
          break;
        case Mode.Cdata:
          i = this.#until(text, i, "]]>", last);
          break;
        case Mode.Skip:
          i = this.#skip(text, i);
          break;
        case Mode.Raw:
          i = this.#rawText(text, i, last);
          break;
        case Mode.Tag:
          i = this.#cutTag(text, i);
          break;
      }
      if (i === MORE) return;
    }
  }

  /** Text up to the next markup, then the markup. */
  #text(text: string, from: number, last: boolean): number {
    const n = text.length;
    let search = from;
    for (;;) {
      const lt = text.indexOf("<", search);
      if (lt === -1) {
        this.#emitText(text, from, n);
        return n;
      }
      if (lt + 1 >= n) {
        if (last) {
          // A lone `<` at the end is text.
          this.#emitText(text, from, n);
          return n;
        }
        this.#emitText(text, from, lt);
        this.#carry = "<";
        return MORE;
      }
      const c = text.charCodeAt(lt + 1);
      if (c === 0x2f /* / */) {
        if (this.#isTextEndTag(text, lt)) {
          // `</>` (and `</ >`) is text to htmlparser2.
          search = text.indexOf(">", lt + 2) + 1;
          continue;
        }
        this.#emitText(text, from, lt);
        return this.#endTag(text, lt);
      }
      if (isAsciiLetter(c)) {
        this.#emitText(text, from, lt);
        return this.#startTag(text, lt);
      }
      if (c === 0x21 /* ! */) {
        this.#emitText(text, from, lt);
        const next = this.#bang(text, lt, last);
        // `<!`, `<!-` or `<![CDAT` cut by the piece's end: a few characters, read again.
        if (next === MORE && !last) this.#carry = text.slice(lt);
        return next;
      }
      if (c === 0x3f /* ? */) {
        this.#emitText(text, from, lt);
        return this.#startSkip(text, lt + 2, lt + 2);
      }
      search = lt + 1;
    }
  }

  /** Whether `</` at `lt` is followed by optional whitespace and `>` (read whole: text). */
  #isTextEndTag(text: string, lt: number): boolean {
    let j = lt + 2;
    while (j < text.length && isSpace(text.charCodeAt(j))) j++;
    return j < text.length && text.charCodeAt(j) === 0x3e;
  }

  #emitText(text: string, start: number, end: number): void {
    if (end > start && this.#handler.wantsText()) this.#handler.text(text, start, end);
  }

  /** A tag cut by the piece's end at `lt`: read on with the next piece. */
  #cutHere(text: string, lt: number, end: boolean): number {
    this.#cut = new CutTag(text, lt, end);
    this.#mode = Mode.Tag;
    return text.length;
  }

  /** A start tag at `lt`: returns the position after it. */
  #startTag(text: string, lt: number): number {
    const reader = this.#startTags;
    const end = reader.read(text, lt, this.#handler);
    if (end === -1) return this.#cutHere(text, lt, false);
    if (!reader.selfClosing) {
      const raw = rawEndTag(text, lt + 1, reader.nameEnd);
      if (raw !== "") {
        this.#raw = raw;
        this.#mode = Mode.Raw;
      }
    }
    return end;
  }

  /** An end tag at `lt` (not `</>`): returns the position after it. */
  #endTag(text: string, lt: number): number {
    const n = text.length;
    let j = lt + 2;
    while (j < n && isSpace(text.charCodeAt(j))) j++;
    if (j >= n) return this.#cutHere(text, lt, true);
    // Not a letter: a bogus comment, up to `>` (the character itself is not its end).
    if (!isAsciiLetter(text.charCodeAt(j))) return this.#startSkip(text, j + 1, j);
    const nameStart = j;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c === 0x3e || isSpace(c)) break;
      j++;
    }
    if (j >= n) return this.#cutHere(text, lt, true);
    return this.#endTagName(text, nameStart, j);
  }

  /** An end tag's name read (ended by `>` or whitespace at `nameEnd`): reports it, then skips to `>`. */
  #endTagName(text: string, nameStart: number, nameEnd: number): number {
    this.#handler.endTag(text, nameStart, nameEnd);
    if (text.charCodeAt(nameEnd) === 0x3e) return nameEnd + 1;
    return this.#startSkip(text, nameEnd + 1, -1);
  }

  /** The cut tag read on in the next piece, from `from`. */
  #cutTag(text: string, from: number): number {
    const cut = this.#cut!;
    const at = cut.feed(text, from);
    if (at === -1) return text.length;
    this.#cut = undefined;
    this.#mode = Mode.Text;
    if (!cut.end) {
      // The start tag is whole: read it so.
      const tag = cut.text + ">";
      this.#startTag(tag, 0);
      return at + 1;
    }
    if (cut.phase === CutPhase.EndName) {
      const name = cut.text;
      let nameStart = 2;
      while (isSpace(name.charCodeAt(nameStart))) nameStart++;
      this.#handler.endTag(name, nameStart, name.length);
      if (text.charCodeAt(at) === 0x3e) return at + 1;
      return this.#startSkip(text, at + 1, -1);
    }
    // `</`, whitespace, then `>` (text) or another character (a bogus comment).
    if (text.charCodeAt(at) === 0x3e) {
      const written = cut.text + ">";
      this.#emitText(written, 0, written.length);
      return at + 1;
    }
    return this.#startSkip(text, at + 1, at);
  }

  /** The document ended inside a tag: what htmlparser2 reports then. */
  #cutAtEnd(cut: CutTag): void {
    const written = cut.text;
    if (cut.end) {
      // `</` and whitespace: text (a name started: the tag is dropped).
      if (cut.phase === CutPhase.BeforeEndName) this.#emitText(written, 0, written.length);
    } else if (cut.phase === CutPhase.Name && isRawNamePrefix(written, 1, written.length)) {
      // Letters htmlparser2 was still matching against a raw-text name: text, without the `<`.
      this.#emitText(written, 1, written.length);
    }
  }

  /** `<!` at `lt`: a comment, CDATA or a declaration. */
  #bang(text: string, lt: number, last: boolean): number {
    const n = text.length;
    const j = lt + 2;
    if (j >= n) return MORE;
    const c = text.charCodeAt(j);
    if (c === 0x2d /* - */) {
      if (j + 1 >= n) {
        if (last) this.#emitText(text, j, n);
        return MORE;
      }
      if (text.charCodeAt(j + 1) === 0x2d) {
        // `<!--`: up to the first `-->`, whose dashes may be the opening ones (`<!-->`).
        this.#mode = Mode.Comment;
        return j;
      }
      // `<!-x`: a declaration from the character after the x.
      return this.#startSkip(text, j + 2, j);
    }
    if (c === 0x5b /* [ */) {
      const cdata = "CDATA[";
      for (let k = 0; k < cdata.length; k++) {
        if (j + 1 + k >= n) {
          if (last) this.#emitText(text, j, n);
          return MORE;
        }
        if (text.charCodeAt(j + 1 + k) !== cdata.charCodeAt(k)) {
          return this.#startSkip(text, j + 1 + k, j);
        }
      }
      this.#mode = Mode.Cdata;
      return j + 1 + cdata.length;
    }
    // A declaration: its first character is read as one (so `<!>` ends at the next `>`).
    return this.#startSkip(text, j + 1, j);
  }

  /**
   * Skips to the next `>` from `from`. `textStart` is where htmlparser2's
   * text would start if the document ended first, or -1 for none.
   */
  #startSkip(text: string, from: number, textStart: number): number {
    this.#mode = Mode.Skip;
    this.#skipped = textStart >= 0 && this.#handler.wantsText()
      ? text.slice(textStart, from)
      : undefined;
    return from;
  }

  #skip(text: string, from: number): number {
    const gt = text.indexOf(">", from);
    if (gt !== -1) {
      this.#mode = Mode.Text;
      this.#skipped = undefined;
      return gt + 1;
    }
    if (this.#skipped !== undefined) this.#skipped += text.slice(from);
    return text.length;
  }

  /** A comment or CDATA section: up to `marker`, carrying what could start one. */
  #until(text: string, from: number, marker: string, last: boolean): number {
    const at = text.indexOf(marker, from);
    if (at !== -1) {
      this.#mode = Mode.Text;
      return at + marker.length;
    }
    if (!last) this.#carry = text.slice(Math.max(from, text.length - (marker.length - 1)));
    return MORE;
  }

  /** Raw text up to its end tag (`</name` and whitespace or `>`). */
  #rawText(text: string, from: number, last: boolean): number {
    const n = text.length;
    const name = this.#raw;
    const markerLength = name.length + 2;
    let at = from;
    for (;;) {
      at = text.indexOf("</", at);
      if (at === -1 || at + markerLength >= n) break;
      if (restMatches(text, at + 2, name, n)) {
        const c = text.charCodeAt(at + markerLength);
        if (c === 0x3e || isSpace(c)) {
          this.#emitText(text, from, at);
          this.#mode = Mode.Text;
          return this.#endTagName(text, at + 2, at + markerLength);
        }
      }
      at += 2;
    }
    if (last) {
      this.#emitText(text, from, n);
      return MORE;
    }
    // Keep what could be the start of the end tag, with the character after it.
    const keep = Math.max(from, n - markerLength);
    this.#emitText(text, from, keep);
    this.#carry = text.slice(keep);
    return MORE;
  }
}
