/**
 * The integer checks of constructors and functions that take counts and
 * limits, worded like Deno std's errors ("Cannot create frontier as
 * 'perHost' must be a positive integer: received 0").
 *
 * @module
 */

/** Options for {@linkcode checkInteger}. */
export interface CheckIntegerOptions {
  /** The smallest value allowed. Default 1 (a positive integer); 0 makes it non-negative. */
  least?: number;
  /** Whether `Infinity` (no limit) is allowed. Default false. */
  infinite?: boolean;
}

/**
 * Checks that a value is an integer of at least `least`.
 *
 * @param what What cannot be done otherwise, e.g. `create frontier`.
 * @param name The argument's or option's name.
 * @param value Its value.
 * @param options The least value, and whether `Infinity` is allowed.
 * @returns `value`.
 * @throws {RangeError} If `value` is not such an integer.
 *
 * @example Usage
 * ```ts
 * import { checkInteger } from "./integer.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(checkInteger("read sitemap", "maxBytes", 1024), 1024);
 * assert.throws(
 *   () => checkInteger("read sitemap", "maxBytes", 0),
 *   new RangeError("Cannot read sitemap as 'maxBytes' must be a positive integer: received 0"),
 * );
 * assert.equal(checkInteger("create frontier", "window", Infinity, { infinite: true }), Infinity);
 * ```
 */
export function checkInteger(
  what: string,
  name: string,
  value: number,
  options: CheckIntegerOptions = {},
): number {
  const { least = 1, infinite = false } = options;
  if (infinite && value === Infinity) return value;
  if (!Number.isInteger(value) || value < least) {
    const kind = least === 0
      ? "a non-negative integer"
      : least === 1
      ? "a positive integer"
      : `an integer of at least ${least}`;
    throw new RangeError(`Cannot ${what} as '${name}' must be ${kind}: received ${value}`);
  }
  return value;
}
