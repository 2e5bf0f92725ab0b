/**
 * Where a crawl without a store history keeps what the link check reads of
 * each record until the crawl is over: a temporary JSON Lines file, read
 * back once per pass, so memory does not grow with the links.
 *
 * @module
 */

import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { CrawlRecord } from "../output/record.ts";
import type { LinkRecord } from "./outcome.ts";

/**
 * A temporary file of the link-check fields of records.
 *
 * @example Usage
 * ```ts
 * import { RecordSpill } from "./spill.ts";
 * import assert from "node:assert/strict";
 *
 * await using spill = await RecordSpill.create();
 * await spill.write({
 *   url: "https://a.test/", requestedUrl: "https://a.test/", status: 200, depth: 0, parent: null,
 *   fetchedAt: "2026-01-01T00:00:00.000Z", contentType: "text/html", bytes: 1, durationMs: 1,
 *   attempts: 1, title: "Home", description: null, canonical: null, h1: [], links: [],
 *   refs: [{ url: "https://a.test/x", tag: "a[href]", text: "X" }],
 * });
 * await spill.flush();
 * const read = [];
 * for await (const record of spill.records()) read.push(record);
 * assert.deepEqual(read[0]!.refs, [{ url: "https://a.test/x", tag: "a[href]", text: "X" }]);
 * ```
 */
export class RecordSpill implements AsyncDisposable {
  readonly path: string;
  #file: Deno.FsFile;
  #chunks: string[] = [];
  #size = 0;
  #encoder = new TextEncoder();

  private constructor(path: string, file: Deno.FsFile) {
    this.path = path;
    this.#file = file;
  }

  /**
   * Creates the file: beside an output the user named (`NEAR.links-spill`,
   * where the crawl may write already), else in the system's temporary
   * folder.
   *
   * @param near An output file the spill goes beside.
   * @returns The spill.
   */
  static async create(near?: string): Promise<RecordSpill> {
    const path = near === undefined
      ? await Deno.makeTempFile({ prefix: "crawler-links-", suffix: ".jsonl" })
      : `${near}.links-spill`;
    return new RecordSpill(
      path,
      await Deno.open(path, { write: true, create: true, truncate: true }),
    );
  }

  /**
   * Keeps one record's link-check fields.
   *
   * @param record The record.
   * @returns A promise that resolves once buffered (written when the buffer is full).
   */
  async write(record: CrawlRecord): Promise<void> {
    const kept: LinkRecord = {
      url: record.url,
      requestedUrl: record.requestedUrl,
      status: record.status,
      error: record.error,
      errorMessage: record.errorMessage,
      refs: record.refs,
      anchors: record.anchors,
    };
    const line = `${JSON.stringify(kept)}\n`;
    this.#chunks.push(line);
    this.#size += line.length;
    if (this.#size >= 1 << 16) await this.flush();
  }

  /**
   * Writes what is buffered.
   *
   * @returns A promise that resolves once written.
   */
  async flush(): Promise<void> {
    if (this.#chunks.length === 0) return;
    const bytes = this.#encoder.encode(this.#chunks.join(""));
    this.#chunks = [];
    this.#size = 0;
    let written = 0;
    while (written < bytes.length) written += await this.#file.write(bytes.subarray(written));
  }

  /**
   * Reads the records back, in the order written (call {@linkcode flush} first).
   *
   * @returns The records.
   */
  async *records(): AsyncIterable<LinkRecord> {
    const lines = createInterface({ input: createReadStream(this.path), crlfDelay: Infinity });
    for await (const line of lines) if (line !== "") yield JSON.parse(line);
  }

  /** Closes and removes the file. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#file.close();
    await Deno.remove(this.path).catch(() => {});
  }
}
