/**
 * Where the CLI's input comes from besides its flags: the `--seeds` sources
 * (URLs, a file, standard input) and the `--config` file.
 *
 * @module
 */

import { UsageError } from "./usage_error.ts";

/**
 * Splits flag values on commas, trimmed, without empty items.
 *
 * @param values The values of a repeatable flag.
 * @returns The items, in order.
 *
 * @example Usage
 * ```ts
 * import { splitList } from "./inputs.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(splitList(["utm_*, fbclid", "gclid,"]), ["utm_*", "fbclid", "gclid"]);
 * ```
 */
export function splitList(values: string[]): string[] {
  return values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "");
}

function isUrlList(value: string): boolean {
  return splitList([value]).every((part) => /^[a-z][a-z0-9+.-]*:\/\//i.test(part));
}

/**
 * Reads one `--seeds` value: comma-separated URLs, a file of URLs (one a
 * line, `#` comments), or `-` for standard input.
 *
 * @param value The flag's value.
 * @param readStdin Reads standard input.
 * @returns The seed URLs, unvalidated.
 * @throws {UsageError} If the value names a file that cannot be read.
 *
 * @example Usage
 * ```ts
 * import { readSeedSource } from "./inputs.ts";
 * import assert from "node:assert/strict";
 *
 * const stdin = () => Promise.resolve("https://a.test/ # home\n\nhttps://b.test/\n");
 * assert.deepEqual(await readSeedSource("-", stdin), ["https://a.test/", "https://b.test/"]);
 * assert.deepEqual(await readSeedSource("https://a.test/,https://b.test/", stdin), [
 *   "https://a.test/",
 *   "https://b.test/",
 * ]);
 * ```
 */
export async function readSeedSource(
  value: string,
  readStdin: () => Promise<string>,
): Promise<string[]> {
  if (value === "-") return seedLines(await readStdin());
  if (isUrlList(value)) return splitList([value]);
  let text: string;
  try {
    text = await Deno.readTextFile(value);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file (URLs need a scheme, e.g. https://)"
      : error instanceof Error
      ? error.message
      : String(error);
    throw new UsageError(`--seeds: cannot read '${value}': ${reason}`);
  }
  return seedLines(text);
}

function seedLines(text: string): string[] {
  return text.split(/\r?\n/).map((line) => line.replace(/#.*/, "").trim()).filter((l) => l !== "");
}

/**
 * Reads a `--config` file: a JSON object of options.
 *
 * @param path The file.
 * @returns The object, unvalidated.
 * @throws {UsageError} If the file cannot be read, is not JSON, or is not an object.
 *
 * @example Usage
 * ```ts
 * import { readConfig } from "./inputs.ts";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile({ suffix: ".json" });
 * await Deno.writeTextFile(path, `{ "maxPages": 100 }`);
 * assert.deepEqual(await readConfig(path), { maxPages: 100 });
 * await Deno.writeTextFile(path, `["not", "an", "object"]`);
 * await assert.rejects(readConfig(path), /must hold a JSON object of options/);
 * await Deno.remove(path);
 * ```
 */
export async function readConfig(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new UsageError(
      `--config: cannot read '${path}': ${error instanceof Error ? error.message : error}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `--config: '${path}' is not valid JSON: ${error instanceof Error ? error.message : error}`,
    );
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new UsageError(`--config: '${path}' must hold a JSON object of options`);
  }
  return value as Record<string, unknown>;
}
