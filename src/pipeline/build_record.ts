/**
 * Turning a fetched (and maybe parsed) URL into its output record.
 *
 * @module
 */

import type { FetchedPage } from "../http/request.ts";
import type { FrontierEntry } from "../frontier/types.ts";
import type { ParseResult } from "../parse/job.ts";
import type { CrawlRecord } from "../output/record.ts";

/**
 * Builds the record of one URL.
 *
 * @param entry The frontier entry (depth, parent, attempts).
 * @param page The fetch result.
 * @param parsed The parsed page, for HTML that was parsed.
 * @returns The record.
 *
 * @example Usage
 * ```ts
 * import { buildRecord } from "./build_record.ts";
 * import { unfetchedPage } from "../http/request.ts";
 * import { parsePage } from "../parse/page.ts";
 * import assert from "node:assert/strict";
 *
 * const entry = { url: "https://a.test/", depth: 0, parent: null, attempts: 0, host: "a.test" };
 * const body = new TextEncoder().encode("<title>Home</title><h1>Welcome</h1>");
 * const page = { ...unfetchedPage(entry.url), status: 200, contentType: "text/html", body, bytes: 36 };
 * const record = buildRecord(entry, page, parsePage(body, "text/html", page.url));
 * assert.equal(record.title, "Home");
 * assert.deepEqual(record.h1, ["Welcome"]);
 * const refused = unfetchedPage(entry.url, { error: "robots", message: "disallowed" });
 * assert.equal(buildRecord(entry, refused).error, "robots"); // no parse: title is null
 * ```
 */
export function buildRecord(
  entry: FrontierEntry,
  page: FetchedPage,
  parsed?: ParseResult,
): CrawlRecord {
  const record: CrawlRecord = {
    url: page.url,
    requestedUrl: page.requestedUrl,
    status: page.status,
    depth: entry.depth,
    parent: entry.parent,
    fetchedAt: page.fetchedAt,
    contentType: page.contentType,
    bytes: page.bytes,
    durationMs: Math.round(page.durationMs * 10) / 10,
    attempts: entry.attempts + 1,
    title: parsed?.title ?? null,
    description: parsed?.description ?? null,
    canonical: parsed?.canonical ?? null,
    h1: parsed?.h1 ?? [],
    links: parsed?.links ?? [],
  };
  if (parsed?.refs) record.refs = parsed.refs;
  if (parsed?.anchors) record.anchors = parsed.anchors;
  const check = entry.extra?.check;
  if (check === "asset" || check === "external") record.check = check;
  if (parsed?.data) record.data = parsed.data;
  if (parsed?.dataErrors) record.dataErrors = parsed.dataErrors;
  if (entry.extra?.lastmod !== undefined) record.lastmod = entry.extra.lastmod;
  const etag = page.headers?.get("etag");
  const lastModified = page.headers?.get("last-modified");
  if (etag) record.etag = etag;
  if (lastModified) record.lastModified = lastModified;
  if (page.contentHash) record.contentHash = page.contentHash;
  if (page.status === 304 || sameAsBefore(entry, page)) record.unchanged = true;
  if (page.redirects.length > 0) record.redirects = page.redirects;
  if (page.rendered) record.rendered = true;
  if (page.blockedRequests) record.blockedRequests = page.blockedRequests;
  if (page.error) {
    record.error = page.error;
    if (page.errorMessage) record.errorMessage = page.errorMessage;
  }
  return record;
}

/**
 * Whether a recrawled page answered as it did last time: the same status and
 * the same content fingerprint (a body's hash, or a declared length for a
 * body not read), whatever validators the server sent or did not.
 */
function sameAsBefore(entry: FrontierEntry, page: FetchedPage): boolean {
  const before = entry.extra;
  if (before?.status === undefined || page.status === null || page.contentHash === undefined) {
    return false;
  }
  return before.status === String(page.status) && before.contentHash === page.contentHash;
}
