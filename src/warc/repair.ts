/**
 * Cutting a resumed run's WARC files back to what its store committed.
 * Records reach a WARC file before the commit that finishes their URL, and
 * each commit saves how far the files went ({@linkcode WarcMark}). After a
 * crash, the files may hold records of URLs whose finish never committed
 * (they will be fetched again) and end in a torn gzip member: the file the
 * mark names is cut back to the mark (always a member boundary), later
 * files of the run are removed, and the open index loses the lines past
 * the cut. Every URL then has its records once when the run is over.
 *
 * @module
 */

import { indexPaths, type WarcMark, warcPath } from "./writer.ts";

/** What {@linkcode repairRun} did. */
/**
 * A run's WARC files cannot be continued: gone, cut shorter than the state
 * recorded, or named otherwise than this invocation's `--warc`. The CLI
 * reports it as bad input (exit 2): the fix is the same `--warc`, or
 * `--restart`.
 *
 * @example Usage
 * ```ts
 * import { WarcResumeError } from "./repair.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new WarcResumeError("gone").name, "WarcResumeError");
 * ```
 */
export class WarcResumeError extends Error {
  /**
   * Creates the error.
   *
   * @param message What cannot be resumed and why.
   */
  constructor(message: string) {
    super(message);
    this.name = "WarcResumeError";
  }
}

export interface RepairResult {
  /** Bytes cut from the end of the marked file. */
  cut: number;
  /** Files removed: records written after the last commit, all of them. */
  removed: string[];
}

/**
 * Cuts a run's files back to its mark; with no mark (nothing committed),
 * removes every file of the run.
 *
 * @param prefix The files' path prefix.
 * @param stamp The run's timestamp in the names.
 * @param mark What the last commit saved, if anything.
 * @returns What was cut and removed.
 * @throws The file system's errors.
 *
 * @example Usage
 * ```ts
 * import { repairRun } from "./repair.ts";
 * import { warcPath } from "./writer.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeFile(warcPath(`${dir}/a`, "1", 0), new Uint8Array(100)); // 40 committed, 60 not
 * await Deno.writeFile(warcPath(`${dir}/a`, "1", 1), new Uint8Array(10)); // nothing committed
 * const result = await repairRun(`${dir}/a`, "1", { serial: 0, end: 40 });
 * assert.deepEqual(result, { cut: 60, removed: [warcPath(`${dir}/a`, "1", 1)] });
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function repairRun(
  prefix: string,
  stamp: string,
  mark: WarcMark | undefined,
): Promise<RepairResult> {
  const removed: string[] = [];
  let cut = 0;
  // Serials are dense: the run's files are 0, 1, 2... up to the first one missing.
  for (let serial = mark?.serial ?? 0;; serial++) {
    const path = warcPath(prefix, stamp, serial);
    const { index, open } = indexPaths(path);
    let size: number;
    try {
      size = (await Deno.stat(path)).size;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      if (mark !== undefined && serial === mark.serial) {
        throw new WarcResumeError(`Cannot resume the WARC file ${path} as it is gone`);
      }
      break;
    }
    if (mark !== undefined && serial === mark.serial) {
      if (size < mark.end) {
        throw new WarcResumeError(
          `Cannot resume the WARC file ${path} as it is shorter (${size} bytes) than the state ` +
            `recorded (${mark.end}): it was changed or lost since`,
        );
      }
      cut = size - mark.end;
      await Deno.truncate(path, mark.end);
      await cutIndex(index, open, mark.end);
      continue;
    }
    await Deno.remove(path);
    for (const file of [index, open]) await Deno.remove(file).catch(() => {});
    removed.push(path);
  }
  return { cut, removed };
}

/** Keeps the index lines of records before `end`, in the open (unsorted) index the writer appends to. */
async function cutIndex(index: string, open: string, end: number): Promise<void> {
  let text: string;
  try {
    text = await Deno.readTextFile(open);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    // Killed after the file was rotated away and its index sorted: reopen it from there.
    try {
      text = await Deno.readTextFile(index);
    } catch (inner) {
      if (inner instanceof Deno.errors.NotFound) return;
      throw inner;
    }
  }
  const kept = text.split("\n").filter((line) => {
    if (line === "") return false;
    const offset = /"offset":"(\d+)"/.exec(line)?.[1];
    return offset !== undefined && Number(offset) < end;
  });
  await Deno.writeTextFile(open, kept.length === 0 ? "" : `${kept.join("\n")}\n`);
  await Deno.remove(index).catch(() => {});
}
