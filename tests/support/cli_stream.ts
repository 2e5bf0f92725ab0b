/**
 * Runs the real CLI as a subprocess and follows its output as it comes, so a
 * test can act when a line appears (release a held response, send a
 * signal) instead of sleeping.
 *
 * @module
 */

import { cliCommand, withoutDenoNotices } from "./cli_run.ts";

/** One output stream of a running CLI, kept whole, with waits on what it prints. */
export class StreamText {
  /** Everything read so far. */
  text = "";
  #waiters: { pattern: RegExp; resolve: (match: RegExpExecArray) => void }[] = [];
  #ended = Promise.withResolvers<void>();

  /**
   * Starts reading a stream.
   *
   * @param stream The child's stdout or stderr.
   */
  constructor(stream: ReadableStream<Uint8Array>) {
    (async () => {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        this.text += chunk;
        this.#waiters = this.#waiters.filter(({ pattern, resolve }) => {
          const match = pattern.exec(this.text);
          if (match) resolve(match);
          return !match;
        });
      }
      this.#ended.resolve();
    })();
  }

  /** Resolves when the stream has ended. */
  get ended(): Promise<void> {
    return this.#ended.promise;
  }

  /**
   * Resolves once the text matches (at once if it does already); rejects if
   * the stream ends first.
   *
   * @param pattern What to wait for.
   * @returns The match.
   */
  waitFor(pattern: RegExp): Promise<RegExpExecArray> {
    const now = pattern.exec(this.text);
    if (now) return Promise.resolve(now);
    const { promise, resolve } = Promise.withResolvers<RegExpExecArray>();
    this.#waiters.push({ pattern, resolve });
    return Promise.race([
      promise,
      this.ended.then(() => {
        const last = pattern.exec(this.text);
        if (last) return last;
        throw new Error(`the stream ended without ${pattern}:\n${this.text}`);
      }),
    ]);
  }
}

/** A CLI process whose stdout and stderr are followed as they come. */
export interface StreamedCli {
  child: Deno.ChildProcess;
  stdout: StreamText;
  stderr: StreamText;
  /** Waits for the exit; stderr comes without Deno's own notices. */
  done(): Promise<{ code: number; stdout: string; stderr: string }>;
}

/**
 * Starts the CLI (`deno run -P main.ts ...`) with its outputs followed.
 *
 * @param args CLI arguments.
 * @param env Extra environment variables for the CLI (and what it starts).
 * @returns The running process.
 */
export function spawnCli(args: string[], env: Record<string, string> = {}): StreamedCli {
  const child = cliCommand(args, [], env).spawn();
  child.stdin.close();
  const stdout = new StreamText(child.stdout);
  const stderr = new StreamText(child.stderr);
  return {
    child,
    stdout,
    stderr,
    done: async () => {
      const [status] = await Promise.all([child.status, stdout.ended, stderr.ended]);
      return { code: status.code, stdout: stdout.text, stderr: withoutDenoNotices(stderr.text) };
    },
  };
}
