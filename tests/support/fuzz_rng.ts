/**
 * The PRNG a fuzz target draws its inputs from: the shared seeded PRNG of
 * {@linkcode randomSeeded} with the choices input generators keep making.
 *
 * @module
 */

import { pick, type Prng, randomInt, randomSeeded } from "./prng.ts";

/**
 * A seeded PRNG with helpers for making fuzz inputs: the same seed gives the
 * same choices, so a failing case can be made again from its seed.
 *
 * @example Usage
 * ```ts
 * import { Rng } from "./fuzz_rng.ts";
 * import assert from "node:assert/strict";
 *
 * const rng = new Rng(1);
 * const n = rng.range(3, 5);
 * assert.ok(n >= 3 && n <= 5);
 * assert.equal(new Rng(1).range(3, 5), n);
 * ```
 */
export class Rng {
  #next: Prng;

  /**
   * Creates a PRNG.
   *
   * @param seed Any 32-bit integer.
   */
  constructor(seed: number) {
    this.#next = randomSeeded(seed);
  }

  /**
   * Draws an integer below a bound.
   *
   * @example Usage
   * ```ts
   * import { Rng } from "./fuzz_rng.ts";
   * import assert from "node:assert/strict";
   *
   * const n = new Rng(1).int(10);
   * assert.ok(Number.isInteger(n) && n >= 0 && n < 10);
   * ```
   *
   * @param n The bound, at least 1.
   * @returns An integer in `[0, n)`.
   */
  int(n: number): number {
    return randomInt(this.#next, n);
  }

  /**
   * Draws an integer between two bounds, both included.
   *
   * @example Usage
   * ```ts
   * import { Rng } from "./fuzz_rng.ts";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Rng(1).range(4, 4), 4);
   * ```
   *
   * @param min The lowest value.
   * @param max The highest value.
   * @returns An integer in `[min, max]`.
   */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /**
   * Flips a biased coin.
   *
   * @example Usage
   * ```ts
   * import { Rng } from "./fuzz_rng.ts";
   * import assert from "node:assert/strict";
   *
   * const rng = new Rng(1);
   * assert.equal(rng.chance(1), true);
   * assert.equal(rng.chance(0), false);
   * ```
   *
   * @param p The probability, in `[0, 1]`.
   * @returns `true` with probability `p`.
   */
  chance(p: number): boolean {
    return this.#next() < p;
  }

  /**
   * Draws one item of a list.
   *
   * @example Usage
   * ```ts
   * import { Rng } from "./fuzz_rng.ts";
   * import assert from "node:assert/strict";
   *
   * assert.ok(["a", "b"].includes(new Rng(1).pick(["a", "b"])));
   * ```
   *
   * @typeParam T The items' type.
   * @param items A non-empty list.
   * @returns One of them, uniformly.
   */
  pick<T>(items: readonly T[]): T {
    return pick(this.#next, items);
  }

  /**
   * A length skewed towards small values: most inputs are short, some are long.
   *
   * @example Usage
   * ```ts
   * import { Rng } from "./fuzz_rng.ts";
   * import assert from "node:assert/strict";
   *
   * const length = new Rng(1).size(100);
   * assert.ok(length >= 0 && length <= 100);
   * ```
   *
   * @param max The longest length.
   * @returns A length in `[0, max]`.
   */
  size(max: number): number {
    return this.int(this.int(max + 1) + 1);
  }
}
