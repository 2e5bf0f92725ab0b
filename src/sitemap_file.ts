/**
 * One sitemap file (sitemaps.org): reading its body, plain or
 * gzip-compressed, under the protocol's size cap, and parsing its `urlset`
 * or `sitemapindex` XML leniently.
 *
 * @module
 */

import * as cheerio from "cheerio";
import { concatBytes } from "./read_body.ts";

/** The protocol's most URLs in one sitemap file. */
export const SITEMAP_MAX_ENTRIES = 50_000;
/** The protocol's largest sitemap file, uncompressed: 50 MiB. */
export const SITEMAP_MAX_BYTES = 50 * 1024 * 1024;

/** What a sitemap file's root element says it is. */
export type SitemapKind = "urlset" | "sitemapindex" | "unknown";

/** One `<url>` or `<sitemap>` entry. */
export interface SitemapEntry {
  /** The absolute http(s) URL from `<loc>`, serialized by the URL parser. */
  loc: string;
  /** `<lastmod>` as written, trimmed; absent when empty or missing. */
  lastmod?: string;
}

/** The result of {@linkcode parseSitemap}. */
export interface ParsedSitemap {
  /** The root element's kind. */
  kind: SitemapKind;
  /** The kept entries, in document order. */
  entries: SitemapEntry[];
  /** Whether entries past `maxEntries` were dropped. */
  truncated: boolean;
  /** The root element's name (`null` when there is none), for error messages. */
  root: string | null;
}

/** Options for {@linkcode parseSitemap}. */
export interface ParseSitemapOptions {
  /** Most entries kept. Default {@linkcode SITEMAP_MAX_ENTRIES}. */
  maxEntries?: number;
}

type Bytes = Uint8Array<ArrayBuffer>;

type XmlElement = ReturnType<ReturnType<cheerio.CheerioAPI["root"]>["children"]>[number];

/**
 * Checks a limit: an integer of at least `least` (1 by default, 0 makes it
 * "non-negative").
 *
 * @param what What cannot be done otherwise, e.g. `read sitemap`.
 * @param name The option's name.
 * @param value Its value.
 * @param least The smallest value allowed.
 * @returns `value`.
 * @throws {RangeError} If `value` is not an integer of at least `least`.
 *
 * @example Usage
 * ```ts
 * import { positiveInteger } from "./sitemap_file.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(positiveInteger("read sitemap", "maxBytes", 1024), 1024);
 * assert.throws(
 *   () => positiveInteger("read sitemap", "maxBytes", 0),
 *   new RangeError("Cannot read sitemap as 'maxBytes' must be a positive integer: received 0"),
 * );
 * ```
 */
export function positiveInteger(what: string, name: string, value: number, least = 1): number {
  if (!Number.isInteger(value) || value < least) {
    const kind = least === 0 ? "non-negative" : "positive";
    throw new RangeError(
      `Cannot ${what} as '${name}' must be a ${kind} integer: received ${value}`,
    );
  }
  return value;
}

function splitName(tagName: string): { prefix: string; local: string } {
  const colon = tagName.indexOf(":");
  return {
    prefix: colon === -1 ? "" : tagName.slice(0, colon),
    local: tagName.slice(colon + 1).toLowerCase(),
  };
}

/**
 * Parses a sitemap leniently: any namespace prefix on the root, tag names in
 * any case, whitespace trimmed, XML entities and CDATA decoded. Entries
 * without a `<loc>` or whose `<loc>` is not an absolute http(s) URL are
 * skipped. Only direct `<loc>` children count, so an extension's nested
 * `<image:loc>` is never taken for the page.
 *
 * @param xml The document text.
 * @param options The entry limit.
 * @returns The kind, the entries and whether the limit cut them.
 * @throws {RangeError} If `maxEntries` is not a positive integer.
 *
 * @example Usage
 * ```ts
 * import { parseSitemap } from "./sitemap_file.ts";
 * import assert from "node:assert/strict";
 *
 * const parsed = parseSitemap(
 *   `<urlset><url><loc> https://example.org/a?x=1&amp;y=2 </loc><lastmod>2024-05-01</lastmod></url></urlset>`,
 * );
 * assert.equal(parsed.kind, "urlset");
 * assert.deepEqual(parsed.entries, [{ loc: "https://example.org/a?x=1&y=2", lastmod: "2024-05-01" }]);
 * ```
 */
export function parseSitemap(xml: string, options: ParseSitemapOptions = {}): ParsedSitemap {
  const maxEntries = positiveInteger(
    "parse sitemap",
    "maxEntries",
    options.maxEntries ?? SITEMAP_MAX_ENTRIES,
  );
  const $ = cheerio.load(xml, { xml: true });
  const root: XmlElement | undefined = $.root().children().toArray()[0];
  const result: ParsedSitemap = { kind: "unknown", entries: [], truncated: false, root: null };
  if (!root) return result;
  result.root = root.tagName;
  const { prefix: rootPrefix, local: rootLocal } = splitName(root.tagName);
  if (rootLocal !== "urlset" && rootLocal !== "sitemapindex") return result;
  result.kind = rootLocal;
  // Children share the root's prefix; unprefixed ones are accepted too, as
  // some generators only prefix the root. Other prefixes are extensions.
  const named = (el: XmlElement, local: string) => {
    const { prefix, local: name } = splitName(el.tagName);
    return name === local && (prefix === rootPrefix || prefix === "");
  };
  const childText = (el: XmlElement, local: string): string | undefined => {
    const child = $(el).children().toArray().find((c) => named(c, local));
    const text = child === undefined ? "" : $(child).text().trim();
    return text === "" ? undefined : text;
  };
  const entryName = rootLocal === "urlset" ? "url" : "sitemap";
  for (const el of $(root).children().toArray()) {
    if (!named(el, entryName)) continue;
    const loc = URL.parse(childText(el, "loc") ?? "");
    if (loc === null || (loc.protocol !== "http:" && loc.protocol !== "https:")) continue;
    if (result.entries.length === maxEntries) {
      result.truncated = true;
      break;
    }
    const lastmod = childText(el, "lastmod");
    result.entries.push(lastmod === undefined ? { loc: loc.href } : { loc: loc.href, lastmod });
  }
  return result;
}

/** Thrown by {@linkcode readSitemapBody} when the decompressed body passes the cap. */
export class SitemapTooLargeError extends Error {
  /** The cap that was passed, in bytes. */
  readonly maxBytes: number;

  /**
   * Creates the error for a cap.
   *
   * @param maxBytes The cap that was passed, in bytes.
   */
  constructor(maxBytes: number) {
    super(`Cannot read sitemap as it exceeds ${maxBytes} bytes uncompressed`);
    this.name = "SitemapTooLargeError";
    this.maxBytes = maxBytes;
  }
}

/** Thrown by {@linkcode readSitemapBody} when the gzip data is invalid. */
export class InvalidGzipError extends TypeError {}

/** Options for {@linkcode readSitemapBody}. */
export interface ReadSitemapBodyOptions {
  /** Most bytes read, counted after decompression. Default {@linkcode SITEMAP_MAX_BYTES}. */
  maxBytes?: number;
  /** Aborting it cancels the body; the read rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * Deno's DecompressionStream inflates a whole input chunk in one go (64 KiB
 * of zeros becomes a 64 MiB chunk), so compressed input is fed in slices this
 * small: deflate expands at most ~1032:1, so no output chunk passes ~1 MiB.
 */
const GZIP_SLICE_BYTES = 1024;

/** Re-streams `prefix` then the rest of `reader`, in pieces of at most `slice` bytes, on demand. */
function resliced(
  reader: ReadableStreamDefaultReader<Bytes>,
  prefix: Bytes,
  slice: number,
  onSourceError: () => void,
): ReadableStream<Bytes> {
  let pending = prefix;
  return new ReadableStream<Bytes>({
    async pull(controller) {
      while (pending.byteLength === 0) {
        let next: ReadableStreamReadResult<Bytes>;
        try {
          next = await reader.read();
        } catch (error) {
          onSourceError();
          throw error;
        }
        if (next.done) return controller.close();
        pending = next.value;
      }
      controller.enqueue(pending.subarray(0, slice));
      pending = pending.subarray(slice);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}

/**
 * Reads a sitemap response's body, gunzipping it when it starts with the gzip
 * magic bytes (`1f 8b`). The bytes decide, not the `.gz` name: when the server
 * sent `Content-Encoding: gzip`, fetch has already inflated them. The cap
 * counts decompressed bytes and the streams are cancelled as soon as it is
 * passed, so a gzip bomb costs at most the cap plus one ~1 MiB chunk.
 *
 * @param response The response whose body to read.
 * @param options The byte cap and a signal.
 * @returns The (decompressed) body.
 * @throws {SitemapTooLargeError} If the body passes `maxBytes`.
 * @throws {TypeError} If the gzip data is invalid.
 * @throws {RangeError} If `maxBytes` is not a positive integer.
 *
 * @example Usage
 * ```ts
 * import { readSitemapBody } from "./sitemap_file.ts";
 * import assert from "node:assert/strict";
 *
 * const gzipped = new Blob(["<urlset/>"]).stream().pipeThrough(new CompressionStream("gzip"));
 * const body = await readSitemapBody(new Response(gzipped), { maxBytes: 1024 });
 * assert.equal(new TextDecoder().decode(body), "<urlset/>");
 * ```
 */
export async function readSitemapBody(
  response: Response,
  options: ReadSitemapBodyOptions = {},
): Promise<Bytes> {
  const maxBytes = positiveInteger(
    "read sitemap",
    "maxBytes",
    options.maxBytes ?? SITEMAP_MAX_BYTES,
  );
  const { signal } = options;
  if (response.body === null) return new Uint8Array();
  const source = response.body.getReader();
  let reader: ReadableStreamDefaultReader<Bytes> = source;
  const onAbort = () => void reader.cancel(signal!.reason).catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  let gzip = false;
  let sourceFailed = false;
  const chunks: Bytes[] = [];
  let total = 0;
  try {
    signal?.throwIfAborted();
    // Gather the two magic bytes, however the first chunks are split.
    let head: Bytes = new Uint8Array();
    while (head.byteLength < 2) {
      const { done, value } = await source.read();
      if (done) break;
      head = head.byteLength === 0
        ? value
        : concatBytes([head, value], head.byteLength + value.byteLength) as Bytes;
    }
    gzip = head[0] === 0x1f && head[1] === 0x8b;
    if (gzip) {
      const markFailed = () => void (sourceFailed = true);
      reader = resliced(source, head, GZIP_SLICE_BYTES, markFailed)
        .pipeThrough(new DecompressionStream("gzip"))
        .getReader();
    } else if (head.byteLength > 0) {
      chunks.push(head);
      total = head.byteLength;
    }
    while (total <= maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.byteLength;
    }
    signal?.throwIfAborted();
    if (total > maxBytes) throw new SitemapTooLargeError(maxBytes);
  } catch (error) {
    // Cancelling stops the download (and, through the pipe, the inflating).
    await reader.cancel(error).catch(() => {});
    if (signal?.aborted) throw signal.reason;
    if (gzip && !sourceFailed && error instanceof TypeError) {
      throw new InvalidGzipError(
        `Cannot read sitemap as its gzip data is invalid: ${error.message}`,
      );
    }
    throw error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  return concatBytes(chunks, total) as Bytes;
}
