/**
 * The link table (`--links-out`): one row per link on the crawled pages,
 * with what its check found, as CSV, JSON Lines or JSON by the file's
 * extension. Written beside its final name and renamed when complete, so no
 * reader sees half a table.
 *
 * @module
 */

import { stringify } from "csv-stringify/sync";
import { type OutputFormat, spreadsheetSafe } from "../output/sink.ts";
import type { LinkRow } from "./check_links.ts";

/** The link table's CSV columns, in order. */
export const LINK_COLUMNS = [
  "source",
  "target",
  "fragment",
  "tag",
  "text",
  "result",
  "status",
  "error",
  "errorMessage",
  "redirectedTo",
] as const satisfies readonly (keyof LinkRow)[];

/**
 * A link table being written.
 *
 * @example Usage
 * ```ts
 * import { LinkTable } from "./table.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const table = await LinkTable.create(`${dir}/links.csv`, "csv");
 * await table.write({
 *   source: "https://a.test/", target: "https://a.test/gone", tag: "a[href]", text: "=Old",
 *   result: "broken", status: 404, error: "http_4xx", errorMessage: "HTTP 404",
 * });
 * await table.close();
 * const text = await Deno.readTextFile(`${dir}/links.csv`);
 * assert.match(text, /^source,target,fragment,tag,text,result,status,error,errorMessage,redirectedTo\n/);
 * assert.match(text, /https:\/\/a.test\/gone,,a\[href\],'=Old,broken,404,http_4xx/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class LinkTable {
  #path: string;
  #format: OutputFormat;
  #file: Deno.FsFile;
  #chunks: string[] = [];
  #size = 0;
  #rows = 0;
  #encoder = new TextEncoder();

  private constructor(path: string, format: OutputFormat, file: Deno.FsFile) {
    this.#path = path;
    this.#format = format;
    this.#file = file;
  }

  /**
   * Opens a table: its rows go to `PATH.part` until it is closed.
   *
   * @param path The table's file.
   * @param format `csv`, `jsonl` or `json`.
   * @returns The table, its header written.
   */
  static async create(path: string, format: OutputFormat): Promise<LinkTable> {
    const file = await Deno.open(`${path}.part`, { write: true, create: true, truncate: true });
    const table = new LinkTable(path, format, file);
    if (format === "csv") table.#push(stringify([LINK_COLUMNS as unknown as string[]]));
    if (format === "json") table.#push("[");
    return table;
  }

  /**
   * Adds one row.
   *
   * @param row The link and its check.
   * @returns A promise that resolves once buffered.
   */
  async write(row: LinkRow): Promise<void> {
    if (this.#format === "csv") {
      this.#push(stringify([LINK_COLUMNS.map((column) => {
        const value = row[column];
        return typeof value === "string" ? spreadsheetSafe(value) : value ?? "";
      })]));
    } else if (this.#format === "json") {
      this.#push(`${this.#rows === 0 ? "\n" : ",\n"}${JSON.stringify(row)}`);
    } else {
      this.#push(`${JSON.stringify(row)}\n`);
    }
    this.#rows++;
    if (this.#size >= 1 << 16) await this.#flush();
  }

  /**
   * Writes the rest and gives the table its name.
   *
   * @returns A promise that resolves once the file is in place.
   */
  async close(): Promise<void> {
    if (this.#format === "json") this.#push(this.#rows === 0 ? "]\n" : "\n]\n");
    try {
      await this.#flush();
    } finally {
      this.#file.close();
    }
    await Deno.rename(`${this.#path}.part`, this.#path);
  }

  /** Closes and removes the unfinished file (the crawl failed). */
  async abandon(): Promise<void> {
    try {
      this.#file.close();
    } catch {
      // Closed already.
    }
    await Deno.remove(`${this.#path}.part`).catch(() => {});
  }

  #push(text: string): void {
    this.#chunks.push(text);
    this.#size += text.length;
  }

  async #flush(): Promise<void> {
    const bytes = this.#encoder.encode(this.#chunks.join(""));
    this.#chunks = [];
    this.#size = 0;
    let written = 0;
    while (written < bytes.length) written += await this.#file.write(bytes.subarray(written));
  }
}
