/**
 * The DOM path of parsing: cheerio documents, for extraction rules, hooks,
 * `linksFrom` selectors and the spec-exact parse5 parser. Kept apart so
 * parser workers load cheerio only when a crawl needs it.
 *
 * @module
 */

import * as cheerio from "cheerio";
import { decodeHtml } from "./charset.ts";
import type { AnyNode, Element, Text } from "domhandler";
import type { LinkTag } from "../output/record.ts";
import type { RawLink, ScannedPage, ScanOptions } from "./scan.ts";
import { cleanLinkText, RESOURCE_REL, srcsetUrls } from "./link_refs.ts";
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

/** An element's text with each image's `alt` counted as text, as a link's reader sees it. */
function textWithAlt(node: AnyNode): string {
  if (node.type === "text") return (node as Text).data;
  if (!("children" in node)) return "";
  const el = node as Element;
  if (el.type === "tag" && el.tagName === "img") return el.attribs.alt ? ` ${el.attribs.alt} ` : "";
  // Script and style contents are not text a reader sees.
  if (el.type !== "tag") return "";
  let text = "";
  for (const child of el.children) text += textWithAlt(child);
  return text;
}

/**
 * Reads the default fields out of a loaded document, as {@linkcode scanHtml}
 * reads them out of text.
 *
 * @param $ The document.
 * @param options What to collect besides the default fields.
 * @returns The raw fields and links.
 */
export function scanDocument($: Document, options: ScanOptions = {}): ScannedPage {
  const { details = false, resources = false, ids = false } = options;
  const links: RawLink[] = [];
  $("a[href], area[href]").each((_, el) => {
    const link: RawLink = { href: el.attribs.href!, rel: el.attribs.rel ?? "" };
    if (details) {
      if (el.tagName === "a") {
        link.tag = "a[href]";
        link.text = cleanLinkText(textWithAlt(el));
      } else {
        link.tag = "area[href]";
        link.text = cleanLinkText(el.attribs.alt ?? el.attribs.title ?? "");
      }
    }
    links.push(link);
  });
  const found: RawLink[] = [];
  if (resources) {
    const add = (href: string | undefined, tag: LinkTag, text?: string) => {
      if (href === undefined) return;
      const link: RawLink = { href, rel: "", tag };
      if (text !== undefined) link.text = text;
      found.push(link);
    };
    $("img, script, iframe, video, audio, source, link").each((_, el) => {
      const { attribs } = el;
      switch (el.tagName) {
        case "img": {
          const alt = cleanLinkText(attribs.alt ?? attribs.title ?? "");
          add(attribs.src, "img[src]", alt);
          if (attribs.srcset) {
            for (const url of srcsetUrls(attribs.srcset)) add(url, "img[srcset]", alt);
          }
          break;
        }
        case "source":
          add(attribs.src, "source[src]");
          if (attribs.srcset) {
            for (const url of srcsetUrls(attribs.srcset)) add(url, "source[srcset]");
          }
          break;
        case "link":
          if (RESOURCE_REL.test(attribs.rel ?? "")) {
            add(attribs.href, "link[href]");
          }
          break;
        default:
          add(
            attribs.src,
            `${el.tagName}[src]` as LinkTag,
            attribs.title && cleanLinkText(attribs.title),
          );
      }
    });
  }
  const names: string[] = [];
  if (ids) {
    $("[id], a[name]").each((_, el) => {
      if (el.attribs.id) names.push(el.attribs.id);
      if (el.tagName === "a" && el.attribs.name) names.push(el.attribs.name);
    });
  }
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
    resources: found,
    ids: names,
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
    scanDocument(loadHtml(decodeHtml(body, contentType), options.parser), options),
    pageUrl,
    options,
  );
}
