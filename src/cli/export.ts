/**
 * The `export` subcommand: every record of a crawl kept in a store, written
 * to a file or stdout in any output format: a Redis job's
 * (`export --redis URL --job NAME`) or a SQLite state file's runs
 * (`export --state FILE [--run N|latest|all]`).
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { RecordSource } from "../linkcheck/check_links.ts";
import type { OutputFormat } from "../output/sink.ts";
import type { RunChoice } from "../sqlite/export.ts";
import { redisFlags } from "./mode_flags.ts";
import { linkCheck } from "./link_check.ts";
import { checkOutputs, chooseFormat, linksOutFlag } from "./outputs.ts";
import { nearest } from "./suggest.ts";
import { UsageError } from "./usage_error.ts";

/** The flags `export` takes, as `node:util`'s `parseArgs` takes them. */
export const EXPORT_FLAGS = {
  redis: { type: "string" },
  job: { type: "string" },
  state: { type: "string" },
  run: { type: "string" },
  out: { type: "string" },
  format: { type: "string" },
  "links-out": { type: "string" },
  "fail-on-broken": { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  "warc-files": { type: "boolean" },
} as const;

/** What to export, where to, and how. */
export type ExportPlan =
  & {
    out: string | undefined;
    format: OutputFormat;
    quiet: boolean;
    /** The link table to write from the exported records, if asked. */
    linksOut?: { path: string; format: OutputFormat };
    /** Check the exported records' links, exit 3 when one is broken. */
    failOnBroken?: boolean;
    /** List the WARC files the crawl wrote, one a line, instead of its records. */
    warcFiles: boolean;
  }
  & (
    | { from: "redis"; url: string; job: string }
    | { from: "state"; path: string; run: RunChoice }
  );

/**
 * Reads the `export` subcommand's flags.
 *
 * @param args The arguments after `export`.
 * @returns The plan.
 * @throws {UsageError} On a bad or missing flag, naming it.
 *
 * @example Usage
 * ```ts
 * import { parseExport } from "./export.ts";
 * import assert from "node:assert/strict";
 *
 * const plan = parseExport(["--state", "site.db", "--run", "all", "--out", "all.csv"]);
 * assert.deepEqual(plan, {
 *   from: "state", path: "site.db", run: "all", out: "all.csv", format: "csv", quiet: false,
 *   warcFiles: false,
 * });
 * assert.throws(() => parseExport(["--stat", "site.db"]), /unknown flag '--stat' for export: did you mean --state\?/);
 * ```
 */
export function parseExport(args: string[]): ExportPlan {
  let values;
  try {
    ({ values } = parseArgs({ args, strict: true, options: EXPORT_FLAGS }));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const unknown = /^Unknown option '(--?)([^']+)'/.exec(message);
    if (unknown) {
      const meant = nearest(unknown[2]!, Object.keys(EXPORT_FLAGS));
      throw new UsageError(
        `unknown flag '${unknown[1]}${unknown[2]}' for export` +
          (meant === undefined ? "" : `: did you mean --${meant}?`),
      );
    }
    // node's parseArgs messages run over several sentences; the first says it all.
    throw new UsageError(message.split(/\.\s/)[0]!.replace(/\.$/, ""));
  }
  const out = values.out;
  const format = chooseFormat(out, values.format);
  const quiet = values.quiet === true;
  const linksOut = linksOutFlag(values["links-out"]);
  const common = {
    out,
    format,
    quiet,
    warcFiles: values["warc-files"] === true,
    ...(linksOut ? { linksOut } : {}),
    ...(values["fail-on-broken"] ? { failOnBroken: true } : {}),
  };
  if (values.state !== undefined) {
    if (values.redis !== undefined || values.job !== undefined) {
      throw new UsageError("export takes --state FILE or --redis URL --job NAME, not both");
    }
    const text = values.run ?? "latest";
    if (text !== "latest" && text !== "all" && !/^[1-9]\d*$/.test(text)) {
      throw new UsageError(
        `--run must be a run id, latest or all: received ${JSON.stringify(text)}`,
      );
    }
    const run: RunChoice = text === "latest" || text === "all" ? text : Number(text);
    return { from: "state", path: values.state, run, ...common };
  }
  if (values.run !== undefined) throw new UsageError("--run needs --state FILE");
  const redis = redisFlags(values);
  if (!redis) {
    throw new UsageError("export needs --state FILE, or --redis URL and --job NAME");
  }
  return { from: "redis", url: redis.url, job: redis.job, ...common };
}

/**
 * Runs an export plan: checks the output, then writes the records.
 *
 * @param plan From {@linkcode parseExport}.
 * @returns What the export line reports: how many records, from where.
 * @throws {UsageError} For an output that cannot be written or a state file that cannot be read.
 *
 * @example Usage
 * ```ts
 * import { parseExport, runExportPlan } from "./export.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const plan = parseExport(["--state", `${dir}/none.db`, "--out", `${dir}/x.jsonl`]);
 * await assert.rejects(runExportPlan(plan), /--state: cannot read '.*none.db': no such file/);
 * await Deno.remove(dir);
 * ```
 */
export async function runExportPlan(plan: ExportPlan): Promise<Record<string, unknown>> {
  await checkOutputs({ "--out": plan.out, "--links-out": plan.linksOut?.path });
  if (plan.warcFiles) return await listWarcFiles(plan);
  // The link check reads the exported records again, once they are written.
  let broken: number | undefined;
  const links = (plan.linksOut || plan.failOnBroken)
    ? async (records: RecordSource) => {
      broken = (await linkCheck(records, plan.linksOut)).results.broken;
    }
    : undefined;
  const linked = () => broken === undefined ? {} : { brokenLinks: broken };
  if (plan.from === "redis") {
    const { exportJob } = await import("../redis/job.ts");
    const exported = await exportJob(plan.url, plan.job, plan.out, plan.format, {}, links);
    return { exported, job: plan.job, ...linked() };
  }
  const { exportState, StateExportError } = await import("../sqlite/export.ts");
  await checkState(plan.path);
  try {
    const { exported, runs } = await exportState(
      plan.path,
      plan.run,
      plan.out,
      plan.format,
      links,
    );
    return { exported, state: plan.path, runs, ...linked() };
  } catch (error) {
    if (error instanceof StateExportError) throw new UsageError(`--state: ${error.message}`);
    throw error;
  }
}

async function checkState(path: string): Promise<void> {
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) throw new UsageError(`--state: cannot read '${path}': not a file`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const why = error instanceof Deno.errors.NotFound ? "no such file" : (error as Error).message;
    throw new UsageError(`--state: cannot read '${path}': ${why}`);
  }
}

/** `--warc-files`: the WARC files the crawl wrote, one a line (a Redis job's as `host:path`). */
async function listWarcFiles(plan: ExportPlan): Promise<Record<string, unknown>> {
  let files: string[];
  let runs: number[] | undefined;
  if (plan.from === "redis") {
    const { jobWarcFiles } = await import("../redis/job.ts");
    files = await jobWarcFiles(plan.url, plan.job);
  } else {
    await checkState(plan.path);
    const { stateWarcFiles, StateExportError } = await import("../sqlite/export.ts");
    try {
      ({ files, runs } = stateWarcFiles(plan.path, plan.run));
    } catch (error) {
      if (error instanceof StateExportError) throw new UsageError(`--state: ${error.message}`);
      throw error;
    }
  }
  const text = files.map((file) => `${file}\n`).join("");
  if (plan.out === undefined) await Deno.stdout.write(new TextEncoder().encode(text));
  else await Deno.writeTextFile(plan.out, text);
  return {
    exported: files.length,
    warcFiles: files.length,
    ...(plan.from === "redis" ? { job: plan.job } : { state: plan.path, runs }),
  };
}
