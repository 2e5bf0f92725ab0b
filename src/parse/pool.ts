/**
 * A pool of parser Web Workers, so parsing uses every core while the main
 * isolate fetches. Bodies go to the workers as transferred ArrayBuffers (no
 * copy); results come back as plain objects.
 *
 * @module
 */

import type { ParseJob, ParserConfig, ParseResult } from "./job.ts";
import type { WorkerJob, WorkerRequest, WorkerResponse } from "./worker.ts";

const WORKER_URL = new URL("./worker.ts", import.meta.url);

interface Pending {
  resolve(result: ParseResult): void;
  reject(reason: unknown): void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  /** False while a crashed worker is being replaced. */
  alive: boolean;
  /** Jobs waiting for the worker to finish its current batch. */
  outbox: WorkerJob[];
  /** Whether the worker is parsing a batch. */
  busy: boolean;
}

/**
 * Whether this process may start parser workers: Deno needs read access to
 * the worker's module to load it.
 *
 * @returns `true` when workers can be spawned.
 */
export function workersPermitted(): boolean {
  if (WORKER_URL.protocol !== "file:") return true;
  return Deno.permissions.querySync({ name: "read", path: WORKER_URL }).state === "granted";
}

/** Options for {@linkcode ParserPool.parse}. */
export interface ParseOptions {
  /** Aborting it rejects the wait with `signal.reason` (the worker finishes the page anyway). */
  signal?: AbortSignal;
}

/**
 * Parser workers, each fed the jobs of the least busy one.
 *
 * @example Usage
 * ```ts
 * import { ParserPool } from "./pool.ts";
 * import assert from "node:assert/strict";
 *
 * const pool = await ParserPool.create(2, {
 *   parser: "htmlparser2",
 *   followNofollow: false,
 *   stripParams: [],
 *   sortQuery: false,
 * });
 * const body = new TextEncoder().encode(`<title>Hi</title><a href="/b">b</a>`);
 * const result = await pool.parse({ url: "http://a.test/", contentType: "text/html", body });
 * pool.close();
 * assert.equal(result.title, "Hi");
 * assert.deepEqual(result.links, ["http://a.test/b"]);
 * assert.equal(body.byteLength, 0); // the body was transferred to the worker
 * ```
 */
export class ParserPool {
  #slots: Slot[];
  #config: ParserConfig;
  #nextId = 0;
  #closed = false;

  private constructor(slots: Slot[], config: ParserConfig) {
    this.#slots = slots;
    this.#config = config;
  }

  /**
   * Starts `size` workers and waits until each is ready.
   *
   * @param size How many workers, a positive integer.
   * @param config The parser configuration every worker gets.
   * @returns The pool.
   * @throws {RangeError} If `size` is not a positive integer.
   * @throws If a worker fails to start (e.g. the extract module does not load).
   */
  static async create(size: number, config: ParserConfig): Promise<ParserPool> {
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(
        `Cannot create parser pool as 'size' must be a positive integer: received ${size}`,
      );
    }
    // Workers load in parallel; if one fails, the others are stopped too.
    const starting = Array.from({ length: size }, () => startWorker(config));
    const settled = await Promise.allSettled(starting);
    const slots = settled.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const failed = settled.find((r) => r.status === "rejected");
    if (failed) {
      for (const slot of slots) slot.worker.terminate();
      throw failed.reason;
    }
    const pool = new ParserPool(slots, config);
    for (const slot of slots) pool.#listen(slot);
    return pool;
  }

  /** How many workers run. */
  get size(): number {
    return this.#slots.length;
  }

  /**
   * Parses a page in the least busy worker. The job's body buffer is
   * transferred: the caller must not use it afterwards.
   *
   * @param job The page.
   * @param options An optional signal.
   * @returns The parse result.
   * @throws The worker's error message as an Error when parsing failed.
   */
  parse(job: ParseJob, options: ParseOptions = {}): Promise<ParseResult> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#closed) return Promise.reject(new Error("Cannot parse as the parser pool is closed"));
    let slot: Slot | undefined;
    for (const candidate of this.#slots) {
      if (candidate.alive && (!slot || candidate.pending.size < slot.pending.size)) {
        slot = candidate;
      }
    }
    if (!slot) return Promise.reject(new Error("Cannot parse as no parser worker is running"));
    const id = this.#nextId++;
    const body = job.body;
    const buffer = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength
      ? body.buffer as ArrayBuffer
      : body.slice().buffer;
    return new Promise<ParseResult>((resolve, reject) => {
      const onAbort = () => {
        slot!.pending.delete(id);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      slot!.pending.set(id, {
        resolve: (result) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(result);
        },
        reject: (reason) => {
          signal?.removeEventListener("abort", onAbort);
          reject(reason);
        },
      });
      slot!.outbox.push({ id, url: job.url, contentType: job.contentType, body: buffer });
      if (!slot!.busy) send(slot!);
    });
  }

  /** Terminates every worker; pending parses reject. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const slot of this.#slots) {
      slot.worker.terminate();
      failAll(slot, new Error("Parser pool closed"));
    }
  }

  #listen(slot: Slot): void {
    slot.worker.onmessage = (event: MessageEvent<WorkerResponse>) => {
      const message = event.data;
      if (message.type !== "results") return;
      slot.busy = false;
      // Jobs that came in meanwhile go out as the next batch before results are handed on.
      if (slot.outbox.length > 0) send(slot);
      for (const outcome of message.results) {
        const pending = slot.pending.get(outcome.id);
        if (!pending) continue;
        slot.pending.delete(outcome.id);
        if ("result" in outcome) pending.resolve(outcome.result);
        else pending.reject(new Error(outcome.error));
      }
    };
    slot.worker.onerror = (event) => {
      // A crashed worker loses only its own pages: they fail, and a fresh worker replaces it.
      event.preventDefault();
      slot.alive = false;
      slot.busy = false;
      slot.outbox = [];
      slot.worker.terminate();
      failAll(slot, new Error(`parser worker crashed: ${event.message}`));
      if (this.#closed) return;
      startWorker(this.#config).then((fresh) => {
        if (this.#closed) return fresh.worker.terminate();
        slot.worker = fresh.worker;
        slot.alive = true;
        this.#listen(slot);
      }, () => {});
    };
  }
}

/** Posts everything in a slot's outbox as one batch. */
function send(slot: Slot): void {
  const jobs = slot.outbox;
  slot.outbox = [];
  slot.busy = true;
  const request: WorkerRequest = { type: "parse", jobs };
  slot.worker.postMessage(request, jobs.map((job) => job.body));
}

function failAll(slot: Slot, error: Error): void {
  for (const pending of slot.pending.values()) pending.reject(error);
  slot.pending.clear();
}

function startWorker(config: ParserConfig): Promise<Slot> {
  const worker = new Worker(WORKER_URL, { type: "module", name: "parser" });
  return new Promise<Slot>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<WorkerResponse>) => {
      if (event.data.type === "ready") {
        resolve({ worker, pending: new Map(), alive: true, outbox: [], busy: false });
      } else if (event.data.type === "init_error") {
        worker.terminate();
        reject(new Error(event.data.message));
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      worker.terminate();
      reject(new Error(`parser worker failed to start: ${event.message}`));
    };
    worker.postMessage({ type: "init", config } satisfies WorkerRequest);
  });
}
