/**
 * Runs the real CLI (`deno run -P main.ts ...`) as a subprocess for tests.
 *
 * @module
 */

/** The repository root (where deno.json and main.ts are). */
export const ROOT = new URL("../../", import.meta.url).pathname;

/** What a finished CLI run printed. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The deno arguments that run main.ts with the `-P` permission set (and extra environment). */
export function cliCommand(
  args: string[],
  extraDenoFlags: string[] = [],
  env: Record<string, string> = {},
): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-P", ...extraDenoFlags, `${ROOT}main.ts`, ...args],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  });
}

/**
 * Runs the CLI to completion.
 *
 * @param args CLI arguments.
 * @param stdin Text for standard input.
 * @returns Exit code and output.
 */
export async function runCli(args: string[], stdin = ""): Promise<CliResult> {
  const child = cliCommand(args).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: withoutDenoNotices(decoder.decode(stderr)),
  };
}

/** Drops Deno's own notices (the experimental permission-set warning) from stderr. */
export function withoutDenoNotices(stderr: string): string {
  return stderr.split("\n").filter((line) => !/^Warning Permissions in the config file/.test(line))
    .join("\n");
}

/** Parses JSON Lines, asserting every line is one complete object. */
export function parseJsonl<T = Record<string, unknown>>(text: string): T[] {
  return text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line));
}
