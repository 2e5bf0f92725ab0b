/**
 * Parsing one HTML page: the record's data fields and the links to follow.
 *
 * One pass of the tag scanner (`scan.ts`) finds the fields and links without
 * building a DOM (`scanBody`); dom.ts reads the same fields out of a
 * cheerio document when one is needed. Either way links are resolved and
 * cleaned here, the same way.
 *
 * @module
 */

import type { CheerioAPI } from "cheerio";
import type { LinkTag } from "../output/record.ts";
import { scanBody, type ScannedPage, type ScanOptions } from "./scan.ts";
import { LinkResolver } from "./links.ts";
import { detach } from "../output/detach.ts";
import type { NormalizeOptions } from "../frontier/url.ts";

/** Which HTML parser is used. */
export type ParserKind = "htmlparser2" | "parse5";

/** Options for {@linkcode parsePage}. */
export interface ParsePageOptions extends NormalizeOptions, ScanOptions {
  /** Follow links marked `rel=nofollow` (and ignore `<meta name=robots content=nofollow>`). */
  followNofollow?: boolean;
  /** `htmlparser2` (fast, default) or `parse5` (spec-exact, slower). */
  parser?: ParserKind;
}

/** One link on a page, resolved: where it points and where it was found. */
export interface LinkRef {
  /** The target, normalized, without its fragment. */
  url: string;
  /** The element and attribute it was found in, e.g. `a[href]`, `img[src]`. */
  tag: LinkTag;
  /** The link's text (an image's `alt`), when it has any. */
  text?: string;
  /** The `#fragment` it points at, percent-decoded, when it has one. */
  fragment?: string;
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
  /**
   * With `details`: every link and (with `resources`) resource reference,
   * one per distinct target, fragment, tag and text, in document order.
   */
  refs?: LinkRef[];
  /** With `ids`: the fragments the page defines (element ids, `<a name>`), deduplicated. */
  anchors?: string[];
}

/** The parsed document (cheerio), for extraction that needs selectors. */
export type Document = CheerioAPI;

/** Text with its whitespace collapsed, in its own memory (it goes in the record). */
function clean(text: string | undefined): string | null {
  if (text === undefined) return null;
  const collapsed = text.replace(/\s+/g, " ").trim();
  return collapsed === "" ? null : detach(collapsed);
}

/** One resolver (and cache) per options object: normalization options change results. */
const resolvers = new WeakMap<NormalizeOptions, LinkResolver>();

function resolverFor(options: NormalizeOptions): LinkResolver {
  let resolver = resolvers.get(options);
  if (!resolver) {
    resolver = new LinkResolver(options);
    resolvers.set(options, resolver);
  }
  return resolver;
}

/**
 * Resolves a scanned page's links and cleans its fields.
 *
 * @param scanned The raw fields and links.
 * @param pageUrl The page's final URL, serialized (as `URL.href` gives it, as a fetched page's is).
 * @param options Link-following and normalization options.
 * @returns The parsed page.
 */
export function finishPage(
  scanned: ScannedPage,
  pageUrl: string,
  options: ParsePageOptions = {},
): ParsedPage {
  // Only an http(s) <base> counts (as browsers ignore data: and javascript: bases).
  const declared = scanned.baseHref === undefined
    ? undefined
    : URL.parse(scanned.baseHref, pageUrl);
  const base = declared && (declared.protocol === "http:" || declared.protocol === "https:")
    ? declared.href
    : pageUrl;
  const pageNofollow = !options.followNofollow &&
    /\b(nofollow|none)\b/i.test(scanned.robots ?? "");
  const links: string[] = [];
  const follow: string[] = [];
  const resolve = resolverFor(options).forBase(base);
  // Each URL once, with whether it is followed yet: one hash lookup per link. The lookup also
  // leaves each URL in its own memory (V8 turns a string it looks up as a key into a pointer to
  // a copy of its own), so the links kept in the record do not keep the page's text alive
  // without a detach() each (see ../output/detach.ts; tests/output/detach_test.ts checks it).
  const seen = new Map<string, boolean>();
  for (const { href, rel } of scanned.links) {
    const url = resolve(href);
    if (url === null) continue;
    const followed = seen.get(url);
    if (followed === undefined) links.push(url);
    if (followed === true) continue;
    const follows = !pageNofollow &&
      (options.followNofollow || rel === "" || !/\bnofollow\b/i.test(rel));
    if (follows) follow.push(url);
    if (followed === undefined || follows) seen.set(url, follows);
  }
  const named = scanned.canonical?.trim();
  let canonical: string | null = null;
  if (named === pageUrl) {
    // A page naming itself (most pages that name one): its URL is serialized already, so
    // parsing would give it back as it is.
    canonical = pageUrl;
  } else if (named !== undefined) {
    // URL parsing hands back its input when it is in normal form already: a view on the page.
    const href = URL.parse(named, base)?.href;
    if (href !== undefined) canonical = detach(href);
  }
  const parsed: ParsedPage = {
    title: clean(scanned.title),
    description: clean(scanned.description),
    canonical,
    h1: scanned.h1.map(clean).filter((t): t is string => t !== null),
    links,
    follow,
  };
  if (options.details) parsed.refs = refsOf(scanned, resolve);
  // The Set's lookups leave each id in its own memory, as the links' Map does.
  if (options.ids) parsed.anchors = [...new Set(scanned.ids)];
  return parsed;
}

/** The fragment of an href, percent-decoded as a browser matches it against ids. */
function fragmentOf(href: string): string | undefined {
  const hash = href.indexOf("#");
  if (hash === -1 || hash === href.length - 1) return undefined;
  const raw = href.slice(hash + 1);
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** A page's link occurrences, resolved, one per distinct target, fragment, tag and text. */
function refsOf(scanned: ScannedPage, resolve: (href: string) => string | null): LinkRef[] {
  const refs: LinkRef[] = [];
  const seen = new Set<string>();
  for (const list of [scanned.links, scanned.resources]) {
    for (const { href, tag, text } of list) {
      const url = resolve(href);
      if (url === null || tag === undefined) continue;
      const fragment = fragmentOf(href);
      const key = `${url}\n${fragment ?? ""}\n${tag}\n${text ?? ""}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const ref: LinkRef = { url: detach(url), tag };
      if (text) ref.text = detach(text);
      if (fragment !== undefined) ref.fragment = detach(fragment);
      refs.push(ref);
    }
  }
  return refs;
}

/**
 * Decodes and parses an HTML body with one pass of the tag scanner (no DOM); see
 * `parseWithDom` in dom.ts for the parse5 parser.
 *
 * @param body The raw body bytes.
 * @param contentType The Content-Type header (for its charset).
 * @param pageUrl The page's final URL.
 * @param options Link options.
 * @returns The parsed fields and links.
 *
 * @example Usage
 * ```ts
 * import { parsePage } from "./page.ts";
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
  return finishPage(scanBody(body, contentType, options), pageUrl, options);
}
