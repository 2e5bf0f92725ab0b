/**
 * Fuzz tests: {@linkcode fuzzTest} checks invariants on many generated
 * inputs within a time bound.
 *
 * Each case's input comes from its own PRNG, seeded from the run's seed, the
 * target's name and the case number (`fuzz_target.ts`), so any failing case
 * can be replayed alone. The cases run in a worker (`fuzz_worker.ts`,
 * `fuzz_runner.ts`), so an input that never returns is reported (seed, case
 * and input) instead of hanging the suite. The environment settings are in
 * `fuzz_settings.ts`; inputs are made with `fuzz_rng.ts`, `fuzz_text.ts` and
 * `fuzz_bytes.ts`.
 *
 * @module
 */

import type { FuzzMessage, FuzzOutcome, FuzzRequest } from "./fuzz_runner.ts";
import { fuzzFailure } from "./fuzz_report.ts";
import { fuzzSettings } from "./fuzz_settings.ts";
import { type FuzzTarget, registerTarget } from "./fuzz_target.ts";
import { Watchdog } from "./fuzz_watchdog.ts";

/** How long one case may run before the watchdog calls it a hang. */
const HANG_MS = 10_000;

/**
 * Registers a fuzz test: `Deno.test(name)` runs the target's cases in a
 * worker and fails with the seed, the case number, a replay command and the
 * input when an invariant breaks, a case is slow, or a case never returns.
 *
 * @example Usage
 * ```ts ignore
 * // In a test module (`Deno.test` cannot be called inside a test, so this is not run here):
 * import { fuzzTest } from "./fuzz.ts";
 * import { randomText } from "./fuzz_text.ts";
 * import assert from "node:assert/strict";
 *
 * fuzzTest(import.meta.url, "trim is idempotent on fuzzed text", {
 *   cases: 1000,
 *   input: (rng) => randomText(rng, 64),
 *   check: (text) => assert.equal(text.trim().trim(), text.trim()),
 * });
 * ```
 *
 * @typeParam T The target's input type.
 * @param module The defining test module's `import.meta.url` (the worker imports it).
 * @param name The test's name, also the target's key: unique.
 * @param target The inputs and invariants.
 */
export function fuzzTest<T>(module: string, name: string, target: FuzzTarget<T>): void {
  registerTarget(name, target);
  Deno.test(name, async () => {
    const settings = fuzzSettings();
    const worker = new Worker(new URL("./fuzz_worker.ts", import.meta.url), { type: "module" });
    const ended = Promise.withResolvers<FuzzOutcome | { hang: number }>();
    let running = -1; // the case the worker last said it started; -1 before the first
    // Armed now, so a worker that never starts is caught too; each case's start re-arms it.
    using watchdog = new Watchdog(HANG_MS, () => ended.resolve({ hang: running }));
    try {
      worker.onmessage = (event: MessageEvent<FuzzMessage>) => {
        if (event.data.kind === "done") return ended.resolve(event.data.outcome);
        running = event.data.index;
        watchdog.progress();
      };
      worker.onerror = (event) => {
        event.preventDefault();
        ended.reject(new Error(`fuzz worker failed: ${event.message}`));
      };
      const request: FuzzRequest = { module, name, settings };
      worker.postMessage(request);
      const outcome = await ended.promise;
      const failure = { name, target, module, settings };
      if ("hang" in outcome && outcome.hang === -1) {
        throw new Error(`fuzz worker for "${name}" did not start in ${HANG_MS} ms`);
      }
      if ("hang" in outcome) {
        throw fuzzFailure({
          ...failure,
          index: outcome.hang,
          error: `did not return in ${HANG_MS} ms`,
        });
      }
      if (!outcome.ok) {
        throw fuzzFailure({ ...failure, index: outcome.index, error: outcome.error });
      }
      if (settings.iterations !== undefined || Deno.env.get("FUZZ_BUDGET_MS")) {
        const { cases, elapsedMs, slowest } = outcome;
        console.log(
          `${name}: ${cases} cases in ${Math.round(elapsedMs)} ms, ` +
            `the slowest (case ${slowest.index}) in ${slowest.ms.toFixed(1)} ms`,
        );
      }
    } finally {
      worker.terminate();
    }
  });
}
