/**
 * The default fields of a page from one streaming pass of htmlparser2 (the
 * parser behind cheerio's htmlparser2 mode) without building a DOM: title,
 * meta description, meta robots, canonical, `<h1>` texts, `<base href>` and
 * the raw links. Building no tree is what makes it cheap; anything that
 * needs selectors loads the page with cheerio instead.
 *
 * @module
 */

import { Parser } from "htmlparser2";

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

/**
 * Scans an HTML document.
 *
 * @param html The document text.
 * @returns The raw fields and links.
 *
 * @example Usage
 * ```ts
 * import { scanHtml } from "./html_scan.ts";
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
  let inTitle = false;
  let title = "";
  let h1Depth = 0;
  let h1 = "";
  const parser = new Parser({
    onopentag(name, attribs) {
      switch (name) {
        case "a":
        case "area":
          if (attribs.href !== undefined) {
            page.links.push({ href: attribs.href, rel: attribs.rel ?? "" });
          }
          break;
        case "title":
          if (page.title === undefined) inTitle = true;
          break;
        case "h1":
          if (h1Depth++ === 0) h1 = "";
          break;
        case "meta": {
          const metaName = attribs.name?.toLowerCase();
          if (metaName === "description") page.description ??= attribs.content ?? "";
          else if (metaName === "robots") page.robots ??= attribs.content ?? "";
          break;
        }
        case "link":
          if (
            page.canonical === undefined && attribs.href !== undefined &&
            /(^|\s)canonical(\s|$)/i.test(attribs.rel ?? "")
          ) page.canonical = attribs.href;
          break;
        case "base":
          if (page.baseHref === undefined && attribs.href !== undefined) {
            page.baseHref = attribs.href;
          }
          break;
      }
    },
    ontext(text) {
      if (inTitle) title += text;
      if (h1Depth > 0) h1 += text;
    },
    onclosetag(name) {
      if (name === "title" && inTitle) {
        inTitle = false;
        page.title = title;
      } else if (name === "h1" && h1Depth > 0 && --h1Depth === 0) {
        page.h1.push(h1);
      }
    },
  }, { decodeEntities: true });
  parser.end(html);
  if (inTitle) page.title = title;
  return page;
}
