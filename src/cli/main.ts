/**
 * The command-line program: parses the command line, runs one crawl (or one
 * per `--schedule` tick) through the pipeline's `runCrawl()`, and the
 * `export` subcommand; prints the summary and picks the exit code.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { DEFAULT_FORMAT, type OutputFormat, outputFormat } from "../output/sink.ts";
import { parseCli } from "./args.ts";
import { HELP } from "./help.ts";
import { redisFlags } from "./mode_flags.ts";
import { runCrawlCommand, type RunResult } from "./crawl.ts";
import { UsageError } from "./usage_error.ts";

/** Signals the CLI's caller (main.ts) drives. */
export interface CliSignals {
  /** Aborted on the first SIGINT/SIGTERM: stop taking URLs, finish in-flight work. */
  stop: AbortController;
  /** Aborted on a second signal, or when the grace period ends. */
  abort: AbortController;
}

/** Exit codes, documented in README. */
export const EXIT = { ok: 0, failed: 1, usage: 2, tooManyErrors: 3 } as const;

const encoder = new TextEncoder();

function printError(message: string, prefix = "error"): void {
  Deno.stderr.writeSync(encoder.encode(`${prefix}: ${message}\n`));
}

function printSummary(result: RunResult): void {
  Deno.stderr.writeSync(encoder.encode(JSON.stringify(result.summary) + "\n"));
}

function errorCount(result: RunResult): number {
  return Object.values(result.summary.errors).reduce((a, b) => a + b, 0);
}

/**
 * Runs the CLI.
 *
 * @param args Command-line arguments (without the script).
 * @param signals The stop and abort controllers main.ts aborts on signals.
 * @returns The exit code: 0 finished, 1 could not run, 2 bad input, 3 more
 * errors than `--fail-on-errors`. The caller maps a signal stop to 130/143.
 *
 * @example Usage
 * Not run as a test: the CLI prints its summary, help or errors to the
 * terminal. `runCrawlCommand()` in `crawl.ts` has a runnable example.
 *
 * ```ts ignore
 * import { runCli } from "./main.ts";
 * const code = await runCli(Deno.args, { stop: new AbortController(), abort: new AbortController() });
 * Deno.exit(code);
 * ```
 */
export async function runCli(args: string[], signals: CliSignals): Promise<number> {
  if (args[0] === "export") return await runExport(args.slice(1));
  let config;
  try {
    config = await parseCli(args);
  } catch (error) {
    if (error instanceof UsageError) {
      printError(error.message);
      return EXIT.usage;
    }
    throw error;
  }
  if (config.help) {
    await Deno.stdout.write(encoder.encode(HELP));
    return EXIT.ok;
  }

  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const onStop = () => {
    graceTimer = setTimeout(
      () => signals.abort.abort(new Error("grace period over")),
      config.graceMs,
    );
  };
  signals.stop.signal.addEventListener("abort", onStop, { once: true });
  const runSignals = { stop: signals.stop.signal, abort: signals.abort.signal };
  let code: number = EXIT.ok;
  const judge = (result: RunResult) => {
    printSummary(result);
    if (result.alreadyComplete) {
      printError(
        `${config.state!.path} holds a finished crawl (run ${result.summary.runId}); ` +
          "pass --recrawl for a new run or --restart to start over",
        "note",
      );
    }
    // Sticky over a schedule: one run over the limit is enough for the process to say so.
    if (config.failOnErrors !== undefined && errorCount(result) > config.failOnErrors) {
      code = EXIT.tooManyErrors;
    }
  };
  try {
    if (config.schedule === undefined) {
      judge(await runCrawlCommand(config, runSignals, config.state?.recrawl ?? false));
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
          judge(await runCrawlCommand(run, runSignals, true));
        },
        {
          signal: signals.stop.signal,
          onSkip: (at) =>
            printError(
              `tick at ${at.toISOString()} skipped: the previous run is still going`,
              "note",
            ),
        },
      );
    }
    return code;
  } catch (error) {
    if (error instanceof UsageError) {
      printError(error.message);
      return EXIT.usage;
    }
    printError(error instanceof Error ? error.message : String(error));
    return EXIT.failed;
  } finally {
    clearTimeout(graceTimer);
    signals.stop.signal.removeEventListener("abort", onStop);
  }
}

/** `export --redis URL --job NAME [--out FILE] [--format jsonl|json|csv]`: a job's records. */
async function runExport(args: string[]): Promise<number> {
  let redis, out: string | undefined, format: OutputFormat;
  try {
    const { values } = parseArgs({
      args,
      strict: true,
      options: {
        redis: { type: "string" },
        job: { type: "string" },
        out: { type: "string" },
        format: { type: "string", default: DEFAULT_FORMAT },
      },
    });
    redis = redisFlags(values);
    if (!redis) throw new UsageError("export needs --redis URL and --job NAME");
    out = values.out;
    format = outputFormat(values.format!);
  } catch (error) {
    // node's parseArgs messages run over several sentences; the first says it all.
    const message = error instanceof Error ? error.message : String(error);
    printError(message.split(/\.\s/)[0]!.replace(/\.$/, ""));
    return EXIT.usage;
  }
  try {
    const { exportJob } = await import("../redis/job.ts");
    const exported = await exportJob(redis.url, redis.job, out, format);
    Deno.stderr.writeSync(encoder.encode(JSON.stringify({ exported, job: redis.job }) + "\n"));
    return EXIT.ok;
  } catch (error) {
    printError(error instanceof Error ? error.message : String(error));
    return EXIT.failed;
  }
}
