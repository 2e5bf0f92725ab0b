/**
 * The crawler's command-line entry point.
 *
 * ```sh
 * deno run -P main.ts --seeds https://example.org --max-pages 200 --out pages.jsonl
 * ```
 *
 * @module
 */

import { runCli, SignalStop } from "./src/cli/main.ts";

if (import.meta.main) {
  const stop = new AbortController();
  const abort = new AbortController();
  let exitSignal: "SIGINT" | "SIGTERM" | undefined;
  // Signal handlers live here, in the program, never in library code.
  const onSignal = (name: "SIGINT" | "SIGTERM") => () => {
    if (exitSignal === undefined) {
      exitSignal = name;
      stop.abort(new SignalStop(name));
    } else {
      abort.abort(new Error(`aborted by a second ${name}`));
    }
  };
  const handlers = { SIGINT: onSignal("SIGINT"), SIGTERM: onSignal("SIGTERM") };
  Deno.addSignalListener("SIGINT", handlers.SIGINT);
  Deno.addSignalListener("SIGTERM", handlers.SIGTERM);
  let code: number;
  try {
    code = await runCli(Deno.args, { stop, abort });
  } finally {
    Deno.removeSignalListener("SIGINT", handlers.SIGINT);
    Deno.removeSignalListener("SIGTERM", handlers.SIGTERM);
  }
  if (exitSignal === "SIGINT" && code === 0) code = 130;
  if (exitSignal === "SIGTERM" && code === 0) code = 143;
  Deno.exit(code);
}
