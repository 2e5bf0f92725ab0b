/**
 * One seeded pseudo-random number generator for tests and benchmarks: the
 * same seed always gives the same sequence, so a generated site, a kill point
 * or a fuzz input can be made again from its seed alone.
 *
 * The algorithm is mulberry32: tiny, fast and well mixed for 32-bit seeds. It
 * is not for secrets. Several callers depend on the exact values it yields
 * (benchmark sites are compared across commits, fuzz failures are replayed by
 * seed), so changing the algorithm changes what they generate.
 *
 * @module
 */

/** A source of uniform numbers in `[0, 1)`, shaped like `Math.random`. */
export type Prng = () => number;

/**
 * Makes a seeded PRNG.
 *
 * @example Usage
 * ```ts
 * import { randomSeeded } from "./prng.ts";
 * import assert from "node:assert/strict";
 *
 * const a = randomSeeded(42);
 * const b = randomSeeded(42);
 * const first = a();
 * assert.ok(first >= 0 && first < 1);
 * assert.equal(b(), first); // the same seed, the same sequence
 * ```
 *
 * @param seed Any number; only its low 32 bits are used.
 * @returns The PRNG.
 */
export function randomSeeded(seed: number): Prng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    // Dividing a 32-bit integer by 2^32 is exact: the integer can be had back.
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

/**
 * Draws an integer in `[0, n)`.
 *
 * @example Usage
 * ```ts
 * import { randomInt, randomSeeded } from "./prng.ts";
 * import assert from "node:assert/strict";
 *
 * const n = randomInt(randomSeeded(7), 6);
 * assert.ok(Number.isInteger(n) && n >= 0 && n < 6);
 * ```
 *
 * @param prng The PRNG.
 * @param n The bound, at least 1.
 * @returns The integer.
 */
export function randomInt(prng: Prng, n: number): number {
  return Math.floor(prng() * n);
}

/**
 * Draws one item of a list, each as likely as the others.
 *
 * @example Usage
 * ```ts
 * import { pick, randomSeeded } from "./prng.ts";
 * import assert from "node:assert/strict";
 *
 * const colour = pick(randomSeeded(7), ["red", "green", "blue"]);
 * assert.ok(["red", "green", "blue"].includes(colour));
 * ```
 *
 * @typeParam T The items' type.
 * @param prng The PRNG.
 * @param items A non-empty list.
 * @returns One of the items.
 */
export function pick<T>(prng: Prng, items: readonly T[]): T {
  return items[randomInt(prng, items.length)]!;
}
