/**
 * The output record's zod schema, for reading records back.
 *
 * @module
 */

import { z } from "zod";
import { CHECK_KINDS, type CrawlRecord, ERROR_CODES, LINK_TAGS } from "./record.ts";

/**
 * The zod schema of a record: {@linkcode CrawlRecord} as data, for checking
 * records read back (tests check every record a crawl writes against it).
 * The type check at the end of this module fails when the two drift apart.
 * It lives apart from `record.ts` so that a crawl, which only writes records,
 * does not build it at start-up.
 *
 * @example Usage
 * ```ts
 * import { CrawlRecordSchema } from "./record_schema.ts";
 * import assert from "node:assert/strict";
 *
 * const line = '{"url":"https://a.test/","requestedUrl":"https://a.test/","status":200,' +
 *   '"depth":0,"parent":null,"fetchedAt":"2026-12-03T00:00:00.000Z","contentType":"text/html",' +
 *   '"bytes":5,"durationMs":1,"attempts":1,"title":null,"description":null,"canonical":null,' +
 *   '"h1":[],"links":[]}';
 * assert.equal(CrawlRecordSchema.parse(JSON.parse(line)).status, 200);
 * assert.equal(CrawlRecordSchema.safeParse({ url: "https://a.test/" }).success, false);
 * ```
 */
export const CrawlRecordSchema = z.object({
  /** The final URL, after redirects. */
  url: z.string(),
  /** The URL as queued (normalized). */
  requestedUrl: z.string(),
  /** The HTTP status, or `null` when no response came. */
  status: z.number().int().nullable(),
  /** Links followed from a seed (seeds are 0). */
  depth: z.number().int().nonnegative(),
  /** The page this URL was found on, or `null` for a seed. */
  parent: z.string().nullable(),
  /** When the fetch started, ISO 8601. */
  fetchedAt: z.string(),
  /** The response's media type without parameters, or `null`. */
  contentType: z.string().nullable(),
  /** Body bytes received (after decompression). */
  bytes: z.number().int().nonnegative(),
  /** From request start to the end of the body, in milliseconds. */
  durationMs: z.number().nonnegative(),
  /** Fetch attempts made (1 unless retried). */
  attempts: z.number().int().positive(),
  /** `<title>` text, trimmed; `null` when absent or not HTML. */
  title: z.string().nullable(),
  /** `<meta name=description>` content. */
  description: z.string().nullable(),
  /** `<link rel=canonical>` href, absolute. */
  canonical: z.string().nullable(),
  /** Text of every `<h1>`, trimmed. */
  h1: z.array(z.string()),
  /** Every http(s) link on the page, absolute, without fragment, deduplicated. */
  links: z.array(z.string()),
  /**
   * With link checking: every link and resource reference on the page, one
   * per distinct target, fragment, tag and text.
   */
  refs: z.array(z.object({
    url: z.string(),
    tag: z.enum(LINK_TAGS),
    text: z.string().optional(),
    fragment: z.string().optional(),
  })).optional(),
  /** With `--check fragments`: the fragments the page defines (element ids, `<a name>`). */
  anchors: z.array(z.string()).optional(),
  /** Set when the URL was only checked, not crawled: a page's `asset`, or an `external` link. */
  check: z.enum(CHECK_KINDS).optional(),
  /** Fields extracted by the matching `--extract` rule and the extract hook. */
  data: z.record(z.string(), z.unknown()).optional(),
  /** Fields missing although required, or failing their type. */
  dataErrors: z.array(z.object({ field: z.string(), error: z.string() })).optional(),
  /** The `<lastmod>` of the sitemap entry the URL came from. */
  lastmod: z.string().optional(),
  /** The response's ETag, kept to revalidate on a recrawl. */
  etag: z.string().optional(),
  /** The response's Last-Modified, kept to revalidate on a recrawl. */
  lastModified: z.string().optional(),
  /**
   * True when a recrawl found the page as it was: a 304 Not Modified (not
   * re-parsed), or the same status and content fingerprint as last time.
   */
  unchanged: z.boolean().optional(),
  /**
   * A fingerprint of the body as received (`sha256:` and 32 hex digits) or,
   * for a body not read, of its declared length (`length:N`). Kept by
   * durable crawls to tell unchanged pages by content.
   */
  contentHash: z.string().optional(),
  /** Redirect hops from `requestedUrl` to `url`, when there were any. */
  redirects: z.array(z.object({ url: z.string(), status: z.number().int() })).optional(),
  /** True when the page was rendered in headless Chromium (`--render`, `--render-match`). */
  rendered: z.boolean().optional(),
  /**
   * Requests a rendered page's scripts or markup made that the crawler
   * refused (a blocked address, a host Deno may not reach), with the reason.
   */
  blockedRequests: z.array(z.object({ url: z.string(), error: z.enum(ERROR_CODES) })).optional(),
  /** The short error code when the URL failed. */
  error: z.enum(ERROR_CODES).optional(),
  /** A human-readable detail for `error`. */
  errorMessage: z.string().optional(),
});

/** True when two types are identical. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;
// Fails type checking when the interface and the schema drift apart.
const _recordMatchesSchema: Equal<CrawlRecord, z.output<typeof CrawlRecordSchema>> = true;
