/**
 * Hints for failures that are the user's to fix, not the site's: a seed the
 * address guard refused (`--allow-private`, `--allow-address`), a seed Deno's
 * permissions refused (`-P`, `--allow-net`), and the line saying why a run
 * that fetched not a single page failed.
 *
 * @module
 */

import { isIP } from "node:net";
import type { CrawlRecord } from "../output/record.ts";
import type { CrawlSummary } from "../output/stats.ts";

/** A hint: shown once per `key` in a process. */
export interface Hint {
  /** What the hint is about; one hint per key is enough. */
  key: string;
  /** The hint's text, without the `hint: ` prefix. */
  text: string;
}

/**
 * The hint a record calls for, if any. Only seeds get one: a link to a
 * private address found on a public site is refused on purpose, while a
 * refused seed is almost always a missing flag.
 *
 * @param record A finished record.
 * @returns The hint, or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { hintFor } from "./hints.ts";
 * import assert from "node:assert/strict";
 *
 * const hint = hintFor({ url: "http://127.0.0.1:8000/", depth: 0, error: "blocked_address" });
 * assert.equal(
 *   hint?.text,
 *   "127.0.0.1 is a private or loopback address, which the crawler refuses by default: " +
 *     "pass --allow-private to crawl private networks, or --allow-address 127.0.0.1/32 " +
 *     "for this address only",
 * );
 * ```
 */
export function hintFor(
  record: Pick<CrawlRecord, "url" | "depth" | "error">,
): Hint | undefined {
  if (record.depth !== 0) return undefined;
  const host = new URL(record.url).hostname;
  if (record.error === "blocked_address") {
    const address = host.replace(/^\[|\]$/g, "");
    const family = isIP(address);
    const range = family === 4 ? `${address}/32` : family === 6 ? `${address}/128` : "CIDR";
    const only = family === 0 ? "for one range" : "for this address only";
    return {
      key: "blocked_address",
      text:
        `${host} is ${
          family === 0 ? "or resolves to " : ""
        }a private or loopback address, which the crawler refuses by default: pass ` +
        `--allow-private to crawl private networks, or --allow-address ${range} ${only}`,
    };
  }
  if (record.error === "permission") {
    return {
      key: "permission",
      text: `Deno's permissions do not allow requests to ${host}: run with -P (the ` +
        `permission set in deno.json), or add ${host} to --allow-net`,
    };
  }
  return undefined;
}

/**
 * The line saying why a run fetched not a single page, or `undefined` when
 * it fetched one, had nothing to fetch (no error, nothing refused), or was
 * stopped by a signal.
 *
 * @param summary The run's summary.
 * @returns The line, without the `error: ` prefix.
 *
 * @example Usage
 * ```ts
 * import { nothingFetched } from "./hints.ts";
 * import { CrawlStats } from "../output/stats.ts";
 * import assert from "node:assert/strict";
 *
 * const stats = new CrawlStats();
 * stats.errors.blocked_address = 1;
 * assert.equal(
 *   nothingFetched(stats.summary()),
 *   "not a single page could be fetched (blocked_address 1)",
 * );
 * ```
 */
export function nothingFetched(summary: CrawlSummary): string | undefined {
  if (summary.pagesOk > 0) return undefined;
  // A stop by a signal or a hard abort is the user's own doing, with an exit code of its own.
  if (summary.stoppedBy === "interrupted" || summary.stoppedBy === "aborted") return undefined;
  const errors = Object.entries(summary.errors).map(([code, n]) => `${code} ${n}`);
  const skipped = Object.entries(summary.skipped).map(([reason, n]) => `${reason} ${n}`);
  // Nothing failed and nothing was refused: there was nothing to fetch (a recrawl whose pages
  // are all younger than --max-age), which is not a failure.
  if (errors.length === 0 && skipped.length === 0) return undefined;
  const why = errors.length > 0
    ? `(${errors.join(", ")})`
    : `(nothing was requested; skipped: ${skipped.join(", ")})`;
  return `not a single page could be fetched ${why}`;
}
