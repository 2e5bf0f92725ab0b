/**
 * Runs a fuzz target's cases, in the worker that `fuzzTest` (in `fuzz.ts`)
 * starts, and the messages that worker sends back.
 *
 * @module
 */

import type { FuzzSettings } from "./fuzz_settings.ts";
import { caseRng, findTarget } from "./fuzz_target.ts";

/** What a run of cases ends with: how it went, or the first failing case. */
export type FuzzOutcome =
  | { ok: true; cases: number; elapsedMs: number; slowest: { index: number; ms: number } }
  | { ok: false; index: number; error: string };

/** What the test sends the worker. */
export interface FuzzRequest {
  /** The test module that defines the target (the worker imports it). */
  module: string;
  /** The target's name. */
  name: string;
  /** The run settings. */
  settings: FuzzSettings;
}

/**
 * What the worker sends the test: `case` as each case starts (the test's
 * watchdog takes it as progress, and names this case if it never returns),
 * then `done` once.
 */
export type FuzzMessage =
  | { kind: "case"; index: number }
  | { kind: "done"; outcome: FuzzOutcome };

/**
 * Runs a target's cases until they are all done, the time budget is spent,
 * or one fails.
 *
 * @example Usage
 * ```ts
 * import { runCases } from "./fuzz_runner.ts";
 * import { registerTarget } from "./fuzz_target.ts";
 * import assert from "node:assert/strict";
 *
 * registerTarget("example: sums", {
 *   cases: 20,
 *   input: (rng) => [rng.int(100), rng.int(100)],
 *   check: ([a, b]) => assert.equal(a! + b!, b! + a!),
 * });
 * const started: number[] = [];
 * const outcome = await runCases({
 *   module: import.meta.resolve("./fuzz_target.ts"), // already loaded: the target is registered
 *   name: "example: sums",
 *   settings: { seed: 1, iterations: undefined, only: undefined, budgetMs: 5000, slowMs: 250 },
 * }, (index) => started.push(index));
 * assert.equal(outcome.ok, true);
 * assert.equal(started.length, 20);
 * ```
 *
 * @param request What to run.
 * @param onCase Called with each case's number as the case starts.
 * @returns Success with the number of cases, or the first failing case.
 */
export async function runCases(
  request: FuzzRequest,
  onCase: (index: number) => void = () => {},
): Promise<FuzzOutcome> {
  await import(request.module);
  const target = findTarget(request.name);
  if (!target) return { ok: false, index: -1, error: `no fuzz target named ${request.name}` };
  const { seed, only, budgetMs, slowMs } = request.settings;
  const iterations = request.settings.iterations ?? target.cases;
  const start = performance.now();
  let index = only ?? 0;
  let cases = 0;
  const slowest = { index: -1, ms: 0 };
  for (; only === undefined ? index < iterations : index === only; index++) {
    if (only === undefined && performance.now() - start > budgetMs) break;
    onCase(index);
    const run = async () => {
      const rng = caseRng(seed, request.name, index);
      const input = target.input(rng, index);
      const began = performance.now();
      await target.check(input, rng);
      return performance.now() - began;
    };
    try {
      // A slow case is timed twice more before it fails: a GC pause, a first
      // compilation or a busy machine is not a hang; a slow input is slow every time.
      let fastest = await run();
      for (let retry = 0; retry < 2 && fastest > slowMs; retry++) {
        fastest = Math.min(fastest, await run());
      }
      if (fastest > slowMs) {
        throw new Error(`took ${Math.round(fastest)} ms, at best of 3 runs (limit ${slowMs} ms)`);
      }
      if (fastest > slowest.ms) [slowest.index, slowest.ms] = [index, fastest];
    } catch (error) {
      return {
        ok: false,
        index,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      };
    }
    cases++;
  }
  return { ok: true, cases, elapsedMs: performance.now() - start, slowest };
}
