/**
 * A pool of parser Web Workers, so parsing uses every core while the main
 * isolate fetches. Bodies go to the workers as transferred ArrayBuffers (no
 * copy); results come back as plain objects.
 *
 * @module
 */

import { ownBody } from "../http/read_buffers.ts";
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
  /** False while a crashed or stuck worker is being replaced. */
  alive: boolean;
  /** Why no fresh worker could be started for it: the slot takes no more jobs. */
  failed?: string;
  /** Jobs waiting for the worker to finish its current batch. */
  outbox: WorkerJob[];
  /** The batch the worker is parsing: job ids and URLs, in order; empty when idle. */
  batch: { id: number; url: string }[];
  /** What the worker writes before each job: its index in the batch, and `Date.now()`. */
  progress: Float64Array;
  /** The parse deadline of the job in progress. */
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Thrown by {@linkcode ParserPool.parse} for a page whose parse ran past the
 * pool's `timeoutMs`: its worker was stopped and replaced.
 */
export class ParseTimeoutError extends Error {
  /**
   * Creates the error.
   *
   * @param url The page.
   * @param timeoutMs The deadline it ran past, in ms.
   */
  constructor(url: string, timeoutMs: number) {
    super(`parsing ${url} took longer than ${timeoutMs} ms; its worker was replaced`);
    this.name = "ParseTimeoutError";
  }
}

/**
 * Thrown by {@linkcode ParserPool.parse} for a page that was in a worker
 * stopped because of another page (a stuck parse, a crash): its body went
 * with the worker, so it must be fetched again.
 */
export class WorkerLostError extends Error {
  /**
   * Creates the error.
   *
   * @param reason Why the worker was stopped.
   */
  constructor(reason: string) {
    super(`the page's parser worker was stopped: ${reason}`);
    this.name = "WorkerLostError";
  }
}

/** Options for {@linkcode ParserPool.create}. */
export interface ParserPoolOptions {
  /**
   * The longest one page may take to parse, in ms; past it the worker is
   * stopped and replaced, the page fails with {@linkcode ParseTimeoutError}
   * and the other pages it held with {@linkcode WorkerLostError}. Default:
   * no deadline.
   */
  timeoutMs?: number;
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
  #timeoutMs: number | undefined;
  #nextId = 0;
  #closed = false;

  private constructor(slots: Slot[], config: ParserConfig, timeoutMs: number | undefined) {
    this.#slots = slots;
    this.#config = config;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Starts `size` workers and waits until each is ready.
   *
   * @param size How many workers, a positive integer.
   * @param config The parser configuration every worker gets.
   * @param options The parse deadline.
   * @returns The pool.
   * @throws {RangeError} If `size` is not a positive integer.
   * @throws If a worker fails to start (e.g. the extract module does not load).
   */
  static async create(
    size: number,
    config: ParserConfig,
    options: ParserPoolOptions = {},
  ): Promise<ParserPool> {
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
    const pool = new ParserPool(slots, config, options.timeoutMs);
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
    const slot = this.#leastBusy();
    if (!slot) {
      const reason = this.#slots[0]!.failed;
      return Promise.reject(
        new Error(`Cannot parse as no parser worker could be started: ${reason}`),
      );
    }
    const id = this.#nextId++;
    // A body lent in a connection's read buffer becomes a copy, and the buffer goes back.
    const body = ownBody(job.body);
    const buffer = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength
      ? body.buffer as ArrayBuffer
      : body.slice().buffer;
    return new Promise<ParseResult>((resolve, reject) => {
      const onAbort = () => {
        slot.pending.delete(id);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      slot.pending.set(id, {
        resolve: (result) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(result);
        },
        reject: (reason) => {
          signal?.removeEventListener("abort", onAbort);
          reject(reason);
        },
      });
      slot.outbox.push({ id, url: job.url, contentType: job.contentType, body: buffer });
      if (slot.alive && slot.batch.length === 0) this.#send(slot);
    });
  }

  /** Terminates every worker; pending parses reject. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const slot of this.#slots) {
      clearTimeout(slot.timer);
      slot.worker.terminate();
      failAll(slot, () => new Error("Parser pool closed"));
    }
  }

  #listen(slot: Slot): void {
    slot.worker.onmessage = (event: MessageEvent<WorkerResponse>) => {
      const message = event.data;
      if (message.type !== "results") return;
      clearTimeout(slot.timer);
      slot.batch = [];
      // Jobs that came in meanwhile go out as the next batch before results are handed on.
      if (slot.outbox.length > 0) this.#send(slot);
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
      const message = `parser worker crashed: ${event.message}`;
      this.#replace(slot, () => new Error(message));
    };
  }

  /** Posts everything in a slot's outbox as one batch, under the parse deadline. */
  #send(slot: Slot): void {
    const jobs = slot.outbox;
    slot.outbox = [];
    slot.batch = jobs.map(({ id, url }) => ({ id, url }));
    slot.progress[0] = 0;
    slot.progress[1] = Date.now();
    const request: WorkerRequest = { type: "parse", jobs };
    slot.worker.postMessage(request, jobs.map((job) => job.body));
    if (this.#timeoutMs !== undefined) this.#watch(slot, this.#timeoutMs);
  }

  /**
   * Arms the deadline of the job in progress. When it fires, the job may
   * have moved on (the worker writes its progress): then the deadline of the
   * job now in progress is armed instead, once per job, never a poll.
   */
  #watch(slot: Slot, inMs: number): void {
    clearTimeout(slot.timer);
    slot.timer = setTimeout(() => {
      if (slot.batch.length === 0) return;
      const timeoutMs = this.#timeoutMs!;
      const left = slot.progress[1]! + timeoutMs - Date.now();
      if (left > 0) return this.#watch(slot, left);
      const stuck = slot.batch[slot.progress[0]!];
      const url = stuck?.url ?? "a page";
      this.#replace(
        slot,
        (id) =>
          id === stuck?.id
            ? new ParseTimeoutError(url, timeoutMs)
            : new WorkerLostError(`parsing ${url} took longer than ${timeoutMs} ms`),
      );
    }, Math.max(0, inMs));
  }

  /** The least busy slot still in service (one being replaced takes jobs for its fresh worker). */
  #leastBusy(): Slot | undefined {
    const load = (c: Slot) => c.pending.size + (c.alive ? 0 : this.#slots.length);
    let best: Slot | undefined;
    for (const slot of this.#slots) {
      if (slot.failed === undefined && (!best || load(slot) < load(best))) best = slot;
    }
    return best;
  }

  /**
   * Stops a slot's worker and starts a fresh one. The pages the worker held
   * fail (their bodies went with it); pages still in the outbox wait for the
   * fresh worker.
   */
  #replace(slot: Slot, errorFor: (id: number) => Error): void {
    clearTimeout(slot.timer);
    slot.alive = false;
    slot.worker.terminate();
    const held = new Set(slot.batch.map(({ id }) => id));
    slot.batch = [];
    for (const [id, pending] of slot.pending) {
      if (!held.has(id)) continue;
      slot.pending.delete(id);
      pending.reject(errorFor(id));
    }
    if (this.#closed) return;
    startWorker(this.#config).then((fresh) => {
      if (this.#closed) return fresh.worker.terminate();
      slot.worker = fresh.worker;
      slot.progress = fresh.progress;
      slot.alive = true;
      this.#listen(slot);
      if (slot.outbox.length > 0) this.#send(slot);
    }, (error) => {
      // No fresh worker: the slot is out for good, and the pages waiting for it fail (they go
      // to another worker when fetched again; with none left, parse() refuses at once).
      slot.failed = error instanceof Error ? error.message : String(error);
      slot.outbox = [];
      failAll(slot, () => new WorkerLostError(`no worker could be started: ${slot.failed}`));
    });
  }
}

function failAll(slot: Slot, errorFor: () => Error): void {
  for (const pending of slot.pending.values()) pending.reject(errorFor());
  slot.pending.clear();
}

function startWorker(config: ParserConfig): Promise<Slot> {
  const worker = new Worker(WORKER_URL, { type: "module", name: "parser" });
  const progress = new Float64Array(new SharedArrayBuffer(2 * Float64Array.BYTES_PER_ELEMENT));
  return new Promise<Slot>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<WorkerResponse>) => {
      if (event.data.type === "ready") {
        resolve({
          worker,
          pending: new Map(),
          alive: true,
          outbox: [],
          batch: [],
          progress,
          timer: undefined,
        });
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
    const init: WorkerRequest = {
      type: "init",
      config,
      progress: progress.buffer as SharedArrayBuffer,
    };
    worker.postMessage(init);
  });
}
