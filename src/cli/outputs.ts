/**
 * The CLI's outputs, settled before the first request: the format follows
 * `--out`'s extension unless `--format` says otherwise (and may not
 * contradict it), and every path the run will write (`--out`, `--report`,
 * `--state`) is checked for a folder that exists and can be written, so a
 * typo costs an exit 2 at once instead of a failure after the whole crawl.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { DEFAULT_FORMAT, formatOfPath, type OutputFormat, outputFormat } from "../output/sink.ts";
import { UsageError } from "./usage_error.ts";

/**
 * The output format: `--format` when given, else the one `--out`'s extension
 * names (`.jsonl`/`.ndjson`, `.json`, `.csv`), else JSON Lines.
 *
 * @param out The output file, if any.
 * @param format The format asked for, if any.
 * @returns The format.
 * @throws {UsageError} If the format is unknown, or contradicts the file's extension.
 *
 * @example Usage
 * ```ts
 * import { chooseFormat } from "./outputs.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(chooseFormat("links.csv", undefined), "csv");
 * assert.equal(chooseFormat("pages.txt", undefined), "jsonl");
 * assert.throws(
 *   () => chooseFormat("links.csv", "json"),
 *   /--format json does not match --out 'links.csv', a .csv file: drop --format or name the file .json/,
 * );
 * ```
 */
export function chooseFormat(out: string | undefined, format: string | undefined): OutputFormat {
  let asked: OutputFormat | undefined;
  try {
    asked = format === undefined ? undefined : outputFormat(format);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const named = out === undefined ? undefined : formatOfPath(out);
  if (asked !== undefined && named !== undefined && asked !== named) {
    const extension = /\.[^./\\]+$/.exec(out!)![0];
    throw new UsageError(
      `--format ${asked} does not match --out '${out}', a ${extension} file: drop --format ` +
        `or name the file .${asked}`,
    );
  }
  return asked ?? named ?? DEFAULT_FORMAT;
}

function reasonOf(error: unknown): string {
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return error instanceof Deno.errors.NotCapable
      ? "Deno's permissions do not allow writing there: run with -P, or add the path to --allow-write"
      : "permission denied";
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Checks that a file can be written: its folder exists and takes new files
 * (a temporary file is made there and removed at once: outputs are renamed
 * into place, and SQLite keeps its journal beside the file), and an
 * existing file is not a folder and opens for writing (it is not changed).
 * A folder that holds `{run}` is checked when the run opens the file.
 *
 * @param flag The flag that names the file, for messages (`--out`).
 * @param path The file.
 * @returns A promise that resolves when it can be written.
 * @throws {UsageError} Naming the flag, the path and what is wrong.
 *
 * @example Usage
 * ```ts
 * import { checkWritable } from "./outputs.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await checkWritable("--out", `${dir}/pages.jsonl`);
 * await assert.rejects(
 *   checkWritable("--report", `${dir}/missing/report.html`),
 *   /^UsageError: --report: cannot write '.*\/missing\/report.html': no folder '.*\/missing'$/,
 * );
 * assert.deepEqual([...Deno.readDirSync(dir)], []); // nothing left behind
 * await Deno.remove(dir);
 * ```
 */
export async function checkWritable(flag: string, path: string): Promise<void> {
  const folder = dirname(path);
  if (folder.includes("{run}")) return;
  const fail = (why: string) => new UsageError(`${flag}: cannot write '${path}': ${why}`);
  let existing: Deno.FileInfo | undefined;
  try {
    existing = await Deno.stat(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw fail(reasonOf(error));
  }
  if (existing?.isDirectory) throw fail("it is a folder; give a file name");
  // A device or a pipe (/dev/null, /dev/stdout) is written in place: its folder is not asked
  // (Deno would want every permission to look at /dev).
  if (existing && !existing.isFile) {
    try {
      (await Deno.open(path, { write: true })).close();
      return;
    } catch (error) {
      throw fail(reasonOf(error));
    }
  }
  try {
    const info = await Deno.stat(folder);
    if (!info.isDirectory) throw fail(`'${folder}' is not a folder`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if (error instanceof Deno.errors.NotFound) throw fail(`no folder '${folder}'`);
    throw fail(reasonOf(error));
  }
  try {
    if (existing) (await Deno.open(path, { write: true })).close();
    const probe = await Deno.makeTempFile({ dir: folder, prefix: ".crawl-check-" });
    await Deno.remove(probe);
  } catch (error) {
    throw fail(reasonOf(error));
  }
}

/**
 * Checks every file a CLI run will write, before anything is opened or requested.
 *
 * @param outputs The paths by the flag that names them; `undefined` ones are skipped.
 * @returns A promise that resolves when all can be written.
 * @throws {UsageError} For the first one that cannot.
 *
 * @example Usage
 * ```ts
 * import { checkOutputs } from "./outputs.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await checkOutputs({ "--out": `${dir}/a.jsonl`, "--report": undefined });
 * await assert.rejects(checkOutputs({ "--state": dir }), /--state: .* it is a folder/);
 * await Deno.remove(dir);
 * ```
 */
export async function checkOutputs(outputs: Record<string, string | undefined>): Promise<void> {
  const seen = new Map<string, string>();
  for (const [flag, path] of Object.entries(outputs)) {
    if (path === undefined) continue;
    // Two outputs in one file: the later one would overwrite the other.
    const other = seen.get(resolve(path));
    if (other !== undefined) {
      throw new UsageError(`${flag} and ${other} name the same file '${path}': give each its own`);
    }
    seen.set(resolve(path), flag);
    await checkWritable(flag, path);
  }
}

/**
 * Reads `--links-out FILE`: its format comes from its extension.
 *
 * @param path The flag's value.
 * @returns The path and format, or `undefined` without the flag.
 * @throws {UsageError} For a file whose extension names no format.
 */
export function linksOutFlag(
  path: string | undefined,
): { path: string; format: OutputFormat } | undefined {
  if (path === undefined) return undefined;
  const format = formatOfPath(path);
  if (format === undefined) {
    throw new UsageError(
      `--links-out: cannot tell the format of '${path}': name a .csv, .jsonl or .json file`,
    );
  }
  return { path, format };
}
