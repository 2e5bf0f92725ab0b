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
 *
 * async function fetchWithin(url: string, ms: number) {
 *   using limit = startDeadline(ms);
 *   return await fetch(url, { signal: limit.signal });
 * }
 * ```
 */
export function startDeadline(timeoutMs: number, parent?: AbortSignal): Deadline {
  const controller = new AbortController();
  const timer = setTimeout(
    () =>
      controller.abort(
        new DOMException("The operation was aborted due to timeout", "TimeoutError"),
      ),
    timeoutMs,
  );
  const onAbort = () => controller.abort(parent!.reason);
  if (parent?.aborted) onAbort();
  else parent?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    [Symbol.dispose]() {
      clearTimeout(timer);
      parent?.removeEventListener("abort", onAbort);
    },
  };
}
