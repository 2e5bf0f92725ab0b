/**
 * Fuzzing for the test suite: a seeded PRNG, random and mutated inputs, and a
 * runner that checks invariants on many inputs within a time bound.
 *
 * Each case's input comes from its own PRNG, seeded from the run's seed, the
 * target's name and the case number, so any failing case can be replayed
 * alone. The cases run in a worker, so an input that never returns is
 * reported (seed, case and input) instead of hanging the suite. Settings,
 * from the environment:
 *
 * - `FUZZ_SEED`: the run's seed (default {@linkcode FUZZ_DEFAULT_SEED}), or `random`;
 * - `FUZZ_CASE`: run this one case only (to replay a failure);
 * - `FUZZ_ITERATIONS`: cases per target, instead of each target's default;
 * - `FUZZ_BUDGET_MS`: time per target (default 2500 ms; the run stops at
 *   whichever of the two limits comes first);
 * - `FUZZ_SLOW_MS`: the most one case may take (default 250 ms).
 *
 * @module
 */

/** The seed used when `FUZZ_SEED` is not set, so CI runs are reproducible. */
export const FUZZ_DEFAULT_SEED = 0x5eed_c0de;

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same sequence. */
export class Rng {
  #state: number;

  /**
   * Creates a PRNG.
   *
   * @param seed Any 32-bit integer.
   */
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** @returns A uniform 32-bit unsigned integer. */
  u32(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /**
   * @param n The bound, at least 1.
   * @returns An integer in `[0, n)`.
   */
  int(n: number): number {
    return Math.floor((this.u32() / 0x1_0000_0000) * n);
  }

  /**
   * @param min The lowest value.
   * @param max The highest value.
   * @returns An integer in `[min, max]`.
   */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /**
   * @param p The probability, in `[0, 1]`.
   * @returns `true` with probability `p`.
   */
  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }

  /**
   * @param items A non-empty list.
   * @returns One of them, uniformly.
   */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /**
   * A length skewed towards small values: most inputs are short, some are long.
   *
   * @param max The longest length.
   * @returns A length in `[0, max]`.
   */
  size(max: number): number {
    return this.int(this.int(max + 1) + 1);
  }
}

/** Characters that often break text handling: controls, separators, BOM, surrogates, astral. */
const ODD_CHARS = [
  "\0",
  "\t",
  "\n",
  "\r",
  "\x0b",
  "\x0c",
  "\x1f",
  " ",
  "\x7f",
  "\x85",
  "\xa0",
  "\xad",
  "\u2028",
  "\u200b",
  "\ufeff",
  "\ufffd",
  "\ud800",
  "\udfff",
  "\u{1f600}",
  "\u0130",
  "\u017f",
  "\u212a",
  "\uff0e",
  "\uff0f",
  "ß",
  "é",
];

/**
 * Tokens spliced into any input besides each target's own: escapes, dot
 * segments, entities and odd characters.
 */
export const COMMON_TOKENS: readonly string[] = [
  ...ODD_CHARS,
  "%",
  "%2F",
  "%2f",
  "%2E",
  "%2e%2E",
  "%00",
  "%25",
  "%7E",
  "%ZZ",
  "%C3%A9",
  "%FF",
  "../",
  "./",
  "..",
  "/",
  "//",
  "\\",
  "?",
  "#",
  "&",
  "=",
  "&amp;",
  "&#0;",
  "&#x110000;",
  "&#",
  "*",
  "$",
  ":",
  "@",
  "[",
  "]",
  "<",
  ">",
  '"',
  "'",
  "\r\n",
];

/**
 * Random text from one of a few alphabets: printable ASCII, any ASCII, odd
 * characters, or any UTF-16 code unit (lone surrogates included).
 *
 * @param rng The PRNG.
 * @param maxLength The longest text, in code units (roughly).
 * @returns The text.
 */
export function randomText(rng: Rng, maxLength: number): string {
  const length = rng.size(maxLength);
  const alphabet = rng.int(4);
  let out = "";
  for (let i = 0; i < length; i++) {
    switch (alphabet) {
      case 0:
        out += String.fromCharCode(rng.range(0x20, 0x7e));
        break;
      case 1:
        out += String.fromCharCode(rng.int(0x80));
        break;
      case 2:
        out += rng.pick(ODD_CHARS);
        break;
      default:
        out += String.fromCharCode(rng.chance(0.7) ? rng.int(0x80) : rng.int(0x10000));
    }
  }
  return out;
}

/**
 * Random bytes.
 *
 * @param rng The PRNG.
 * @param maxLength The longest length.
 * @returns The bytes.
 */
export function randomBytes(rng: Rng, maxLength: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(rng.size(maxLength));
  for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256);
  return bytes;
}

/**
 * Text of random tokens: a crude grammar that reaches deeper than random
 * characters do.
 *
 * @param rng The PRNG.
 * @param tokens The tokens to draw from.
 * @param maxTokens The most tokens.
 * @returns The text.
 */
export function tokenSoup(rng: Rng, tokens: readonly string[], maxTokens: number): string {
  let out = "";
  const count = rng.size(maxTokens);
  for (let i = 0; i < count; i++) out += rng.chance(0.9) ? rng.pick(tokens) : randomText(rng, 8);
  return out;
}

/**
 * Mutates text: character flips, random insertions, deleted, duplicated or
 * swapped slices, dictionary tokens spliced in, slices of other inputs
 * spliced in, truncation and (rarely) a very long run of one token.
 *
 * @param rng The PRNG.
 * @param text The input to start from.
 * @param tokens Dictionary tokens to splice in (on top of {@linkcode COMMON_TOKENS}).
 * @param others Other inputs, slices of which may be spliced in.
 * @returns The mutated text.
 */
export function mutateText(
  rng: Rng,
  text: string,
  tokens: readonly string[] = [],
  others: readonly string[] = [],
): string {
  let out = text;
  const rounds = rng.range(1, 8);
  for (let round = 0; round < rounds; round++) {
    const at = rng.int(out.length + 1);
    const span = Math.min(out.length - at, rng.size(64));
    const token = () =>
      tokens.length > 0 && rng.chance(0.7) ? rng.pick(tokens) : rng.pick(COMMON_TOKENS);
    switch (rng.int(10)) {
      case 0: // replace one character
        if (out.length > 0) {
          const i = rng.int(out.length);
          const code = out.charCodeAt(i) ^ (1 << rng.int(rng.chance(0.8) ? 7 : 16));
          out = out.slice(0, i) + String.fromCharCode(code) + out.slice(i + 1);
        }
        break;
      case 1: // insert random characters
        out = out.slice(0, at) + randomText(rng, 16) + out.slice(at);
        break;
      case 2: // delete a slice
        out = out.slice(0, at) + out.slice(at + span);
        break;
      case 3: { // duplicate a slice elsewhere
        const to = rng.int(out.length + 1);
        out = out.slice(0, to) + out.slice(at, at + span) + out.slice(to);
        break;
      }
      case 4:
      case 5: // insert a token
        out = out.slice(0, at) + token() + out.slice(at);
        break;
      case 6: // replace a slice with a token
        out = out.slice(0, at) + token() + out.slice(at + span);
        break;
      case 7: { // splice in a slice of another input
        if (others.length === 0) break;
        const other = rng.pick(others);
        const from = rng.int(other.length + 1);
        out = out.slice(0, at) + other.slice(from, from + rng.size(256)) + out.slice(at);
        break;
      }
      case 8: // truncate
        if (rng.chance(0.3)) out = out.slice(0, at);
        break;
      default: // a long run (rarely a very long one)
        out = out.slice(0, at) + token().repeat(rng.chance(0.1) ? rng.range(1000, 20_000) : 64) +
          out.slice(at);
    }
  }
  return out;
}

const encoder = new TextEncoder();
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Mutates bytes as {@linkcode mutateText} mutates text, with bit flips
 * instead of character flips; tokens are spliced in as UTF-8.
 *
 * @param rng The PRNG.
 * @param bytes The input to start from; it is not modified.
 * @param tokens Dictionary tokens to splice in (on top of {@linkcode COMMON_TOKENS}).
 * @returns The mutated bytes.
 */
export function mutateBytes(
  rng: Rng,
  bytes: Uint8Array,
  tokens: readonly string[] = [],
): Uint8Array<ArrayBuffer> {
  let out: number[] = Array.from(bytes);
  const rounds = rng.range(1, 8);
  for (let round = 0; round < rounds; round++) {
    const at = rng.int(out.length + 1);
    const span = Math.min(out.length - at, rng.size(64));
    const token = () =>
      encoder.encode(
        tokens.length > 0 && rng.chance(0.7) ? rng.pick(tokens) : rng.pick(COMMON_TOKENS),
      );
    switch (rng.int(7)) {
      case 0: // flip a bit
        if (out.length > 0) out[rng.int(out.length)]! ^= 1 << rng.int(8);
        break;
      case 1: // set a random byte
        if (out.length > 0) out[rng.int(out.length)] = rng.int(256);
        break;
      case 2: // insert random bytes
        out.splice(at, 0, ...randomBytes(rng, 16));
        break;
      case 3: // delete a slice
        out.splice(at, span);
        break;
      case 4: // duplicate a slice elsewhere
        out.splice(rng.int(out.length + 1), 0, ...out.slice(at, at + span));
        break;
      case 5: // insert a token
        out.splice(at, 0, ...token());
        break;
      default: // truncate
        if (rng.chance(0.3)) out = out.slice(0, at);
    }
  }
  return new Uint8Array(out);
}

/**
 * Shows a fuzz input in a failure message: strings and bytes quoted with
 * every odd character escaped, objects as JSON.
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

/** One fuzz target: how to make an input, and the invariants every input must keep. */
export interface FuzzTarget<T> {
  /** Cases run by default (`FUZZ_ITERATIONS` overrides it). */
  cases: number;
  /**
   * Makes one case's input.
   *
   * @param rng The case's own PRNG.
   * @param index The case number.
   */
  input(rng: Rng, index: number): T;
  /**
   * Runs the code under test on the input and checks the invariants; throws
   * (an assertion error) when one does not hold. Timed: it must return
   * within `FUZZ_SLOW_MS`.
   *
   * @param input The case's input.
   * @param rng The case's PRNG, after the input was made (for choices such as options).
   */
  check(input: T, rng: Rng): void | Promise<void>;
  /** Renders an input for the failure message (default {@linkcode showInput}). */
  show?(input: T): string;
}

/** The run settings, read from the environment. */
export interface FuzzSettings {
  /** The run's seed. */
  seed: number;
  /** Cases per target, when set. */
  iterations: number | undefined;
  /** The one case to run, when set. */
  only: number | undefined;
  /** Time per target, in ms. */
  budgetMs: number;
  /** The most one case may take, in ms. */
  slowMs: number;
}

function envNumber(name: string): number | undefined {
  const raw = Deno.env.get(name);
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`Cannot fuzz as ${name} must be a non-negative integer: received ${raw}`);
  }
  return value;
}

/**
 * Reads the fuzz settings from the environment (see the module docs).
 *
 * @returns The settings.
 * @throws {RangeError} If a setting is not a non-negative integer.
 */
export function fuzzSettings(): FuzzSettings {
  const rawSeed = Deno.env.get("FUZZ_SEED");
  const seed = rawSeed === "random"
    ? crypto.getRandomValues(new Uint32Array(1))[0]!
    : envNumber("FUZZ_SEED") ?? FUZZ_DEFAULT_SEED;
  return {
    seed: seed >>> 0,
    iterations: envNumber("FUZZ_ITERATIONS"),
    only: envNumber("FUZZ_CASE"),
    budgetMs: envNumber("FUZZ_BUDGET_MS") ?? 2500,
    slowMs: envNumber("FUZZ_SLOW_MS") ?? 250,
  };
}

/** FNV-1a over a string, then a final mix: the seed of one case. */
function caseSeed(seed: number, name: string, index: number): number {
  let h = 0x811c9dc5 ^ seed;
  for (const char of `${name}\0${index}`) h = Math.imul(h ^ char.charCodeAt(0), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

/** Targets by name, filled as test modules load (in the test's isolate and in the worker's). */
// deno-lint-ignore no-explicit-any
const targets = new Map<string, FuzzTarget<any>>();

/** What the worker reports back. */
export type FuzzOutcome =
  | { ok: true; cases: number; elapsedMs: number; slowest: { index: number; ms: number } }
  | { ok: false; index: number; error: string };

/** What the test sends the worker. */
export interface FuzzRequest {
  /** The test module that defines the target. */
  module: string;
  /** The target's name. */
  name: string;
  /** The run settings. */
  settings: FuzzSettings;
  /** Where the worker writes the number of the case it is running plus one, for the watchdog. */
  progress: SharedArrayBuffer;
}

/**
 * Runs a target's cases (in the worker).
 *
 * @param request What to run.
 * @returns Success with the number of cases, or the first failing case.
 */
export async function runCases(request: FuzzRequest): Promise<FuzzOutcome> {
  await import(request.module);
  const target = targets.get(request.name);
  if (!target) return { ok: false, index: -1, error: `no fuzz target named ${request.name}` };
  const { seed, only, budgetMs, slowMs } = request.settings;
  const iterations = request.settings.iterations ?? target.cases;
  const progress = new Int32Array(request.progress);
  const start = performance.now();
  let index = only ?? 0;
  let cases = 0;
  const slowest = { index: -1, ms: 0 };
  for (; only === undefined ? index < iterations : index === only; index++) {
    if (only === undefined && performance.now() - start > budgetMs) break;
    Atomics.store(progress, 0, index + 1);
    const run = async () => {
      const rng = new Rng(caseSeed(seed, request.name, index));
      const input = target.input(rng, index);
      const began = performance.now();
      await target.check(input, rng);
      return performance.now() - began;
    };
    try {
      // A slow case is timed twice more before it fails: a GC pause, a first
      // compilation or a busy machine is not a hang; a slow input is slow every time.
      let fastest = await run();
      for (let retry = 0; retry < 2 && fastest > slowMs; retry++) {
        fastest = Math.min(fastest, await run());
      }
      if (fastest > slowMs) {
        throw new Error(`took ${Math.round(fastest)} ms, at best of 3 runs (limit ${slowMs} ms)`);
      }
      if (fastest > slowest.ms) [slowest.index, slowest.ms] = [index, fastest];
    } catch (error) {
      return {
        ok: false,
        index,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      };
    }
    cases++;
  }
  return { ok: true, cases, elapsedMs: performance.now() - start, slowest };
}

/** How long one case may run before the watchdog calls it a hang. */
const HANG_MS = 10_000;

function failure(
  name: string,
  module: string,
  settings: FuzzSettings,
  index: number,
  what: string,
): Error {
  const target = targets.get(name)!;
  const input = target.input(new Rng(caseSeed(settings.seed, name, index)), index);
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
  const error = what.length > 4000 ? `${what.slice(0, 4000)}... (${what.length} chars)` : what;
  return new Error(
    `fuzz "${name}" failed at case ${index} of seed ${seed}\n` +
      `replay: FUZZ_SEED=${seed} FUZZ_CASE=${index} deno test -P ${file}\n` +
      `input: ${excerpt}\n${error}`,
  );
}

/**
 * Registers a fuzz test: `Deno.test(name)` runs the target's cases in a
 * worker and fails with the seed, the case number, a replay command and the
 * input when an invariant breaks, a case is slow, or a case never returns.
 *
 * @param module The defining test module's `import.meta.url` (the worker imports it).
 * @param name The test's name, also the target's key: unique.
 * @param target The inputs and invariants.
 */
export function fuzzTest<T>(module: string, name: string, target: FuzzTarget<T>): void {
  targets.set(name, target);
  Deno.test(name, async () => {
    const settings = fuzzSettings();
    const progress = new SharedArrayBuffer(4);
    const worker = new Worker(new URL("./fuzz_worker.ts", import.meta.url), { type: "module" });
    let watchdog: ReturnType<typeof setInterval> | undefined;
    try {
      const outcome = await new Promise<FuzzOutcome | { hang: number }>((resolve, reject) => {
        worker.onmessage = (event: MessageEvent<FuzzOutcome>) => resolve(event.data);
        worker.onerror = (event) => {
          event.preventDefault();
          reject(new Error(`fuzz worker failed: ${event.message}`));
        };
        // The watchdog: a case that has not moved on for HANG_MS is a hang.
        let last = -1;
        let since = performance.now();
        watchdog = setInterval(() => {
          const now = Atomics.load(new Int32Array(progress), 0);
          if (now !== last) [last, since] = [now, performance.now()];
          else if (performance.now() - since > HANG_MS) resolve({ hang: now - 1 });
        }, 500);
        const request: FuzzRequest = { module, name, settings, progress };
        worker.postMessage(request);
      });
      if ("hang" in outcome && outcome.hang === -1) {
        throw new Error(`fuzz worker for "${name}" did not start in ${HANG_MS} ms`);
      }
      if ("hang" in outcome) {
        throw failure(name, module, settings, outcome.hang, `did not return in ${HANG_MS} ms`);
      }
      if (!outcome.ok) {
        throw failure(name, module, settings, outcome.index, outcome.error);
      }
      if (settings.iterations !== undefined || Deno.env.get("FUZZ_BUDGET_MS")) {
        const { cases, elapsedMs, slowest } = outcome;
        console.log(
          `${name}: ${cases} cases in ${Math.round(elapsedMs)} ms, ` +
            `the slowest (case ${slowest.index}) in ${slowest.ms.toFixed(1)} ms`,
        );
      }
    } finally {
      clearInterval(watchdog);
      worker.terminate();
    }
  });
}
