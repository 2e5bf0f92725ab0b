/**
 * The state file's writer: a Web Worker with its own connection to the
 * SQLite file that runs {@linkcode SqliteWriter}'s transactions, one batch
 * each, in the order they come. The crawl's thread only builds the batches:
 * the statements, the commit and WAL checkpoints (about 0.06 ms a page on
 * the bench site) run on this thread instead.
 *
 * @module
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { CONNECTION_PRAGMAS, SQL } from "./schema.ts";

/** A seen-only row: the `seen` statement's parameters (ord, fingerprint halves, URL). */
export type SeenRow = [ord: number, hi: number, lo: number, url: string];

/** A queued row: the `push` statement's parameters, in order. */
export type PushRow = [
  ord: number,
  hi: number,
  lo: number,
  url: string,
  host: string,
  depth: number,
  parent: string | null,
  extra: string | null,
  run: number,
  attempts: number,
];

/** A finished URL: its `done` parameters after `ord`, and its record's JSON when stored. */
export interface FinishRow {
  /** The URL's row, or `null` for a URL this process did not hand out: found by fingerprint. */
  ord: number | null;
  /** The fingerprint's halves, read when `ord` is `null`. */
  hi: number;
  /** See `hi`. */
  lo: number;
  /** The `done` statement's parameters after `ord`: run, attempts, status, fresh, validators, time, hash, capture. */
  done: [
    run: number,
    attempts: number,
    status: number | null,
    fresh: number,
    etag: string | null,
    lastModified: string | null,
    fetchedAt: number | null,
    hash: string | null,
    capture: string | null,
  ];
  /** The record's JSON, stored in `records`; `null` for none. */
  json: string | null;
}

/** One transaction's writes, run in this order. */
export interface CommitBatch {
  /** The run the records belong to. */
  run: number;
  /** Seen-only rows. */
  seen: SeenRow[];
  /** Queued rows. */
  push: PushRow[];
  /** Finished URLs. */
  finish: FinishRow[];
  /** A `meta` row written with the batch (the WARC files' mark), if any. */
  mark?: [key: string, value: string];
}

/** What the writer is asked: open the file, commit a batch, close, or give up at once. */
export type WriterRequest =
  | { kind: "open"; path: string; shared: SharedArrayBuffer }
  | { kind: "commit"; batch: CommitBatch }
  | { kind: "close" }
  | { kind: "abandon" };

/** What an error carries across the thread boundary (node:sqlite's fields included). */
export interface ErrorInfo {
  name: string;
  message: string;
  code?: string;
  errcode?: number;
  errstr?: string;
}

/**
 * A wake-up for the crawl's thread after each commit (or failure), and
 * after `close`. What happened is in the shared memory, which the crawl's
 * thread may also read while it blocks on it.
 */
export type WriterReply = "progress" | "closed";

/**
 * The shared memory's layout, as 32-bit slots: `ABANDONED` is set by the
 * crawl's thread; the writer sets the others, then notifies on `COMMITTED`.
 */
export const SLOT = {
  /** 1 once the crawl's thread gave up: commit nothing more. */
  ABANDONED: 0,
  /** 1 once the writer closed its connection after an abandon. */
  CLOSED: 1,
  /** Batches committed so far. */
  COMMITTED: 2,
  /** 1 once a batch failed; the error (JSON `ErrorInfo`, UTF-8) follows the slots. */
  FAILED: 3,
  /** The error's length in bytes. */
  ERROR_BYTES: 4,
} as const;
/** Where the error's bytes start in the shared memory. */
export const ERROR_OFFSET = 32;
/** The shared memory's size: the slots and at most 4 KiB of error. */
export const SHARED_BYTES = ERROR_OFFSET + 4096;

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<WriterRequest>) => void) | null;
  postMessage(message: WriterReply): void;
};

let db: DatabaseSync | undefined;
let statements: Record<keyof typeof SQL, StatementSync>;
let shared: SharedArrayBuffer;
let slots: Int32Array;
/** The first failure (the open's or a commit's): every later commit fails with it. */
let failed = false;

scope.onmessage = ({ data }) => {
  switch (data.kind) {
    case "open":
      shared = data.shared;
      slots = new Int32Array(shared, 0, ERROR_OFFSET / 4);
      try {
        db = new DatabaseSync(data.path, { timeout: 5000 });
        db.exec(CONNECTION_PRAGMAS);
        statements = Object.fromEntries(
          Object.entries(SQL).map(([name, sql]) => [name, db!.prepare(sql)]),
        ) as Record<keyof typeof SQL, StatementSync>;
      } catch (error) {
        fail(error);
        report();
      }
      return;
    case "commit":
      if (Atomics.load(slots, SLOT.ABANDONED) === 1 || failed) return;
      if (commit(data.batch)) Atomics.add(slots, SLOT.COMMITTED, 1);
      report();
      return;
    case "close":
      db?.close();
      db = undefined;
      scope.postMessage("closed");
      return;
    case "abandon":
      // What a killed process leaves: whatever was committed, nothing more.
      db?.close();
      db = undefined;
      Atomics.store(slots, SLOT.CLOSED, 1);
      Atomics.notify(slots, SLOT.CLOSED);
      return;
  }
};

/** Runs one batch in one transaction; false (and the failure recorded) if it failed. */
function commit(batch: CommitBatch): boolean {
  const st = statements;
  try {
    db!.exec("BEGIN IMMEDIATE");
    for (const row of batch.seen) st.seen.run(...row);
    for (const row of batch.push) st.push.run(...row);
    for (const { ord, hi, lo, done, json } of batch.finish) {
      const row = ord ?? (st.find.get(hi, lo)?.ord as number | null ?? null);
      st.done.run(row, ...done);
      if (json !== null) st.record.run(batch.run, row, json);
    }
    if (batch.mark) st.mark.run(...batch.mark);
    // A stop asked meanwhile: this batch is lost, as in a process killed before its commit.
    if (Atomics.load(slots, SLOT.ABANDONED) === 1) {
      db!.exec("ROLLBACK");
      return false;
    }
    db!.exec("COMMIT");
    return true;
  } catch (error) {
    if (db!.isTransaction) db!.exec("ROLLBACK");
    fail(error);
    return false;
  }
}

/** Wakes the crawl's thread, blocked on the shared memory or waiting for a message. */
function report(): void {
  Atomics.notify(slots, SLOT.COMMITTED);
  scope.postMessage("progress");
}

/** Records the failure in the shared memory, for the crawl's thread to throw. */
function fail(error: unknown): void {
  failed = true;
  const info: ErrorInfo = { name: "Error", message: String(error) };
  if (error instanceof Error) {
    const { code, errcode, errstr } = error as Partial<ErrorInfo>;
    Object.assign(info, { name: error.name, message: error.message, code, errcode, errstr });
  }
  const bytes = new TextEncoder().encode(JSON.stringify(info));
  const room = new Uint8Array(shared, ERROR_OFFSET);
  // A message too long for the room loses its fields but keeps its start.
  const fits = bytes.length <= room.length ? bytes : new TextEncoder().encode(
    JSON.stringify({ name: info.name, message: info.message.slice(0, 1000) }),
  );
  room.set(fits);
  Atomics.store(slots, SLOT.ERROR_BYTES, fits.length);
  Atomics.store(slots, SLOT.FAILED, 1);
}
