/**
 * `export --state FILE`: the records a durable crawl committed, read from
 * its SQLite state file (read-only, so a crawl may be running on it) and
 * written like the Redis export, to a file or stdout in any output format.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import type { CrawlRecord } from "../output/record.ts";
import { openSink, type OutputFormat } from "../output/sink.ts";
import { latestLinkRecords } from "./link_records.ts";
import { SCHEMA_VERSION } from "./schema.ts";

/** Which run's records: one by id, the latest, or every run's in order. */
export type RunChoice = number | "latest" | "all";

/** What {@linkcode exportState} wrote. */
export interface StateExport {
  /** Records written. */
  exported: number;
  /** The runs they came from, in order. */
  runs: number[];
}

/** The state file cannot be exported: not a state file, another version, or no such run. */
export class StateExportError extends Error {
  /**
   * Creates the error.
   *
   * @param message The one-line message.
   */
  constructor(message: string) {
    super(message);
    this.name = "StateExportError";
  }
}

/**
 * Writes the records of a SQLite state file's runs to a file or stdout.
 *
 * @param path The state file.
 * @param run The run: its id, `"latest"` or `"all"`.
 * @param out The output file; `undefined` for stdout.
 * @param format `jsonl`, `json` or `csv`.
 * @param then Given the runs' records (re-readable), once they are written: for outputs
 * built from them (the link table).
 * @returns How many records were written, and from which runs.
 * @throws {StateExportError} If the file is not a state file this version
 * reads, or holds no such run.
 *
 * @example Usage
 * ```ts
 * import { exportState } from "./export.ts";
 * import { SqliteStore } from "./store.ts";
 * import { unfetchedPage } from "../http/request.ts";
 * import { buildRecord } from "../pipeline/build_record.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const store = SqliteStore.open(`${dir}/crawl.db`, { identity: { seeds: ["https://a.test/"] } });
 * const frontier = await store.openFrontier({ perHost: 2, delayMs: 0 });
 * frontier.add({ url: "https://a.test/", depth: 0, parent: null });
 * const entry = (await frontier.next())!;
 * await store.finish(entry, buildRecord(entry, unfetchedPage(entry.url)), async () => {});
 * await store.close();
 * const result = await exportState(`${dir}/crawl.db`, "latest", `${dir}/out.jsonl`, "jsonl");
 * assert.deepEqual(result, { exported: 1, runs: [1] });
 * assert.match(await Deno.readTextFile(`${dir}/out.jsonl`), /"url":"https:\/\/a.test\/"/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function exportState(
  path: string,
  run: RunChoice,
  out: string | undefined,
  format: OutputFormat,
  then?: (records: () => Iterable<CrawlRecord>) => Promise<unknown>,
): Promise<StateExport> {
  // Read-only: nothing is written to a state another process may be crawling with.
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const runs = chooseRuns(db, path, run);
    const sink = await openSink(format, out);
    let exported = 0;
    const statement = db.prepare("SELECT json FROM records WHERE run = ? ORDER BY seq");
    try {
      for (const id of runs) {
        for (const row of statement.iterate(id)) {
          await sink.write(JSON.parse(row.json as string));
          exported++;
        }
      }
      await sink.close();
    } catch (error) {
      await sink.close().catch(() => {});
      throw error;
    }
    // The runs' records again, for outputs read in passes.
    // The runs' records again, for outputs read in passes; the latest run's is the site as last
    // seen (each URL's latest record), as the crawl's own link check reads it.
    await then?.(
      run === "latest" ? () => latestLinkRecords(db) : function* () {
        for (const id of runs) {
          for (const row of statement.iterate(id)) yield JSON.parse(row.json as string);
        }
      },
    );
    return { exported, runs };
  } finally {
    db.close();
  }
}

/**
 * The WARC files a state file's runs wrote (`--warc`), as the last commit
 * of each run recorded them, in order.
 *
 * @param path The state file.
 * @param run The run: its id, `"latest"` or `"all"`.
 * @returns The files, and the runs they came from.
 * @throws {StateExportError} If the file is not a state file this version
 * reads, or holds no such run.
 *
 * @example Usage
 * ```ts
 * import { stateWarcFiles } from "./export.ts";
 * import { SqliteStore } from "./store.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await SqliteStore.open(`${dir}/crawl.db`, { identity: {} }).close();
 * assert.deepEqual(stateWarcFiles(`${dir}/crawl.db`, "latest"), { files: [], runs: [1] });
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function stateWarcFiles(path: string, run: RunChoice): { files: string[]; runs: number[] } {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const runs = chooseRuns(db, path, run);
    const files: string[] = [];
    const mark = db.prepare("SELECT value FROM meta WHERE key = ?");
    for (const id of runs) {
      const value = mark.get(`warc:${id}`)?.value;
      if (typeof value === "string") files.push(...(JSON.parse(value).files ?? []));
    }
    return { files, runs };
  } finally {
    db.close();
  }
}

function chooseRuns(db: DatabaseSync, path: string, run: RunChoice): number[] {
  let tables: Set<unknown>;
  try {
    tables = new Set(
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => r.name),
    );
  } catch (error) {
    // Not SQLite at all (SQLITE_NOTADB), or a damaged file.
    throw new StateExportError(`${path} is not a crawl state file: ${(error as Error).message}`);
  }
  if (!tables.has("meta") || !tables.has("runs") || !tables.has("records")) {
    throw new StateExportError(`${path} is not a crawl state file`);
  }
  // Records are stored the same way in every schema so far: older files export as they are
  // (read-only, so not migrated); a newer crawler's file may not.
  const version = Number(db.prepare("SELECT value FROM meta WHERE key = 'schema'").get()?.value);
  if (!(Number.isInteger(version) && version >= 1 && version <= SCHEMA_VERSION)) {
    throw new StateExportError(
      `${path} has state schema version ${version}, this crawler reads versions 1 to ${SCHEMA_VERSION}`,
    );
  }
  const ids = db.prepare("SELECT id FROM runs ORDER BY id").all().map((r) => r.id as number);
  if (ids.length === 0) throw new StateExportError(`${path} holds no run yet`);
  if (run === "all") return ids;
  if (run === "latest") return [ids.at(-1)!];
  if (!ids.includes(run)) {
    throw new StateExportError(`${path} has no run ${run}: its runs are ${ids.join(", ")}`);
  }
  return [run];
}
