/**
 * robots.txt rules per RFC 9309: parsing, group selection by product token,
 * and longest-match rules with `*` and `$`.
 *
 * Written here rather than taken from npm `robots-parser` 3.0.1, which drops
 * lines without a colon, does not decode percent-escaped unreserved
 * characters, leaves relative sitemap URLs relative, has no size cap and does
 * not implicitly allow `/robots.txt`.
 *
 * @module
 */

/** The most bytes of a robots.txt considered (500 KiB); the rest is ignored. */
export const ROBOTS_MAX_BYTES = 512_000;

/** The rules of one robots.txt for one crawler. */
export interface Robots {
  /**
   * Whether the crawler may fetch a URL. Only the path and query count: the
   * caller checks that the URL is on the origin the robots.txt came from.
   *
   * @param url An absolute URL.
   * @returns `false` if the longest matching rule is a `Disallow`, else `true`.
   * @throws {TypeError} If `url` is not an absolute URL.
   */
  isAllowed(url: string | URL): boolean;
  /** The selected group's `Crawl-delay` in ms, if it set a valid one. */
  readonly crawlDelayMs: number | undefined;
  /** Every `Sitemap:` URL in the file, whatever the group, absolute and deduplicated. */
  readonly sitemaps: readonly string[];
}

/** Options for {@linkcode parseRobots}. */
export interface ParseRobotsOptions {
  /** The robots.txt URL, to resolve relative `Sitemap:` URLs; without it they are dropped. */
  baseUrl?: string | URL;
}

interface Rule {
  /** Normalized: `*` is a wildcard, a final `$` the end anchor, all else literal. */
  pattern: string;
  allow: boolean;
}

interface Group {
  specific: boolean;
  global: boolean;
  rules: Rule[];
  crawlDelayMs?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder(); // Replaces invalid UTF-8 rather than throwing.
const HEX = "0123456789ABCDEF";
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
const TOKEN = /^[A-Za-z_-]+/;
// Characters the URL parser escapes in some URL parts but not others: always
// escaped here, on both sides, so a raw pattern matches an escaped URL.
const ALWAYS_ESCAPED = new Set(['"', "'", "<", ">", "`", "{", "}"]);

/**
 * Brings a pattern or a URL path to one form (RFC 9309 section 2.2.2):
 * escapes of unreserved characters decoded, other escapes upper-cased,
 * non-ASCII and unsafe ASCII UTF-8 percent-encoded. In a URL `*` and `$` are
 * data, so they are escaped; in a pattern only `$` (the caller strips a final
 * anchor first).
 */
function normalize(text: string, isUrl: boolean): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    const code = char.charCodeAt(0);
    const hex = text.slice(i + 1, i + 3);
    if (char === "%" && /^[0-9a-fA-F]{2}$/.test(hex)) {
      const decoded = String.fromCharCode(parseInt(hex, 16));
      out += UNRESERVED.test(decoded) ? decoded : `%${hex.toUpperCase()}`;
      i += 2;
    } else if (
      code <= 0x20 || code >= 0x7f || ALWAYS_ESCAPED.has(char) || char === "$" ||
      (isUrl && char === "*")
    ) {
      const point = String.fromCodePoint(text.codePointAt(i)!);
      i += point.length - 1;
      for (const byte of encoder.encode(point)) out += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
    } else {
      out += char;
    }
  }
  return out;
}

function normalizePattern(value: string): string {
  const anchored = value.endsWith("$");
  return normalize(anchored ? value.slice(0, -1) : value, false) + (anchored ? "$" : "");
}

/**
 * Whether a path matches a normalized rule pattern (`*` any run of octets, a final `$` the end).
 * The parts between wildcards are found left to right with `indexOf`: with `*` as the only
 * wildcard, the leftmost place for each part is never worse than a later one, so the scan is
 * linear in the path for each part, and a hostile pattern (`/*a*a*a...`) costs no more than it.
 */
function matches(path: string, pattern: string): boolean {
  const anchored = pattern.endsWith("$");
  const body = anchored ? pattern.slice(0, -1) : pattern;
  if (!body.includes("*")) return anchored ? path === body : path.startsWith(body);
  const parts = body.split("*");
  const first = parts[0]!;
  if (!path.startsWith(first)) return false;
  let at = first.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i]!;
    if (part === "") continue;
    const found = path.indexOf(part, at);
    if (found === -1) return false;
    at = found + part.length;
  }
  const last = parts[parts.length - 1]!;
  if (anchored) return path.length - last.length >= at && path.endsWith(last);
  return last === "" || path.indexOf(last, at) !== -1;
}

class RobotsRules implements Robots {
  readonly #rules: readonly Rule[];
  readonly crawlDelayMs: number | undefined;
  readonly sitemaps: readonly string[];

  constructor(rules: readonly Rule[], crawlDelayMs?: number, sitemaps: readonly string[] = []) {
    this.#rules = rules;
    this.crawlDelayMs = crawlDelayMs;
    this.sitemaps = sitemaps;
  }

  isAllowed(url: string | URL): boolean {
    const parsed = typeof url === "string" ? URL.parse(url) : url;
    if (!parsed) {
      throw new TypeError(
        `Cannot check robots.txt rules as 'url' must be an absolute URL: received ${url}`,
      );
    }
    // RFC 9309 section 2.2.2: the robots.txt URI is implicitly allowed.
    if (parsed.pathname === "/robots.txt") return true;
    const path = normalize(parsed.pathname + parsed.search, true);
    let best: Rule | undefined;
    for (const rule of this.#rules) {
      const longer = !best || rule.pattern.length > best.pattern.length;
      const tieToAllow = best && rule.pattern.length === best.pattern.length && rule.allow;
      if ((longer || tieToAllow) && matches(path, rule.pattern)) best = rule;
    }
    return best?.allow ?? true;
  }
}

/**
 * The RFC 9309 product token of a User-Agent: its leading run of letters,
 * `-` and `_`.
 *
 * @param userAgent The crawler's User-Agent header.
 * @returns The token as written, or `""` when the header does not start with one.
 *
 * @example Usage
 * ```ts
 * import { productToken } from "./rules.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(productToken("deno-crawler/0.1 (+https://example.org/bot)"), "deno-crawler");
 * ```
 */
export function productToken(userAgent: string): string {
  return TOKEN.exec(userAgent.trim())?.[0] ?? "";
}

/** The first 500 KiB as text; a line cut by the limit is dropped, not read as a shorter rule. */
function limitedText(body: string | Uint8Array): string {
  // A leading BOM needs no care: TextDecoder drops it, and so does trim() on the first line.
  if (typeof body === "string" && body.length * 3 <= ROBOTS_MAX_BYTES) return body;
  let bytes = typeof body === "string" ? encoder.encode(body) : body;
  if (bytes.byteLength > ROBOTS_MAX_BYTES) {
    bytes = bytes.subarray(0, ROBOTS_MAX_BYTES);
    bytes = bytes.subarray(0, Math.max(bytes.lastIndexOf(0x0a), bytes.lastIndexOf(0x0d)) + 1);
  }
  return decoder.decode(bytes);
}

/** Splits `key: value`, or Google's `key value` when the colon was forgotten. */
function keyValue(line: string): [string, string] | undefined {
  const colon = line.indexOf(":");
  if (colon !== -1) {
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
  }
  const parts = line.split(/[ \t]+/);
  return parts.length === 2 ? [parts[0]!.toLowerCase(), parts[1]!] : undefined;
}

/**
 * Parses a robots.txt and selects the rules for one crawler: the groups
 * whose `User-agent` matches its product token (case-insensitively), merged,
 * or else the `*` groups, merged; with no such group everything is allowed.
 * Merged groups keep the largest `Crawl-delay`. Only the first
 * {@linkcode ROBOTS_MAX_BYTES} bytes count.
 *
 * @param body The file, as text or as the bytes served (UTF-8).
 * @param userAgent The crawler's User-Agent; only its product token is used.
 * @param options The robots.txt URL, for relative sitemap URLs.
 * @returns The selected rules, crawl delay and sitemaps.
 *
 * @example Usage
 * ```ts
 * import { parseRobots } from "./rules.ts";
 * import assert from "node:assert/strict";
 *
 * const robots = parseRobots("User-agent: *\nDisallow: /private\nAllow: /private/ok", "bot/1.0");
 * assert.equal(robots.isAllowed("https://example.org/private/x"), false);
 * assert.equal(robots.isAllowed("https://example.org/private/ok"), true);
 * ```
 */
export function parseRobots(
  body: string | Uint8Array,
  userAgent: string,
  options: ParseRobotsOptions = {},
): Robots {
  const token = productToken(userAgent).toLowerCase();
  const groups: Group[] = [];
  const sitemaps = new Set<string>();
  let group: Group | undefined;
  // Consecutive User-agent lines share one group; a rule or Crawl-delay line closes the list.
  let inAgents = false;
  for (const raw of limitedText(body).split(/\r\n|\r|\n/)) {
    const hash = raw.indexOf("#");
    const line = (hash === -1 ? raw : raw.slice(0, hash)).trim();
    const pair = line === "" ? undefined : keyValue(line);
    if (!pair) continue;
    const [key, value] = pair;
    if (key === "user-agent") {
      if (!inAgents || !group) {
        group = { specific: false, global: false, rules: [] };
        groups.push(group);
      }
      inAgents = true;
      if (/^\*(\s|$)/.test(value)) group.global = true;
      else if (token !== "" && TOKEN.exec(value)?.[0].toLowerCase() === token) {
        group.specific = true;
      }
    } else if ((key === "allow" || key === "disallow") && group) {
      inAgents = false;
      // An empty value is no rule: `Disallow:` disallows nothing.
      if (value !== "") {
        group.rules.push({ pattern: normalizePattern(value), allow: key === "allow" });
      }
    } else if (key === "crawl-delay" && group) {
      // A group member like a rule, so it too closes the User-agent list.
      inAgents = false;
      if (!/^(\d+\.?\d*|\.\d+)$/.test(value)) continue;
      group.crawlDelayMs = Math.max(group.crawlDelayMs ?? 0, Math.round(Number(value) * 1000));
    } else if (key === "sitemap") {
      const url = URL.parse(value, options.baseUrl);
      if (url && (url.protocol === "http:" || url.protocol === "https:")) sitemaps.add(url.href);
    }
  }
  const anySpecific = groups.some((g) => g.specific);
  const selected = groups.filter((g) => anySpecific ? g.specific : g.global);
  const delays = selected.flatMap((g) => g.crawlDelayMs === undefined ? [] : [g.crawlDelayMs]);
  return new RobotsRules(
    selected.flatMap((g) => g.rules),
    delays.length === 0 ? undefined : Math.max(...delays),
    [...sitemaps],
  );
}

/** Rules that allow everything (no robots.txt, or a 4xx). */
export const ALLOW_ALL: Robots = new RobotsRules([]);
/** Rules that disallow everything (robots.txt unreachable). */
export const DISALLOW_ALL: Robots = new RobotsRules([{ pattern: "/", allow: false }]);
