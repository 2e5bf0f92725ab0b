/**
 * The command-line program: a thin layer over {@linkcode runCrawl}.
 *
 * @module
 */

import { HELP, parseCli, UsageError } from "./cli_args.ts";
import { runCrawl } from "./crawler.ts";
import { JsonlWriter } from "./jsonl_writer.ts";
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

  let file: Deno.FsFile | undefined;
  if (config.out !== undefined) {
    try {
      file = await Deno.open(config.out, { write: true, create: true, truncate: true });
    } catch (error) {
      printError(`--out: cannot open '${config.out}': ${(error as Error).message}`);
      return EXIT.usage;
    }
  }
  const writer = new JsonlWriter(file ?? Deno.stdout);
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
      onRecord: (record) => writer.write(record),
      onStart: (progress) => {
        if (Deno.stderr.isTerminal()) {
          status = new StatusLine(Deno.stderr, () => formatStatus(progress()));
        }
      },
    });
    status?.stop();
    status = undefined;
    await writer.close();
    Deno.stderr.writeSync(encoder.encode(JSON.stringify(summary) + "\n"));
    return EXIT.ok;
  } catch (error) {
    status?.stop();
    await writer.close().catch(() => {});
    printError(error instanceof Error ? error.message : String(error));
    return EXIT.failed;
  } finally {
    clearTimeout(graceTimer);
    signals.stop.signal.removeEventListener("abort", onStop);
    file?.close();
  }
}
