/**
 * Reading the value a validation issue points at, to quote it back in the
 * one-line error ("received 0").
 *
 * @module
 */

/**
 * The value at a path of own properties, as zod issues give paths.
 *
 * @param input The validated input.
 * @param path Keys from the input down to the value.
 * @returns The value, or `undefined` when a step is missing, not an object,
 * or only inherited (a `__proto__` key is never followed to the prototype).
 *
 * @example Usage
 * ```ts
 * import { valueAt } from "./value_at.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(valueAt({ seeds: ["a", "b"] }, ["seeds", 1]), "b");
 * assert.equal(valueAt({ seeds: [] }, ["seeds", "length", "x"]), undefined);
 * assert.equal(valueAt({}, ["toString"]), undefined);
 * ```
 */
export function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
