/**
 * The targets whose links did not work, each with its referrers: bounded,
 * so a link in a site-wide footer cannot grow memory without bound.
 *
 * @module
 */

import type { ErrorCode, LinkTag } from "../output/record.ts";
import type { LinkResult } from "./outcome.ts";

/** One page that links to a target, and how. */
export interface Referrer {
  /** The page's URL. */
  source: string;
  /** The element and attribute, e.g. `a[href]`. */
  tag: LinkTag;
  /** The link's text (an image's `alt`), when it has any. */
  text?: string;
}

/** A target whose links did not work, with the pages linking to it. */
export interface TargetReferrers {
  /** The target URL, with `#fragment` when a missing fragment is what is wrong. */
  target: string;
  /** `broken` or `refused`. */
  result: LinkResult;
  /** The target's status, or `null` when no response came. */
  status: number | null;
  /** Why it did not work. */
  error: ErrorCode;
  /** A detail for `error`. */
  message?: string;
  /** The first referrers found, at most the list's `maxReferrers`. */
  referrers: Referrer[];
  /** Every referrer counted, kept or not. */
  count: number;
}

/** The default most referrers kept per target. */
export const MAX_REFERRERS = 100;

/**
 * Targets whose links did not work, by target, each keeping its first
 * `maxReferrers` referrers and a count of all.
 *
 * @example Usage
 * ```ts
 * import { ReferrerList } from "./referrers.ts";
 * import assert from "node:assert/strict";
 *
 * const list = new ReferrerList(2);
 * const target = { target: "https://a.test/gone", result: "broken" as const, status: 404, error: "http_4xx" as const };
 * for (const source of ["https://a.test/1", "https://a.test/2", "https://a.test/3"]) {
 *   list.add(target, { source, tag: "a[href]", text: "Gone" });
 * }
 * const [gone] = list.targets();
 * assert.equal(gone!.count, 3);
 * assert.equal(gone!.referrers.length, 2);
 * ```
 */
export class ReferrerList {
  #maxReferrers: number;
  #targets = new Map<string, TargetReferrers>();

  /**
   * Creates an empty list.
   *
   * @param maxReferrers Most referrers kept per target.
   */
  constructor(maxReferrers: number = MAX_REFERRERS) {
    if (!Number.isInteger(maxReferrers) || maxReferrers < 1) {
      throw new RangeError(
        `Cannot create referrer list as 'maxReferrers' must be a positive integer: received ${maxReferrers}`,
      );
    }
    this.#maxReferrers = maxReferrers;
  }

  /**
   * Adds one link to a target that did not work.
   *
   * @param target The target and what was wrong with it.
   * @param referrer The page linking to it.
   */
  add(target: Omit<TargetReferrers, "referrers" | "count">, referrer: Referrer): void {
    let entry = this.#targets.get(target.target);
    if (!entry) {
      entry = { ...target, referrers: [], count: 0 };
      this.#targets.set(target.target, entry);
    }
    entry.count++;
    if (entry.referrers.length < this.#maxReferrers) entry.referrers.push(referrer);
  }

  /** Targets kept. */
  get size(): number {
    return this.#targets.size;
  }

  /**
   * The targets, those linked from most pages first, then by URL.
   *
   * @returns The targets with their referrers.
   */
  targets(): TargetReferrers[] {
    return [...this.#targets.values()].sort((a, b) =>
      b.count - a.count || (a.target < b.target ? -1 : a.target > b.target ? 1 : 0)
    );
  }
}
