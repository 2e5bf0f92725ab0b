/**
 * The fuzz run's settings, read from the environment so that a run can be
 * made longer, or one failing case replayed, without editing a test:
 *
 * - `FUZZ_SEED`: the run's seed (default {@linkcode FUZZ_DEFAULT_SEED}), or `random`;
 * - `FUZZ_CASE`: run this one case only (to replay a failure);
 * - `FUZZ_ITERATIONS`: cases per target, instead of each target's default;
 * - `FUZZ_BUDGET_MS`: time per target (default 2500 ms; the run stops at
 *   whichever of the two limits comes first);
 * - `FUZZ_SLOW_MS`: the most one case may take (default 250 ms).
 *
 * @module
 */

/**
 * The seed used when `FUZZ_SEED` is not set, so CI runs are reproducible.
 *
 * @example Usage
 * ```ts
 * import { FUZZ_DEFAULT_SEED } from "./fuzz_settings.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(FUZZ_DEFAULT_SEED >>> 0, FUZZ_DEFAULT_SEED); // a 32-bit seed
 * ```
 */
export const FUZZ_DEFAULT_SEED = 0x5eed_c0de;

/** The run settings, read from the environment. */
export interface FuzzSettings {
  /** The run's seed. */
  seed: number;
  /** Cases per target, when set. */
  iterations: number | undefined;
  /** The one case to run, when set. */
  only: number | undefined;
  /** Time per target, in ms. */
  budgetMs: number;
  /** The most one case may take, in ms. */
  slowMs: number;
}

function envNumber(name: string): number | undefined {
  const raw = Deno.env.get(name);
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`Cannot fuzz as ${name} must be a non-negative integer: received ${raw}`);
  }
  return value;
}

/**
 * Reads the fuzz settings from the environment (see the module docs).
 *
 * @example Usage
 * ```ts
 * import { fuzzSettings } from "./fuzz_settings.ts";
 * import assert from "node:assert/strict";
 *
 * const settings = fuzzSettings();
 * assert.ok(settings.budgetMs >= 0 && settings.slowMs >= 0);
 * ```
 *
 * @returns The settings.
 * @throws {RangeError} If a setting is not a non-negative integer.
 */
export function fuzzSettings(): FuzzSettings {
  const rawSeed = Deno.env.get("FUZZ_SEED");
  const seed = rawSeed === "random"
    ? crypto.getRandomValues(new Uint32Array(1))[0]!
    : envNumber("FUZZ_SEED") ?? FUZZ_DEFAULT_SEED;
  return {
    seed: seed >>> 0,
    iterations: envNumber("FUZZ_ITERATIONS"),
    only: envNumber("FUZZ_CASE"),
    budgetMs: envNumber("FUZZ_BUDGET_MS") ?? 2500,
    slowMs: envNumber("FUZZ_SLOW_MS") ?? 250,
  };
}
