/**
 * Loading the `--extract` rules file: reading it, parsing its JSON and
 * validating it against `schema.ts`'s schema (where the format is
 * described), with one-line errors that name the place in the file.
 *
 * @module
 */

import type { z } from "zod";
import { firstLine, type RulesFile, RulesFileSchema } from "./schema.ts";
import { valueAt } from "../validate/value_at.ts";

/**
 * A bad rules file. The message is one line: the file, the place in it
 * (`rules[2].fields.price.type`), what is wrong and, when useful, what was
 * found there.
 *
 * @example Usage
 * ```ts
 * import { RulesError } from "./rules.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new RulesError("rules.json", "rules[0].match", 'expected a URL pattern: received 5');
 * assert.equal(error.message, "rules.json: rules[0].match: expected a URL pattern: received 5");
 * ```
 */
export class RulesError extends Error {
  /** The file (or label) the rules came from. */
  readonly source: string;
  /** The place in the file, e.g. `rules[0].match`; empty for the whole file. */
  readonly path: string;

  /**
   * Creates the error for one place in a rules file.
   *
   * @param source The file the rules came from.
   * @param path The place in the file, or `""`.
   * @param detail What is wrong, with what was received.
   */
  constructor(source: string, path: string, detail: string) {
    super(`${source}: ${path === "" ? "" : `${path}: `}${detail}`);
    this.name = "RulesError";
    this.source = source;
    this.path = path;
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(String(key))) {
      out += `${out === "" ? "" : "."}${String(key)}`;
    } else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value !== null && typeof value === "object") return "an object";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 59)}…"` : text;
}

type Issue = z.core.$ZodIssue;

/**
 * Picks the issue to report: for a union, the branch the input was meant for
 * (the one that failed for a reason other than the input's type).
 */
function pinpoint(issue: Issue): { path: PropertyKey[]; message: string; code: string } {
  if (issue.code === "invalid_union") {
    const meant = issue.errors.filter((branch) =>
      !branch.every((inner) => inner.code === "invalid_type" && inner.path.length === 0)
    );
    if (meant.length === 1) {
      const inner = pinpoint(meant[0]![0]!);
      return { ...inner, path: [...issue.path, ...inner.path] };
    }
  }
  if (issue.code === "unrecognized_keys") {
    return { path: [...issue.path, issue.keys[0]!], message: issue.message, code: issue.code };
  }
  if (issue.code === "invalid_key") {
    return {
      path: issue.path,
      message: issue.issues[0]?.message ?? issue.message,
      code: issue.code,
    };
  }
  return { path: issue.path, message: issue.message, code: issue.code };
}

/** Zod drops a `__proto__` key without a word; refuse it by name instead. */
function reservedFieldName(input: unknown): string | undefined {
  const rules = valueAt(input, ["rules"]);
  if (!Array.isArray(rules)) return undefined;
  for (const [i, rule] of rules.entries()) {
    const fields = valueAt(rule, ["fields"]);
    if (fields !== undefined && valueAt(fields, ["__proto__"]) !== undefined) {
      return formatPath(["rules", i, "fields", "__proto__"]);
    }
  }
  return undefined;
}

/**
 * Validates rules already parsed from JSON and fills in defaults.
 *
 * @param input The parsed JSON.
 * @param source The file name (or label) used in messages.
 * @returns The validated rules.
 * @throws {RulesError} Naming the first problem.
 *
 * @example Usage
 * ```ts
 * import { parseRules } from "./rules.ts";
 * import assert from "node:assert/strict";
 *
 * const file = await parseRules({ rules: [{ match: "/p/*", fields: { t: { selector: "h1" } } }] });
 * assert.equal(file.rules[0]!.fields.t!.type, "string");
 * await assert.rejects(parseRules({ rules: [] }), /rules: rules: expected at least one rule/);
 * ```
 */
export async function parseRules(input: unknown, source = "rules"): Promise<RulesFile> {
  const reserved = reservedFieldName(input);
  if (reserved !== undefined) throw new RulesError(source, reserved, "reserved field name");
  // Asynchronous because a CSS selector's check loads the selector engine on first use.
  const result = await RulesFileSchema.safeParseAsync(input);
  if (result.success) return result.data;
  // A misspelt key explains the "missing" issues that follow from it: report it first.
  const { issues } = result.error;
  const first = issues.find((issue) => issue.code === "unrecognized_keys") ?? issues[0]!;
  const { path, message, code } = pinpoint(first);
  if (code === "unrecognized_keys") throw new RulesError(source, formatPath(path), message);
  // A bad key is reported with the key itself, not the value under it.
  const value = code === "invalid_key" ? path.at(-1) : valueAt(input, path);
  const received = value === undefined ? "missing" : `received ${describe(value)}`;
  throw new RulesError(source, formatPath(path), `${message}: ${received}`);
}

/** Options for {@linkcode loadRules}. */
export interface LoadRulesOptions {
  /** Aborting it stops the read; `loadRules` rejects with `signal.reason`. */
  signal?: AbortSignal;
}

function readProblem(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "not found";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.IsADirectory) return "is a directory";
  return firstLine(error);
}

/**
 * Reads, parses and validates a rules file.
 *
 * @param path The file's path; messages name it as given.
 * @param options An optional signal that aborts the read.
 * @returns The validated rules.
 * @throws {RulesError} If the file cannot be read, is not JSON, or breaks the schema.
 *
 * @example Usage
 * ```ts
 * import { loadRules } from "./rules.ts";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile({ suffix: ".json" });
 * try {
 *   await Deno.writeTextFile(path, `{"rules": [{"match": "/p/*", "fields": {"t": {"selector": "h1"}}}]}`);
 *   const { rules } = await loadRules(path);
 *   assert.equal(rules[0]!.fields.t!.selector, "h1");
 *   await Deno.writeTextFile(path, "{ not json");
 *   await assert.rejects(loadRules(path), /invalid JSON/);
 * } finally {
 *   await Deno.remove(path);
 * }
 * ```
 */
export async function loadRules(path: string, options: LoadRulesOptions = {}): Promise<RulesFile> {
  const { signal } = options;
  let text: string;
  try {
    text = await Deno.readTextFile(path, { signal });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new RulesError(path, "", `cannot read the file: ${readProblem(error)}`);
  }
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw new RulesError(path, "", `invalid JSON: ${firstLine(error)}`);
  }
  return await parseRules(input, path);
}
