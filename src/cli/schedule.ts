/**
 * Scheduled crawls: one run per cron tick, never two at once.
 *
 * @module
 */

import { Cron } from "croner";

/** Options for {@linkcode runOnSchedule}. */
export interface ScheduleOptions {
  /** Aborting it stops the schedule: no new run starts; a run in progress finishes first. */
  signal: AbortSignal;
  /** Called when a tick comes while a run is still going (the tick is skipped). */
  onSkip?: (at: Date) => void;
  /** Called when the schedule waits for its next tick (at the start and after each run). */
  onWait?: (next: Date) => void;
}

/**
 * Runs `run` on every tick of a cron pattern (five to seven fields; seconds
 * allowed) until the signal aborts. A tick that comes while a run is going
 * is skipped, so runs never overlap.
 *
 * @param pattern The cron pattern, e.g. `"0 3 * * *"` (every day at 03:00).
 * @param run One run; it gets its sequence number (1 for the first tick).
 * @param options The stop signal and a skip hook.
 * @returns A promise that resolves once stopped and no run is going; it
 * rejects with the first error a run threw (the schedule stops then).
 * @throws {RangeError} (as a rejection) If the pattern is not a valid cron pattern.
 *
 * @example Usage
 * ```ts
 * import { runOnSchedule } from "./schedule.ts";
 * import assert from "node:assert/strict";
 *
 * const controller = new AbortController();
 * const runs: number[] = [];
 * // Every second (six fields, seconds first); the first run stops the schedule.
 * await runOnSchedule("* * * * * *", async (n) => {
 *   runs.push(n);
 *   controller.abort();
 * }, { signal: controller.signal });
 * assert.deepEqual(runs, [1]);
 * ```
 */
export function runOnSchedule(
  pattern: string,
  run: (sequence: number) => Promise<void>,
  options: ScheduleOptions,
): Promise<void> {
  const { signal } = options;
  return new Promise<void>((resolve, reject) => {
    let running: Promise<void> | undefined;
    let sequence = 0;
    let failed = false;
    const job = new Cron(pattern, { paused: true }, () => {
      if (running) return options.onSkip?.(new Date());
      running = run(++sequence).then(
        () => {
          running = undefined;
          if (signal.aborted) return finish();
          const next = job.nextRun();
          if (next) options.onWait?.(next);
        },
        (error) => {
          running = undefined;
          failed = true;
          job.stop();
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
    });
    const finish = () => {
      job.stop();
      signal.removeEventListener("abort", onAbort);
      if (!failed) resolve();
    };
    const onAbort = () => {
      job.stop();
      // A run in progress finishes (flushing its output) before the schedule ends.
      if (!running) finish();
    };
    if (signal.aborted) return resolve();
    signal.addEventListener("abort", onAbort, { once: true });
    job.resume();
    const first = job.nextRun();
    if (first) options.onWait?.(first);
  });
}
