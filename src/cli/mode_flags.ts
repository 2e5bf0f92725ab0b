/**
 * The flags that choose where a CLI crawl is kept: `--state` (durable, in
 * SQLite, with `--restart`, `--recrawl`, `--changed-only`, `--max-age`,
 * `--schedule`) or `--redis` (shared by processes, with `--job` and
 * `--lease-ms`), each checked against the flags it needs.
 *
 * @module
 */

import type { OutputFormat } from "../output/sink.ts";
import { checkRedisUrl } from "../redis/url.ts";
import { jobPrefix } from "../redis/job_settings.ts";
import { UsageError } from "./usage_error.ts";

/** How `--redis` is used. */
export interface RedisConfig {
  /** The Redis URL (`redis://` or `rediss://`, maybe with a password). */
  url: string;
  /** The shared crawl's name. */
  job: string;
  /** How long a process may hold a URL before others take it back, in ms (default: the job's). */
  leaseMs?: number;
}

/** How `--state` is used. */
export interface StateConfig {
  /** The SQLite file. */
  path: string;
  /** Start over whatever the file holds. */
  restart: boolean;
  /** Start a new run over the known URLs, revalidating them. */
  recrawl: boolean;
  /** Write records only for new or changed pages. */
  changedOnly: boolean;
  /** With `recrawl`, skip URLs fetched less than this long ago. */
  maxAgeMs: number | undefined;
}

function nonNegativeFlag(values: Record<string, unknown>, flag: string): number | undefined {
  const text = values[flag] as string | undefined;
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) {
    throw new UsageError(
      `--${flag} must be a non-negative integer: received ${JSON.stringify(text)}`,
    );
  }
  return Number(text);
}

/**
 * The durable-mode flags (`--state` and those that need it, `--schedule`,
 * `--fail-on-errors`), checked against each other.
 *
 * @param values The parsed flags.
 * @param out The output file, if any (`--state` needs one for JSON Lines).
 * @param format The output format.
 * @returns The state configuration (`undefined` without `--state`), the
 * schedule and the error threshold.
 * @throws {UsageError} If a flag is malformed or goes without the flag it needs.
 *
 * @example Usage
 * ```ts
 * import { durableFlags } from "./mode_flags.ts";
 * import assert from "node:assert/strict";
 *
 * const { state } = await durableFlags({ state: "crawl.db", recrawl: true }, "out.jsonl", "jsonl");
 * assert.equal(state?.recrawl, true);
 * await assert.rejects(durableFlags({ restart: true }, undefined, "jsonl"), /--restart needs --state FILE/);
 * ```
 */
export async function durableFlags(
  values: Record<string, string | string[] | boolean | undefined>,
  out: string | undefined,
  format: OutputFormat,
): Promise<
  { state: StateConfig | undefined; schedule: string | undefined; failOnErrors: number | undefined }
> {
  const failOnErrors = nonNegativeFlag(values, "fail-on-errors");
  const maxAgeMs = nonNegativeFlag(values, "max-age");
  const schedule = values.schedule as string | undefined;
  const path = values.state as string | undefined;
  if (path === undefined) {
    for (const flag of ["restart", "recrawl", "changed-only", "max-age", "schedule"]) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} needs --state FILE`);
    }
    return { state: undefined, schedule: undefined, failOnErrors };
  }
  if (maxAgeMs !== undefined && !values.recrawl && schedule === undefined) {
    throw new UsageError("--max-age applies to a recrawl: add --recrawl or --schedule");
  }
  if (out === undefined && format === "jsonl") {
    // Exactly-once output is rebuilt from the state after a crash, which stdout cannot be.
    throw new UsageError(
      "--state needs --out FILE: the output is repaired from the state after a crash",
    );
  }
  if (schedule !== undefined) {
    try {
      const { Cron } = await import("croner");
      const cron = new Cron(schedule, { paused: true });
      const next = cron.nextRun();
      cron.stop();
      if (next === null) throw new Error(`'${schedule}' never fires`);
    } catch (error) {
      throw new UsageError(`--schedule: ${(error as Error).message}`);
    }
  }
  return {
    state: {
      path,
      restart: values.restart === true,
      recrawl: values.recrawl === true,
      changedOnly: values["changed-only"] === true,
      maxAgeMs,
    },
    schedule,
    failOnErrors,
  };
}

/**
 * The `--redis` flags, checked; `undefined` without `--redis`.
 *
 * @param values The parsed flags.
 * @returns The Redis configuration, or `undefined` without `--redis`.
 * @throws {UsageError} If a flag is malformed or goes without `--redis`.
 *
 * @example Usage
 * ```ts
 * import { redisFlags } from "./mode_flags.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(redisFlags({ redis: "redis://127.0.0.1:6379", job: "shop", "lease-ms": "9000" }), {
 *   url: "redis://127.0.0.1:6379",
 *   job: "shop",
 *   leaseMs: 9000,
 * });
 * assert.throws(() => redisFlags({ job: "shop" }), /--job needs --redis URL/);
 * ```
 */
export function redisFlags(
  values: Record<string, string | string[] | boolean | undefined>,
): RedisConfig | undefined {
  const url = values.redis as string | undefined;
  const job = values.job as string | undefined;
  if (url === undefined) {
    for (const flag of ["job", "lease-ms"]) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} needs --redis URL`);
    }
    return undefined;
  }
  try {
    checkRedisUrl(url);
  } catch (error) {
    throw new UsageError(`--redis: ${(error as Error).message}`);
  }
  if (job === undefined) throw new UsageError("--redis needs --job NAME: the shared crawl's name");
  try {
    jobPrefix(job);
  } catch (error) {
    throw new UsageError(`--job: ${(error as Error).message}`);
  }
  const leaseText = values["lease-ms"] as string | undefined;
  // Leases are renewed on a timer, and timers hold at most 2^31 - 1 ms.
  if (
    leaseText !== undefined && (!/^[1-9]\d*$/.test(leaseText) || Number(leaseText) > 2_147_483_647)
  ) {
    throw new UsageError(
      `--lease-ms must be a positive integer: received ${JSON.stringify(leaseText)}`,
    );
  }
  return leaseText === undefined ? { url, job } : { url, job, leaseMs: Number(leaseText) };
}
