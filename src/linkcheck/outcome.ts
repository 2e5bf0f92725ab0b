/**
 * What became of each link target, read from the crawl's records: the first
 * pass of the link check ({@linkcode TargetOutcomes}).
 *
 * @module
 */

import { type CrawlRecord, ERROR_KINDS, type ErrorCode } from "../output/record.ts";

/** What the link check reads of a record. */
export type LinkRecord = Pick<
  CrawlRecord,
  "url" | "requestedUrl" | "status" | "error" | "errorMessage" | "refs" | "anchors"
>;

/** The statuses a redirect answers with. */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * What a link's check found: `ok`; `broken` (nothing usable at the other
 * end, or a `#fragment` its page does not define); `refused` (a policy kept
 * the target from being requested: robots.txt, the address guard...);
 * `failed` (requested, but not usable as it came: too large, not parsable;
 * the link itself works); `unchecked` (not crawled nor checked: out of
 * scope, past the depth limit, filtered).
 */
export type LinkResult = "ok" | "broken" | "refused" | "failed" | "unchecked";

/** What became of one target URL. */
export interface TargetOutcome {
  /** Its final status, or `null` when no response came. */
  status: number | null;
  /** Its error code, if it failed. */
  error?: ErrorCode;
  /** A detail for `error`. */
  message?: string;
  /** Where its redirects ended, when they did elsewhere. */
  finalUrl?: string;
  /** Whether it was parsed for its fragments (its record lists `anchors`). */
  parsed: boolean;
}

/**
 * The result a target's outcome gives its links.
 *
 * @param outcome The target's outcome, or `undefined` when it was never requested.
 * @returns The links' result.
 *
 * @example Usage
 * ```ts
 * import { resultOf } from "./outcome.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(resultOf({ status: 404, error: "http_4xx", parsed: false }), "broken");
 * assert.equal(resultOf({ status: 200, parsed: true }), "ok");
 * assert.equal(resultOf(undefined), "unchecked");
 * ```
 */
export function resultOf(outcome: TargetOutcome | undefined): LinkResult {
  if (outcome === undefined) return "unchecked";
  if (outcome.error === undefined) return "ok";
  // A crawl cut short left it unanswered: nothing is known of the link.
  if (outcome.error === "aborted") return "unchecked";
  return ERROR_KINDS[outcome.error];
}

/**
 * Every target's outcome, by the URLs a link may name it by: the URL it was
 * queued as, and where its redirects ended.
 *
 * @example Usage
 * ```ts
 * import { TargetOutcomes } from "./outcome.ts";
 * import assert from "node:assert/strict";
 *
 * const outcomes = new TargetOutcomes();
 * outcomes.add({ url: "https://a.test/new", requestedUrl: "https://a.test/old", status: 200 });
 * assert.equal(outcomes.get("https://a.test/old")?.finalUrl, "https://a.test/new");
 * assert.equal(outcomes.get("https://a.test/new")?.status, 200);
 * ```
 */
export class TargetOutcomes {
  #byUrl = new Map<string, TargetOutcome>();

  /** Targets known. */
  get size(): number {
    return this.#byUrl.size;
  }

  /**
   * Takes one record's outcome.
   *
   * @param record A record of the crawl.
   */
  add(record: LinkRecord): void {
    const outcome: TargetOutcome = { status: record.status, parsed: record.anchors !== undefined };
    // A page whose canonical URL was crawled already answered: as a link target it works.
    const canonicalDuplicate = record.error === "duplicate" && record.url === record.requestedUrl;
    if (record.error && !canonicalDuplicate) {
      outcome.error = record.error;
      if (record.errorMessage) outcome.message = record.errorMessage;
    }
    const moved = record.url !== record.requestedUrl;
    if (moved) outcome.finalUrl = record.url;
    this.#byUrl.set(record.requestedUrl, outcome);
    // Where redirects ended is a target of its own when it answered itself (its status is not
    // the last hop's redirect, as it is when a hop was refused or failed before an answer).
    if (moved && record.status !== null && !REDIRECTS.has(record.status)) {
      if (!this.#byUrl.has(record.url)) {
        this.#byUrl.set(record.url, { ...outcome, finalUrl: undefined });
      }
    }
  }

  /**
   * A target's outcome. A redirect refused as a duplicate (its end was
   * crawled under another URL) takes the outcome of that end.
   *
   * @param url The target URL, normalized, without fragment.
   * @returns Its outcome, or `undefined` when it was never requested.
   */
  get(url: string): TargetOutcome | undefined {
    const outcome = this.#byUrl.get(url);
    if (outcome?.error !== "duplicate" || outcome.finalUrl === undefined) return outcome;
    const end = this.#byUrl.get(outcome.finalUrl);
    return end && { ...end, finalUrl: outcome.finalUrl };
  }
}
