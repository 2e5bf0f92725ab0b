/**
 * "Did you mean ...?": the known name nearest to a mistyped flag or config
 * key, by edit distance.
 *
 * @module
 */

import { closestMatch } from "leven";

/**
 * The candidate nearest to `word`, when it is near enough to be what was
 * meant: at most a third of the word's length in edits (and at least 2), so
 * `--sedes` finds `--seeds` while `--colour` finds nothing among unrelated
 * names. Case and `-`/`_` are ignored, so `max_pages` and `MaxPages` find
 * `maxPages`.
 *
 * @param word What was typed.
 * @param candidates The known names.
 * @returns The nearest candidate, or `undefined` when none is near.
 *
 * @example Usage
 * ```ts
 * import { nearest } from "./suggest.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(nearest("sedes", ["seeds", "state", "out"]), "seeds");
 * assert.equal(nearest("max_pages", ["maxPages", "maxDepth"]), "maxPages");
 * assert.equal(nearest("colour", ["seeds", "state"]), undefined);
 * ```
 */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  const fold = (name: string) => name.toLowerCase().replace(/[-_]/g, "");
  const folded = new Map<string, string>();
  for (const candidate of candidates) {
    if (!folded.has(fold(candidate))) folded.set(fold(candidate), candidate);
  }
  const target = fold(word);
  const maxDistance = Math.max(2, Math.floor(target.length / 3));
  const match = closestMatch(target, [...folded.keys()], { maxDistance });
  return match === undefined ? undefined : folded.get(match);
}

/**
 * The config key (an option name) a mistyped key most likely meant: a key
 * written as its flag (`timeout` for `timeoutMs`, `max-pages` for
 * `maxPages`), or else the nearest option name.
 *
 * @param key The key found in the config file.
 * @param options The known option names.
 * @param flags Each flag's option (`{ "timeout": "timeoutMs" }`).
 * @returns The option meant, or `undefined` when none is near.
 *
 * @example Usage
 * ```ts
 * import { nearestOption } from "./suggest.ts";
 * import assert from "node:assert/strict";
 *
 * const options = ["timeoutMs", "maxPages"];
 * const flags = { timeout: "timeoutMs", "max-pages": "maxPages" };
 * assert.equal(nearestOption("timeout", options, flags), "timeoutMs");
 * assert.equal(nearestOption("maxPage", options, flags), "maxPages");
 * ```
 */
export function nearestOption(
  key: string,
  options: readonly string[],
  flags: Readonly<Record<string, string>>,
): string | undefined {
  const asFlag = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace(/_/g, "-");
  if (flags[asFlag] !== undefined) return flags[asFlag];
  return nearest(key, options);
}
