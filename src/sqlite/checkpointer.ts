/**
 * WAL checkpoints off the crawl's thread. SQLite copies the WAL into the
 * database at a checkpoint and fsyncs both files (with `synchronous =
 * NORMAL`, only checkpoints fsync): run by the writing connection, that
 * blocked the event loop for up to ~100 ms at a time, stalling every
 * fetcher. A worker with its own connection runs PASSIVE checkpoints instead,
 * which never block the writer; the writer's own auto-checkpoint stays as a
 * backstop (it then only copies what the worker has not, and lets the WAL
 * start over). Checkpoints move committed data only, so a process killed at
 * any moment loses nothing that was committed. The worker is `node:worker_threads`'
 * for its `unref()`: an idle checkpointer never keeps a process alive.
 *
 * @module
 */

/** A message to the checkpoint worker. */
export type CheckpointRequest =
  | { type: "open"; path: string }
  | { type: "checkpoint" }
  | { type: "close" };

/** The worker's answer to a request, with the error it met, if any. */
export interface CheckpointResponse {
  /** The request answered. */
  type: CheckpointRequest["type"];
  /** Why it failed; a failed checkpoint is left to the writer's backstop. */
  error?: string;
}

import { Worker } from "node:worker_threads";

const WORKER_URL = new URL("./checkpoint_worker.ts", import.meta.url);

/**
 * Asks a worker to checkpoint a state file's WAL, one checkpoint at a time.
 *
 * @example Usage
 * ```ts ignore
 * import { Checkpointer } from "./checkpointer.ts";
 *
 * const checkpointer = new Checkpointer("crawl.db");
 * checkpointer.request(); // after commits: copies the WAL into the database, off this thread
 * await checkpointer.close();
 * ```
 */
export class Checkpointer {
  #worker: Worker | undefined;
  #busy = true;
  #wanted = false;
  #closed: (() => void) | undefined;

  /**
   * Starts the worker and opens its connection.
   *
   * @param path The state file (in WAL mode).
   */
  constructor(path: string) {
    const worker = new Worker(WORKER_URL, { name: "sqlite-checkpoint" });
    worker.unref();
    worker.on("message", (response: CheckpointResponse) => {
      if (response.type === "close") return this.#closed?.();
      this.#busy = false;
      if (this.#wanted) this.request();
    });
    // The writer's auto-checkpoint still keeps the WAL bounded.
    worker.on("error", () => this.terminate());
    worker.postMessage({ type: "open", path } satisfies CheckpointRequest);
    this.#worker = worker;
  }

  /** Asks for a checkpoint: now if the worker is idle, else right after its current one. */
  request(): void {
    if (!this.#worker) return;
    if (this.#busy) {
      this.#wanted = true;
      return;
    }
    this.#busy = true;
    this.#wanted = false;
    this.#worker.postMessage({ type: "checkpoint" } satisfies CheckpointRequest);
  }

  /**
   * Closes the worker's connection after the checkpoints asked for (the one
   * in progress and one waiting, if any), and stops it.
   *
   * @returns A promise that resolves once the worker has stopped.
   */
  async close(): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    const closed = new Promise<void>((resolve) => this.#closed = resolve);
    // Awaited: the worker holds the process open until it answers.
    worker.ref();
    // The worker answers in order: a waiting checkpoint posted now runs before the close.
    if (this.#wanted) worker.postMessage({ type: "checkpoint" } satisfies CheckpointRequest);
    this.#wanted = false;
    worker.postMessage({ type: "close" } satisfies CheckpointRequest);
    await closed;
    this.terminate();
  }

  /** Stops the worker at once (what a killed process does). */
  terminate(): void {
    void this.#worker?.terminate();
    this.#worker = undefined;
    this.#closed?.();
  }
}
