/**
 * Waiting on a promise until a signal aborts, in the shape of `@std/async`'s
 * `abortable()`.
 *
 * @module
 */

/**
 * Settles like `promise`, or rejects with `signal.reason` once `signal`
 * aborts, whichever comes first. The promise itself goes on; only this wait
 * ends.
 *
 * @typeParam T The promise's value.
 * @param promise The promise to wait on.
 * @param signal Aborting it ends the wait.
 * @returns A promise settled by the first of the two.
 *
 * @example Usage
 * ```ts
 * import { abortable } from "./abortable.ts";
 * import assert from "node:assert/strict";
 *
 * const never = new Promise<never>(() => {});
 * const controller = new AbortController();
 * const waiting = abortable(never, controller.signal);
 * controller.abort(new Error("gave up"));
 * await assert.rejects(waiting, /gave up/);
 * ```
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  const { promise: waited, resolve, reject } = Promise.withResolvers<T>();
  const onAbort = () => reject(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  return waited;
}
