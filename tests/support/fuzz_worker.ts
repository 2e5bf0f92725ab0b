/**
 * The worker `fuzzTest` (in `fuzz.ts`) runs a target's cases in, so that a
 * case that never returns can be stopped and reported.
 *
 * @module
 */

import { type FuzzMessage, type FuzzRequest, runCases } from "./fuzz_runner.ts";

/** The worker's global scope, as far as this file uses it. */
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<FuzzRequest>) => void) | null;
  postMessage(message: FuzzMessage): void;
};

scope.onmessage = async (event) => {
  // Each case's start goes out before the case runs: a case stuck in a
  // synchronous loop cannot send anything, but what it sent before arrives.
  const outcome = await runCases(
    event.data,
    (index) => scope.postMessage({ kind: "case", index }),
  );
  scope.postMessage({ kind: "done", outcome });
};
