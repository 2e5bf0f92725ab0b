/**
 * Parsing one HTML page: the record's data fields and the links to follow.
 *
 * @module
 */

import * as cheerio from "cheerio";
import { decodeHtml } from "./charset.ts";
import { type NormalizeOptions, normalizeParsedUrl } from "./url.ts";

/** Which HTML parser cheerio uses. */
export type ParserKind = "htmlparser2" | "parse5";

/** Options for {@linkcode parsePage}. */
export interface ParsePageOptions extends NormalizeOptions {
  /** Follow links marked `rel=nofollow` (and ignore `<meta name=robots content=nofollow>`). */
  followNofollow?: boolean;
  /** `htmlparser2` (fast, default) or `parse5` (spec-exact, slower). */
  parser?: ParserKind;
}

/** What parsing a page yields. */
export interface ParsedPage {
  /** `<title>` text, whitespace collapsed. */
  title: string | null;
  /** `<meta name=description>` content. */
  description: string | null;
  /** `<link rel=canonical>` resolved against the base URL. */
  canonical: string | null;
  /** Text of every `<h1>`. */
  h1: string[];
  /** Every http(s) link, normalized, in document order, deduplicated. */
  links: string[];
  /** The subset of `links` to follow (nofollow removed). */
  follow: string[];
}

/** The parsed document, for extraction hooks that need more than the defaults. */
export type Document = cheerio.CheerioAPI;

function clean(text: string): string | null {
  const collapsed = text.replace(/\s+/g, " ").trim();
  return collapsed === "" ? null : collapsed;
}

/**
 * Loads HTML text with the chosen parser.
 *
 * @param html The document text.
 * @param parser Which parser to use.
 * @returns The cheerio document.
 */
export function loadHtml(html: string, parser: ParserKind = "htmlparser2"): Document {
  // cheerio picks htmlparser2 when given `xml` options with xmlMode off.
  return parser === "parse5" ? cheerio.load(html) : cheerio.load(html, { xml: { xmlMode: false } });
}

/**
 * Extracts the default fields and the links of a loaded document.
 *
 * @param $ The document.
 * @param pageUrl The page's final URL, the base for relative links.
 * @param options Link-following and normalization options.
 * @returns The parsed fields and links.
 */
export function extractPage(
  $: Document,
  pageUrl: string,
  options: ParsePageOptions = {},
): ParsedPage {
  const baseHref = $("base[href]").first().attr("href");
  const base = (baseHref !== undefined && URL.parse(baseHref, pageUrl)?.href) || pageUrl;
  const metaRobots = $('meta[name="robots" i]').attr("content") ?? "";
  const pageNofollow = !options.followNofollow && /\bnofollow\b|\bnone\b/i.test(metaRobots);

  // One parse per distinct href: pages repeat the same link many times.
  const resolved = new Map<string, string | undefined>();
  const resolve = (href: string): string | undefined => {
    let out = resolved.get(href);
    if (out === undefined && !resolved.has(href)) {
      const url = URL.parse(href.trim(), base);
      out = url ? normalizeParsedUrl(url, options) : undefined;
      resolved.set(href, out);
    }
    return out;
  };

  const links: string[] = [];
  const follow: string[] = [];
  const linkSet = new Set<string>();
  const followSet = new Set<string>();
  $("a[href], area[href]").each((_, el) => {
    const href = resolve(el.attribs.href!);
    if (href === undefined) return;
    if (!linkSet.has(href)) {
      linkSet.add(href);
      links.push(href);
    }
    if (pageNofollow || followSet.has(href)) return;
    if (!options.followNofollow && /\bnofollow\b/i.test(el.attribs.rel ?? "")) return;
    followSet.add(href);
    follow.push(href);
  });

  const canonicalHref = $('link[rel~="canonical" i]').first().attr("href");
  const canonical = canonicalHref === undefined
    ? null
    : (URL.parse(canonicalHref, base)?.href ?? null);
  const h1: string[] = [];
  $("h1").each((_, el) => {
    const text = clean($(el).text());
    if (text !== null) h1.push(text);
  });
  return {
    title: clean($("title").first().text()),
    description: clean($('meta[name="description" i]').first().attr("content") ?? ""),
    canonical,
    h1,
    links,
    follow,
  };
}

/**
 * Decodes and parses an HTML body.
 *
 * @param body The raw body bytes.
 * @param contentType The Content-Type header (for its charset).
 * @param pageUrl The page's final URL.
 * @param options Parser and link options.
 * @returns The parsed fields and links.
 *
 * @example Usage
 * ```ts
 * import { parsePage } from "./parse_page.ts";
 * import assert from "node:assert/strict";
 *
 * const html = '<title>Hi</title><a href="/b#x">b</a><a href="mailto:a@b">m</a>';
 * const page = parsePage(new TextEncoder().encode(html), "text/html", "http://a.test/");
 * assert.equal(page.title, "Hi");
 * assert.deepEqual(page.links, ["http://a.test/b"]);
 * ```
 */
export function parsePage(
  body: Uint8Array,
  contentType: string | null,
  pageUrl: string,
  options: ParsePageOptions = {},
): ParsedPage {
  const $ = loadHtml(decodeHtml(body, contentType), options.parser);
  return extractPage($, pageUrl, options);
}
