/**
 * The DOM path of parsing: cheerio documents, for extraction rules, hooks,
 * `linksFrom` selectors and the spec-exact parse5 parser. Kept apart so
 * parser workers load cheerio only when a crawl needs it.
 *
 * @module
 */

import * as cheerio from "cheerio";
import { decodeHtml } from "./charset.ts";
import type { RawLink, ScannedPage } from "./scan.ts";
import {
  type Document,
  finishPage,
  type ParsedPage,
  type ParsePageOptions,
  type ParserKind,
} from "./page.ts";

/**
 * Loads HTML text into a cheerio document.
 *
 * @param html The document text.
 * @param parser Which parser builds the tree.
 * @returns The cheerio document.
 */
export function loadHtml(html: string, parser: ParserKind = "htmlparser2"): Document {
  // cheerio picks htmlparser2 when given `xml` options with xmlMode off.
  return parser === "parse5" ? cheerio.load(html) : cheerio.load(html, { xml: { xmlMode: false } });
}

/**
 * Reads the default fields out of a loaded document, as {@linkcode scanHtml}
 * reads them out of text.
 *
 * @param $ The document.
 * @returns The raw fields and links.
 */
export function scanDocument($: Document): ScannedPage {
  const links: RawLink[] = [];
  $("a[href], area[href]").each((_, el) => {
    links.push({ href: el.attribs.href!, rel: el.attribs.rel ?? "" });
  });
  const h1: string[] = [];
  $("h1").each((_, el) => {
    h1.push($(el).text());
  });
  const title = $("title").first();
  return {
    title: title.length > 0 ? title.text() : undefined,
    description: $('meta[name="description" i]').first().attr("content"),
    robots: $('meta[name="robots" i]').first().attr("content"),
    canonical: $('link[rel~="canonical" i]').first().attr("href"),
    baseHref: $("base[href]").first().attr("href"),
    h1,
    links,
  };
}

/**
 * Decodes and parses an HTML body through a cheerio document.
 *
 * @param body The raw body bytes.
 * @param contentType The Content-Type header (for its charset).
 * @param pageUrl The page's final URL.
 * @param options Parser and link options.
 * @returns The parsed fields and links.
 *
 * @example Usage
 * ```ts
 * import { parseWithDom } from "./dom.ts";
 * const html = new TextEncoder().encode("<title>Hi</title>");
 * parseWithDom(html, "text/html", "http://a.test/", { parser: "parse5" }).title; // "Hi"
 * ```
 */
export function parseWithDom(
  body: Uint8Array,
  contentType: string | null,
  pageUrl: string,
  options: ParsePageOptions = {},
): ParsedPage {
  return finishPage(
    scanDocument(loadHtml(decodeHtml(body, contentType), options.parser)),
    pageUrl,
    options,
  );
}
