/**
 * The worker {@linkcode fuzzTest} runs a target's cases in, so that a case
 * that never returns can be stopped and reported.
 *
 * @module
 */

import { type FuzzOutcome, type FuzzRequest, runCases } from "./fuzz.ts";

/** The worker's global scope, as far as this file uses it. */
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<FuzzRequest>) => void) | null;
  postMessage(message: FuzzOutcome): void;
};

scope.onmessage = async (event) => {
  scope.postMessage(await runCases(event.data));
};
