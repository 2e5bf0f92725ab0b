/**
 * The command-line pieces `bench/real_site.ts` and `bench/scale.ts` share:
 * their flags' checks, `--flags` splitting, and reading the CLI's summary
 * line.
 *
 * @module
 */

/**
 * A flag's value as a positive integer.
 *
 * @param name The flag's name, for the message.
 * @param text Its value.
 * @returns The integer.
 * @throws {RangeError} If it is not a positive integer.
 *
 * @example Usage
 * ```ts ignore
 * positiveInt("runs", "3"); // 3
 * ```
 */
export function positiveInt(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot run benchmark as '${name}' must be a positive integer: received ${text}`,
    );
  }
  return value;
}

/**
 * A flag's comma-separated value as positive integers.
 *
 * @param name The flag's name, for the message.
 * @param text Its value, e.g. `1,2,4`.
 * @returns The integers, in order.
 * @throws {RangeError} If an item is not a positive integer.
 *
 * @example Usage
 * ```ts ignore
 * positiveInts("processes", "1,2,4"); // [1, 2, 4]
 * ```
 */
export function positiveInts(name: string, text: string): number[] {
  return text.split(",").map((item) => positiveInt(name, item.trim()));
}

/**
 * Splits `--flags` like a shell would, for the simple cases: spaces, '…' and "…".
 *
 * @param text The flags as typed.
 * @returns The words.
 *
 * @example Usage
 * ```ts ignore
 * splitFlags(`--parsers 0 --exclude "a b"`); // ["--parsers", "0", "--exclude", "a b"]
 * ```
 */
export function splitFlags(text: string): string[] {
  const words: string[] = [];
  for (const match of text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) {
    words.push(match[1] ?? match[2] ?? match[3]!);
  }
  return words;
}

/**
 * The CLI's summary: the last stderr line that is a JSON object with `pagesOk`.
 *
 * @param stderr The CLI's stderr.
 * @returns The summary's fields, or `undefined` if there is none.
 *
 * @example Usage
 * ```ts ignore
 * findSummary('done\n{"pagesOk":5,"cpuMs":40}\n')?.pagesOk; // 5
 * ```
 */
export function findSummary(stderr: string): Record<string, number> | undefined {
  for (const line of stderr.trimEnd().split("\n").reverse()) {
    if (!line.startsWith("{")) continue;
    try {
      const value = JSON.parse(line);
      if (typeof value?.pagesOk === "number") return value;
    } catch {
      // Not the summary.
    }
  }
  return undefined;
}

/**
 * Runs a benchmark's `main` as a program: SIGINT or SIGTERM aborts the
 * signal it is given (so it unwinds through its `finally`s and `await
 * using`s, stopping its servers), an error is one line, and the process
 * exits with `main`'s code (130 when interrupted, 1 on an error).
 *
 * @param name The benchmark's name, for the error line.
 * @param main The benchmark; resolves with its exit code.
 * @returns Never: it exits.
 *
 * @example Usage
 * ```ts ignore
 * if (import.meta.main) await runMain("scale", main);
 * ```
 */
export async function runMain(
  name: string,
  main: (signal: AbortSignal) => Promise<number>,
): Promise<never> {
  const interrupt = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    try {
      Deno.addSignalListener(signal, () => interrupt.abort(new Error(`interrupted by ${signal}`)));
    } catch {
      // Windows has no SIGTERM.
    }
  }
  let code: number;
  try {
    code = await main(interrupt.signal);
  } catch (error) {
    console.error(`${name}: ${error instanceof Error ? error.message : error}`);
    code = interrupt.signal.aborted ? 130 : 1;
  }
  Deno.exit(code);
}

/**
 * Deno's flags of `deno task crawl`, between `deno run` and `main.ts`
 * (`-P` and the V8 heap flags): the benchmarks launch the CLI as a user
 * launches it.
 *
 * @returns The flags, e.g. `["-P", "--v8-flags=--max-semi-space-size=8,--heap-growing-percent=50"]`.
 */
export async function crawlTaskFlags(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  const words = splitFlags(config.tasks.crawl);
  return words.slice(2, words.indexOf("main.ts"));
}

/**
 * Flags for `deno run` with more V8 flags merged into the one
 * `--v8-flags=` Deno reads (a second one would replace the first).
 *
 * @param runtime Deno's flags, as {@linkcode crawlTaskFlags} gives them.
 * @param v8 More V8 flags, e.g. `--max-old-space-size=64`.
 * @returns The flags.
 */
export function withV8Flags(runtime: string[], ...v8: string[]): string[] {
  const prefix = "--v8-flags=";
  const merged = runtime.filter((flag) => flag.startsWith(prefix))
    .flatMap((flag) => flag.slice(prefix.length).split(","))
    .concat(v8);
  const rest = runtime.filter((flag) => !flag.startsWith(prefix));
  return merged.length === 0 ? rest : [...rest, `${prefix}${merged.join(",")}`];
}
