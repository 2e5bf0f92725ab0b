/**
 * Repairing the JSONL output of a durable crawl: records reach the output
 * file only after their commit, and the file is not fsynced, so after a
 * crash it may lack committed records, end in a torn line, or (after power
 * loss) hold more than the store kept. {@linkcode reconcileRunOutput} makes it
 * hold exactly the run's committed records again.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import { type Row, SQL } from "./schema.ts";

/** What {@linkcode SqliteStore.repairOutput} did to the output file. */
export interface ReconcileResult {
  /** Complete lines that were already there and kept. */
  kept: number;
  /** Committed records appended after them. */
  appended: number;
  /** Whether the file was rewritten from the store (new run, other file, or foreign content). */
  rewritten: boolean;
}

/** The run whose output {@linkcode reconcileRunOutput} repairs. */
export interface OutputRun {
  /** The run id. */
  id: number;
  /** Counts the run's committed records. */
  countRecords(): number;
  /** The JSON of the run's record at `index` (0-based, in `seq` order), if there is one. */
  recordJson(index: number): string | undefined;
}

/**
 * Makes an output file hold exactly a run's committed records, one JSON line
 * each in `seq` order, before the run writes to it: complete lines are kept,
 * a torn last line is cut, and records committed but lost from the writer's
 * buffer are appended. The file is rewritten from the store when the run has
 * not used it yet (a new run truncates it), when its last complete line is
 * not the run's record at that place, or when it holds more lines than the
 * run committed. The run is then recorded as the file's owner.
 *
 * @param db The state file, every write committed.
 * @param run The run, its record count and its records' JSON.
 * @param path The JSONL output file.
 * @returns What was kept and appended.
 * @throws The file system's errors.
 *
 * @example Usage
 * `SqliteStore.repairOutput()` is the usual caller; here a state file with
 * one run of two committed records, and an output file torn by a crash:
 *
 * ```ts
 * import { DatabaseSync } from "node:sqlite";
 * import { reconcileRunOutput } from "./output.ts";
 * import { prepareSchema } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * const db = new DatabaseSync(":memory:");
 * prepareSchema(db, ":memory:", { identity: {} });
 * db.exec(`INSERT INTO runs (id, kind, started_at) VALUES (1, 'crawl', 0);
 *   INSERT INTO records (run, json) VALUES (1, '{"n":1}'), (1, '{"n":2}');`);
 * const json = ['{"n":1}', '{"n":2}'];
 * const run = { id: 1, countRecords: () => json.length, recordJson: (i: number) => json[i] };
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * // A file the run has not used yet is rewritten from the store.
 * assert.equal((await reconcileRunOutput(db, run, path)).rewritten, true);
 * await Deno.writeTextFile(path, '{"n":1}\n{"n":'); // the crash: line 2 torn
 * const result = await reconcileRunOutput(db, run, path);
 * assert.deepEqual(result, { kept: 1, appended: 1, rewritten: false });
 * assert.equal(await Deno.readTextFile(path), '{"n":1}\n{"n":2}\n');
 * await Deno.remove(path);
 * db.close();
 * ```
 */
export async function reconcileRunOutput(
  db: DatabaseSync,
  run: OutputRun,
  path: string,
): Promise<ReconcileResult> {
  const owner = db.prepare("SELECT output FROM runs WHERE id = ?").get(run.id) as Row;
  const total = run.countRecords();
  let lines = owner.output === path ? await scanLines(path) : undefined;
  if (lines && lines.count > 0) {
    const expected = run.recordJson(lines.count - 1);
    if (expected === undefined || !equalBytes(lines.last, encoder.encode(expected))) {
      lines = undefined;
    }
  }
  using file = await Deno.open(path, { write: true, create: true });
  await file.truncate(lines?.end ?? 0);
  await file.seek(0, Deno.SeekMode.End);
  const kept = lines?.count ?? 0;
  // A statement of its own: the shared one would be reset by other reads.
  await appendRecords(file, db.prepare(SQL.records).iterate(run.id, kept));
  if (owner.output !== path) {
    db.prepare("UPDATE runs SET output = ? WHERE id = ?").run(path, run.id);
  }
  return { kept, appended: total - kept, rewritten: lines === undefined };
}

const encoder = new TextEncoder();

/** Counts complete lines; returns the end of the last one and its bytes (without "\n"). */
async function scanLines(
  path: string,
): Promise<{ count: number; end: number; last: Uint8Array } | undefined> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  using _file = file;
  const buffer = new Uint8Array(1 << 20);
  let count = 0, end = 0, start = 0, offset = 0;
  for (let n; (n = await file.read(buffer)) !== null; offset += n) {
    for (let i = buffer.indexOf(10, 0); i !== -1 && i < n; i = buffer.indexOf(10, i + 1)) {
      count++;
      start = end;
      end = offset + i + 1;
    }
  }
  const last = new Uint8Array(Math.max(0, end - start - 1));
  await file.seek(start, Deno.SeekMode.Start);
  for (let read = 0; read < last.length;) {
    read += (await file.read(last.subarray(read))) ?? last.length;
  }
  return { count, end, last };
}

async function appendRecords(file: Deno.FsFile, rows: Iterable<Row>): Promise<void> {
  let chunk: string[] = [];
  let size = 0;
  const write = async () => {
    const bytes = encoder.encode(chunk.join(""));
    for (let offset = 0; offset < bytes.length;) {
      offset += await file.write(bytes.subarray(offset));
    }
    chunk = [];
    size = 0;
  };
  for (const row of rows) {
    const line = `${row.json}\n`;
    chunk.push(line);
    size += line.length;
    if (size >= 1 << 20) await write();
  }
  if (chunk.length > 0) await write();
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
