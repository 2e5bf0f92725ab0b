/**
 * The link check: joins every link on the crawled pages with what became of
 * its target, from the crawl's records. Records are read in passes (the
 * targets' outcomes first, then the fragments the links need, then the
 * links), so memory holds one outcome per URL, the `url#fragment` pairs
 * links name (with `--check fragments`), and the broken targets'
 * referrers, never every link at once.
 *
 * @module
 */

import type { ErrorCode, LinkTag } from "../output/record.ts";
import { type LinkRecord, type LinkResult, resultOf, TargetOutcomes } from "./outcome.ts";
import { MAX_REFERRERS, ReferrerList, type TargetReferrers } from "./referrers.ts";

/** One link on a crawled page, with what its check found: a row of the link table. */
export interface LinkRow {
  /** The page the link is on. */
  source: string;
  /** Where it points, normalized, without fragment. */
  target: string;
  /** Its `#fragment`, when it has one. */
  fragment?: string;
  /** The element and attribute, e.g. `a[href]`, `img[src]`. */
  tag: LinkTag;
  /** Its text (an image's `alt`), when it has any. */
  text?: string;
  /** What the check found. */
  result: LinkResult;
  /** The target's final status, or `null` when no response came. */
  status: number | null;
  /** Why the link does not work: the target's error, or `fragment_missing`. */
  error?: ErrorCode;
  /** A detail for `error`. */
  errorMessage?: string;
  /** Where the target's redirects ended, when they did elsewhere. */
  redirectedTo?: string;
}

/** A re-readable source of the crawl's records: each call reads them all again. */
export type RecordSource = () => AsyncIterable<LinkRecord> | Iterable<LinkRecord>;

/** Options for {@linkcode checkLinks}. */
export interface CheckLinksOptions {
  /** Receives every link's row, page by page (e.g. to write the link table). */
  onRow?: (row: LinkRow) => void | Promise<void>;
  /** Most referrers kept per target that did not work. Default 100. */
  maxReferrers?: number;
  /** Aborting it stops the check between records; the call rejects with its reason. */
  signal?: AbortSignal;
}

/** What the link check found. */
export interface LinkCheckResult {
  /** Links on the crawled pages (rows). */
  links: number;
  /** Links by result. */
  results: Record<LinkResult, number>;
  /** Broken targets (a missing fragment counts as a target of its own), most linked first. */
  broken: TargetReferrers[];
  /** Targets a policy refused (robots.txt, the address guard...), most linked first. */
  refused: TargetReferrers[];
}

/** Fragments every page has: `#top` scrolls to the top in any HTML page (HTML's rule). */
const ALWAYS_THERE = "top";

/**
 * Checks every link of the crawl's records against its target's outcome.
 *
 * @param source The records, readable more than once.
 * @param options Where rows go, and how many referrers are kept.
 * @returns Counts, and the targets that did not work with their referrers.
 *
 * @example Usage
 * ```ts
 * import { checkLinks } from "./check_links.ts";
 * import type { CrawlRecord } from "../output/record.ts";
 * import assert from "node:assert/strict";
 *
 * const page = (url: string, status: number, refs: CrawlRecord["refs"] = []): CrawlRecord => ({
 *   url, requestedUrl: url, status, depth: 0, parent: null, fetchedAt: "2026-01-01T00:00:00.000Z",
 *   contentType: "text/html", bytes: 1, durationMs: 1, attempts: 1, title: null,
 *   description: null, canonical: null, h1: [], links: [], refs,
 *   ...(status >= 400 ? { error: "http_4xx" as const } : {}),
 * });
 * const records = [
 *   page("https://a.test/", 200, [{ url: "https://a.test/gone", tag: "a[href]", text: "Old" }]),
 *   page("https://a.test/gone", 404),
 * ];
 * const result = await checkLinks(() => records);
 * assert.equal(result.broken[0]!.target, "https://a.test/gone");
 * assert.deepEqual(result.broken[0]!.referrers, [
 *   { source: "https://a.test/", tag: "a[href]", text: "Old" },
 * ]);
 * ```
 */
export async function checkLinks(
  source: RecordSource,
  options: CheckLinksOptions = {},
): Promise<LinkCheckResult> {
  const { signal } = options;
  // Pass 1: every target's outcome, and the fragments links ask of each.
  const outcomes = new TargetOutcomes();
  const wanted = new Set<string>();
  let anchors = false;
  for await (const record of source()) {
    signal?.throwIfAborted();
    outcomes.add(record);
    anchors ||= record.anchors !== undefined;
    for (const ref of record.refs ?? []) {
      if (ref.fragment !== undefined) wanted.add(`${ref.url}#${ref.fragment}`);
    }
  }
  // Pass 2 (only when pages were parsed for their fragments): which wanted ones they define.
  const found = new Set<string>();
  if (!anchors) wanted.clear();
  if (wanted.size > 0) {
    for await (const record of source()) {
      signal?.throwIfAborted();
      if (!record.anchors) continue;
      for (const url of new Set([record.url, record.requestedUrl])) {
        for (const anchor of record.anchors) {
          const key = `${url}#${anchor}`;
          if (wanted.has(key)) found.add(key);
        }
      }
    }
  }
  // Pass 3: the rows.
  const problems = new ReferrerList(options.maxReferrers ?? MAX_REFERRERS);
  const results: Record<LinkResult, number> = {
    ok: 0,
    broken: 0,
    refused: 0,
    failed: 0,
    unchecked: 0,
  };
  let links = 0;
  for await (const record of source()) {
    signal?.throwIfAborted();
    for (const ref of record.refs ?? []) {
      const outcome = outcomes.get(ref.url);
      const row: LinkRow = {
        source: record.url,
        target: ref.url,
        tag: ref.tag,
        result: resultOf(outcome),
        status: outcome?.status ?? null,
      };
      if (ref.fragment !== undefined) row.fragment = ref.fragment;
      if (ref.text !== undefined) row.text = ref.text;
      if (outcome?.finalUrl !== undefined) row.redirectedTo = outcome.finalUrl;
      if (outcome?.error !== undefined) {
        row.error = outcome.error;
        if (outcome.message !== undefined) row.errorMessage = outcome.message;
      } else if (
        row.result === "ok" && ref.fragment !== undefined && outcome!.parsed &&
        ref.fragment.toLowerCase() !== ALWAYS_THERE &&
        !found.has(`${ref.url}#${ref.fragment}`) &&
        // A link through a redirect names a fragment of the page it ends at.
        !(outcome!.finalUrl !== undefined && found.has(`${outcome!.finalUrl}#${ref.fragment}`))
      ) {
        row.result = "broken";
        row.error = "fragment_missing";
        row.errorMessage = `no element with id or name "${ref.fragment}" in ${ref.url}`;
      }
      links++;
      results[row.result]++;
      if ((row.result === "broken" || row.result === "refused") && row.error !== undefined) {
        const target = row.error === "fragment_missing"
          ? `${row.target}#${row.fragment}`
          : row.target;
        const referrer = row.text === undefined
          ? { source: row.source, tag: row.tag }
          : { source: row.source, tag: row.tag, text: row.text };
        problems.add({
          target,
          result: row.result,
          status: row.status,
          error: row.error,
          ...(row.errorMessage === undefined ? {} : { message: row.errorMessage }),
        }, referrer);
      }
      await options.onRow?.(row);
    }
  }
  const targets = problems.targets();
  return {
    links,
    results,
    broken: targets.filter((t) => t.result === "broken"),
    refused: targets.filter((t) => t.result === "refused"),
  };
}
