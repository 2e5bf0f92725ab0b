/**
 * Writing WARC files: one gzip member per record (so any record can be
 * read from its offset, and a file cut at a member boundary is whole),
 * rotation to a new numbered file past a size, names in the usual
 * `PREFIX-TIMESTAMP-SERIAL.warc.gz` shape, and the CDXJ index beside each
 * file. Writes are synchronous: when `write()` returns, the records are in
 * the file (the OS's page cache), which is what lets a durable store record
 * how far the files go in the same step as its commit.
 *
 * @module
 */

import { basename } from "node:path";
import { type CdxEntry, cdxjLine, sortedIndex } from "./cdxj.ts";
import type { WarcRecord } from "./record.ts";
import { gzipRecord } from "./gzip.ts";

/** Options for {@linkcode WarcWriter}. */
export interface WarcWriterOptions {
  /** The path every file name starts with (`out/site` for `out/site-...-00000.warc.gz`). */
  prefix: string;
  /** The file names' timestamp: 17 digits, `yyyyMMddHHmmssSSS` UTC. */
  stamp: string;
  /** Appended after the serial (e.g. `-host-pid` for files one process of many writes). */
  suffix?: string;
  /** Start a new file before a write would take the current one past this, in bytes. */
  maxSize: number;
  /** Write a CDXJ index beside each file. */
  cdx: boolean;
  /** The `warcinfo` record that opens each file, given the file's name. */
  warcinfo: (filename: string) => WarcRecord;
  /** Continue this serial's file from `end` (a resumed run, its files repaired). */
  resume?: { serial: number; end: number };
  /** Told each file's path when it is started. */
  onFile?: (path: string) => void;
}

/** How far the files go: what a durable store saves with each commit. */
export interface WarcMark {
  /** The file being written. */
  serial: number;
  /** Its length. */
  end: number;
}

const HTTP_STATUS = /^HTTP\/1\.1 (\d{3}) /;

/**
 * A file name's timestamp.
 *
 * @param date The time.
 * @returns 17 digits, `yyyyMMddHHmmssSSS` UTC.
 *
 * @example Usage
 * ```ts
 * import { fileStamp } from "./writer.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(fileStamp(new Date("2026-12-02T14:29:46.123Z")), "20261202142946123");
 * ```
 */
export function fileStamp(date: Date): string {
  return date.toISOString().replace(/[-:T.Z]/g, "");
}

/**
 * The path of one WARC file.
 *
 * @param prefix The path prefix.
 * @param stamp The timestamp.
 * @param serial The file's number.
 * @param suffix What follows the serial.
 * @returns `PREFIX-TIMESTAMP-SERIAL[SUFFIX].warc.gz`.
 *
 * @example Usage
 * ```ts
 * import { warcPath } from "./writer.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(warcPath("out/site", "20261202142946123", 3), "out/site-20261202142946123-00003.warc.gz");
 * ```
 */
export function warcPath(prefix: string, stamp: string, serial: number, suffix = ""): string {
  return `${prefix}-${stamp}-${String(serial).padStart(5, "0")}${suffix}.warc.gz`;
}

/**
 * The index file beside a WARC file, and the unsorted one it is written
 * from while the WARC file is open.
 *
 * @param path The WARC file.
 * @returns The two paths.
 *
 * @example Usage
 * ```ts
 * import { indexPaths } from "./writer.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(indexPaths("a-1-00000.warc.gz"), { index: "a-1-00000.cdxj", open: "a-1-00000.cdxj.open" });
 * ```
 */
export function indexPaths(path: string): { index: string; open: string } {
  const index = path.replace(/\.warc\.gz$/, ".cdxj");
  return { index, open: `${index}.open` };
}

/**
 * Writes records into rotating WARC files.
 *
 * @example Usage
 * ```ts
 * import { WarcWriter } from "./writer.ts";
 * import { recordId } from "./record.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const info = () => ({ type: "warcinfo" as const, id: recordId(), date: new Date().toISOString(), fields: [], block: [] });
 * const writer = new WarcWriter({ prefix: `${dir}/site`, stamp: "20260101000000000", maxSize: 1e9, cdx: false, warcinfo: info });
 * writer.write([{ ...info(), type: "metadata" }]);
 * writer.close();
 * assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["site-20260101000000000-00000.warc.gz"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class WarcWriter {
  #options: WarcWriterOptions;
  #file: Deno.FsFile | undefined;
  #index: Deno.FsFile | undefined;
  #path = "";
  #serial: number;
  #end = 0;
  #closed = false;

  /**
   * Opens the first file (or the one to continue), writing its `warcinfo`.
   *
   * @param options Where and how to write.
   */
  constructor(options: WarcWriterOptions) {
    this.#options = options;
    this.#serial = options.resume?.serial ?? 0;
    // Opened at once: every crawl (every process of a shared one) has its file and warcinfo.
    this.#open(options.resume?.end);
  }

  /** How far the files go now. */
  get mark(): WarcMark {
    return { serial: this.#serial, end: this.#end };
  }

  /** The file being written (empty before the first write). */
  get path(): string {
    return this.#path;
  }

  /**
   * Appends records, one gzip member each, all in one file: a new file is
   * started first when they would take the current one past `maxSize`.
   *
   * @param records The records (e.g. one URL's requests and responses).
   * @param compressed Their gzip members, when compressed already (`GzipWorker`).
   * @throws The file system's errors.
   */
  write(records: readonly WarcRecord[], compressed?: Uint8Array[]): void {
    if (this.#closed) throw new Error("Cannot write WARC records as the writer is closed");
    if (records.length === 0) return;
    const members = compressed ?? records.map(gzipRecord);
    const size = members.reduce((n, member) => n + member.byteLength, 0);
    if (this.#file === undefined) this.#open();
    else if (this.#end + size > this.#options.maxSize && this.#end > this.#infoEnd) {
      this.#rotate();
    }
    this.#append(records, members);
  }

  /** Closes the file (sorting its index). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#finishFile();
  }

  /** Where the current file's `warcinfo` ends: a file holding only that is not rotated. */
  #infoEnd = 0;

  #append(records: readonly WarcRecord[], members: Uint8Array[]): void {
    const lines: string[] = [];
    // A response's method is its request's, which comes before it.
    let method: string | undefined;
    for (let i = 0; i < records.length; i++) {
      const member = members[i]!;
      if (records[i]!.type === "request") method = requestMethod(records[i]!);
      const entry = this.#options.cdx
        ? this.#cdxEntry(records[i]!, member.byteLength, method)
        : undefined;
      writeAll(this.#file!, member);
      if (entry) lines.push(cdxjLine(entry));
      this.#end += member.byteLength;
    }
    if (lines.length > 0) writeAll(this.#index!, new TextEncoder().encode(`${lines.join("\n")}\n`));
  }

  #cdxEntry(record: WarcRecord, length: number, method?: string): CdxEntry | undefined {
    if (record.type !== "response" && record.type !== "revisit") return undefined;
    const field = (name: string) => record.fields.find(([n]) => n === name)?.[1];
    const head = new TextDecoder().decode(record.block[0]!.subarray(0, 4096));
    const type = /\r\ncontent-type:\s*([^;\r\n]*)/i.exec(head)?.[1]?.trim().toLowerCase();
    return {
      url: field("WARC-Target-URI")!,
      date: record.date,
      mime: record.type === "revisit" ? "warc/revisit" : (type || null),
      status: Number(HTTP_STATUS.exec(head)?.[1] ?? 0),
      digest: (field("WARC-Payload-Digest") ?? "").replace(/^sha1:/, ""),
      length,
      offset: this.#end,
      filename: basename(this.#path),
      ...(method === undefined || method === "GET" ? {} : { method }),
    };
  }

  /** Opens the current serial's file: new, or (resuming) at `end`, its warcinfo already there. */
  #open(resumeAt?: number): void {
    const { prefix, stamp, suffix, cdx, onFile } = this.#options;
    this.#path = warcPath(prefix, stamp, this.#serial, suffix);
    const resuming = resumeAt !== undefined;
    this.#file = Deno.openSync(this.#path, { write: true, create: true, truncate: !resuming });
    this.#file.seekSync(resumeAt ?? 0, Deno.SeekMode.Start);
    if (cdx) {
      this.#index = Deno.openSync(indexPaths(this.#path).open, {
        write: true,
        create: true,
        truncate: !resuming,
      });
      this.#index.seekSync(0, Deno.SeekMode.End);
    }
    onFile?.(this.#path);
    if (resuming) {
      this.#end = resumeAt;
      this.#infoEnd = 0;
      return;
    }
    this.#end = 0;
    const info = this.#options.warcinfo(basename(this.#path));
    this.#append([info], [gzipRecord(info)]);
    this.#infoEnd = this.#end;
  }

  #rotate(): void {
    this.#finishFile();
    this.#serial++;
    this.#open();
  }

  /** Closes the file and turns its open index into the sorted one. */
  #finishFile(): void {
    this.#file?.close();
    this.#file = undefined;
    if (this.#index) {
      this.#index.close();
      this.#index = undefined;
      const { index, open } = indexPaths(this.#path);
      const lines = Deno.readTextFileSync(open).split("\n").filter((line) => line !== "");
      Deno.writeTextFileSync(index, sortedIndex(lines));
      Deno.removeSync(open);
    }
  }
}

function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  for (let offset = 0; offset < bytes.byteLength;) {
    offset += file.writeSync(bytes.subarray(offset));
  }
}

/** A request record's method: the first word of its HTTP request line. */
function requestMethod(record: WarcRecord): string {
  const head = new TextDecoder().decode(record.block[0]!.subarray(0, 16));
  return head.slice(0, head.indexOf(" "));
}
