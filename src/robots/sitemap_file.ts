/**
 * One sitemap file (sitemaps.org): reading its body, plain or
 * gzip-compressed, under the protocol's size cap, and parsing its `urlset`
 * or `sitemapindex` XML leniently.
 *
 * @module
 */

import { Parser } from "htmlparser2";
import { BodyDecodeError, BodyTooLargeError, concatBytes } from "../http/body.ts";
import { checkInteger } from "../validate/integer.ts";

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

/**
 * The deepest element read. A sitemap needs 3 levels, extensions a few more;
 * htmlparser2 spends time proportional to the depth on every tag, so deeper
 * nesting (a hostile file) ends the parse instead of making it quadratic.
 */
const MAX_DEPTH = 32;

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
 * `<image:loc>` is never taken for the page. Reading ends with the first
 * root element, or at an element nested deeper than 32 levels.
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
  const maxEntries = checkInteger(
    "parse sitemap",
    "maxEntries",
    options.maxEntries ?? SITEMAP_MAX_ENTRIES,
  );
  const result: ParsedSitemap = { kind: "unknown", entries: [], truncated: false, root: null };
  // One streaming pass (htmlparser2 in XML mode), no tree: a 50 MiB sitemap costs its entries,
  // not a DOM many times its size, and reading stops at the entry cap.
  let depth = 0;
  let rootPrefix = "";
  let entryName = "";
  let done = false;
  let inEntry = false;
  let field: "loc" | "lastmod" | undefined;
  let fieldDepth = 0;
  let text = "";
  let loc: string | undefined;
  let lastmod: string | undefined;
  // Children share the root's prefix; unprefixed ones are accepted too, as
  // some generators only prefix the root. Other prefixes are extensions.
  const named = (tag: string, local: string) => {
    const { prefix, local: name } = splitName(tag);
    return name === local && (prefix === rootPrefix || prefix === "");
  };
  const stop = () => {
    done = true;
    parser.pause();
  };
  const parser = new Parser({
    onopentag(tag) {
      depth++;
      if (done) return;
      if (depth > MAX_DEPTH) stop();
      else if (depth === 1) {
        result.root = tag;
        const { prefix, local } = splitName(tag);
        rootPrefix = prefix;
        if (local === "urlset" || local === "sitemapindex") {
          result.kind = local;
          entryName = local === "urlset" ? "url" : "sitemap";
        } else stop();
      } else if (depth === 2 && named(tag, entryName)) {
        inEntry = true;
        loc = lastmod = undefined;
      } else if (depth === 3 && inEntry && field === undefined) {
        // The first <loc> and the first <lastmod> of an entry count, nested text included.
        if (named(tag, "loc") && loc === undefined) field = "loc";
        else if (named(tag, "lastmod") && lastmod === undefined) field = "lastmod";
        fieldDepth = depth;
        text = "";
      }
    },
    ontext(data) {
      if (field !== undefined) text += data;
    },
    onclosetag() {
      if (field !== undefined && depth === fieldDepth) {
        const value = text.trim();
        if (field === "loc") loc = value;
        else lastmod = value === "" ? undefined : value;
        field = undefined;
      } else if (depth === 2 && inEntry) {
        inEntry = false;
        const url = URL.parse(loc ?? "");
        if (url !== null && (url.protocol === "http:" || url.protocol === "https:")) {
          if (result.entries.length === maxEntries) {
            result.truncated = true;
            stop();
          } else {
            result.entries.push(
              lastmod === undefined ? { loc: url.href } : { loc: url.href, lastmod },
            );
          }
        }
      }
      depth--;
      // XML has one root: a second top-level element must not change the kind.
      if (depth === 0) stop();
    },
  }, { xmlMode: true, decodeEntities: true });
  // One write, stopped by `pause()` once done: written in slices, htmlparser2 (10.1) takes
  // the text of a tag left open at the end from the wrong slice.
  parser.write(xml);
  if (!done) parser.end();
  return result;
}

/**
 * Thrown by {@linkcode readSitemapBody} when the decompressed body passes the
 * cap. A {@linkcode BodyTooLargeError}, so a request reading a sitemap ends
 * `too_large` with this message.
 *
 * @example Usage
 * ```ts
 * import { SitemapTooLargeError } from "./sitemap_file.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new SitemapTooLargeError(1024);
 * assert.equal(error.message, "Cannot read sitemap as it exceeds 1024 bytes uncompressed");
 * assert.equal(error.maxBytes, 1024);
 * ```
 */
export class SitemapTooLargeError extends BodyTooLargeError {
  /** The cap that was passed, in bytes (the same as `limit`). */
  readonly maxBytes: number;

  /**
   * Creates the error for a cap.
   *
   * @param maxBytes The cap that was passed, in bytes.
   */
  constructor(maxBytes: number) {
    super(maxBytes, `Cannot read sitemap as it exceeds ${maxBytes} bytes uncompressed`);
    this.name = "SitemapTooLargeError";
    this.maxBytes = maxBytes;
  }
}

/**
 * Thrown by {@linkcode readSitemapBody} when the gzip data is invalid. A
 * {@linkcode BodyDecodeError} (so a `TypeError`), so a request reading a
 * sitemap ends `decode` with this message.
 *
 * @example Usage
 * ```ts
 * import { InvalidGzipError } from "./sitemap_file.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(new InvalidGzipError("Cannot read sitemap as its gzip data is invalid") instanceof TypeError);
 * ```
 */
export class InvalidGzipError extends BodyDecodeError {
  /**
   * Creates the error.
   *
   * @param message One line for humans.
   * @param options The underlying error, as `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidGzipError";
  }
}

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
 * @throws {InvalidGzipError} If the gzip data is invalid.
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
  const maxBytes = checkInteger("read sitemap", "maxBytes", options.maxBytes ?? SITEMAP_MAX_BYTES);
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
        { cause: error },
      );
    }
    throw error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  return concatBytes(chunks, total) as Bytes;
}
