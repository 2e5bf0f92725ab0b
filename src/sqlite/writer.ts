/**
 * {@linkcode SqliteWriter}: hands a state file's transactions to a worker
 * thread (`writer_worker.ts`) with its own connection, so the crawl's thread
 * does not wait on SQLite while it commits and checkpoints.
 *
 * @module
 */

import {
  type CommitBatch,
  ERROR_OFFSET,
  type ErrorInfo,
  SHARED_BYTES,
  SLOT,
  type WriterReply,
  type WriterRequest,
} from "./writer_worker.ts";

export type { CommitBatch, FinishRow, PushRow, SeenRow } from "./writer_worker.ts";

const WORKER_URL = new URL("./writer_worker.ts", import.meta.url);
/** Longest the crawl's thread blocks on the writer before it calls it lost, in ms. */
const BLOCK_LIMIT_MS = 60_000;

/**
 * Commits batches to a SQLite file from a worker thread, in the order
 * asked. Progress is counted in memory both threads share: `committed` is
 * exact at any moment, `waitFor()` blocks on it, and `onProgress` runs on
 * the crawl's thread after each commit (or failure). After a failure
 * nothing more is written, and `error` holds what failed.
 *
 * @example Usage
 * ```ts
 * import { SqliteWriter } from "./writer.ts";
 * import { SqliteStore } from "./store.ts";
 * import { DatabaseSync } from "node:sqlite";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const path = `${dir}/crawl.db`;
 * await SqliteStore.open(path, { identity: {} }).close(); // a state file, with its tables
 * const writer = new SqliteWriter(path, () => {});
 * const seq = writer.commit({ run: 1, seen: [[1, 0, 7, "https://a.test/r"]], push: [], finish: [] });
 * writer.waitFor(seq);
 * assert.equal(writer.error, undefined);
 * const db = new DatabaseSync(path, { readOnly: true });
 * assert.equal(db.prepare("SELECT url FROM urls").get()?.url, "https://a.test/r");
 * db.close();
 * await writer.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class SqliteWriter {
  #worker: Worker;
  #shared = new SharedArrayBuffer(SHARED_BYTES);
  #slots = new Int32Array(this.#shared, 0, ERROR_OFFSET / 4);
  #asked = 0;
  #lost: Error | undefined;
  #failure: Error | undefined;
  #closed: PromiseWithResolvers<void> | undefined;
  #stopped = false;

  /**
   * Starts the worker and opens its connection to the file.
   *
   * @param path The SQLite file (already created, in WAL mode).
   * @param onProgress Runs on this thread after each commit or failure.
   */
  constructor(path: string, onProgress: () => void) {
    this.#worker = new Worker(WORKER_URL, { type: "module", name: "sqlite-writer" });
    this.#worker.onmessage = (event: MessageEvent<WriterReply>) => {
      if (event.data === "closed") this.#closed?.resolve();
      else onProgress();
    };
    this.#worker.onerror = (event) => {
      event.preventDefault();
      this.#lost ??= new Error(`the state file's writer failed: ${event.message}`);
      this.#closed?.resolve();
      onProgress();
    };
    this.#post({ kind: "open", path, shared: this.#shared });
  }

  /** Batches committed so far (they number from 1 in the order asked). */
  get committed(): number {
    return Atomics.load(this.#slots, SLOT.COMMITTED);
  }

  /** Batches asked so far. */
  get asked(): number {
    return this.#asked;
  }

  /** What failed a commit (or the writer), if anything did: nothing is written after it. */
  get error(): Error | undefined {
    if (this.#lost) return this.#lost;
    if (this.#failure === undefined && Atomics.load(this.#slots, SLOT.FAILED) === 1) {
      const length = Atomics.load(this.#slots, SLOT.ERROR_BYTES);
      const bytes = new Uint8Array(this.#shared, ERROR_OFFSET, length).slice();
      this.#failure = errorOf(JSON.parse(new TextDecoder().decode(bytes)));
    }
    return this.#failure;
  }

  /**
   * Asks for one batch to be committed in one transaction, after those asked before it.
   *
   * @param batch The rows.
   * @returns The batch's number: it is committed once `committed` reaches it.
   * @throws {Error} If the writer is closed.
   */
  commit(batch: CommitBatch): number {
    if (this.#stopped) throw new Error("Cannot write as the state file is closed");
    this.#post({ kind: "commit", batch });
    return ++this.#asked;
  }

  /**
   * Blocks this thread until batch `seq` is committed or the writer failed:
   * the back-pressure for a caller that writes faster than the file takes it.
   *
   * @param seq A number `commit()` returned.
   * @throws {Error} If the writer gives no sign of progress for a minute.
   */
  waitFor(seq: number): void {
    let seen = this.committed;
    while (seen < seq && this.error === undefined) {
      if (Atomics.wait(this.#slots, SLOT.COMMITTED, seen, BLOCK_LIMIT_MS) === "timed-out") {
        this.#lost ??= new Error(
          `the state file's writer made no progress in ${BLOCK_LIMIT_MS} ms`,
        );
      }
      seen = this.committed;
    }
  }

  /**
   * Lets the batches asked finish, closes the worker's connection (which
   * checkpoints the WAL into the file when it is the last one) and stops it.
   *
   * @returns A promise that resolves once the worker stopped.
   */
  async close(): Promise<void> {
    if (this.#stopped) return;
    this.#closed = Promise.withResolvers();
    this.#post({ kind: "close" });
    if (this.#lost === undefined) await this.#closed.promise;
    this.#stop();
  }

  /**
   * Stops at once, as a killed process would: the batch being written is
   * rolled back and later ones are dropped. Blocks until the worker closed
   * its connection, so the file can be opened again right away.
   */
  abandon(): void {
    if (this.#stopped) return;
    Atomics.store(this.#slots, SLOT.ABANDONED, 1);
    this.#post({ kind: "abandon" });
    if (this.#lost === undefined) Atomics.wait(this.#slots, SLOT.CLOSED, 0, BLOCK_LIMIT_MS);
    this.#stop();
  }

  #post(request: WriterRequest): void {
    this.#worker.postMessage(request);
  }

  #stop(): void {
    this.#stopped = true;
    this.#worker.terminate();
  }
}

/** The error a failed commit reports, with node:sqlite's fields (`code`, `errcode`, `errstr`). */
function errorOf(info: ErrorInfo): Error {
  const error = new Error(info.message);
  error.name = info.name;
  for (const key of ["code", "errcode", "errstr"] as const) {
    if (info[key] !== undefined) Object.assign(error, { [key]: info[key] });
  }
  return error;
}
