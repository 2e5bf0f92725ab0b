/**
 * A group of concurrent tasks sharing one cancellation, like Go's `errgroup`.
 *
 * @module
 */

/** Options for {@linkcode TaskGroup}. */
export interface TaskGroupOptions {
  /** A parent signal: when it aborts, the group aborts with the same reason. */
  signal?: AbortSignal;
}

/**
 * Runs tasks that share one `AbortController`. The first task to fail aborts
 * its siblings with that error as `signal.reason`, and `wait()` rejects with
 * that first error.
 *
 * @example Usage
 * ```ts
 * import { TaskGroup } from "./task_group.ts";
 *
 * const group = new TaskGroup();
 * group.go(async (signal) => {
 *   if (signal.aborted) return;
 * });
 * await group.wait();
 * ```
 */
export class TaskGroup {
  #controller = new AbortController();
  #tasks: Promise<void>[] = [];
  #error: { value: unknown } | undefined;
  #unlink: (() => void) | undefined;

  /**
   * Creates an empty group, linked to an optional parent signal.
   *
   * @param options An optional parent signal.
   */
  constructor(options: TaskGroupOptions = {}) {
    const parent = options.signal;
    if (parent?.aborted) {
      this.#controller.abort(parent.reason);
    } else if (parent) {
      const onAbort = () => this.#controller.abort(parent.reason);
      parent.addEventListener("abort", onAbort, { once: true });
      this.#unlink = () => parent.removeEventListener("abort", onAbort);
    }
  }

  /** The group's signal: aborted by the first failure or by the parent. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /**
   * Starts a task. Its rejection aborts the group.
   *
   * @param task The task; it receives the group's signal.
   */
  go(task: (signal: AbortSignal) => Promise<void>): void {
    const signal = this.#controller.signal;
    this.#tasks.push(
      (async () => {
        try {
          await task(signal);
        } catch (error) {
          if (!this.#error) {
            this.#error = { value: error };
            this.#controller.abort(error);
          }
        }
      })(),
    );
  }

  /**
   * Aborts every task of the group.
   *
   * @param reason The abort reason handed to the tasks.
   */
  abort(reason?: unknown): void {
    this.#controller.abort(reason);
  }

  /**
   * Waits for every task started so far (and any started while waiting).
   *
   * @returns A promise that resolves when all tasks have settled.
   * @throws The first error a task threw.
   */
  async wait(): Promise<void> {
    let settled = 0;
    while (settled < this.#tasks.length) {
      const batch = this.#tasks.slice(settled);
      await Promise.all(batch);
      settled += batch.length;
    }
    this.#unlink?.();
    this.#unlink = undefined;
    if (this.#error) throw this.#error.value;
  }
}
