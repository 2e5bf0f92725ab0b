/**
 * Compressing records into gzip members, one per record. Compression is
 * most of what archiving costs, so a page's records are compressed in a
 * Web Worker of their own while the crawl goes on; what must be written at
 * once (robots.txt and sitemap exchanges, a `warcinfo`) is compressed here.
 *
 * @module
 */

import { gzipSync } from "node:zlib";
import { concatBytes } from "../http/body.ts";
import { serializeRecord, type WarcRecord } from "./record.ts";
import type { GzipRequest, GzipResponse } from "./gzip_worker.ts";

/**
 * The gzip level: on the benchmark's pages level 3 came within 2% of level
 * 6's size (the zlib default) at two thirds of its CPU; level 1 was a third
 * larger.
 */
export const GZIP_LEVEL = 3;

const WORKER_URL = new URL("./gzip_worker.ts", import.meta.url);
const CLOSED = "Cannot compress WARC records as the worker is closed";

/**
 * One record as one gzip member, in this thread.
 *
 * @param record The record.
 * @returns The member's bytes.
 *
 * @example Usage
 * ```ts
 * import { gzipRecord } from "./gzip.ts";
 * import { gunzipSync } from "node:zlib";
 * import assert from "node:assert/strict";
 *
 * const member = gzipRecord({ type: "metadata", id: "<urn:x:1>", date: "2026-01-01T00:00:00Z", fields: [], block: [] });
 * assert.match(new TextDecoder().decode(gunzipSync(member)), /^WARC\/1\.1\r\nWARC-Type: metadata\r\n/);
 * ```
 */
export function gzipRecord(record: WarcRecord): Uint8Array {
  return gzipSync(concatBytes(serializeRecord(record)), { level: GZIP_LEVEL });
}

/**
 * Compresses records in a Web Worker, answers in order of asking.
 *
 * @example Usage
 * ```ts
 * import { GzipWorker } from "./gzip.ts";
 * import { gunzipSync } from "node:zlib";
 * import assert from "node:assert/strict";
 *
 * const worker = new GzipWorker();
 * const [member] = await worker.compress([{ type: "metadata", id: "<urn:x:1>", date: "2026-01-01T00:00:00Z", fields: [], block: [] }]);
 * assert.match(new TextDecoder().decode(gunzipSync(member!)), /^WARC\/1\.1\r\n/);
 * worker.close();
 * ```
 */
export class GzipWorker {
  #worker: Worker | undefined;
  #closed = false;
  #next = 0;
  #pending = new Map<
    number,
    { resolve: (m: Uint8Array[]) => void; reject: (e: unknown) => void }
  >();

  /**
   * Compresses records, one member each.
   *
   * @param records The records.
   * @returns Their members, in order.
   * @throws {Error} When the worker fails or is closed.
   */
  compress(records: readonly WarcRecord[]): Promise<Uint8Array[]> {
    // A closed pool starts no worker again: nothing would stop it.
    if (this.#closed) return Promise.reject(new Error(CLOSED));
    const worker = this.#worker ??= this.#start();
    const id = this.#next++;
    const message: GzipRequest = {
      id,
      records: records.map((r) => serializeRecord(r)),
      level: GZIP_LEVEL,
    };
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage(message);
    });
  }

  /** Stops the worker; compressions still pending fail. */
  close(): void {
    this.#closed = true;
    this.#worker?.terminate();
    this.#worker = undefined;
    this.#failAll(new Error(CLOSED));
  }

  #start(): Worker {
    const worker = new Worker(WORKER_URL, { type: "module", name: "warc-gzip" });
    worker.onmessage = (event: MessageEvent<GzipResponse>) => {
      const pending = this.#pending.get(event.data.id);
      this.#pending.delete(event.data.id);
      pending?.resolve(event.data.members);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      this.#failAll(new Error(`the WARC gzip worker failed: ${event.message}`));
    };
    return worker;
  }

  #failAll(error: Error): void {
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
  }
}
