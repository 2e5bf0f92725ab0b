/**
 * Fuzz targets and where their cases' inputs come from. A target is kept by
 * name in each isolate that loads its test module: the test's, which reports
 * failures, and the worker's, which runs the cases.
 *
 * @module
 */

import { Rng } from "./fuzz_rng.ts";

/** One fuzz target: how to make an input, and the invariants every input must keep. */
export interface FuzzTarget<T> {
  /** Cases run by default (`FUZZ_ITERATIONS` overrides it). */
  cases: number;
  /**
   * Makes one case's input.
   *
   * @param rng The case's own PRNG.
   * @param index The case number.
   */
  input(rng: Rng, index: number): T;
  /**
   * Runs the code under test on the input and checks the invariants; throws
   * (an assertion error) when one does not hold. Timed: it must return
   * within `FUZZ_SLOW_MS`.
   *
   * @param input The case's input.
   * @param rng The case's PRNG, after the input was made (for choices such as options).
   */
  check(input: T, rng: Rng): void | Promise<void>;
  /** Renders an input for the failure message (default `showInput` of `fuzz_report.ts`). */
  show?(input: T): string;
}

/** Targets by name, filled as test modules load. */
// deno-lint-ignore no-explicit-any
const targets = new Map<string, FuzzTarget<any>>();

/**
 * Keeps a target under its name, replacing any other of that name.
 *
 * @example Usage
 * ```ts
 * import { findTarget, registerTarget } from "./fuzz_target.ts";
 * import assert from "node:assert/strict";
 *
 * const target = { cases: 1, input: () => "", check: () => {} };
 * registerTarget("example: register", target);
 * assert.equal(findTarget("example: register"), target);
 * ```
 *
 * @typeParam T The target's input type.
 * @param name The target's name: unique.
 * @param target The target.
 */
export function registerTarget<T>(name: string, target: FuzzTarget<T>): void {
  targets.set(name, target);
}

/**
 * Finds a target by name.
 *
 * @example Usage
 * ```ts
 * import { findTarget } from "./fuzz_target.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(findTarget("example: never registered"), undefined);
 * ```
 *
 * @param name The target's name.
 * @returns The target, or `undefined` if none of that name was registered in this isolate.
 */
// deno-lint-ignore no-explicit-any
export function findTarget(name: string): FuzzTarget<any> | undefined {
  return targets.get(name);
}

/**
 * The PRNG of one case. Its seed mixes the run's seed, the target's name and
 * the case number (FNV-1a, then a final mix), so any case can be made again
 * alone, and cases of different targets do not repeat each other.
 *
 * @example Usage
 * ```ts
 * import { caseRng } from "./fuzz_target.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(caseRng(1, "target", 7).int(1000), caseRng(1, "target", 7).int(1000));
 * ```
 *
 * @param seed The run's seed.
 * @param name The target's name.
 * @param index The case number.
 * @returns The case's PRNG, before any draw.
 */
export function caseRng(seed: number, name: string, index: number): Rng {
  let h = 0x811c9dc5 ^ seed;
  for (const char of `${name}\0${index}`) h = Math.imul(h ^ char.charCodeAt(0), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return new Rng((h ^ (h >>> 13)) >>> 0);
}
