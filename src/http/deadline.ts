/**
 * A per-request deadline that is cleared when the request ends.
 *
 * `AbortSignal.any([AbortSignal.timeout(ms), signal])` is the usual idiom,
 * but its timer (and the signals hanging on it) live until the timeout
 * fires, so a crawler doing thousands of requests a second with a 30 s
 * deadline keeps tens of thousands of them alive. This one is disposed as
 * soon as the request is over. (Not std's `deadline(promise, ms)`, which
 * races a promise against a timer: this one hands out a signal to pass down.)
 *
 * @module
 */

/** A deadline signal to dispose when the work it guards is done. */
export interface Deadline extends Disposable {
  /** Aborts with a `TimeoutError` DOMException at the deadline, or with the parent's reason. */
  readonly signal: AbortSignal;
  /**
   * Stops the clock until the handle is disposed, for a wait that is not
   * the work's own (a redirect hop queueing for its host's slot): the time
   * left is kept, and runs again on disposal.
   *
   * @returns A handle whose disposal starts the clock again.
   */
  pause(): Disposable;
}

/**
 * Starts a deadline.
 *
 * @param timeoutMs How long until it aborts, in ms.
 * @param parent A signal whose abort aborts this one too (e.g. the crawl's).
 * @returns The deadline; dispose it (`using`) when the work ends.
 *
 * @example Usage
 * ```ts
 * import { startDeadline } from "./deadline.ts";
 * import assert from "node:assert/strict";
 *
 * using limit = startDeadline(50);
 * {
 *   using _paused = limit.pause();
 *   await new Promise((resolve) => setTimeout(resolve, 80)); // not counted
 * }
 * assert.equal(limit.signal.aborted, false);
 * ```
 */
export function startDeadline(timeoutMs: number, parent?: AbortSignal): Deadline {
  const controller = new AbortController();
  const expire = () =>
    controller.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError"));
  let left = timeoutMs;
  let startedAt = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined = setTimeout(expire, left);
  const onAbort = () => controller.abort(parent!.reason);
  if (parent?.aborted) onAbort();
  else parent?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    pause() {
      if (timer === undefined) return { [Symbol.dispose]() {} };
      clearTimeout(timer);
      timer = undefined;
      left = Math.max(0, left - (performance.now() - startedAt));
      return {
        [Symbol.dispose]() {
          if (controller.signal.aborted || timer !== undefined) return;
          startedAt = performance.now();
          timer = setTimeout(expire, left);
        },
      };
    },
    [Symbol.dispose]() {
      clearTimeout(timer);
      timer = undefined;
      left = 0;
      parent?.removeEventListener("abort", onAbort);
    },
  };
}
