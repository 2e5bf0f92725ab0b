/**
 * A buffered JSON Lines writer: records are batched into whole-line writes,
 * so output costs one syscall per batch, not per record, and every write
 * ends on a line boundary.
 *
 * @module
 */

/** Anything with Deno's `write()` (a file, `Deno.stdout`). */
export interface ByteWriter {
  /** Writes some of `p`, returning how many bytes were written. */
  write(p: Uint8Array): Promise<number>;
}

/** Options for {@linkcode JsonlWriter}. */
export interface JsonlWriterOptions {
  /** Flush once this many characters are buffered. Default 64 KiB. */
  flushBytes?: number;
  /** Flush buffered lines at most this long after the first, in ms. Default 200. */
  flushMs?: number;
}

async function writeAll(writer: ByteWriter, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) {
    offset += await writer.write(bytes.subarray(offset));
  }
}

const encoder = new TextEncoder();

/**
 * Writes one JSON object per line.
 *
 * @example Usage
 * ```ts
 * import { JsonlWriter } from "./jsonl_writer.ts";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * using file = await Deno.open(path, { write: true, truncate: true });
 * const writer = new JsonlWriter(file);
 * await writer.write({ url: "https://a.test/" });
 * await writer.write({ url: "https://a.test/b" });
 * await writer.close(); // flushes; the file stays open, it is the caller's
 * const text = await Deno.readTextFile(path);
 * assert.equal(text, '{"url":"https://a.test/"}\n{"url":"https://a.test/b"}\n');
 * await Deno.remove(path);
 * ```
 */
export class JsonlWriter {
  #writer: ByteWriter;
  /** Buffered lines, each with its newline. */
  #lines: string[] = [];
  #buffered = 0;
  #flushBytes: number;
  #flushMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #error: unknown;
  #closed = false;

  /**
   * Creates a writer over a byte sink.
   *
   * @param writer Where the bytes go.
   * @param options Buffer size and flush interval.
   */
  constructor(writer: ByteWriter, options: JsonlWriterOptions = {}) {
    this.#writer = writer;
    this.#flushBytes = options.flushBytes ?? 64 * 1024;
    this.#flushMs = options.flushMs ?? 200;
  }

  /**
   * Buffers one record; waits for a flush when the buffer is full, so a
   * slow disk slows the crawl instead of growing memory.
   *
   * @param value A JSON-serializable value.
   * @returns A promise that resolves once the line is buffered.
   * @throws {TypeError} If the value has no JSON form (`undefined`, a function).
   * @throws The error of an earlier failed write, or if the writer is closed.
   */
  async write(value: unknown): Promise<void> {
    const json = JSON.stringify(value) as string | undefined;
    if (json === undefined) {
      throw new TypeError(
        `Cannot write the value as it has no JSON form: received ${typeof value}`,
      );
    }
    await this.writeJson(json);
  }

  /**
   * Buffers one line of JSON text made elsewhere (e.g. a record's
   * `takeRecordJson()`), as {@linkcode JsonlWriter.write} does a value.
   *
   * @param json The JSON text of one value, without its newline.
   * @returns A promise that resolves once the line is buffered.
   * @throws {TypeError} If `json` is not text.
   * @throws The error of an earlier failed write, or if the writer is closed.
   */
  async writeJson(json: string): Promise<void> {
    if (this.#closed) throw new Error("Cannot write as the writer is closed");
    if (this.#error !== undefined) throw this.#error;
    if (typeof json !== "string") {
      throw new TypeError(`Cannot write the line as it is not text: received ${typeof json}`);
    }
    const line = json + "\n";
    this.#lines.push(line);
    this.#buffered += line.length;
    if (this.#buffered >= this.#flushBytes) {
      await this.flush();
    } else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.flush().catch(() => {});
      }, this.#flushMs);
    }
  }

  /**
   * Writes out everything buffered.
   *
   * @returns A promise that resolves once the bytes are handed to the writer.
   * @throws The write error, which every later call also throws.
   */
  flush(): Promise<void> {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#lines.length > 0) {
      const bytes = encoder.encode(this.#lines.join(""));
      this.#lines = [];
      this.#buffered = 0;
      // Serialize writes: concurrent flushes must not interleave lines.
      this.#flushing = this.#flushing.then(async () => {
        if (this.#error !== undefined) return;
        try {
          await writeAll(this.#writer, bytes);
        } catch (error) {
          this.#error = error;
        }
      });
    }
    return this.#flushing.then(() => {
      if (this.#error !== undefined) throw this.#error;
    });
  }

  /**
   * Flushes and stops accepting records. Idempotent; does not close the
   * underlying file, which the caller owns.
   *
   * @returns A promise that resolves once everything is written.
   */
  async close(): Promise<void> {
    if (this.#closed) return await this.#flushing;
    this.#closed = true;
    await this.flush();
  }
}
