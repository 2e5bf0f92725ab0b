/**
 * The command-line program: parses the command line, checks every output,
 * runs one crawl (or one per `--schedule` tick) through the pipeline's
 * `runCrawl()`, and the `export` subcommand; tells the person what happens
 * and picks the exit code.
 *
 * @module
 */

import denoJson from "../../deno.json" with { type: "json" };
import { parseCli } from "./args.ts";
import { parseExport, runExportPlan } from "./export.ts";
import { HELP } from "./help.ts";
import { nothingFetched } from "./hints.ts";
import { checkOutputs } from "./outputs.ts";
import { runCrawlCommand, type RunResult } from "./crawl.ts";
import { Reporter } from "./reporter.ts";
import { formatSummary } from "./summary.ts";
import { UsageError } from "./usage_error.ts";

/** Signals the CLI's caller (main.ts) drives. */
export interface CliSignals {
  /**
   * Aborted on the first SIGINT/SIGTERM (with a {@linkcode SignalStop} as
   * its reason): stop taking URLs, finish in-flight work.
   */
  stop: AbortController;
  /** Aborted on a second signal, or when the grace period ends. */
  abort: AbortController;
}

/**
 * The reason main.ts gives the stop signal: which signal came, so the CLI
 * can say how to stop at once.
 *
 * @example Usage
 * ```ts
 * import { SignalStop } from "./main.ts";
 * import assert from "node:assert/strict";
 *
 * const stop = new AbortController();
 * stop.abort(new SignalStop("SIGTERM"));
 * assert.equal((stop.signal.reason as SignalStop).signal, "SIGTERM");
 * ```
 */
export class SignalStop extends Error {
  /** The signal that came. */
  readonly signal: "SIGINT" | "SIGTERM";

  /**
   * Creates the reason.
   *
   * @param signal The signal that came.
   */
  constructor(signal: "SIGINT" | "SIGTERM") {
    super(`stopped by ${signal}`);
    this.name = "SignalStop";
    this.signal = signal;
  }
}

/**
 * Exit codes, documented in docs/options.md: 0 finished, 1 could not run,
 * 2 bad input, 3 more errors than `--fail-on-errors`, 4 not a single page
 * fetched. A signal stop is 130 (SIGINT) or 143 (SIGTERM), set by main.ts.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, tooManyErrors: 3, nothingFetched: 4 } as const;

/** The package's name and version, from deno.json. */
export const VERSION = `${denoJson.name} ${denoJson.version}`;

const encoder = new TextEncoder();

function errorCount(result: RunResult): number {
  const { errors, checked } = result.summary;
  // Checked URLs (--check) that failed are errors too, counted apart from pages.
  return [...Object.values(errors), ...Object.values(checked?.errors ?? {})]
    .reduce((a, b) => a + b, 0);
}

/**
 * Runs the CLI.
 *
 * @param args Command-line arguments (without the script).
 * @param signals The stop and abort controllers main.ts aborts on signals.
 * @returns The exit code (see {@linkcode EXIT}). The caller maps a signal stop to 130/143.
 *
 * @example Usage
 * ```ts
 * import { runCli, VERSION } from "./main.ts";
 * import assert from "node:assert/strict";
 *
 * const signals = { stop: new AbortController(), abort: new AbortController() };
 * assert.equal(await runCli(["--version"], signals), 0); // prints VERSION on stdout
 * assert.match(VERSION, /^@[\w-]+\/[\w-]+ \d+\.\d+\.\d+/);
 * ```
 */
export async function runCli(args: string[], signals: CliSignals): Promise<number> {
  const stderr = Deno.stderr;
  const terminal = stderr.isTerminal();
  if (args[0] === "export") return await runExport(args.slice(1), terminal);
  let config;
  try {
    config = await parseCli(args);
  } catch (error) {
    if (error instanceof UsageError) {
      stderr.writeSync(encoder.encode(`error: ${error.message}\n`));
      return EXIT.usage;
    }
    throw error;
  }
  if (config.help) {
    await Deno.stdout.write(encoder.encode(HELP));
    return EXIT.ok;
  }
  if (config.version) {
    await Deno.stdout.write(encoder.encode(`${VERSION}\n`));
    return EXIT.ok;
  }
  const reporter = new Reporter({
    verbosity: config.verbosity,
    terminal,
    progressIntervalMs: config.progressIntervalMs,
    out: stderr,
  });

  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const onStop = () => {
    const reason = signals.stop.signal.reason;
    if (reason instanceof SignalStop) reporter.stopping(reason.signal, config.graceMs);
    graceTimer = setTimeout(
      () => signals.abort.abort(new Error("grace period over")),
      config.graceMs,
    );
  };
  signals.stop.signal.addEventListener("abort", onStop, { once: true });
  const runSignals = { stop: signals.stop.signal, abort: signals.abort.signal };
  let code: number = EXIT.ok;
  const judge = (result: RunResult) => {
    const { summary } = result;
    if (result.alreadyComplete) {
      reporter.note(
        `${config.state!.path} holds a finished crawl (run ${summary.runId}); ` +
          "pass --recrawl for a new run or --restart to start over",
      );
    } else if (reporter.verbosity !== "quiet") {
      const report = config.report?.replaceAll("{run}", String(summary.runId ?? 1));
      const out = config.out?.replaceAll("{run}", String(summary.runId ?? 1));
      const lines = formatSummary(summary, {
        broken: reporter.broken,
        output: { path: out, format: config.format },
        report,
        state: config.state?.path,
        links: result.links,
        linksOut: config.linksOut?.path.replaceAll("{run}", String(summary.runId ?? 1)),
      });
      for (const line of lines) reporter.line(line);
    }
    // Sticky over a schedule: one run over the limit is enough for the process to say so.
    if (config.failOnErrors !== undefined && errorCount(result) > config.failOnErrors) {
      code = Math.max(code, EXIT.tooManyErrors);
    }
    if (config.failOnBroken && (result.links?.results.broken ?? 0) > 0) {
      code = Math.max(code, EXIT.tooManyErrors);
    }
    // A process of a shared job may find the job's pages all taken by others: its own share
    // says nothing of the crawl. A resumed run may have fetched its pages in earlier processes.
    const nothing = result.alreadyComplete || config.redis || result.fetchedEarlier
      ? undefined
      : nothingFetched(summary);
    if (nothing !== undefined) {
      reporter.error(nothing);
      code = EXIT.nothingFetched;
    }
    const json = JSON.stringify(summary) + "\n";
    // The machine's line: on stdout when asked, else last on stderr when no one watches it.
    if (config.statsJson) Deno.stdout.writeSync(encoder.encode(json));
    else if (!terminal && reporter.verbosity !== "quiet") stderr.writeSync(encoder.encode(json));
  };
  try {
    await checkOutputs({
      "--out": config.out,
      "--report": config.report,
      "--links-out": config.linksOut?.path,
      "--state": config.state?.path,
      // The files are named after it, in its folder.
      "--warc": config.options.warc,
    });
    if (config.schedule === undefined) {
      judge(
        await runCrawlCommand(config, runSignals, config.state?.recrawl ?? false, reporter),
      );
    } else {
      // Every tick is an incremental run: a new state crawls, an unfinished run resumes,
      // an ended one is revalidated. A stop signal lets the run in progress finish and flush.
      const { runOnSchedule } = await import("./schedule.ts");
      await runOnSchedule(
        config.schedule,
        async (sequence) => {
          // --restart means "start over" once, not on every tick.
          const run = sequence === 1
            ? config
            : { ...config, state: { ...config.state!, restart: false } };
          judge(await runCrawlCommand(run, runSignals, true, reporter));
        },
        {
          signal: signals.stop.signal,
          onSkip: (at) =>
            reporter.note(`tick at ${at.toISOString()} skipped: the previous run is still going`),
          onWait: (next) => reporter.info(`schedule: next run at ${next.toISOString()}`),
        },
      );
    }
    return code;
  } catch (error) {
    reporter.error(error instanceof Error ? error.message : String(error));
    return error instanceof UsageError ? EXIT.usage : EXIT.failed;
  } finally {
    clearTimeout(graceTimer);
    signals.stop.signal.removeEventListener("abort", onStop);
  }
}

/** `export`: a Redis job's or a state file's records. */
async function runExport(args: string[], terminal: boolean): Promise<number> {
  const printError = (message: string) =>
    Deno.stderr.writeSync(encoder.encode(`error: ${message}\n`));
  let plan;
  try {
    plan = parseExport(args);
  } catch (error) {
    printError((error as Error).message);
    return EXIT.usage;
  }
  try {
    const result = await runExportPlan(plan);
    if (!plan.quiet) {
      const from = plan.from === "redis"
        ? `job ${plan.job}`
        : `${plan.path} (run ${(result.runs as number[]).join(", ")})`;
      const what = plan.warcFiles ? "WARC file names" : "records";
      const line = `exported ${result.exported} ${what} of ${from} to ${plan.out ?? "stdout"}`;
      Deno.stderr.writeSync(encoder.encode(`${line}\n`));
      if (!terminal) Deno.stderr.writeSync(encoder.encode(JSON.stringify(result) + "\n"));
    }
    if (plan.failOnBroken && (result.brokenLinks as number) > 0) {
      printError(`${result.brokenLinks} broken links (--fail-on-broken)`);
      return EXIT.tooManyErrors;
    }
    return EXIT.ok;
  } catch (error) {
    printError(error instanceof Error ? error.message : String(error));
    return error instanceof UsageError ? EXIT.usage : EXIT.failed;
  }
}
