/**
 * The default fields of a page from one pass over its tags, as
 * htmlparser2's tokenizer (the one behind cheerio's htmlparser2 mode) reads
 * them, without building a DOM: title, meta description, meta robots,
 * canonical, `<h1>` texts, `<base href>` and the raw links. Only the
 * handful of tags that matter are looked at (`tag_scanner.ts` reads any
 * other tag to its end without a call), and text only inside a title, a
 * heading or a link. Entities are decoded (with htmlparser2's own
 * `entities` package) in the few strings kept. A UTF-8 page is scanned as
 * its bytes, and only those strings decoded (`scanBody`). Anything that needs
 * selectors loads the page with cheerio instead (dom.ts).
 *
 * @module
 */

import { decodeHTML, decodeHTMLAttribute } from "entities";
import { TagScanner } from "./tag_scanner.ts";
import { cleanLinkText, MAX_LINK_TEXT, RESOURCE_REL, srcsetUrls } from "./link_refs.ts";
import {
  bytesToText,
  decodePieces,
  sniffEncoding,
  textToBytes,
  utf8BytePieces,
} from "./charset.ts";
import type { LinkTag } from "../output/record.ts";

/** A link as written in the page: its href and rel, and with details, its tag and text. */
export interface RawLink {
  /** The `href` (or `src`, or one `srcset` candidate) attribute, unresolved. */
  href: string;
  /** The `rel` attribute, or `""`. */
  rel: string;
  /** The element and attribute it came from (with `details`). */
  tag?: LinkTag;
  /**
   * What a reader sees of it (with `details`): an `<a>`'s text (an image's
   * `alt` inside it counting as text), an `<area>`'s or `<img>`'s `alt`
   * (else `title`); whitespace collapsed, at most {@linkcode MAX_LINK_TEXT}
   * characters.
   */
  text?: string;
}

/** What {@linkcode scanHtml} collects besides the default fields. */
export interface ScanOptions {
  /** Each link's tag and text (for link checking). */
  details?: boolean;
  /** The page's resources: images, scripts, stylesheets, icons, frames, media. */
  resources?: boolean;
  /** Every element `id` and `<a name>`: the fragments the page defines. */
  ids?: boolean;
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
  /** With `resources`: every resource reference, in document order. */
  resources: RawLink[];
  /** With `ids`: every element `id` and `<a name>`, in document order. */
  ids: string[];
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
  // Resources: read with the `resources` option only.
  Img,
  Script,
  Iframe,
  Video,
  Audio,
  Source,
  /** Read with `details`: its text is no link's. */
  Style,
  /** Any other tag, read with `ids` for its `id` only. */
  Any,
}

/** Whether the text from `start` is `lower` (ASCII letters), in any case. */
function isNamed(text: string, start: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    if ((text.charCodeAt(start + i) | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** Tags by name length first, then letter by letter in place: no tag name is sliced. */
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
      if (isNamed(html, start, "area")) return Tag.Area;
      if (isNamed(html, start, "base")) return Tag.Base;
      if (isNamed(html, start, "link")) return Tag.Link;
      return isNamed(html, start, "meta") ? Tag.Meta : Tag.Other;
    case 5:
      return isNamed(html, start, "title") ? Tag.Title : Tag.Other;
  }
  return Tag.Other;
}

/** The first letters of the tags {@linkcode extraTagOf} knows: most names are dismissed unsliced. */
const EXTRA_FIRST = new Set([..."iImMsSvVaA"].map((c) => c.charCodeAt(0)));

/**
 * The tags read only for link details or resources: images, scripts,
 * styles (whose text is no link's), frames and media. Asked only for a tag
 * {@linkcode tagOf} did not know.
 */
function extraTagOf(html: string, start: number, end: number): Tag {
  const length = end - start;
  if (length !== 3 && length !== 5 && length !== 6) return Tag.Other;
  if (!EXTRA_FIRST.has(html.charCodeAt(start))) return Tag.Other;
  switch (html.slice(start, end).toLowerCase()) {
    case "img":
      return Tag.Img;
    case "video":
      return Tag.Video;
    case "audio":
      return Tag.Audio;
    case "style":
      return Tag.Style;
    case "script":
      return Tag.Script;
    case "iframe":
      return Tag.Iframe;
    case "source":
      return Tag.Source;
  }
  return Tag.Other;
}

/** The resource tags, and the `src` attribute's name for each. */
const SRC_TAGS: ReadonlyMap<Tag, LinkTag> = new Map([
  [Tag.Img, "img[src]"],
  [Tag.Script, "script[src]"],
  [Tag.Iframe, "iframe[src]"],
  [Tag.Video, "video[src]"],
  [Tag.Audio, "audio[src]"],
  [Tag.Source, "source[src]"],
]);

/** Decodes character references in kept text (most text has none). */
function decodeText(text: string): string {
  return text.includes("&") ? decodeHTML(text) : text;
}

/**
 * The attribute the scan reads that a name is, lowercase, or `undefined`:
 * `href`, `rel`, `name` and `content`, and with `more` (details, resources
 * or ids) `src`, `srcset`, `alt`, `title` and `id`. By length first and in
 * place, as {@linkcode tagOf} does, since most attributes are none of them.
 */
function attributeOf(text: string, start: number, end: number, more: boolean): string | undefined {
  switch (end - start) {
    case 2:
      return more && isNamed(text, start, "id") ? "id" : undefined;
    case 3:
      if (isNamed(text, start, "rel")) return "rel";
      if (!more) return undefined;
      if (isNamed(text, start, "src")) return "src";
      return isNamed(text, start, "alt") ? "alt" : undefined;
    case 4:
      if (isNamed(text, start, "href")) return "href";
      return isNamed(text, start, "name") ? "name" : undefined;
    case 5:
      return more && isNamed(text, start, "title") ? "title" : undefined;
    case 6:
      return more && isNamed(text, start, "srcset") ? "srcset" : undefined;
    case 7:
      return isNamed(text, start, "content") ? "content" : undefined;
  }
  return undefined;
}

/**
 * How the scanned text holds the page: decoded text, or a UTF-8 body's
 * bytes one character each (`utf8BytePieces()` in charset.ts). What is cut
 * from it is raw until `toText` makes it text, which happens before
 * character references are decoded, as a `&eacute;` is text, not a byte.
 */
interface Reading {
  /** What is cut from the scanned text, as text. */
  toText(raw: string): string;
  /** Text, as the scanned text holds it (an image's alt put among a link's raw text). */
  toRaw(text: string): string;
}

const AS_TEXT: Reading = { toText: (raw) => raw, toRaw: (text) => text };
const AS_UTF8_BYTES: Reading = { toText: bytesToText, toRaw: textToBytes };

/**
 * Scans an HTML document.
 *
 * @param html The document text, whole or in pieces (see
 * {@linkcode decodeHtmlPieces}: a large page scanned in pieces never becomes
 * one large string).
 * @param options What to collect besides the default fields.
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
 *
 * const detailed = scanHtml('<a href="/x">Read <img src="i.png" alt="more"></a>', {
 *   details: true,
 *   resources: true,
 * });
 * assert.deepEqual(detailed.links, [{ href: "/x", rel: "", tag: "a[href]", text: "Read more" }]);
 * assert.deepEqual(detailed.resources, [{ href: "i.png", rel: "", tag: "img[src]", text: "more" }]);
 * ```
 */
export function scanHtml(
  html: string | Iterable<string>,
  options: ScanOptions = {},
): ScannedPage {
  return scan(typeof html === "string" ? [html] : html, options, AS_TEXT);
}

/**
 * Scans an HTML body: a UTF-8 one as its bytes, decoding only the values
 * kept (`utf8BytePieces()` in charset.ts says why), any other decoded in
 * pieces. Either way the page is what {@linkcode scanHtml} finds in the
 * decoded text.
 *
 * @param body The raw body.
 * @param contentType The Content-Type header (for its charset), if any.
 * @param options What to collect besides the default fields.
 * @returns The raw fields and links.
 *
 * @example Usage
 * ```ts
 * import { scanBody } from "./scan.ts";
 * import assert from "node:assert/strict";
 *
 * const body = new TextEncoder().encode('<title>Café →</title><a href="/ü">ü</a>');
 * const page = scanBody(body, "text/html; charset=utf-8");
 * assert.equal(page.title, "Café →");
 * assert.deepEqual(page.links, [{ href: "/ü", rel: "" }]);
 * ```
 */
export function scanBody(
  body: Uint8Array,
  contentType: string | null | undefined,
  options: ScanOptions = {},
): ScannedPage {
  const encoding = sniffEncoding(body, contentType);
  return encoding === "utf-8"
    ? scan(utf8BytePieces(body), options, AS_UTF8_BYTES)
    : scan(decodePieces(body, encoding), options, AS_TEXT);
}

/** The scan itself, over the pieces of a page read the given way. */
function scan(pieces: Iterable<string>, options: ScanOptions, reading: Reading): ScannedPage {
  const { toText, toRaw } = reading;
  const { details = false, resources = false, ids = false } = options;
  const more = details || resources || ids;
  // Images, scripts, styles, frames and media matter only to link details and resources.
  const extra = details || resources;
  // Inside a script or style element: its text is no link's text.
  let inRawText = false;
  const page: ScannedPage = {
    title: undefined,
    description: undefined,
    robots: undefined,
    canonical: undefined,
    baseHref: undefined,
    h1: [],
    links: [],
    resources: [],
    ids: [],
  };
  let tag = Tag.Other;
  // The current tag's wanted attributes (the first of each name wins, as in HTML).
  let attrs: Record<string, string> = {};
  let inTitle = false;
  let title = "";
  let h1Depth = 0;
  let h1 = "";
  // With details: the open <a> whose text is being read, and that text so far.
  let anchor: RawLink | undefined;
  let anchorText = "";

  const closeAnchor = () => {
    if (anchor) anchor.text = cleanLinkText(decodeText(toText(anchorText)));
    anchor = undefined;
    anchorText = "";
  };
  const addText = (value: string) => {
    if (inTitle) title += value;
    if (h1Depth > 0) h1 += value;
    // A bound on what is kept of a long link's text (in bytes when the page is read as bytes).
    if (anchor && !inRawText && anchorText.length < MAX_LINK_TEXT * 4) anchorText += value;
  };
  const resource = (href: string | undefined, linkTag: LinkTag, text?: string) => {
    if (href === undefined) return;
    const link: RawLink = { href, rel: "", tag: linkTag };
    if (text !== undefined) link.text = text;
    page.resources.push(link);
  };
  const openTag = () => {
    if (ids && attrs.id !== undefined && attrs.id !== "") page.ids.push(attrs.id);
    switch (tag) {
      case Tag.A:
      case Tag.Area:
        // An <a> start tag closes an open one (HTML's adoption agency does the same).
        if (tag === Tag.A && details) closeAnchor();
        if (ids && tag === Tag.A && attrs.name !== undefined && attrs.name !== "") {
          page.ids.push(attrs.name);
        }
        if (attrs.href !== undefined) {
          const link: RawLink = { href: attrs.href, rel: attrs.rel ?? "" };
          if (details) {
            if (tag === Tag.A) {
              link.tag = "a[href]";
              anchor = link;
            } else {
              link.tag = "area[href]";
              link.text = cleanLinkText(attrs.alt ?? attrs.title ?? "");
            }
          }
          page.links.push(link);
        }
        break;
      case Tag.Title:
        if (page.title === undefined) inTitle = true;
        break;
      case Tag.H1:
      case Tag.Heading:
        // A heading start tag inside a heading closes it first (HTML parsing rules).
        if (h1Depth > 0) page.h1.push(decodeText(toText(h1)));
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
        if (resources && RESOURCE_REL.test(attrs.rel ?? "")) {
          resource(attrs.href, "link[href]");
        }
        break;
      case Tag.Base:
        page.baseHref ??= attrs.href;
        break;
      case Tag.Img:
        // An image inside a link is that link's text, as a reader (and a screen reader) sees it.
        // The alt is decoded already; the text is decoded when the link closes: escape its `&`.
        if (anchor && attrs.alt) anchorText += toRaw(` ${attrs.alt.replaceAll("&", "&amp;")} `);
        if (resources) {
          const alt = cleanLinkText(attrs.alt ?? attrs.title ?? "");
          resource(attrs.src, "img[src]", alt);
          if (attrs.srcset) {
            for (const url of srcsetUrls(attrs.srcset)) resource(url, "img[srcset]", alt);
          }
        }
        break;
      case Tag.Source:
        if (resources) {
          resource(attrs.src, "source[src]");
          if (attrs.srcset) {
            for (const url of srcsetUrls(attrs.srcset)) resource(url, "source[srcset]");
          }
        }
        break;
      case Tag.Style:
        inRawText = true;
        break;
      case Tag.Script:
        inRawText = true;
        if (resources) {
          resource(attrs.src, "script[src]", attrs.title && cleanLinkText(attrs.title));
        }
        break;
      case Tag.Iframe:
      case Tag.Video:
      case Tag.Audio:
        if (resources) {
          resource(attrs.src, SRC_TAGS.get(tag)!, attrs.title && cleanLinkText(attrs.title));
        }
        break;
    }
    tag = Tag.Other;
  };

  const classify = (text: string, start: number, end: number): Tag => {
    const found = tagOf(text, start, end);
    return found === Tag.Other && extra ? extraTagOf(text, start, end) : found;
  };
  const scanner = new TagScanner({
    tag(text, start, end) {
      const found = classify(text, start, end);
      // With ids, every tag's attributes are read (for its id).
      return found === Tag.Other && ids ? Tag.Any : found;
    },
    attribute(code, text, nameStart, nameEnd, valueStart, valueEnd) {
      const name = attributeOf(text, nameStart, nameEnd, more);
      // The first of each name wins, as in HTML; of a tag read only for ids, only the id.
      if (name === undefined || attrs[name] !== undefined || (code === Tag.Any && name !== "id")) {
        return;
      }
      const value = valueStart < 0 ? "" : toText(text.slice(valueStart, valueEnd));
      attrs[name] = value.includes("&") ? decodeHTMLAttribute(value) : value;
    },
    startTag(code) {
      tag = code === Tag.Any ? Tag.Other : code;
      openTag();
      attrs = {};
    },
    endTag(text, start, end) {
      const closed = classify(text, start, end);
      if (closed === Tag.Script || closed === Tag.Style) inRawText = false;
      if (closed === Tag.Title && inTitle) {
        inTitle = false;
        page.title = decodeText(toText(title));
      } else if ((closed === Tag.H1 || closed === Tag.Heading) && h1Depth > 0) {
        // Any heading end tag closes the open heading (HTML's "h1 ... </h2>" rule).
        h1Depth = 0;
        page.h1.push(decodeText(toText(h1)));
      } else if (closed === Tag.A) {
        closeAnchor();
      }
    },
    text(text, start, end) {
      addText(text.slice(start, end));
    },
    wantsText: () => inTitle || h1Depth > 0 || anchor !== undefined,
  });
  for (const piece of pieces) scanner.write(piece);
  scanner.end();
  // An unclosed title or h1 runs to the end of the document, as a parser would close it there.
  if (inTitle) page.title = decodeText(toText(title));
  if (h1Depth > 0) page.h1.push(decodeText(toText(h1)));
  closeAnchor();
  return page;
}
