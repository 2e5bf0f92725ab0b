/**
 * The SQLite state file's layout: its tables, the states of a URL row, the
 * statements {@linkcode SqliteStore} runs, how rows become runs and frontier
 * entries, and the check that a file may be resumed (schema version and
 * identity options) or must be refused.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import type { FrontierEntry } from "../frontier/types.ts";

/**
 * The schema version kept in the `meta` table. A file of an older version is
 * brought up to date when opened (version 1 lacked the `content_hash`
 * column, version 2 the `capture` column); a newer one is refused.
 */
export const SCHEMA_VERSION = 3;

/** Why a run was started: a first crawl, or a recrawl of known URLs. */
export type RunKind = "crawl" | "recrawl";

/** A row of the `runs` table. */
export interface RunInfo {
  /** The run id (1, 2, ...). */
  id: number;
  /** What the run does. */
  kind: RunKind;
  /** When it started, in ms since the epoch. */
  startedAt: number;
  /** When it ended (as of this open), or `null` while it is unfinished. */
  endedAt: number | null;
}

/**
 * Thrown by {@linkcode SqliteStore.open} when the state file cannot be
 * resumed with these options: its identity options differ, its schema
 * version is another, or it is not a crawl state file.
 *
 * @example Usage
 * ```ts
 * import { StateMismatchError } from "./schema.ts";
 * import { SqliteStore } from "./store.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await SqliteStore.open(`${dir}/crawl.db`, { identity: { seeds: ["https://a.test/"] } }).close();
 * try {
 *   SqliteStore.open(`${dir}/crawl.db`, { identity: { seeds: ["https://b.test/"] } });
 *   assert.fail("expected a StateMismatchError");
 * } catch (error) {
 *   assert.ok(error instanceof StateMismatchError);
 *   assert.deepEqual(error.keys, ["seeds"]);
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class StateMismatchError extends Error {
  /** The identity keys that differ (`["schema"]` for a schema version mismatch). */
  readonly keys: string[];

  /**
   * Creates the error.
   *
   * @param message The one-line message.
   * @param keys The keys that differ.
   */
  constructor(message: string, keys: string[] = []) {
    super(message);
    this.name = "StateMismatchError";
    this.keys = keys;
  }
}

/** A `urls` row's state: seen (e.g. a redirect target) but never queued. */
export const SEEN_ONLY = 0;
/** A `urls` row's state: queued, not finished. */
export const QUEUED = 1;
/** A `urls` row's state: finished (its record, if any, stored). */
export const DONE = 2;
const RESTART_HINT = "pass --restart to start over, or use another --state file";
const TABLES = ["meta", "runs", "urls", "records"];

// urls: the rowid `ord` is the order of discovery, so every write appends or
// touches recent pages. The fingerprint is kept (to load the seen set) but
// not indexed: a random-key index made inserts 10x slower at 1M URLs, and
// dedupe is the in-memory set's job. Only queued rows are in an index.
const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE runs (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, started_at INTEGER NOT NULL,
  ended_at INTEGER, stats TEXT, options TEXT, output TEXT);
CREATE TABLE urls (ord INTEGER PRIMARY KEY, fp INTEGER NOT NULL, state INTEGER NOT NULL,
  url TEXT NOT NULL, host TEXT, depth INTEGER, parent TEXT, extra TEXT, run INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0, status INTEGER, etag TEXT, last_modified TEXT,
  fetched_at INTEGER, content_hash TEXT, capture TEXT);
CREATE INDEX urls_queue ON urls (state) WHERE state = ${QUEUED};
CREATE TABLE records (seq INTEGER PRIMARY KEY, run INTEGER NOT NULL, url_ord INTEGER,
  json TEXT NOT NULL);
CREATE INDEX records_run ON records (run, seq);`;

/** The statements the store prepares once, by name. */
export const SQL = {
  seen: `INSERT INTO urls (ord, fp, state, url) VALUES (?1, (?2 << 32) | ?3, ${SEEN_ONLY}, ?4)`,
  push: `INSERT INTO urls (ord, fp, state, url, host, depth, parent, extra, run, attempts)
    VALUES (?1, (?2 << 32) | ?3, ${QUEUED}, ?4, ?5, ?6, ?7, ?8, ?9, ?10)`,
  // A 2xx replaces the validators; a 304 or a failure keeps those it does not bring. A 304
  // keeps the status and content fingerprint it confirmed: they are what the next run compares.
  // A 2xx not archived (a run without --warc) leaves no capture a later 304 could stand for.
  done: `UPDATE urls SET state = ${DONE}, run = ?2, attempts = ?3,
    status = CASE WHEN ?4 = 304 THEN status ELSE ?4 END,
    etag = CASE WHEN ?5 THEN ?6 ELSE coalesce(?6, etag) END,
    last_modified = CASE WHEN ?5 THEN ?7 ELSE coalesce(?7, last_modified) END,
    fetched_at = coalesce(?8, fetched_at),
    content_hash = CASE WHEN ?4 = 304 THEN content_hash ELSE ?9 END,
    capture = CASE WHEN ?10 IS NOT NULL THEN ?10 WHEN ?5 THEN NULL ELSE capture END
    WHERE ord = ?1`,
  // Only for an entry this store did not hand out: a scan, as fp is not indexed.
  find: `SELECT max(ord) AS ord FROM urls WHERE fp = (?1 << 32) | ?2 AND state <> ${SEEN_ONLY}`,
  record: "INSERT INTO records (run, url_ord, json) VALUES (?, ?, ?)",
  take: `SELECT url, host, depth, parent, extra, attempts, etag, last_modified, status,
    content_hash, capture, ord FROM urls WHERE state = ${QUEUED} AND ord > ? ORDER BY ord LIMIT ?`,
  records: "SELECT json FROM records WHERE run = ? ORDER BY seq LIMIT -1 OFFSET ?",
  mark: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
};

/** A row as `node:sqlite` returns it. */
export type Row = Record<string, unknown>;

/**
 * Checks the schema version and identity, or wipes the store on restart;
 * creates the schema. Runs inside the caller's transaction.
 *
 * @param db The open state file.
 * @param path The file's path, for messages.
 * @param options The identity options and whether to start over.
 * @throws {StateMismatchError} If the file was made with other identity
 * options, another schema version, or is not a state file (and not `restart`).
 *
 * @example Usage
 * ```ts
 * import { DatabaseSync } from "node:sqlite";
 * import { prepareSchema } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * const db = new DatabaseSync(":memory:");
 * prepareSchema(db, ":memory:", { identity: { seeds: ["https://example.org/"] } });
 * assert.throws(() => prepareSchema(db, ":memory:", { identity: { seeds: [] } }), /different options \(seeds\)/);
 * db.close();
 * ```
 */
export function prepareSchema(
  db: DatabaseSync,
  path: string,
  options: { identity: Record<string, unknown>; restart?: boolean },
): void {
  const tables = new Set(
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => r.name),
  );
  if (options.restart) {
    for (const table of TABLES) db.exec(`DROP TABLE IF EXISTS ${table}`);
  } else if (tables.has("meta")) {
    const meta = new Map(
      db.prepare("SELECT key, value FROM meta").all().map((r) => [r.key, r.value as string]),
    );
    let version = Number(meta.get("schema"));
    if (version === 1) {
      // Version 2 added each URL's content fingerprint; older rows simply have none yet.
      db.exec("ALTER TABLE urls ADD COLUMN content_hash TEXT");
      version = 2;
    }
    if (version === 2) {
      // Version 3 added each URL's last WARC capture (for revisit records); none yet either.
      db.exec("ALTER TABLE urls ADD COLUMN capture TEXT");
      version = 3;
    }
    if (String(version) !== meta.get("schema") && version === SCHEMA_VERSION) {
      db.prepare("UPDATE meta SET value = ? WHERE key = 'schema'").run(String(SCHEMA_VERSION));
    }
    if (version !== SCHEMA_VERSION) {
      throw new StateMismatchError(
        `${path} has state schema version ${
          meta.get("schema")
        }, this crawler reads version ${SCHEMA_VERSION}; ${RESTART_HINT}`,
        ["schema"],
      );
    }
    const keys = differingKeys(JSON.parse(meta.get("identity") ?? "{}"), options.identity);
    if (keys.length > 0) {
      throw new StateMismatchError(
        `${path} was made with different options (${keys.join(", ")}); ${RESTART_HINT}`,
        keys,
      );
    }
    return;
  } else if (tables.size > 0) {
    throw new StateMismatchError(`${path} is not a crawl state file; use another --state file`);
  }
  db.exec(SCHEMA);
  const insert = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)");
  insert.run("schema", String(SCHEMA_VERSION));
  insert.run("identity", canonicalJson(options.identity));
}

/** The identity keys whose values differ, new ones first in their order. */
function differingKeys(stored: Row, identity: Row): string[] {
  const keys = new Set([...Object.keys(identity), ...Object.keys(stored)]);
  return [...keys].filter((key) => canonicalJson(stored[key]) !== canonicalJson(identity[key]));
}

/** JSON with object keys sorted at every level, so equal options compare equal. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : v,
  ) ?? "null";
}

/**
 * A `runs` row as a {@linkcode RunInfo}.
 *
 * @param row The row (`id`, `kind`, `started_at`, `ended_at`).
 * @returns The run.
 *
 * @example Usage
 * ```ts
 * import { toRun } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(toRun({ id: 1, kind: "crawl", started_at: 5, ended_at: null }), {
 *   id: 1,
 *   kind: "crawl",
 *   startedAt: 5,
 *   endedAt: null,
 * });
 * ```
 */
export function toRun(row: Row): RunInfo {
  return {
    id: row.id as number,
    kind: row.kind as RunKind,
    startedAt: row.started_at as number,
    endedAt: row.ended_at as number | null,
  };
}

/**
 * A queued row as a frontier entry, its validators in `extra` (`etag`,
 * `lastModified`), with the last status and content fingerprint
 * (`status`, `contentHash`) a recrawl compares against, and its last WARC
 * capture (`capture`), which a revisit record points at.
 *
 * @param row The row, as the `take` statement selects it.
 * @returns The entry.
 *
 * @example Usage
 * ```ts
 * import { toEntry } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * const row = {
 *   url: "https://example.org/", host: "example.org:443", depth: 0, parent: null, extra: null,
 *   attempts: 0, etag: '"v1"', last_modified: null, ord: 1,
 * };
 * assert.deepEqual(toEntry(row).extra, { etag: '"v1"' });
 * ```
 */
export function toEntry(row: Row): FrontierEntry {
  const entry: FrontierEntry = {
    url: row.url as string,
    host: row.host as string,
    depth: row.depth as number,
    parent: row.parent as string | null,
    attempts: row.attempts as number,
  };
  const { etag, last_modified: lastModified, status, content_hash: contentHash, capture } = row;
  let extra = row.extra === null ? undefined : JSON.parse(row.extra as string);
  const known = { etag, lastModified, status, contentHash, capture };
  for (const [key, value] of Object.entries(known)) {
    if (value === null || value === undefined) continue;
    extra = { ...extra, [key]: String(value) };
  }
  if (extra !== undefined) entry.extra = extra;
  return entry;
}
