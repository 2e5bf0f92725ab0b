/**
 * The CDXJ index replay tools read (pywb, warcio's `cdx-index`): one line
 * per `response` or `revisit` record, `SURT TIMESTAMP {json}`, sorted. The
 * fields and the SURT form are warcio's, so the two indexes of one file
 * agree line for line.
 *
 * @module
 */

/** What the index says of one record. */
export interface CdxEntry {
  /** The record's `WARC-Target-URI`. */
  url: string;
  /** Its `WARC-Date`. */
  date: string;
  /** The media type (without parameters), or `warc/revisit`. */
  mime: string | null;
  /** The HTTP status. */
  status: number;
  /** The payload digest, without its `sha1:` label. */
  digest: string;
  /** The gzip member's length in the file. */
  length: number;
  /** The gzip member's offset in the file. */
  offset: number;
  /** The WARC file's name (no folder). */
  filename: string;
  /** The request's method when it was not `GET` (a link check's `HEAD`). */
  method?: string;
}

/**
 * A URL in SURT form as warcio writes it: lower case, a leading `www.`
 * dropped, host labels reversed, `)` before the path, query sorted.
 *
 * @param url An absolute URL.
 * @returns The SURT key.
 *
 * @example Usage
 * ```ts
 * import { surt } from "./cdxj.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(surt("https://www.Example.org:8080/A?b=2&a=1"), "org,example:8080)/a?a=1&b=2");
 * ```
 */
export function surt(url: string): string {
  if (!/^https?:/.test(url)) return url;
  const parsed = URL.parse(url.replace(/^(https?:\/\/)www\d*\./, "$1").toLowerCase());
  if (parsed === null) return url;
  let key = parsed.hostname.split(".").reverse().join(",");
  if (parsed.port) key += `:${parsed.port}`;
  key += `)${parsed.pathname}`;
  if (parsed.search) key += `?${parsed.search.slice(1).split("&").sort().join("&")}`;
  return key;
}

/**
 * One index line.
 *
 * @param entry The record's place and summary.
 * @returns `SURT TIMESTAMP {json}`, without the line break.
 *
 * @example Usage
 * ```ts
 * import { cdxjLine } from "./cdxj.ts";
 * import assert from "node:assert/strict";
 *
 * const line = cdxjLine({
 *   url: "https://a.test/", date: "2026-01-02T03:04:05.678Z", mime: "text/html", status: 200,
 *   digest: "AAAA", length: 10, offset: 0, filename: "x.warc.gz",
 * });
 * assert.match(line, /^test,a\)\/ 20260102030405 \{"url":"https:\/\/a.test\/"/);
 * ```
 */
export function cdxjLine(entry: CdxEntry): string {
  const json: Record<string, unknown> = { url: entry.url };
  // A capture of another method is keyed apart, as pywb and warcio key it, so replaying a GET
  // never answers with a HEAD's empty capture.
  let key = entry.url;
  if (entry.method !== undefined && entry.method !== "GET") {
    const method = `__wb_method=${entry.method.toLowerCase()}&__wb_post_data=`;
    key += `${key.includes("?") ? "&" : "?"}${method}`;
  }
  if (entry.mime) json.mime = entry.mime;
  json.status = String(entry.status);
  json.digest = entry.digest;
  json.length = String(entry.length);
  json.offset = String(entry.offset);
  json.filename = entry.filename;
  if (key !== entry.url) {
    json.method = entry.method;
    json.requestBody = "__wb_post_data=";
  }
  const timestamp = entry.date.replace(/[-:T]/g, "").slice(0, 14);
  return `${surt(key)} ${timestamp} ${JSON.stringify(json)}`;
}

/**
 * Sorts index lines as replay tools binary-search them (by bytes, as
 * `LC_ALL=C sort` does).
 *
 * @param lines The lines.
 * @returns The text of the sorted index, one line each.
 *
 * @example Usage
 * ```ts
 * import { sortedIndex } from "./cdxj.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sortedIndex(["b 2 {}", "a 1 {}"]), "a 1 {}\nb 2 {}\n");
 * ```
 */
export function sortedIndex(lines: string[]): string {
  const sorted = [...lines].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted.length === 0 ? "" : `${sorted.join("\n")}\n`;
}
