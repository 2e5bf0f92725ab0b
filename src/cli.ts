/**
 * The command-line program: a thin layer over {@linkcode runCrawl}.
 *
 * @module
 */

import { HELP, parseCli, UsageError } from "./cli_args.ts";
import { runCrawl } from "./crawler.ts";
import { openSink, type RecordSink } from "./record_sink.ts";
import { ReportBuilder } from "./report.ts";
import { formatStatus, StatusLine } from "./status_line.ts";

/** Signals the CLI's caller (main.ts) drives. */
export interface CliSignals {
  /** Aborted on the first SIGINT/SIGTERM: stop taking URLs, finish in-flight work. */
  stop: AbortController;
  /** Aborted on a second signal, or when the grace period ends. */
  abort: AbortController;
}

/** Exit codes, documented in README. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const encoder = new TextEncoder();

/** A seed as shown in a report: a password never leaves the process. */
function withoutPassword(seed: string): string {
  const url = new URL(seed);
  if (url.password) url.password = "***";
  return url.href;
}

function printError(message: string): void {
  Deno.stderr.writeSync(encoder.encode(`error: ${message}\n`));
}

/**
 * Runs the CLI.
 *
 * @param args Command-line arguments (without the script).
 * @param signals The stop and abort controllers main.ts aborts on signals.
 * @returns The exit code: 0 finished, 1 could not run, 2 bad input. The
 * caller maps a signal stop to 130/143.
 *
 * @example Usage
 * ```ts ignore
 * import { runCli } from "./cli.ts";
 * const code = await runCli(Deno.args, { stop: new AbortController(), abort: new AbortController() });
 * Deno.exit(code);
 * ```
 */
export async function runCli(args: string[], signals: CliSignals): Promise<number> {
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

  let sink: RecordSink;
  try {
    sink = await openSink(config.format, config.out);
  } catch (error) {
    printError(`--out: cannot open '${config.out}': ${(error as Error).message}`);
    return EXIT.usage;
  }
  const report = config.report === undefined ? undefined : new ReportBuilder();
  const startedAt = new Date().toISOString();
  const onStop = () => {
    graceTimer = setTimeout(
      () => signals.abort.abort(new Error("grace period over")),
      config.graceMs,
    );
  };
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  signals.stop.signal.addEventListener("abort", onStop, { once: true });

  let status: StatusLine | undefined;
  try {
    const summary = await runCrawl(config.options, {
      signal: signals.abort.signal,
      stopSignal: signals.stop.signal,
      onRecord: (record) => {
        report?.add(record);
        return sink.write(record);
      },
      onStart: (progress) => {
        if (Deno.stderr.isTerminal()) {
          status = new StatusLine(Deno.stderr, () => formatStatus(progress()));
        }
      },
    });
    status?.stop();
    status = undefined;
    await sink.close();
    if (report && config.report !== undefined) {
      const html = report.render(summary, {
        seeds: config.options.seeds.map(withoutPassword),
        startedAt,
        options: {
          ...config.options,
          seeds: config.options.seeds.map(withoutPassword),
          rules: undefined,
        },
      });
      // Written beside its final name and renamed, so no reader sees half a report.
      const temp = `${config.report}.part`;
      try {
        await Deno.writeTextFile(temp, html);
        await Deno.rename(temp, config.report);
      } finally {
        await Deno.remove(temp).catch(() => {});
      }
    }
    Deno.stderr.writeSync(encoder.encode(JSON.stringify(summary) + "\n"));
    return EXIT.ok;
  } catch (error) {
    status?.stop();
    await sink.close().catch(() => {});
    printError(error instanceof Error ? error.message : String(error));
    return EXIT.failed;
  } finally {
    clearTimeout(graceTimer);
    signals.stop.signal.removeEventListener("abort", onStop);
  }
}
