/**
 * Stopping a crawl early, softly: on the caller's stop signal (SIGINT or
 * SIGTERM in the CLI) or when `--max-duration` passes. A soft stop takes no
 * new URL; pages in flight finish and are written.
 *
 * @module
 */

/** Why a crawl was stopped early. */
export type StopReason = "interrupted" | "max_duration";

/** Options for {@linkcode watchStop}. */
export interface WatchStopOptions {
  /** Aborting it stops the crawl (`interrupted`). */
  stopSignal?: AbortSignal;
  /** Stops the crawl this long after the watch starts (`max_duration`), in ms. */
  maxDurationMs?: number;
  /** Called once, with the first reason. */
  onStop: (reason: StopReason) => void;
}

/**
 * Watches for a soft stop until disposed.
 *
 * @param options The stop signal, the time limit and what to do.
 * @returns A handle whose disposal ends the watch (timer and listener).
 *
 * @example Usage
 * ```ts
 * import { watchStop } from "./stop.ts";
 * import assert from "node:assert/strict";
 *
 * const controller = new AbortController();
 * const reasons: string[] = [];
 * {
 *   using _watch = watchStop({ stopSignal: controller.signal, onStop: (r) => reasons.push(r) });
 *   controller.abort();
 *   controller.abort();
 * }
 * assert.deepEqual(reasons, ["interrupted"]);
 * ```
 */
export function watchStop(options: WatchStopOptions): Disposable {
  const { stopSignal, maxDurationMs } = options;
  let stopped = false;
  const stop = (reason: StopReason) => {
    if (stopped) return;
    stopped = true;
    options.onStop(reason);
  };
  const onAbort = () => stop("interrupted");
  stopSignal?.addEventListener("abort", onAbort, { once: true });
  if (stopSignal?.aborted) onAbort();
  const timer = maxDurationMs === undefined
    ? undefined
    : setTimeout(() => stop("max_duration"), maxDurationMs);
  return {
    [Symbol.dispose]() {
      clearTimeout(timer);
      stopSignal?.removeEventListener("abort", onAbort);
    },
  };
}
