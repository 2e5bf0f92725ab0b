/**
 * Where records go, in the three output formats: JSON Lines streams as the
 * crawl goes; JSON and CSV are written to a temporary file next to the
 * output and renamed over it at the end, so a reader never sees half a file.
 *
 * CSV needs every column before its header, and `data` fields appear as the
 * crawl finds them, so CSV rows are kept as JSON Lines in the temporary file
 * and converted in one streaming pass at the end.
 *
 * @module
 */

import { dirname } from "node:path";
import { type ByteWriter, JsonlWriter } from "./jsonl_writer.ts";
import { takeRecordJson } from "./record_json.ts";
import type { CrawlRecord } from "./record.ts";

/** An output format. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The output formats, as `--format` names them. */
export const OUTPUT_FORMATS = ["jsonl", "json", "csv"] as const;

/** The format records are written in unless another is asked for: JSON Lines, streamed. */
export const DEFAULT_FORMAT: OutputFormat = "jsonl";

/**
 * Reads an output format's name.
 *
 * @param name The name, e.g. from `--format`.
 * @returns The format.
 * @throws {TypeError} If it names none, with the message the CLI prints.
 *
 * @example Usage
 * ```ts
 * import { outputFormat } from "./sink.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(outputFormat("csv"), "csv");
 * assert.throws(() => outputFormat("xml"), /must be one of jsonl, json, csv: received "xml"/);
 * ```
 */
export function outputFormat(name: string): OutputFormat {
  if ((OUTPUT_FORMATS as readonly string[]).includes(name)) return name as OutputFormat;
  throw new TypeError(
    `--format must be one of ${OUTPUT_FORMATS.join(", ")}: received ${JSON.stringify(name)}`,
  );
}

/** File extensions that name a format, lower-case, with their dot. */
export const FORMAT_EXTENSIONS: Readonly<Record<string, OutputFormat>> = {
  ".jsonl": "jsonl",
  ".ndjson": "jsonl",
  ".json": "json",
  ".csv": "csv",
};

/**
 * The format a file's extension names (`.jsonl`/`.ndjson`, `.json`, `.csv`,
 * in any case), if any.
 *
 * @param path The output file.
 * @returns The format, or `undefined` for another extension or none.
 *
 * @example Usage
 * ```ts
 * import { formatOfPath } from "./sink.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatOfPath("out/links.CSV"), "csv");
 * assert.equal(formatOfPath("pages.ndjson"), "jsonl");
 * assert.equal(formatOfPath("pages.txt"), undefined);
 * ```
 */
export function formatOfPath(path: string): OutputFormat | undefined {
  const extension = /\.[^./\\]+$/.exec(path)?.[0]?.toLowerCase();
  return extension === undefined ? undefined : FORMAT_EXTENSIONS[extension];
}

/** A place records are written to. */
export interface RecordSink {
  /**
   * Adds a record.
   *
   * @param record The record.
   */
  write(record: CrawlRecord): Promise<void>;
  /** Finishes the output (renames the temporary file into place). */
  close(): Promise<void>;
}

/** The CSV columns before the `data.*` ones, in order. */
export const CSV_COLUMNS = [
  "url",
  "requestedUrl",
  "status",
  "depth",
  "parent",
  "fetchedAt",
  "contentType",
  "bytes",
  "durationMs",
  "attempts",
  "title",
  "description",
  "canonical",
  "h1",
  "links",
  "lastmod",
  "etag",
  "lastModified",
  "unchanged",
  "contentHash",
  "redirects",
  "rendered",
  "blockedRequests",
  "check",
  "error",
  "errorMessage",
  "dataErrors",
] as const;

function cell(value: unknown): string | number | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "number") return value;
  if (typeof value === "string") return spreadsheetSafe(value);
  if (typeof value === "boolean") return String(value);
  return spreadsheetSafe(JSON.stringify(value));
}

/** What a spreadsheet evaluates at the start of a cell (OWASP's CSV injection list). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Makes a text cell inert in a spreadsheet: one that starts like a formula
 * (`=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, as
 * OWASP's CSV injection guidance describes, so `=HYPERLINK(...)` in a page
 * title is shown, not run. Numbers stay numbers.
 *
 * @param text A cell's text.
 * @returns The text, neutralized where needed.
 *
 * @example Usage
 * ```ts
 * import { spreadsheetSafe } from "./sink.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(spreadsheetSafe('=HYPERLINK("http://evil/","x")'), `'=HYPERLINK("http://evil/","x")`);
 * assert.equal(spreadsheetSafe("Shop | Home"), "Shop | Home");
 * ```
 */
export function spreadsheetSafe(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/**
 * Flattens a record into CSV cells: lists joined (`h1` by " | ", `links` by
 * spaces, `redirects` as "status url" hops by spaces), `dataErrors` as
 * `field: error` pairs, each `data` field in its own `data.NAME` column
 * (arrays and objects as JSON).
 *
 * @param record The record.
 * @param dataColumns The `data` field names, in column order.
 * @returns The row's cells.
 *
 * @example Usage
 * ```ts
 * import { CSV_COLUMNS, csvRow } from "./sink.ts";
 * import assert from "node:assert/strict";
 *
 * const row = csvRow({
 *   url: "https://a.test/", requestedUrl: "https://a.test/", status: 200, depth: 0, parent: null,
 *   fetchedAt: "2026-01-01T00:00:00.000Z", contentType: "text/html", bytes: 10, durationMs: 1,
 *   attempts: 1, title: "Home", description: null, canonical: null, h1: ["A", "B"],
 *   links: ["https://a.test/x", "https://a.test/y"], data: { price: 9.5 },
 * }, ["price"]);
 * assert.equal(row[CSV_COLUMNS.indexOf("h1")], "A | B");
 * assert.equal(row.at(-1), 9.5);
 * ```
 */
export function csvRow(
  record: CrawlRecord,
  dataColumns: readonly string[],
): (string | number | null)[] {
  const row: (string | number | null)[] = [];
  for (const column of CSV_COLUMNS) {
    const value = record[column];
    // Every text cell goes through cell(): what a page says is never run as a formula.
    if (column === "h1") row.push(cell(record.h1.join(" | ")));
    else if (column === "links") row.push(cell(record.links.join(" ")));
    else if (column === "redirects") {
      // Each hop as "status url", in order.
      row.push(cell(record.redirects?.map((hop) => `${hop.status} ${hop.url}`).join(" ")));
    } else if (column === "dataErrors") {
      row.push(cell(record.dataErrors?.map((e) => `${e.field}: ${e.error}`).join("; ")));
    } else row.push(cell(value));
  }
  for (const name of dataColumns) row.push(cell(record.data?.[name]));
  return row;
}

const encoder = new TextEncoder();

async function writeAll(writer: ByteWriter, text: string): Promise<void> {
  let bytes = encoder.encode(text);
  while (bytes.byteLength > 0) bytes = bytes.subarray(await writer.write(bytes));
}

/**
 * Opens the sink for a format.
 *
 * @param format `jsonl`, `json` or `csv`.
 * @param out The output file, or `undefined` for stdout.
 * @param options `append` continues an existing JSON Lines file instead of truncating it.
 * @returns The sink.
 * @throws If the output (or its temporary file) cannot be created.
 *
 * @example Usage
 * ```ts
 * import { openSink } from "./sink.ts";
 * import { unfetchedPage } from "../http/request.ts";
 * import { buildRecord } from "../pipeline/build_record.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const sink = await openSink("csv", `${dir}/pages.csv`);
 * const entry = { url: "https://a.test/", depth: 0, parent: null, attempts: 0, host: "a.test" };
 * await sink.write({ ...buildRecord(entry, unfetchedPage(entry.url)), data: { price: 9 } });
 * await sink.close(); // the CSV appears only now, whole
 * const [header, row] = (await Deno.readTextFile(`${dir}/pages.csv`)).split("\n");
 * assert.ok(header!.startsWith("url,requestedUrl,status,") && header!.endsWith(",data.price"));
 * assert.ok(row!.startsWith("https://a.test/,https://a.test/,,0,") && row!.endsWith(",9"));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function openSink(
  format: OutputFormat,
  out: string | undefined,
  options: { append?: boolean } = {},
): Promise<RecordSink> {
  if (format === "jsonl") {
    // Appending continues a file a durable crawl has just repaired (see SqliteStore.repairOutput).
    const file = out === undefined ? undefined : await Deno.open(out, {
      write: true,
      create: true,
      truncate: !options.append,
      append: options.append,
    });
    const writer = new JsonlWriter(file ?? Deno.stdout);
    return {
      write: (record) => writer.writeJson(takeRecordJson(record)),
      close: async () => {
        try {
          await writer.close();
        } finally {
          file?.close();
        }
      },
    };
  }
  // The temporary file sits beside the output so the final rename stays on one file system.
  const temp = await Deno.makeTempFile({
    dir: out === undefined ? undefined : dirname(out) || ".",
    prefix: ".crawl-",
    suffix: `.${format}.part`,
  });
  const file = await Deno.open(temp, { write: true, truncate: true });
  const dataColumns = new Set<string>();
  let count = 0;
  const lines = new JsonlWriter(file);
  return {
    write: async (record) => {
      for (const key of Object.keys(record.data ?? {})) dataColumns.add(key);
      await lines.writeJson(takeRecordJson(record));
      count++;
    },
    close: async () => {
      await lines.close();
      file.close();
      try {
        if (format === "json") await finishJson(temp, count);
        else await finishCsv(temp, [...dataColumns]);
        if (out === undefined) {
          using source = await Deno.open(temp);
          await source.readable.pipeTo(Deno.stdout.writable, { preventClose: true });
        } else {
          await Deno.rename(temp, out);
        }
      } finally {
        await Deno.remove(temp).catch(() => {});
      }
    },
  };
}

/** Rewrites the temporary JSON Lines as one JSON array, streaming. */
async function finishJson(temp: string, count: number): Promise<void> {
  await rewriteLines(temp, (lines, out) => {
    let first = true;
    return {
      line: async (line) => {
        await writeAll(out, `${first ? "[\n" : ",\n"}${line}`);
        first = false;
      },
      end: () => writeAll(out, count === 0 ? "[]\n" : "\n]\n"),
      lines,
    };
  });
}

/** Rewrites the temporary JSON Lines as CSV with a header, streaming. */
async function finishCsv(temp: string, dataColumns: string[]): Promise<void> {
  const { stringify } = await import("csv-stringify/sync");
  const header = [...CSV_COLUMNS, ...dataColumns.map((name) => `data.${name}`)];
  const options = { cast: { boolean: (value: boolean) => String(value) } };
  await rewriteLines(temp, (lines, out) => ({
    line: (line) => writeAll(out, stringify([csvRow(JSON.parse(line), dataColumns)], options)),
    end: () => Promise.resolve(),
    start: () => writeAll(out, stringify([header])),
    lines,
  }));
}

interface Rewriter {
  lines: ReadableStream<string>;
  start?: () => Promise<void>;
  line(line: string): Promise<void>;
  end(): Promise<void>;
}

/** Streams the temporary file's lines through `make`'s callbacks into a new file, then swaps it in. */
async function rewriteLines(
  temp: string,
  make: (lines: ReadableStream<string>, out: ByteWriter) => Rewriter,
): Promise<void> {
  const next = `${temp}.2`;
  using source = await Deno.open(temp);
  using target = await Deno.open(next, { write: true, create: true, truncate: true });
  const rewriter = make(source.readable.pipeThrough(new TextDecoderStream()), target);
  let rest = "";
  await rewriter.start?.();
  for await (const chunk of rewriter.lines) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop()!;
    for (const part of parts) if (part !== "") await rewriter.line(part);
  }
  if (rest !== "") await rewriter.line(rest);
  await rewriter.end();
  await Deno.rename(next, temp);
}
