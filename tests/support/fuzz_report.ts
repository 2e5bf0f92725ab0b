/**
 * How a fuzz failure is shown: the input made printable, and a message with
 * the seed, the case number and the command that replays just that case.
 *
 * @module
 */

import type { FuzzSettings } from "./fuzz_settings.ts";
import { caseRng, type FuzzTarget } from "./fuzz_target.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Shows a fuzz input in a failure message: strings and bytes quoted with
 * every odd character escaped, objects as JSON.
 *
 * @example Usage
 * ```ts
 * import { showInput } from "./fuzz_report.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(showInput("a\0b"), '"a\\u0000b"');
 * assert.equal(showInput(new Uint8Array([0xff])), '"<bytes 255>"');
 * ```
 *
 * @param input The input.
 * @returns A one-line, ASCII-only rendering.
 */
export function showInput(input: unknown): string {
  const json = JSON.stringify(input, (_, value) => {
    if (!(value instanceof Uint8Array)) return value;
    try {
      return `<UTF-8 bytes of ${JSON.stringify(utf8.decode(value))}>`;
    } catch {
      return `<bytes ${Array.from(value).join(",")}>`;
    }
  });
  return (json ?? String(input)).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** A failing case, as {@linkcode fuzzFailure} reports it. */
export interface FuzzFailure {
  /** The target's name. */
  name: string;
  /** The target. */
  // deno-lint-ignore no-explicit-any
  target: FuzzTarget<any>;
  /** The defining test module's URL. */
  module: string;
  /** The run settings. */
  settings: FuzzSettings;
  /** The case number. */
  index: number;
  /** What went wrong: the error's stack, or why the case was stopped. */
  error: string;
}

/**
 * The error a fuzz test fails with. The case's input is made again from its
 * seed; an input too long for the message goes whole to a temporary file.
 *
 * @example Usage
 * ```ts
 * import { fuzzFailure } from "./fuzz_report.ts";
 * import assert from "node:assert/strict";
 *
 * const error = fuzzFailure({
 *   name: "example",
 *   target: { cases: 1, input: (rng) => rng.int(10), check: () => {} },
 *   module: import.meta.url,
 *   settings: { seed: 16, iterations: undefined, only: undefined, budgetMs: 0, slowMs: 0 },
 *   index: 3,
 *   error: "AssertionError: no",
 * });
 * assert.match(error.message, /^fuzz "example" failed at case 3 of seed 0x10\n/);
 * assert.match(error.message, /replay: FUZZ_SEED=0x10 FUZZ_CASE=3 deno test -P /);
 * ```
 *
 * @param failure The failing case.
 * @returns The error, its message ready for the test's output.
 */
export function fuzzFailure(failure: FuzzFailure): Error {
  const { name, target, module, settings, index } = failure;
  const input = target.input(caseRng(settings.seed, name, index), index);
  const shown = (target.show ?? showInput)(input);
  const file = new URL(module).pathname.replace(`${Deno.cwd()}/`, "");
  const seed = `0x${settings.seed.toString(16)}`;
  let excerpt = shown;
  if (shown.length > 2000) {
    // The whole input goes to a file; the message keeps its start.
    const path = Deno.makeTempFileSync({ prefix: "fuzz-input-", suffix: ".txt" });
    Deno.writeTextFileSync(path, shown);
    excerpt = `${shown.slice(0, 2000)}... (${shown.length} chars, all in ${path})`;
  }
  const what = failure.error;
  const error = what.length > 4000 ? `${what.slice(0, 4000)}... (${what.length} chars)` : what;
  return new Error(
    `fuzz "${name}" failed at case ${index} of seed ${seed}\n` +
      `replay: FUZZ_SEED=${seed} FUZZ_CASE=${index} deno test -P ${file}\n` +
      `input: ${excerpt}\n${error}`,
  );
}
