/**
 * What the CLI tells a person on stderr while it runs: a live status line
 * on a terminal, or a progress line every few seconds when stderr is a file
 * or a pipe; a line per request with `--verbose`; hints for mistakes; what
 * a stop signal will do; each scheduled run's start; and the summary at the
 * end. `--quiet` keeps errors and hints only.
 *
 * @module
 */

import type { CrawlRecord } from "../output/record.ts";
import type { CrawlProgress } from "../pipeline/run.ts";
import { hintFor } from "./hints.ts";
import { formatStatus, StatusLine } from "./status_line.ts";
import { BrokenTargets, formatDuration } from "./summary.ts";

/** How much the CLI says: errors only, the default, or a line per request too. */
export type Verbosity = "quiet" | "normal" | "verbose";

/** Where the reporter writes: stderr, or a stand-in. */
export interface LineWriter {
  /** Writes bytes, returning how many were written (all, for stderr). */
  writeSync(bytes: Uint8Array): number;
}

/** Options for {@linkcode Reporter}. */
export interface ReporterOptions {
  /** How much to say. */
  verbosity: Verbosity;
  /** Whether the writer is a terminal: a live status line, else progress lines. */
  terminal: boolean;
  /** Between progress lines when not on a terminal, in ms; 0 for none. */
  progressIntervalMs: number;
  /** Where lines go. */
  out: LineWriter;
}

/**
 * A line for one finished URL, as `--verbose` prints it.
 *
 * @param record The record.
 * @returns e.g. `200 https://a.test/ 12 ms` or `404 https://a.test/gone 3 ms http_4xx`.
 *
 * @example Usage
 * ```ts
 * import { requestLine } from "./reporter.ts";
 * import assert from "node:assert/strict";
 *
 * const line = requestLine({
 *   url: "https://a.test/x", status: null, durationMs: 0, attempts: 1,
 *   error: "blocked_address", errorMessage: "a.test is or resolves to a private address",
 * });
 * assert.equal(line, "--- https://a.test/x 0 ms blocked_address: a.test is or resolves to a private address");
 * ```
 */
export function requestLine(
  record: Pick<
    CrawlRecord,
    "url" | "status" | "durationMs" | "attempts" | "error" | "errorMessage"
  >,
): string {
  let line = `${record.status ?? "---"} ${record.url} ${Math.round(record.durationMs)} ms`;
  if (record.attempts > 1) line += ` (${record.attempts} attempts)`;
  if (record.error) {
    line += ` ${record.error}`;
    // "HTTP 404" would only repeat the status.
    if (record.errorMessage && record.status === null) line += `: ${record.errorMessage}`;
  }
  return line;
}

/**
 * Says what a CLI run does, to a person, on one writer (stderr).
 *
 * @example Usage
 * ```ts
 * import { Reporter } from "./reporter.ts";
 * import assert from "node:assert/strict";
 *
 * // A stand-in for stderr that keeps what is written.
 * let written = "";
 * const out = {
 *   writeSync(bytes: Uint8Array) {
 *     written += new TextDecoder().decode(bytes);
 *     return bytes.length;
 *   },
 * };
 * const reporter = new Reporter({ verbosity: "verbose", terminal: false, progressIntervalMs: 0, out });
 * reporter.startRun(() => ({ pagesOk: 0, errors: 0, elapsedMs: 0, queued: 0, fetching: 3, parsing: 1 }));
 * reporter.record({
 *   url: "http://10.0.0.1/", status: null, durationMs: 0, attempts: 1, depth: 0, parent: null,
 *   error: "blocked_address", errorMessage: "10.0.0.1 is or resolves to a private address",
 * });
 * reporter.stopping("SIGINT", 10_000);
 * reporter.endRun();
 * assert.deepEqual(written.trimEnd().split("\n"), [
 *   "--- http://10.0.0.1/ 0 ms blocked_address: 10.0.0.1 is or resolves to a private address",
 *   "hint: 10.0.0.1 is a private or loopback address, which the crawler refuses by default: " +
 *   "pass --allow-private to crawl private networks, or --allow-address 10.0.0.1/32 for this address only",
 *   "stopping: finishing 4 pages in flight (for at most 10.0 s); Ctrl-C again to stop at once",
 * ]);
 * ```
 */
export class Reporter {
  #options: ReporterOptions;
  #encoder = new TextEncoder();
  #status: StatusLine | undefined;
  #progressTimer: ReturnType<typeof setInterval> | undefined;
  #progress: (() => CrawlProgress) | undefined;
  #hinted = new Set<string>();
  /** The running run's broken targets, for its summary. */
  broken: BrokenTargets = new BrokenTargets();

  /**
   * Creates the reporter of a CLI process.
   *
   * @param options Verbosity, terminal or not, progress interval and the writer.
   */
  constructor(options: ReporterOptions) {
    this.#options = options;
  }

  /** How much it says. */
  get verbosity(): Verbosity {
    return this.#options.verbosity;
  }

  /** Whether it writes to a terminal. */
  get terminal(): boolean {
    return this.#options.terminal;
  }

  /**
   * Writes one line, above the status line when there is one.
   *
   * @param text The line, without a line end.
   */
  line(text: string): void {
    if (this.#status) this.#status.print(text);
    else this.#options.out.writeSync(this.#encoder.encode(`${text}\n`));
  }

  /**
   * An error line (`error: ...`), always written.
   *
   * @param text The message.
   */
  error(text: string): void {
    this.line(`error: ${text}`);
  }

  /**
   * A note (`note: ...`), left out with `--quiet`.
   *
   * @param text The note.
   */
  note(text: string): void {
    if (this.verbosity !== "quiet") this.line(`note: ${text}`);
  }

  /**
   * Something a person should know that is neither an error nor a note (a
   * scheduled run starting, the summary), left out with `--quiet`.
   *
   * @param text The line.
   */
  info(text: string): void {
    if (this.verbosity !== "quiet") this.line(text);
  }

  /**
   * A run starts: the status line (on a terminal) or progress lines begin.
   *
   * @param progress Reads the run's live counters.
   */
  startRun(progress: () => CrawlProgress): void {
    this.#progress = progress;
    this.broken = new BrokenTargets();
    if (this.verbosity === "quiet") return;
    const { terminal, out, progressIntervalMs } = this.#options;
    if (terminal) {
      this.#status = new StatusLine(out, () => formatStatus(progress()));
    } else if (progressIntervalMs > 0) {
      this.#progressTimer = setInterval(() => {
        const now = progress();
        this.line(`progress: ${formatDuration(now.elapsedMs)}, ${formatStatus(now)}`);
      }, progressIntervalMs);
    }
  }

  /**
   * A URL finished: its `--verbose` line, its hint the first time one is
   * called for, and its place among the broken targets.
   *
   * @param record The record.
   */
  record(
    record:
      & Pick<
        CrawlRecord,
        "url" | "status" | "durationMs" | "attempts" | "error" | "errorMessage" | "depth" | "parent"
      >
      & Pick<Partial<CrawlRecord>, "blockedRequests">,
  ): void {
    this.broken.add(record);
    if (this.verbosity === "verbose") this.line(requestLine(record));
    // A page that reached for a private address is worth a line even when all went well.
    if (this.verbosity !== "quiet") {
      for (const { url, error } of record.blockedRequests ?? []) {
        this.line(`blocked: ${record.url} asked for ${url} (${error})`);
      }
    }
    if (!record.error) return;
    const hint = hintFor(record);
    if (hint && !this.#hinted.has(hint.key)) {
      this.#hinted.add(hint.key);
      this.line(`hint: ${hint.text}`);
    }
  }

  /**
   * The first stop signal came: says what happens next.
   *
   * @param signal The signal.
   * @param graceMs How long in-flight work may still take.
   */
  stopping(signal: "SIGINT" | "SIGTERM", graceMs: number): void {
    if (this.verbosity === "quiet") return;
    const again = signal === "SIGINT" ? "Ctrl-C again" : "send SIGTERM again";
    if (!this.#progress) {
      this.line(`stopping: no run in progress; ${again} to stop at once`);
      return;
    }
    const { fetching, parsing } = this.#progress();
    const pages = fetching + parsing;
    this.line(
      `stopping: finishing ${pages} ${pages === 1 ? "page" : "pages"} in flight ` +
        `(for at most ${formatDuration(graceMs)}); ${again} to stop at once`,
    );
  }

  /** The run ended: the status line is cleared, progress lines stop. */
  endRun(): void {
    this.#status?.stop();
    this.#status = undefined;
    clearInterval(this.#progressTimer);
    this.#progressTimer = undefined;
    this.#progress = undefined;
  }
}
