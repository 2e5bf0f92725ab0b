/**
 * URL normalization for dedupe: the same page must always give the same key.
 *
 * The WHATWG URL parser already lower-cases the scheme and host, drops the
 * default port and resolves dot segments; on top of it this module drops the
 * fragment and an empty query, normalizes percent-encoding (upper-case hex,
 * unreserved characters decoded), and can strip tracking parameters and sort
 * the query.
 *
 * @module
 */

/** Options for {@linkcode normalizeUrl}. */
export interface NormalizeOptions {
  /**
   * Query parameter names to drop; a trailing `*` matches any suffix
   * (`utm_*`). Matching is case-sensitive, as servers see names.
   */
  stripParams?: readonly string[];
  /** Sort query parameters by name (stable, so repeated names keep their order). */
  sortQuery?: boolean;
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;
const HEX_DIGIT = /[0-9A-Fa-f]/;
/**
 * An escape {@linkcode normalizePercent} may rewrite: one with a lower-case
 * hex digit, or one of an unreserved character (a digit, a letter, `-`,
 * `.`, `_` or `~`). A part without one comes back as it is.
 */
const REWRITABLE =
  /%(?:[0-9A-Fa-f][a-f]|[a-f][0-9A-F]|3[0-9]|4[1-9A-F]|5[0-9AF]|6[1-9A-F]|7[0-9AE]|2[DE])/;

/**
 * Upper-cases percent-escapes and decodes the ones that encode unreserved
 * characters (RFC 3986 section 6.2.2.2), leaving every other byte as it is.
 * A hex digit is not decoded right after a stray `%` or `%` and a hex digit:
 * it would make a new escape there (`%3%61` is not `%3a`).
 */
function normalizePercent(part: string): string {
  // Most escapes are upper-case ones of reserved characters already (a query of encoded code on
  // Rust's documentation holds dozens): the rewrite would give each back, a call apiece.
  if (!part.includes("%") || !REWRITABLE.test(part)) return part;
  return part.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string, at: number) => {
    const char = String.fromCharCode(parseInt(hex, 16));
    const afterStray = part[at - 1] === "%" ||
      (part[at - 2] === "%" && HEX_DIGIT.test(part[at - 1]!));
    return UNRESERVED.test(char) && !(afterStray && HEX_DIGIT.test(char))
      ? char
      : `%${hex.toUpperCase()}`;
  });
}

function paramMatcher(patterns: readonly string[]): (name: string) => boolean {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const p of patterns) {
    if (p.endsWith("*")) prefixes.push(p.slice(0, -1));
    else exact.add(p);
  }
  return (name) => exact.has(name) || prefixes.some((prefix) => name.startsWith(prefix));
}

function decodeName(raw: string): string {
  const eq = raw.indexOf("=");
  const name = eq === -1 ? raw : raw.slice(0, eq);
  try {
    return decodeURIComponent(name.replaceAll("+", " "));
  } catch {
    return name;
  }
}

/**
 * Rewrites a query string (without `?`), keeping each parameter's raw bytes:
 * re-serializing through URLSearchParams would change `%20` to `+` and break
 * servers that tell them apart.
 */
function normalizeQuery(
  query: string,
  strip: ((name: string) => boolean) | undefined,
  sort: boolean,
): string {
  let params = query.split("&").filter((p) => p !== "");
  if (strip) params = params.filter((p) => !strip(decodeName(p)));
  if (sort) {
    params = params
      .map((p, i) => ({ p, i, name: decodeName(p) }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.i - b.i))
      .map((e) => e.p);
  }
  return params.join("&");
}

const matcherCache = new WeakMap<readonly string[], (name: string) => boolean>();

/**
 * Normalizes an http(s) URL for dedupe.
 *
 * @param input The URL, absolute or relative to `base`.
 * @param base The base to resolve a relative `input` against.
 * @param options Parameter stripping and query sorting.
 * @returns The normalized absolute URL, or `undefined` when `input` is not a
 * valid http or https URL.
 *
 * @example Usage
 * ```ts
 * import { normalizeUrl } from "./url.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   normalizeUrl("HTTP://Example.ORG:80/a/./b/../c?#top"),
 *   "http://example.org/a/c",
 * );
 * ```
 */
export function normalizeUrl(
  input: string | URL,
  base?: string | URL,
  options: NormalizeOptions = {},
): string | undefined {
  const url = typeof input === "string" ? URL.parse(input, base) : new URL(input);
  if (!url) return undefined;
  return normalizeParsedUrl(url, options);
}

/**
 * Normalizes an already parsed URL in place and returns its href; the
 * parser's hot path uses it to avoid parsing the same string twice.
 *
 * @param url A parsed URL; it is modified.
 * @param options Parameter stripping and query sorting.
 * @returns The normalized href, or `undefined` when it is not http(s).
 */
export function normalizeParsedUrl(url: URL, options: NormalizeOptions = {}): string | undefined {
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  // An empty fragment ("#") leaves `hash` empty but the "#" in the href: test the href.
  if (url.hash || url.href.endsWith("#")) url.hash = "";
  // Credentials never travel in URLs we record or follow; seeds' go in a header instead.
  if (url.username || url.password) {
    url.username = "";
    url.password = "";
  }
  const path = url.pathname;
  if (path.includes("%")) url.pathname = normalizePercent(path);
  const search = url.search;
  if (search.length <= 1) {
    // "?" alone (or nothing): an empty query is the same resource.
    if (url.href.endsWith("?")) url.search = "";
    return url.href;
  }
  let query = normalizePercent(search.slice(1));
  const strip = options.stripParams?.length ? cachedMatcher(options.stripParams) : undefined;
  if (strip || options.sortQuery) query = normalizeQuery(query, strip, options.sortQuery ?? false);
  // A query that ends up empty (every parameter stripped) is dropped; one that merely ends
  // in "?" (`?q=what?`) is kept as it is. The setter drops one leading "?": given the query
  // alone, it would eat a "?" the query starts with (`??a` would become `?a`).
  url.search = query === "" ? "" : `?${query}`;
  return url.href;
}

function cachedMatcher(patterns: readonly string[]): (name: string) => boolean {
  let matcher = matcherCache.get(patterns);
  if (!matcher) {
    matcher = paramMatcher(patterns);
    matcherCache.set(patterns, matcher);
  }
  return matcher;
}
