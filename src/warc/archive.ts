/**
 * A crawl's WARC archive (`--warc`): the request client hands it every
 * HTTP exchange, and it writes them as records. A page's exchanges (its
 * redirect hops and retried attempts included) are kept together and
 * written when the page is finished, right before its store takes the
 * finish, so the files hold the pages in the order the store commits them;
 * exchanges that belong to no page (robots.txt, sitemaps) are written at
 * once. With a store that resumes runs, each commit saves how far the files
 * go, and a resumed run first cuts them back to that (`repair.ts`): every
 * page then has its records exactly once.
 *
 * @module
 */

import { hostname } from "node:os";
import { resolve } from "node:path";
import type { FrontierEntry } from "../frontier/types.ts";
import type { ExchangeRecorder, HttpExchange } from "../http/request.ts";
import type { ArchiveLedger } from "../store/types.ts";
import { exchangeRecords } from "./capture.ts";
import { recordId, type WarcRecord } from "./record.ts";
import { repairRun, WarcResumeError } from "./repair.ts";
import type { CaptureRef } from "./revisit.ts";
import { fileStamp, type WarcMark, WarcWriter } from "./writer.ts";
import { GzipWorker } from "./gzip.ts";

/** Options for {@linkcode WarcArchive.open}. */
export interface WarcArchiveOptions {
  /** `FILE.warc.gz`: files are named `FILE-TIMESTAMP-SERIAL.warc.gz` after it. */
  path: string;
  /** Start a new file past this many bytes. */
  maxSize: number;
  /** Write a CDXJ index beside each file. */
  cdx: boolean;
  /** The `warcinfo` fields after `software` and `format` (robots policy, user agent, options...). */
  info: [string, string][];
  /** The software and its version, for `warcinfo`. */
  software: string;
  /** The address the guard vetted for a URL's host, for `WARC-IP-Address`. */
  addressOf: (url: string) => string | undefined;
  /** Where the store keeps track of the files, if it does. */
  ledger?: ArchiveLedger;
}

const ENCODER = new TextEncoder();
/** The entry's `extra` key under which a store keeps the URL's last capture. */
export const CAPTURE_KEY = "capture";

/**
 * The file name prefix of `--warc`'s value.
 *
 * @param path The value, ending in `.warc.gz`.
 * @returns The path without `.warc.gz`.
 * @throws {TypeError} If it does not end in `.warc.gz`.
 *
 * @example Usage
 * ```ts
 * import { warcPrefix } from "./archive.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(warcPrefix("out/site.warc.gz"), "out/site");
 * assert.throws(() => warcPrefix("out/site.warc"), /must end in \.warc\.gz/);
 * ```
 */
export function warcPrefix(path: string): string {
  if (!/[^/\\]\.warc\.gz$/.test(path)) {
    throw new TypeError(`'${path}' must end in .warc.gz (the files are gzipped WARC/1.1)`);
  }
  return path.slice(0, -".warc.gz".length);
}

/**
 * Writes a crawl's exchanges into WARC files.
 *
 * @example Usage
 * ```ts
 * import { WarcArchive } from "./archive.ts";
 * import { request } from "../http/request.ts";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
 *   new Response("<title>Home</title>", { headers: { "content-type": "text/html" } }));
 * const dir = await Deno.makeTempDir();
 * const archive = await WarcArchive.open({
 *   path: `${dir}/site.warc.gz`, maxSize: 1e9, cdx: false, info: [], software: "example/1",
 *   addressOf: () => "127.0.0.1",
 * });
 * const url = `http://127.0.0.1:${server.addr.port}/`;
 * await request(url, { timeoutMs: 5000, maxBytes: 1e6, maxRedirects: 0, recorder: archive.recorderFor(url) });
 * archive.finish({ url, host: "", depth: 0, parent: null, attempts: 0 });
 * await archive.close();
 * const [file] = [...Deno.readDirSync(dir)];
 * assert.match(file!.name, /^site-\d{17}-00000\.warc\.gz$/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class WarcArchive {
  #options: WarcArchiveOptions;
  #writer: WarcWriter;
  #groups = new Map<string, { exchange: HttpExchange; ip: string | undefined }[]>();
  /** Pages whose records are built and compressed, waiting for `finish()`. */
  #prepared = new Map<string, Prepared>();
  #gzip = new GzipWorker();
  #files: string[];
  #notes: Promise<void>[];
  #error: unknown;

  private constructor(
    options: WarcArchiveOptions,
    writer: WarcWriter,
    files: string[],
    notes: Promise<void>[],
  ) {
    this.#options = options;
    this.#writer = writer;
    this.#files = files;
    this.#notes = notes;
  }

  /**
   * Opens the archive: with a ledger that names a run, the run's files are
   * repaired and continued; otherwise new files are started (named per
   * process when the ledger says processes share the crawl).
   *
   * @param options Where and what to write.
   * @returns The archive.
   * @throws {TypeError} If `path` does not end in `.warc.gz`.
   * @throws The file system's errors.
   */
  static async open(options: WarcArchiveOptions): Promise<WarcArchive> {
    // Absolute: the state notes the files, and `export --warc-files` lists them from anywhere.
    const prefix = resolve(warcPrefix(options.path));
    const { ledger } = options;
    const started = ledger?.runStartedAt;
    const stamp = fileStamp(new Date(started ?? Date.now()));
    let resume: WarcMark | undefined;
    let files: string[] = [];
    if (started !== undefined) {
      const saved = ledger!.mark === undefined ? undefined : JSON.parse(ledger!.mark);
      const other = (saved?.files as string[] | undefined)?.find((file) =>
        !resolve(file).startsWith(`${resolve(prefix)}-`)
      );
      if (other !== undefined) {
        throw new WarcResumeError(
          `Cannot resume the run's WARC files as this --warc (${options.path}) names others than ` +
            `the run's (${other}): give the same --warc, or --restart`,
        );
      }
      await repairRun(prefix, stamp, saved);
      if (saved !== undefined) {
        resume = { serial: saved.serial, end: saved.end };
        files = saved.files ?? [];
      }
    }
    const suffix = ledger?.perProcess ? `-${safeName(hostname())}-${Deno.pid}` : "";
    // Filled by the writer, which may start a file before the archive exists (when it resumes).
    const notes: Promise<void>[] = [];
    const onFile = (path: string) => {
      if (!files.includes(path)) files.push(path);
      const noted = ledger?.noteFile(path);
      if (noted) notes.push(noted);
    };
    const writer = new WarcWriter({
      prefix,
      stamp,
      suffix,
      maxSize: options.maxSize,
      cdx: options.cdx,
      resume,
      warcinfo: (filename) => warcinfo(filename, options),
      onFile,
    });
    ledger?.follow(() => JSON.stringify({ ...writer.mark, files }));
    return new WarcArchive(options, writer, files, notes);
  }

  /** The files written so far, in order. */
  get files(): readonly string[] {
    return this.#files;
  }

  /**
   * A recorder for one page's requests: its exchanges wait for
   * {@linkcode WarcArchive.finish}.
   *
   * @param url The page's frontier URL.
   * @returns The recorder to give the request client.
   */
  recorderFor(url: string): ExchangeRecorder {
    return (exchange) => {
      let group = this.#groups.get(url);
      if (group === undefined) this.#groups.set(url, group = []);
      // The address the guard checked, asked now: by the time the page is finished (parsed,
      // maybe retried) the guard may have forgotten its host.
      group.push({ exchange, ip: this.#options.addressOf(exchange.url) });
    };
  }

  /**
   * A recorder for requests that belong to no page (robots.txt, sitemaps):
   * written at once. A write that fails is not the request's failure: the
   * error is kept and thrown by the next `finish()` or `close()`.
   */
  readonly recorder: ExchangeRecorder = (exchange) => {
    if (this.#error !== undefined) return;
    try {
      const ip = this.#options.addressOf(exchange.url);
      this.#writer.write(exchangeRecords(exchange, ip, undefined).records);
    } catch (error) {
      this.#error = error;
    }
  };

  /**
   * Builds a finished page's records and compresses them in the gzip
   * worker, for {@linkcode WarcArchive.finish} to write. Its last exchange
   * is a `revisit` when it repeats the capture the entry carries
   * (`extra.capture`, kept by a store with history).
   *
   * @param entry The finished entry.
   * @returns A promise that resolves once the records are ready.
   * @throws The worker's failure.
   */
  async prepare(entry: FrontierEntry): Promise<void> {
    const group = this.#groups.get(entry.url);
    if (group === undefined) return;
    this.#groups.delete(entry.url);
    const prepared = this.#build(entry, group);
    prepared.members = await this.#gzip.compress(prepared.records);
    this.#prepared.set(entry.url, prepared);
  }

  /**
   * Writes a finished page's records, at once (the store takes the finish
   * right after, nothing awaited between): prepared ones as they are, others
   * compressed here. A new 2xx capture replaces the one in the entry, for
   * the store to keep.
   *
   * @param entry The finished entry.
   * @throws The file system's errors, or an earlier write's.
   */
  finish(entry: FrontierEntry): void {
    if (this.#error !== undefined) throw this.#error;
    let prepared = this.#prepared.get(entry.url);
    this.#prepared.delete(entry.url);
    const group = this.#groups.get(entry.url);
    if (prepared === undefined && group !== undefined) prepared = this.#build(entry, group);
    this.#groups.delete(entry.url);
    if (prepared === undefined) return;
    this.#writer.write(prepared.records, prepared.members);
    if (prepared.latest !== undefined) {
      entry.extra = { ...entry.extra, [CAPTURE_KEY]: JSON.stringify(prepared.latest) };
    }
  }

  #build(
    entry: FrontierEntry,
    group: { exchange: HttpExchange; ip: string | undefined }[],
  ): Prepared {
    const earlierText = entry.extra?.[CAPTURE_KEY];
    const earlier: CaptureRef | undefined = earlierText ? JSON.parse(earlierText) : undefined;
    const records: WarcRecord[] = [];
    let latest: CaptureRef | undefined;
    group.forEach(({ exchange, ip }, i) => {
      const last = i === group.length - 1;
      const made = exchangeRecords(exchange, ip, last ? earlier : undefined);
      records.push(...made.records);
      // Only a whole GET response is a capture a later revisit may point at (not a link
      // check's HEAD, not a body cut short).
      if (
        last && made.capture && exchange.method === "GET" && exchange.truncated === undefined &&
        exchange.status >= 200 && exchange.status < 300
      ) {
        latest = made.capture;
      }
    });
    return { records, latest };
  }

  /**
   * Drops a page's exchanges without writing them (it was not finished: a
   * stop left it for the next run).
   *
   * @param url The page's frontier URL.
   */
  discard(url: string): void {
    this.#groups.delete(url);
    this.#prepared.delete(url);
  }

  /**
   * Closes the files (sorting their indexes). Exchanges of unfinished pages are dropped.
   *
   * @returns A promise that resolves once the files are closed and noted.
   */
  async close(): Promise<void> {
    this.#groups.clear();
    this.#prepared.clear();
    this.#gzip.close();
    this.#writer.close();
    await Promise.all(this.#notes);
    if (this.#error !== undefined) throw this.#error;
  }
}

/** A page's records, ready to write. */
interface Prepared {
  records: WarcRecord[];
  /** Their gzip members, once the worker compressed them. */
  members?: Uint8Array[];
  /** The capture a later revisit would point at. */
  latest: CaptureRef | undefined;
}

function warcinfo(filename: string, options: WarcArchiveOptions): WarcRecord {
  const fields: [string, string][] = [
    ["software", options.software],
    ["format", "WARC File Format 1.1"],
    [
      "conformsTo",
      "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
    ],
    ["hostname", hostname()],
    ...options.info,
  ];
  const text = fields.map(([name, value]) => `${name}: ${value.replace(/[\r\n]+/g, " ")}\r\n`).join(
    "",
  );
  return {
    type: "warcinfo",
    id: recordId(),
    date: new Date().toISOString(),
    fields: [["WARC-Filename", filename], ["Content-Type", "application/warc-fields"]],
    block: [ENCODER.encode(text)],
  };
}

function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9.]+/g, "_");
}
