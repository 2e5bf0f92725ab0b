/**
 * Crawler-trap guards applied before a URL is queued: overlong URLs and
 * paths that repeat themselves (`/a/b/a/b/a/b/...`), as relative links on
 * misconfigured servers produce without end.
 *
 * @module
 */

/** Why a URL was refused, or `undefined` when it may be queued. */
export type TrapReason = "url_too_long" | "repeated_path";

/** Options for {@linkcode checkTrap}. */
export interface TrapOptions {
  /** Longest URL accepted, in characters. */
  maxUrlLength: number;
  /**
   * How many times in a row a run of path segments may appear; a third
   * `/a/b` in `/a/b/a/b/a/b` is one too many at the default 2.
   */
  maxPathRepeats?: number;
}

/** Longest run of segments checked for repetition. */
const MAX_PERIOD = 4;

/**
 * Whether a path repeats a run of 1 to 4 segments more than `maxRepeats`
 * times back to back.
 *
 * @param path A URL path, e.g. `/a/b/a/b/a/b/`.
 * @param maxRepeats How many consecutive copies are allowed.
 * @returns `true` when the path looks like a trap.
 *
 * @example Usage
 * ```ts
 * import { hasRepeatedSegments } from "./trap_guard.ts";
 * hasRepeatedSegments("/a/b/a/b/a/b/", 2); // true
 * hasRepeatedSegments("/2026/11/24/post", 2); // false
 * ```
 */
export function hasRepeatedSegments(path: string, maxRepeats: number): boolean {
  const segments = path.split("/").filter((s) => s !== "");
  const n = segments.length;
  for (let period = 1; period <= MAX_PERIOD; period++) {
    if (n < period * (maxRepeats + 1)) break;
    // run = how many segments in a row equal the one `period` places before.
    let run = 0;
    for (let i = period; i < n; i++) {
      run = segments[i] === segments[i - period] ? run + 1 : 0;
      if (run >= period * maxRepeats) return true;
    }
  }
  return false;
}

/**
 * Checks a normalized URL against the trap guards.
 *
 * @param href The normalized absolute URL.
 * @param options The limits.
 * @returns The reason it is refused, or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { checkTrap } from "./trap_guard.ts";
 * checkTrap("http://a.test/x/x/x/x", { maxUrlLength: 2048 }); // "repeated_path"
 * ```
 */
export function checkTrap(href: string, options: TrapOptions): TrapReason | undefined {
  if (href.length > options.maxUrlLength) return "url_too_long";
  const start = href.indexOf("/", href.indexOf("//") + 2);
  if (start === -1) return undefined;
  let end = href.indexOf("?", start);
  if (end === -1) end = href.length;
  return hasRepeatedSegments(href.slice(start, end), options.maxPathRepeats ?? 2)
    ? "repeated_path"
    : undefined;
}
