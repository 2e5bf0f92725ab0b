/**
 * A durable {@linkcode CrawlStore} in one SQLite file (Deno's built-in
 * `node:sqlite`): the frontier, the seen set, each URL's outcome and HTTP
 * validators, every record, and the runs, so a crawl killed at any moment
 * resumes where it stopped and its JSONL output holds each record once.
 *
 * Durability: WAL with `synchronous = NORMAL`. A commit is in the WAL (the
 * OS page cache) when COMMIT returns, so it survives `kill -9`; only power
 * loss may drop the last commits (never corrupt the file). The output file
 * is not fsynced either, and {@linkcode SqliteStore.repairOutput} rewrites
 * it from the store if it ever holds more than the store committed.
 *
 * Memory: one {@linkcode FingerprintSet} (16-32 bytes a URL, outside the JS
 * heap), SQLite's page cache (4 MiB), the frontier's window (packed), and at
 * most `batchSize` pending writes and `maxPending` records waiting for
 * delivery. Everything else is on disk.
 *
 * @module
 */

import { latestLinkRecords } from "./link_records.ts";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { ArchiveLedger, CrawlHistory, CrawlStore, Deliver } from "../store/types.ts";
import { fingerprint, FingerprintSet } from "../frontier/fingerprint_set.ts";
import { LocalFrontier } from "../frontier/local.ts";
import type {
  CrawlFrontier,
  FrontierEntry,
  FrontierLimits,
  SeenSet,
  UrlQueue,
} from "../frontier/types.ts";
import type { CrawlSummary } from "../output/stats.ts";
import type { CrawlRecord } from "../output/record.ts";
import { recordJson } from "../output/record_json.ts";
import { type ReconcileResult, reconcileRunOutput } from "./output.ts";
import {
  DONE,
  prepareSchema,
  QUEUED,
  type Row,
  type RunInfo,
  type RunKind,
  SEEN_ONLY,
  SQL,
  toEntry,
  toRun,
} from "./schema.ts";

/** Thrown by {@linkcode SqliteStore.open} when another process has the state file open. */
export class StateInUseError extends Error {
  /**
   * Creates the error for a state file.
   *
   * @param path The state file.
   */
  constructor(path: string) {
    super(`${path} is in use by another crawler process; one process per state file`);
    this.name = "StateInUseError";
  }
}

/** Options for {@linkcode SqliteStore.open}. */
export interface SqliteStoreOptions {
  /** The options a resume must not change (seeds, scope, ...), as a JSON object. */
  identity: Record<string, unknown>;
  /** Wipe the store and start over, whatever it holds. */
  restart?: boolean;
  /**
   * When the latest run has ended, start a recrawl run that queues every
   * done URL again (validators kept), except those fetched less than
   * `maxAgeMs` ago. Ignored while the latest run is unfinished: that run resumes.
   */
  recrawl?: { maxAgeMs?: number };
  /** The run's full options, kept in its `runs` row for reference. */
  options?: unknown;
  /** Most queued URLs the frontier holds in memory; the rest wait on disk. Default 10 000. */
  window?: number;
  /** The clock, in ms since the epoch. Default `Date.now`. */
  now?: () => number;
  /**
   * Commit pending writes at most this long after the first, in ms. Default 5:
   * a record waiting longer outlives two young-generation collections, and V8
   * moves it to the old generation, where it lingers as garbage (a 50 ms
   * window cost 50 MB of peak RSS and 8 % more CPU on the 5,001-page bench).
   */
  batchMs?: number;
  /** Commit once this many writes are pending. Default 500. */
  batchSize?: number;
  /** Most records committed-or-not and not yet delivered before `finish()` waits. Default 4 × `batchSize`. */
  maxPending?: number;
  /**
   * Whether a finished URL's record goes to the output (stored and
   * delivered); a refused one still updates the URL's row (status,
   * validators). Default: every record. `--changed-only` refuses
   * unchanged pages this way, so the output stays reconcilable.
   */
  output?: (record: CrawlRecord) => boolean;
}

interface Pending {
  url: string;
  hi: number;
  lo: number;
  ord: number;
  /** The queued entry; none for a seen-only row. */
  entry?: FrontierEntry;
}

interface Finish {
  entry: FrontierEntry;
  record: CrawlRecord | undefined;
  deliver: Deliver;
  /** Whether the record is stored and delivered (see `output`). */
  output: boolean;
}

/**
 * A crawl kept in SQLite. Writes are batched into transactions; a record is
 * handed to `deliver` only after the transaction that marks its URL done
 * and stores it has committed, in `seq` order.
 *
 * A store opened on a run that already ended, without `recrawl`, continues
 * that run (`resumed` and `ended` are true): its backlog is the URLs it left
 * queued (none after a complete crawl), so the crawl ends at once and the
 * output is kept.
 *
 * @example Usage
 * ```ts
 * import { SqliteStore } from "./store.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const path = `${dir}/crawl.db`;
 * const store = SqliteStore.open(path, { identity: { seeds: ["https://a.test/"] }, restart: true });
 * const frontier = await store.openFrontier({ perHost: 2, delayMs: 0 });
 * frontier.add({ url: "https://a.test/", depth: 0, parent: null });
 * await store.close();
 * const again = SqliteStore.open(path, { identity: { seeds: ["https://a.test/"] } });
 * assert.equal(again.backlog, 1); // resumed: the queued URL is still there
 * await again.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class SqliteStore implements CrawlStore, CrawlHistory, UrlQueue, AsyncDisposable {
  /** Always true: the crawl survives the process, `kill -9` included. */
  readonly durable = true;
  /** The seen set: fingerprints in memory, `add` persists a seen-only row. */
  readonly seen: SeenSet;
  /** This process's run. */
  readonly run: RunInfo;
  /** Whether an existing run is continued (not a new one started). */
  readonly resumed: boolean;
  #db: DatabaseSync;
  #now: () => number;
  #batchMs: number;
  #batchSize: number;
  #maxPending: number;
  #output: ((record: CrawlRecord) => boolean) | undefined;
  #window: number;
  #st: Record<keyof typeof SQL, StatementSync>;
  #fingerprints = new FingerprintSet();
  #seenOnly: Pending[] = [];
  #lock: Deno.FsFile | undefined;
  #pushes: Pending[] = [];
  /** Pushes handed out by `take()` before they were written. */
  #pushHead = 0;
  /** URL → row of entries handed out and not finished (bounded by the frontier's window). */
  #taken = new Map<string, number>();
  #finishes: Finish[] = [];
  /** Written queued rows after the cursor. */
  #dbBacklog = 0;
  /** The largest `ord` handed out by this process. */
  #cursor = 0;
  #nextOrd = 1;
  #deliveries: Finish[] = [];
  #deliveryHead = 0;
  /** Records finished and not delivered yet (committed or not). */
  #undelivered = 0;
  #delivering: Promise<void> | undefined;
  #spaceWaiters: (() => void)[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #error: unknown;
  #closed = false;
  /** Reads the WARC files' mark, saved with every commit once an archive follows the store. */
  #archiveMark: (() => string) | undefined;

  private constructor(db: DatabaseSync, path: string, options: SqliteStoreOptions) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.#batchMs = options.batchMs ?? DEFAULT_BATCH_MS;
    this.#batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.#maxPending = options.maxPending ?? 4 * this.#batchSize;
    this.#output = options.output;
    this.#window = options.window ?? 10_000;
    db.exec("BEGIN IMMEDIATE");
    try {
      prepareSchema(db, path, options);
      const last = db.prepare(
        "SELECT id, kind, started_at, ended_at FROM runs ORDER BY id DESC LIMIT 1",
      ).get() as Row | undefined;
      this.resumed = last !== undefined && (last.ended_at === null || !options.recrawl);
      this.run = this.resumed ? toRun(last!) : this.#startRun(last !== undefined, options);
      db.prepare("UPDATE runs SET options = ? WHERE id = ?")
        .run(JSON.stringify(options.options ?? null), this.run.id);
      db.exec("COMMIT");
    } catch (error) {
      if (db.isTransaction) db.exec("ROLLBACK");
      throw error;
    }
    this.#st = Object.fromEntries(
      Object.entries(SQL).map(([name, sql]) => [name, db.prepare(sql)]),
    ) as Record<keyof typeof SQL, StatementSync>;
    this.#load();
    this.seen = {
      has: (url) => this.#fingerprints.has(url),
      add: (url) => {
        const [hi, lo] = fingerprintOf(url);
        if (!this.#fingerprints.addFingerprint(hi, lo)) return false;
        this.#seenOnly.push({ url, hi, lo, ord: this.#nextOrd++ });
        // No commit here: LocalFrontier.add() pushes right after, and push() merges the two.
        this.#written(false);
        return true;
      },
    };
  }

  /**
   * Opens (or creates) a state file and starts or resumes a run.
   *
   * @param path The SQLite file (e.g. `crawl.db`).
   * @param options The identity, restart/recrawl choice, clock and batching.
   * @returns The open store.
   * @throws {StateMismatchError} If the file was made with other identity
   * options, another schema version, or is not a state file (and not `restart`).
   * @throws {RangeError} If `maxAgeMs` or a batching option is out of range.
   *
   * @example Usage
   * ```ts
   * import { SqliteStore } from "./store.ts";
   * import assert from "node:assert/strict";
   *
   * const dir = await Deno.makeTempDir();
   * const identity = { seeds: ["https://a.test/"] };
   * const first = SqliteStore.open(`${dir}/crawl.db`, { identity });
   * await first.endRun({}); // the first run completed
   * await first.close();
   * // The last run ended: `recrawl` starts a new run instead of continuing it.
   * const store = SqliteStore.open(`${dir}/crawl.db`, { identity, recrawl: { maxAgeMs: 3_600_000 } });
   * assert.equal(store.run.kind, "recrawl");
   * assert.equal(store.runId, 2);
   * await store.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  static open(path: string, options: SqliteStoreOptions): SqliteStore {
    checkOptions(options);
    // One crawler process per state file: an advisory lock the OS drops if the process dies.
    const lock = Deno.openSync(`${path}.lock`, { create: true, write: true });
    if (!lock.tryLockSync(true)) {
      lock.close();
      throw new StateInUseError(path);
    }
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(path, { timeout: 5000 });
    } catch (error) {
      lock.close();
      throw error;
    }
    try {
      // page_size applies to a new file only; 8 KiB made record inserts ~30% faster. Writes
      // append (rowid order) and reads follow the queue's order: a small cache does.
      // A checkpoint (run by the commit that fills the WAL) costs fsyncs and copies the pages
      // every commit rewrites (the tails of the tables) once more however often they changed:
      // one per 32 MiB of WAL instead of SQLite's 8 MiB cut the commits' time by 13-15 %
      // (20,000 pages' writes replayed; 64 MiB: no better).
      db.exec(`PRAGMA page_size = 8192; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
        PRAGMA cache_size = -4096; PRAGMA temp_store = MEMORY;
        PRAGMA wal_autocheckpoint = ${CHECKPOINT_PAGES};`);
      const store = new SqliteStore(db, path, options);
      store.#lock = lock;
      return store;
    } catch (error) {
      db.close();
      lock.close();
      throw error;
    }
  }

  /** This process's run id. */
  get runId(): number {
    return this.run.id;
  }

  /** Whether the continued run had already ended before this open. */
  get ended(): boolean {
    return this.run.endedAt !== null;
  }

  /** This store keeps its runs: it is its own history. */
  get history(): CrawlHistory {
    return this;
  }

  /**
   * The run's WARC files: named by the run's start, cut back on resume to
   * the mark its last commit saved (in `meta`, as `warc:RUN`).
   */
  get archive(): ArchiveLedger {
    const key = `warc:${this.run.id}`;
    const row = this.#db.prepare("SELECT value FROM meta WHERE key = ?").get(key);
    return {
      runStartedAt: this.run.startedAt,
      perProcess: false,
      mark: row?.value as string | undefined,
      follow: (read) => {
        this.#archiveMark = read;
      },
      // The mark lists the files.
      noteFile: () => {},
    };
  }

  /**
   * Opens the in-process frontier over this store's queue, holding at most
   * `window` URLs in memory.
   *
   * @param limits The crawl's limits and politeness.
   * @returns The frontier, resuming what the store left queued.
   */
  openFrontier(limits: FrontierLimits): Promise<CrawlFrontier> {
    const frontier = new LocalFrontier(limits, {
      queue: this,
      window: this.#window,
      durable: true,
      // Budgets belong to the crawl: what earlier processes of this run did counts.
      resumed: { started: this.#startedInRun(), admitted: this.#admittedInRun() },
    });
    return Promise.resolve(frontier);
  }

  /**
   * First fetches this run already made: its finished URLs (a URL queued
   * again for a retry, or in flight when a process died, is fetched again and
   * counted then).
   */
  #startedInRun(): number {
    const row = this.#db.prepare(
      `SELECT count(*) AS n FROM urls WHERE run = ?1 AND state = ${DONE}`,
    ).get(this.run.id);
    return row!.n as number;
  }

  /** URLs admitted per host in this run, queued or finished. */
  #admittedInRun(): Map<string, number> {
    const rows = this.#db.prepare(
      `SELECT host, count(*) AS n FROM urls WHERE run = ?1 AND state IN (${QUEUED}, ${DONE})
        GROUP BY host`,
    ).all(this.run.id);
    return new Map(rows.map((row) => [row.host as string, row.n as number]));
  }

  /**
   * The run's id, for the summary line.
   *
   * @returns `{ runId }`.
   */
  describe(): Record<string, unknown> {
    return { runId: this.run.id };
  }

  /** Queued entries not taken yet: written ones after the cursor and pending pushes. */
  get backlog(): number {
    return this.#dbBacklog + this.#pushes.length - this.#pushHead;
  }

  /**
   * Queues a newly admitted entry; it is written with the next commit.
   *
   * @param entry The entry.
   * @throws The error that failed the store, if any.
   */
  push(entry: FrontierEntry): void {
    this.#check();
    const [hi, lo] = fingerprintOf(entry.url);
    this.#fingerprints.addFingerprint(hi, lo);
    // LocalFrontier.add() marks a URL seen right before pushing it: one row, not two.
    // (Were a seen-only row written already, it stays and is inert.)
    if (this.#seenOnly.at(-1)?.url === entry.url) this.#seenOnly.pop();
    this.#pushes.push({ url: entry.url, hi, lo, ord: this.#nextOrd++, entry });
    this.#written(true);
  }

  /**
   * Takes queued entries in queue order: written rows after the cursor
   * first, then pushes not written yet (handed out from memory, written with
   * the next commit). Nothing handed out by this process is handed out again;
   * after a crash the cursor starts over, so in-flight URLs are fetched again.
   * An entry with validators gets them as `extra.etag` / `extra.lastModified`.
   *
   * @param limit How many at most.
   * @returns The entries.
   * @throws The error that failed the store, if any.
   */
  take(limit: number): FrontierEntry[] {
    this.#check();
    const out: FrontierEntry[] = [];
    if (this.#dbBacklog > 0 && limit > 0) {
      const rows = this.#st.take.all(this.#cursor, limit);
      for (const row of rows) {
        out.push(toEntry(row));
        this.#taken.set(row.url as string, row.ord as number);
      }
      if (rows.length > 0) this.#cursor = rows.at(-1)!.ord as number;
      this.#dbBacklog = rows.length < limit ? 0 : this.#dbBacklog - rows.length;
    }
    while (out.length < limit && this.#dbBacklog === 0 && this.#pushHead < this.#pushes.length) {
      const pending = this.#pushes[this.#pushHead++]!;
      this.#cursor = pending.ord;
      this.#taken.set(pending.url, pending.ord);
      out.push(pending.entry!);
    }
    return out;
  }

  /**
   * Marks an entry done and stores its record, in the next commit; the
   * record goes to `deliver` once that commit is durable. Resolves at once
   * unless `maxPending` records wait for commit or delivery (back-pressure).
   *
   * @param entry The finished entry.
   * @param record Its record, or `undefined` for a skip (then only marked done).
   * @param deliver Receives the record after its commit, in `seq` order.
   * @returns A promise that resolves once the finish is accepted.
   * @throws The error that failed the store (a commit or a `deliver`), if any.
   */
  async finish(
    entry: FrontierEntry,
    record: CrawlRecord | undefined,
    deliver: Deliver,
  ): Promise<void> {
    this.#check();
    const output = record !== undefined && (this.#output?.(record) ?? true);
    this.#finishes.push({ entry, record, deliver, output });
    if (output) this.#undelivered++;
    this.#written(true);
    while (this.#undelivered > this.#maxPending && this.#error === undefined) {
      await new Promise<void>((resolve) => this.#spaceWaiters.push(resolve));
    }
    this.#check();
  }

  /**
   * Commits everything pending and waits until every committed record was
   * delivered.
   *
   * @returns A promise that resolves when all is written and delivered.
   * @throws The error that failed the store (a commit or a `deliver`), if any.
   */
  async flush(): Promise<void> {
    this.#check();
    this.#commit();
    while (this.#delivering) await this.#delivering;
    this.#check();
  }

  /**
   * Flushes, then records the run's end time and stats. Call it when the
   * crawl completed (not when it was interrupted: an unended run resumes).
   *
   * @param stats Anything JSON-serializable (e.g. the crawl summary).
   * @returns A promise that resolves once the run is marked ended.
   * @throws The error that failed the store, if any.
   */
  async endRun(stats: unknown): Promise<void> {
    await this.flush();
    this.#db.prepare("UPDATE runs SET ended_at = ?, stats = ? WHERE id = ?")
      .run(this.#now(), JSON.stringify(stats ?? null), this.run.id);
  }

  /**
   * Makes an output file hold exactly this run's committed records, one
   * JSON line each in `seq` order, before the run writes to it: complete
   * lines are kept, a torn last line is cut, and records committed but lost
   * from the writer's buffer are appended. The file is rewritten from the
   * store when the run has not used it yet (a new run truncates it), when
   * its last complete line is not this run's record at that place, or when
   * it holds more lines than the run committed.
   *
   * Records are written as `JSON.stringify(record)`: the sink must write
   * records unchanged for the check to pass (else the file is rewritten).
   *
   * @param path The JSONL output file.
   * @returns What was kept and appended.
   * @throws The error that failed the store, or the file system's.
   */
  async repairOutput(path: string): Promise<ReconcileResult> {
    await this.flush();
    return await reconcileRunOutput(this.#db, {
      id: this.run.id,
      countRecords: () => this.countRecords(),
      recordJson: (index) => this.#storedJson(index),
    }, path);
  }

  /**
   * Iterates over a run's committed records in `seq` order (e.g. to write
   * JSON or CSV at the end). Call `flush()` first to include pending ones.
   *
   * @param runId The run; default this one.
   * @returns The records.
   */
  *records(runId: number = this.run.id): IterableIterator<CrawlRecord> {
    const statement = this.#db.prepare(SQL.records);
    for (const row of statement.iterate(runId, 0)) yield JSON.parse(row.json as string);
  }

  /**
   * The latest record of each URL across every run, a 304 (not parsed
   * again) carrying the links of the URL's latest parsed record: the site as
   * last seen, for the link check. Call `flush()` first to include pending
   * records.
   *
   * @returns The records, in `seq` order.
   */
  linkRecords(): IterableIterator<CrawlRecord> {
    return latestLinkRecords(this.#db);
  }

  /**
   * Counts a run's committed records.
   *
   * @param runId The run; default this one.
   * @returns How many.
   */
  countRecords(runId: number = this.run.id): number {
    const row = this.#db.prepare("SELECT count(*) AS n FROM records WHERE run = ?").get(runId);
    return row!.n as number;
  }

  /**
   * Flushes and closes the database; clears the commit timer. Idempotent.
   * Given the summary of a crawl that ran to its end, or spent its whole
   * `maxPages` budget, the run is first recorded as ended
   * ({@linkcode SqliteStore.endRun}); a run stopped by a signal, a time
   * limit or its per-run budget stays open, and the next open continues it.
   *
   * @param summary The crawl's summary, when a crawl ran.
   * @returns A promise that resolves once closed.
   * @throws An error of the final commit or deliveries (the database is closed anyway).
   */
  async close(summary?: CrawlSummary): Promise<void> {
    if (this.#closed) return;
    try {
      if (this.#error === undefined) {
        const over = summary?.stoppedBy === "done" || summary?.stoppedBy === "max_pages";
        if (over) await this.endRun(summary);
        else await this.flush();
      }
    } finally {
      this.#closed = true;
      this.#clearTimer();
      this.#db.close();
      this.#lock?.close();
    }
  }

  /**
   * Closes without committing or delivering what is pending, and releases
   * the file: what a killed process leaves behind. Pending finishes are
   * simply lost (their URLs are fetched again on resume).
   */
  abandon(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#clearTimer();
    this.#db.close();
    this.#lock?.close();
  }

  /** Same as {@linkcode SqliteStore.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #startRun(hadRun: boolean, options: SqliteStoreOptions): RunInfo {
    const kind: RunKind = hadRun ? "recrawl" : "crawl";
    const startedAt = this.#now();
    const { lastInsertRowid } = this.#db.prepare(
      "INSERT INTO runs (kind, started_at) VALUES (?, ?)",
    ).run(kind, startedAt);
    const id = Number(lastInsertRowid);
    if (kind === "recrawl") {
      const cutoff = startedAt - (options.recrawl?.maxAgeMs ?? -Infinity);
      this.#db.prepare(
        `UPDATE urls SET state = ${QUEUED}, run = ?, attempts = 0
         WHERE state = ${DONE} AND (fetched_at IS NULL OR fetched_at <= ?)`,
      ).run(id, Number.isFinite(cutoff) ? cutoff : Number.MAX_SAFE_INTEGER);
    }
    return { id, kind, startedAt, endedAt: null };
  }

  /** Loads the seen set, the queued count and the next queue order in one scan. */
  #load(): void {
    // Seen-only marks (redirect targets, canonicals) belong to the run that made them: a later
    // run claims them again when their sources are fetched again, instead of finding them
    // "already seen" (which would make every recrawled redirect a duplicate).
    this.#db.prepare(`DELETE FROM urls WHERE state = ${SEEN_ONLY}`).run();
    const scan = this.#db.prepare(
      "SELECT (fp >> 32) & 4294967295 AS hi, fp & 4294967295 AS lo, state, ord FROM urls",
    );
    let maxOrd = 0;
    for (const row of scan.iterate()) {
      this.#fingerprints.addFingerprint(row.hi as number, row.lo as number);
      if (row.state === QUEUED) this.#dbBacklog++;
      if ((row.ord as number) > maxOrd) maxOrd = row.ord as number;
    }
    this.#nextOrd = maxOrd + 1;
  }

  /** After a pending write: commit now when the batch is full, else within `batchMs`. */
  #written(mayCommit: boolean): void {
    const pending = this.#seenOnly.length + this.#pushes.length + this.#finishes.length;
    if (mayCommit && pending >= this.#batchSize) return this.#commit();
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      try {
        if (this.#error === undefined) this.#commit();
      } catch {
        // Kept by #commit() and thrown by the next push/take/finish/flush.
      }
    }, this.#batchMs);
  }

  /** Writes every pending change in one transaction, then queues the records for delivery. */
  #commit(): void {
    this.#clearTimer();
    const finishes = this.#finishes;
    if (this.#seenOnly.length + this.#pushes.length + finishes.length === 0) return;
    const runId = this.run.id;
    const now = this.#now();
    const st = this.#st;
    try {
      this.#db.exec("BEGIN IMMEDIATE");
      for (const { url, hi, lo, ord } of this.#seenOnly) st.seen.run(ord, hi, lo, url);
      for (const { hi, lo, ord, entry: e } of this.#pushes) {
        const extra = e!.extra === undefined ? null : JSON.stringify(e!.extra);
        st.push.run(ord, hi, lo, e!.url, e!.host, e!.depth, e!.parent, extra, runId, e!.attempts);
      }
      for (const { entry, record, output } of finishes) {
        const ord = this.#taken.get(entry.url) ?? this.#find(entry.url);
        this.#taken.delete(entry.url);
        const status = record?.status ?? null;
        const fresh = status !== null && status >= 200 && status < 300 ? 1 : 0;
        const { etag, lastModified } = validators(record);
        const fetchedAt = status === null ? null : now;
        const attempts = record?.attempts ?? entry.attempts;
        const hash = record?.contentHash ?? null;
        const capture = entry.extra?.capture ?? null;
        st.done.run(
          ord,
          runId,
          attempts,
          status,
          fresh,
          etag,
          lastModified,
          fetchedAt,
          hash,
          capture,
        );
        if (record && output) st.record.run(runId, ord, recordJson(record));
      }
      if (this.#archiveMark) {
        // In the same commit: the WARC files hold these finishes' records up to here.
        st.mark.run(`warc:${runId}`, this.#archiveMark());
      }
      this.#db.exec("COMMIT");
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      this.#fail(error);
      throw error;
    }
    this.#dbBacklog += this.#pushes.length - this.#pushHead;
    this.#seenOnly = [];
    this.#pushes = [];
    this.#pushHead = 0;
    this.#finishes = [];
    for (const finish of finishes) if (finish.output) this.#deliveries.push(finish);
    if (this.#deliveries.length > this.#deliveryHead && !this.#delivering) {
      // Started in a later microtask, so #delivering is set before the loop can clear it.
      this.#delivering = Promise.resolve().then(() => this.#deliverAll());
    }
  }

  async #deliverAll(): Promise<void> {
    try {
      while (this.#deliveryHead < this.#deliveries.length && this.#error === undefined) {
        const { record, deliver } = this.#deliveries[this.#deliveryHead]!;
        this.#deliveries[this.#deliveryHead++] = undefined as unknown as Finish;
        try {
          await deliver(record!);
        } catch (error) {
          this.#fail(error);
        }
        this.#undelivered--;
        this.#wake();
        if (this.#deliveryHead > 1024 && this.#deliveryHead * 2 > this.#deliveries.length) {
          this.#deliveries = this.#deliveries.slice(this.#deliveryHead);
          this.#deliveryHead = 0;
        }
      }
    } finally {
      this.#deliveries = this.#deliveries.slice(this.#deliveryHead);
      this.#deliveryHead = 0;
      this.#delivering = undefined;
      this.#wake();
    }
  }

  #wake(): void {
    if (this.#spaceWaiters.length === 0) return;
    if (this.#error === undefined && this.#undelivered > this.#maxPending) return;
    for (const resolve of this.#spaceWaiters.splice(0)) resolve();
  }

  #fail(error: unknown): void {
    this.#error ??= error;
    this.#wake();
  }

  #check(): void {
    if (this.#error !== undefined) throw this.#error;
    if (this.#closed) throw new Error("Cannot use the store as it is closed");
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The row of a URL this store did not hand out (slow: a table scan). */
  #find(url: string): number | null {
    const [hi, lo] = fingerprintOf(url);
    return (this.#st.find.get(hi, lo)?.ord ?? null) as number | null;
  }

  #storedJson(index: number): string | undefined {
    const row = this.#st.records.get(this.run.id, index) as Row | undefined;
    return row?.json as string | undefined;
  }
}

/** WAL pages (8 KiB each) past which a commit checkpoints the WAL into the file. */
const CHECKPOINT_PAGES = 4096;
/** Most time a write waits for its commit, in ms (see `SqliteStoreOptions.batchMs`). */
const DEFAULT_BATCH_MS = 5;
/** Pending writes that commit at once. */
const DEFAULT_BATCH_SIZE = 500;

function checkOptions(options: SqliteStoreOptions): void {
  const maxAgeMs = options.recrawl?.maxAgeMs ?? 0;
  if (!(maxAgeMs >= 0)) {
    throw new RangeError(
      `Cannot open store as 'maxAgeMs' must be a non-negative number: received ${maxAgeMs}`,
    );
  }
  const { batchMs = DEFAULT_BATCH_MS, batchSize = DEFAULT_BATCH_SIZE } = options;
  if (!(batchMs >= 0)) {
    throw new RangeError(
      `Cannot open store as 'batchMs' must be a non-negative number: received ${batchMs}`,
    );
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(
      `Cannot open store as 'batchSize' must be a positive integer: received ${batchSize}`,
    );
  }
  const { maxPending = 4 * batchSize } = options;
  if (!Number.isInteger(maxPending) || maxPending < batchSize) {
    throw new RangeError(
      `Cannot open store as 'maxPending' must be an integer of at least 'batchSize' (${batchSize}): received ${maxPending}`,
    );
  }
}

/** The fingerprint as the FingerprintSet keys it ([0, 0] marks an empty slot there). */
function fingerprintOf(url: string): [number, number] {
  const [hi, lo] = fingerprint(url);
  return hi === 0 && lo === 0 ? [0, 1] : [hi, lo];
}

function validators(record: CrawlRecord | undefined) {
  // Optional CrawlRecord fields set by the fetch stage from the response headers.
  const r = record as { etag?: unknown; lastModified?: unknown } | undefined;
  return {
    etag: typeof r?.etag === "string" ? r.etag : null,
    lastModified: typeof r?.lastModified === "string" ? r.lastModified : null,
  };
}
