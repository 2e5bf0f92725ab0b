/**
 * Resolving a page's hrefs to normalized absolute URLs, with a cache shared
 * across pages: sites repeat the same navigation on every page, so most
 * hrefs were already resolved against an equivalent base, and parsing a URL
 * costs more than a map lookup.
 *
 * @module
 */

import { type NormalizeOptions, normalizeParsedUrl } from "../frontier/url.ts";

/** Resolves hrefs against one page's base URL. */
export interface PageResolver {
  /**
   * @param href An href as written in the page.
   * @returns The normalized absolute http(s) URL, or `null`.
   */
  (href: string): string | null;
}

const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/;
/** An http or https scheme: any other scheme never resolves to an http(s) URL. */
const HTTP_SCHEME = /^https?:/i;
/** A scheme followed by `//`: the result depends on the href alone. */
const ABSOLUTE = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//;
/**
 * Strips what URL parsing strips from both ends of an href: C0 controls and
 * space. A loop, as `/[\u0000-\u0020]+$/` takes time quadratic in a run of
 * spaces that does not end the string (a page could stall the crawl with one).
 */
function trimC0(raw: string): string {
  let start = 0;
  let end = raw.length;
  while (start < end && raw.charCodeAt(start) <= 32) start++;
  while (end > start && raw.charCodeAt(end - 1) <= 32) end--;
  return raw.slice(start, end);
}

/**
 * Whether a path (from `from` on) is made of plain segments: letters, digits, `_`, `~`, `-`
 * and inner dots, so no dot segment, escape, query or fragment: it needs no
 * normalizing. (A loop over char codes: three times quicker than the
 * equivalent `/^(?:[\w~-]+(?:\.[\w~-]+)*\/)*(?:[\w~-]+(?:\.[\w~-]+)*)?$/`.)
 */
function isPlainPath(path: string, from = 0): boolean {
  // The previous character, "/" at the start: a segment may not begin with "." or "/".
  let previous = 47;
  for (let i = from; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (
      (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 ||
      c === 126 || c === 45
    ) {
      previous = c;
    } else if (c === 46 || c === 47) {
      // No empty segment, no dot after a dot or a slash, no dot before a slash.
      if (previous === 46 || previous === 47) return false;
      previous = c;
    } else {
      return false;
    }
  }
  return previous !== 46;
}

/**
 * Whether an absolute http(s) URL is in normal form already: `http://` or
 * `https://` as written, a host of lowercase letters, digits, `-` and `.`
 * (no port, no credentials, no IDNA `xn--` label, the last label starting
 * with a letter so that it is no IPv4 address), then a plain path
 * ({@linkcode isPlainPath}). URL parsing and normalization would give it back
 * unchanged: links to other sites skip both.
 */
function isPlainAbsolute(url: string): boolean {
  let i: number;
  if (url.startsWith("http://")) i = 7;
  else if (url.startsWith("https://")) i = 8;
  else return false;
  let label = i;
  for (; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45) continue;
    // Anything else in a host (a capital, ":", "@", "[", "%", "\\"...) is the parser's to read.
    if (c !== 46 && c !== 47) return false;
    if (url.startsWith("xn--", label)) return false;
    if (c === 47) break;
    label = i + 1;
  }
  // No path at all ("http://a.test") gets "/" from the parser.
  if (i === url.length) return false;
  const first = url.charCodeAt(label);
  return first >= 97 && first <= 122 && isPlainPath(url, i + 1);
}

/**
 * A segment that looks like a Windows drive letter (`/c:/`, `/c|/`): Deno's
 * URL parser does not remove it on `..`, even in an http URL.
 */
const DRIVE_LETTER = /\/[A-Za-z][:|]\//;

/**
 * Resolves a relative href made of `./`, `../` and a plain path against a
 * directory path, as URL resolution would; `undefined` for anything else,
 * and for `../` under a drive-letter segment, left to the URL parser.
 */
function plainRelative(href: string, dir: string): string | undefined {
  let rest = href;
  let at = dir;
  while (rest.startsWith("./")) rest = rest.slice(2);
  if (rest.startsWith("../") && DRIVE_LETTER.test(dir)) return undefined;
  while (rest.startsWith("../")) {
    rest = rest.slice(3);
    // Above the root stays at the root.
    if (at !== "/") at = at.slice(0, at.lastIndexOf("/", at.length - 2) + 1);
  }
  return isPlainPath(rest) ? at + rest : undefined;
}

/**
 * A bounded cache of href resolutions, grouped by what the result depends
 * on besides the href: nothing for an absolute href; the scheme for a
 * scheme-relative one; the origin for an absolute path; the base's
 * directory for a relative path; the whole base for a query or fragment.
 *
 * @example Usage
 * ```ts
 * import { LinkResolver } from "./links.ts";
 * import assert from "node:assert/strict";
 *
 * const resolver = new LinkResolver({});
 * const resolve = resolver.forBase("http://a.test/docs/page.html");
 * assert.equal(resolve("../x#top"), "http://a.test/x");
 * assert.equal(resolve("mailto:me@a.test"), null);
 * ```
 */
export class LinkResolver {
  /** Results by cache key: what the result depends on, then the href. */
  #cache = new Map<string, Map<string, string | null>>();
  #size = 0;
  #capacity: number;
  #options: NormalizeOptions;

  /**
   * Creates an empty cache for one set of normalization options.
   *
   * @param options Normalization options applied to every result.
   * @param capacity Most cached resolutions; when full the cache starts over.
   */
  constructor(options: NormalizeOptions, capacity = 10_000) {
    this.#options = options;
    this.#capacity = capacity;
  }

  /**
   * A resolver for one page.
   *
   * @param base The page's base URL (its URL or its `<base href>`), absolute.
   * @returns A function resolving that page's hrefs.
   */
  forBase(base: string): PageResolver {
    const parsed = URL.parse(base);
    if (!parsed) return () => null;
    // Shortcuts concatenate onto the base, so it must be in normal form itself.
    const href0 = normalizeParsedUrl(parsed, {});
    if (href0 === undefined) return (raw) => this.#resolve(this.#group(` ${base}`), raw, base);
    base = href0;
    const url = parsed; // normalized in place above
    const origin = url.origin;
    const originSlash = `${origin}/`;
    const path = url.pathname;
    const dir = path.slice(0, path.lastIndexOf("/") + 1);
    // The groups this page's hrefs fall in, looked up once per page rather than per link.
    const absolute = this.#group("");
    const scheme = url.protocol;
    const schemeRelative = this.#group(scheme);
    const absolutePath = this.#group(origin);
    const relative = this.#group(origin + dir);
    let whole: Map<string, string | null> | undefined;
    let self: string | null | undefined;
    const wholeGroup = () => (whole ??= this.#group(` ${base}`));
    return (raw) => {
      // The URL parser strips leading and trailing C0 controls and spaces, nothing else.
      const href =
        raw.length > 0 && (raw.charCodeAt(0) <= 32 || raw.charCodeAt(raw.length - 1) <= 32)
          ? trimC0(raw)
          : raw;
      const first = href.charCodeAt(0);
      // The page itself: "#top", "" (a fragment never reaches the result).
      if (first === 35 /* # */ || href === "") return (self ??= this.#self(base));
      if (first === 63 /* ? */) return this.#resolve(wholeGroup(), href, base);
      // Plain paths (most links) resolve by concatenation: the result is what URL parsing
      // and normalization would give, without either. The fragment never matters to them;
      // anything else goes to the URL parser as written.
      const hash = href.indexOf("#");
      const bare = hash > 0 ? href.slice(0, hash) : href;
      if (first === 47 /* / */) {
        if (href.charCodeAt(1) === 47) {
          // "//host/path": the page's scheme, then as an absolute link to another site.
          const absolute = scheme + bare;
          return isPlainAbsolute(absolute) ? absolute : this.#resolve(schemeRelative, href, base);
        }
        if (isPlainPath(bare, 1)) return origin + bare;
        return this.#resolve(absolutePath, href, base);
      }
      if (SCHEME.test(href)) {
        if (bare.startsWith(originSlash) && isPlainPath(bare, originSlash.length)) {
          return bare;
        }
        if (isPlainAbsolute(bare)) return bare;
        // mailto:, javascript:, tel:, ftp:... never give an http(s) URL, whatever the base.
        if (!HTTP_SCHEME.test(href)) return null;
        // "http:x" without "//" is relative to a base of the same scheme: it depends on the page.
        return this.#resolve(ABSOLUTE.test(href) ? absolute : wholeGroup(), href, base);
      }
      const plain = plainRelative(bare, dir);
      return plain === undefined ? this.#resolve(relative, href, base) : origin + plain;
    };
  }

  /** The page's own URL, normalized with the options (one per page: not worth a cache entry). */
  #self(base: string): string | null {
    const parsed = URL.parse(base);
    return (parsed && normalizeParsedUrl(parsed, this.#options)) ?? null;
  }

  #resolve(group: Map<string, string | null>, href: string, base: string): string | null {
    let result = group.get(href);
    if (result === undefined) {
      const parsed = URL.parse(href, base);
      result = (parsed && normalizeParsedUrl(parsed, this.#options)) ?? null;
      if (++this.#size > this.#capacity) {
        // Simplest bound: forget everything; the next pages refill what they use.
        // This page's groups are detached then, and only live until it is done.
        this.#cache.clear();
        this.#size = 0;
      }
      group.set(href, result);
    }
    return result;
  }

  #group(key: string): Map<string, string | null> {
    let group = this.#cache.get(key);
    if (!group) {
      group = new Map();
      this.#cache.set(key, group);
    }
    return group;
  }
}
