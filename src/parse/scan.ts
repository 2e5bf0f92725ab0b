/**
 * The default fields of a page from one pass of htmlparser2's tokenizer
 * (the tokenizer behind cheerio's htmlparser2 mode) without building a DOM:
 * title, meta description, meta robots, canonical, `<h1>` texts, `<base
 * href>` and the raw links. Only the handful of tags that matter are looked
 * at: no attribute object is built for the others, which is where a full
 * parser spends its time. Entities are decoded (with htmlparser2's own
 * `entities` package) in the few strings kept, not character by character
 * in the tokenizer, which then skips through text with a plain search for `<`. Anything that needs selectors loads the page with
 * cheerio instead (dom.ts).
 *
 * @module
 */

import { decodeHTML, decodeHTMLAttribute } from "entities";
import { Tokenizer } from "htmlparser2";

/** A link as written in the page: its href and rel. */
export interface RawLink {
  /** The `href` attribute, unresolved. */
  href: string;
  /** The `rel` attribute, or `""`. */
  rel: string;
}

/** What one pass over a page finds. */
export interface ScannedPage {
  /** The first `<title>`'s text, raw. */
  title: string | undefined;
  /** The first `<meta name=description>` content. */
  description: string | undefined;
  /** The first `<meta name=robots>` content. */
  robots: string | undefined;
  /** The first `<link rel=canonical>` href, unresolved. */
  canonical: string | undefined;
  /** The first `<base href>`, unresolved. */
  baseHref: string | undefined;
  /** Text of every `<h1>`, raw. */
  h1: string[];
  /** Every `<a href>` and `<area href>` in document order. */
  links: RawLink[];
}

/** The tags the scan reads; every other tag is skipped. */
const enum Tag {
  Other,
  A,
  Area,
  Base,
  Link,
  Meta,
  Title,
  H1,
  /** h2 to h6: their end tag closes an open h1, as an HTML parser does. */
  Heading,
}

/** Tags by name length first, so most tags are dismissed without slicing their name. */
function tagOf(html: string, start: number, end: number): Tag {
  switch (end - start) {
    case 1:
      return (html.charCodeAt(start) | 0x20) === 0x61 /* a */ ? Tag.A : Tag.Other;
    case 2:
      if ((html.charCodeAt(start) | 0x20) !== 0x68 /* h */) return Tag.Other;
      switch (html.charCodeAt(start + 1)) {
        case 0x31: // 1
          return Tag.H1;
        case 0x32:
        case 0x33:
        case 0x34:
        case 0x35:
        case 0x36:
          return Tag.Heading;
      }
      return Tag.Other;
    case 4:
      switch (html.slice(start, end).toLowerCase()) {
        case "area":
          return Tag.Area;
        case "base":
          return Tag.Base;
        case "link":
          return Tag.Link;
        case "meta":
          return Tag.Meta;
      }
      return Tag.Other;
    case 5:
      return html.slice(start, end).toLowerCase() === "title" ? Tag.Title : Tag.Other;
  }
  return Tag.Other;
}

/** Decodes character references in kept text (most text has none). */
function decodeText(text: string): string {
  return text.includes("&") ? decodeHTML(text) : text;
}

/** The attributes the scan reads. */
const WANTED = new Set(["href", "rel", "name", "content"]);

/**
 * Scans an HTML document.
 *
 * @param html The document text.
 * @returns The raw fields and links.
 *
 * @example Usage
 * ```ts
 * import { scanHtml } from "./scan.ts";
 * import assert from "node:assert/strict";
 *
 * const page = scanHtml('<title>Hi</title><h1>A <b>b</b></h1><a href="/x" rel="nofollow">x</a>');
 * assert.equal(page.title, "Hi");
 * assert.deepEqual(page.h1, ["A b"]);
 * assert.deepEqual(page.links, [{ href: "/x", rel: "nofollow" }]);
 * ```
 */
export function scanHtml(html: string): ScannedPage {
  const page: ScannedPage = {
    title: undefined,
    description: undefined,
    robots: undefined,
    canonical: undefined,
    baseHref: undefined,
    h1: [],
    links: [],
  };
  let tag = Tag.Other;
  // The current tag's wanted attributes (the first of each name wins, as in HTML).
  let attrs: Record<string, string> = {};
  let attrName: string | undefined;
  let attrValue = "";
  let inTitle = false;
  let title = "";
  let h1Depth = 0;
  let h1 = "";

  const text = (value: string) => {
    if (inTitle) title += value;
    if (h1Depth > 0) h1 += value;
  };
  const openTag = () => {
    switch (tag) {
      case Tag.A:
      case Tag.Area:
        if (attrs.href !== undefined) page.links.push({ href: attrs.href, rel: attrs.rel ?? "" });
        break;
      case Tag.Title:
        if (page.title === undefined) inTitle = true;
        break;
      case Tag.H1:
      case Tag.Heading:
        // A heading start tag inside a heading closes it first (HTML parsing rules).
        if (h1Depth > 0) page.h1.push(decodeText(h1));
        h1Depth = tag === Tag.H1 ? 1 : 0;
        h1 = "";
        break;
      case Tag.Meta: {
        const name = attrs.name?.toLowerCase();
        if (name === "description") page.description ??= attrs.content ?? "";
        else if (name === "robots") page.robots ??= attrs.content ?? "";
        break;
      }
      case Tag.Link:
        if (
          page.canonical === undefined && attrs.href !== undefined &&
          /(^|\s)canonical(\s|$)/i.test(attrs.rel ?? "")
        ) page.canonical = attrs.href;
        break;
      case Tag.Base:
        page.baseHref ??= attrs.href;
        break;
    }
    tag = Tag.Other;
  };

  const tokenizer = new Tokenizer({ xmlMode: false, decodeEntities: false }, {
    onopentagname(start, end) {
      tag = tagOf(html, start, end);
      if (tag !== Tag.Other) attrs = {};
    },
    onattribname(start, end) {
      if (tag === Tag.Other) return;
      const name = html.slice(start, end).toLowerCase();
      attrName = WANTED.has(name) && attrs[name] === undefined ? name : undefined;
      attrValue = "";
    },
    onattribdata(start, end) {
      if (attrName !== undefined) attrValue += html.slice(start, end);
    },
    onattribentity(codepoint) {
      if (attrName !== undefined) attrValue += String.fromCodePoint(codepoint);
    },
    onattribend() {
      if (attrName !== undefined) {
        attrs[attrName] = attrValue.includes("&") ? decodeHTMLAttribute(attrValue) : attrValue;
      }
      attrName = undefined;
    },
    onopentagend: openTag,
    onselfclosingtag: openTag,
    ontext(start, end) {
      if (inTitle || h1Depth > 0) text(html.slice(start, end));
    },
    ontextentity(codepoint) {
      if (inTitle || h1Depth > 0) text(String.fromCodePoint(codepoint));
    },
    onclosetag(start, end) {
      const closed = tagOf(html, start, end);
      if (closed === Tag.Title && inTitle) {
        inTitle = false;
        page.title = decodeText(title);
      } else if ((closed === Tag.H1 || closed === Tag.Heading) && h1Depth > 0) {
        // Any heading end tag closes the open heading (HTML's "h1 ... </h2>" rule).
        h1Depth = 0;
        page.h1.push(decodeText(h1));
      }
    },
    oncdata() {},
    oncomment() {},
    ondeclaration() {},
    onend() {},
    onprocessinginstruction() {},
  });
  tokenizer.write(html);
  tokenizer.end();
  // An unclosed title or h1 runs to the end of the document, as a parser would close it there.
  if (inTitle) page.title = decodeText(title);
  if (h1Depth > 0) page.h1.push(decodeText(h1));
  return page;
}
