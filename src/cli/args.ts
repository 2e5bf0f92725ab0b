/**
 * Command-line arguments and `--config` files, turned into validated crawl
 * options. Every bad input becomes one {@linkcode UsageError} naming the
 * flag (or the config file key), before any request is made.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { pathToFileURL as toFileUrl } from "node:url";
import { readConfig, readSeedSource, splitList } from "./inputs.ts";
import { durableFlags, type RedisConfig, redisFlags, type StateConfig } from "./mode_flags.ts";
import { loadRules, RulesError } from "../extract/rules.ts";
import { type CrawlOptions, OptionsError, parseCrawlOptions } from "../pipeline/options.ts";
import type { CrawlOptionsInput } from "../pipeline/options_input.ts";
import { DEFAULT_FORMAT, type OutputFormat, outputFormat } from "../output/sink.ts";
import { DEFAULT_GRACE_MS } from "./help.ts";
import { UsageError } from "./usage_error.ts";

/** How a flag's text is read. */
export type Kind = "int" | "string" | "bool" | "list" | "regexes";

/** Each flag that sets a crawl option: the option it sets, and how its text is read. */
export const FLAGS: Record<string, { option: keyof CrawlOptionsInput; kind: Kind }> = {
  "max-pages": { option: "maxPages", kind: "int" },
  "max-depth": { option: "maxDepth", kind: "int" },
  "scope": { option: "scope", kind: "string" },
  "include": { option: "include", kind: "regexes" },
  "exclude": { option: "exclude", kind: "regexes" },
  "concurrency": { option: "concurrency", kind: "int" },
  "fetchers": { option: "fetchers", kind: "int" },
  "parsers": { option: "parsers", kind: "int" },
  "queue-size": { option: "queueSize", kind: "int" },
  "timeout": { option: "timeoutMs", kind: "int" },
  "max-duration": { option: "maxDurationMs", kind: "int" },
  "max-bytes": { option: "maxBytes", kind: "int" },
  "max-redirects": { option: "maxRedirects", kind: "int" },
  "shutdown": { option: "shutdown", kind: "string" },
  "follow-nofollow": { option: "followNofollow", kind: "bool" },
  "user-agent": { option: "userAgent", kind: "string" },
  "parser": { option: "parser", kind: "string" },
  "strip-params": { option: "stripParams", kind: "list" },
  "sort-query": { option: "sortQuery", kind: "bool" },
  "dedupe-canonical": { option: "dedupeCanonical", kind: "bool" },
  "max-url-length": { option: "maxUrlLength", kind: "int" },
  "max-pages-per-host": { option: "maxPagesPerHost", kind: "int" },
  "per-host": { option: "perHost", kind: "int" },
  "delay": { option: "delayMs", kind: "int" },
  "retries": { option: "retries", kind: "int" },
  "retry-delay": { option: "retryDelayMs", kind: "int" },
  "max-retry-delay": { option: "maxRetryDelayMs", kind: "int" },
  "max-retry-after": { option: "maxRetryAfterMs", kind: "int" },
  "ignore-robots": { option: "ignoreRobots", kind: "bool" },
  "log-skipped": { option: "logSkipped", kind: "bool" },
  "allow-private": { option: "allowPrivate", kind: "bool" },
  "allow-address": { option: "allowAddresses", kind: "list" },
  "cookies": { option: "cookies", kind: "bool" },
  "sitemaps": { option: "sitemaps", kind: "bool" },
  "max-sitemap-urls": { option: "maxSitemapUrls", kind: "int" },
  "links-from": { option: "linksFrom", kind: "string" },
};

const FLAG_OF = Object.fromEntries(
  Object.entries(FLAGS).map(([flag, { option }]) => [option, flag]),
) as Record<string, string>;
FLAG_OF.seeds = "seeds";

/** What the CLI runs with. */
export interface CliConfig {
  /** The validated crawl options. */
  options: CrawlOptions;
  /** Where records go; `undefined` means stdout. */
  out: string | undefined;
  /** How long a stopped crawl may finish in-flight work before it is aborted, in ms. */
  graceMs: number;
  /** Whether `--help` was asked for. */
  help: boolean;
  /** The output format. */
  format: OutputFormat;
  /** Where to write the HTML report, if asked. */
  report: string | undefined;
  /** Durable mode: the SQLite state file and how to use it. */
  state: StateConfig | undefined;
  /** A cron pattern: keep running and start an incremental run on each tick. */
  schedule: string | undefined;
  /** Exit 3 when a run ends with more errors than this. */
  failOnErrors: number | undefined;
  /** A crawl shared through Redis. */
  redis: RedisConfig | undefined;
}

function readNumber(text: string): number | string {
  return /^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text;
}

/**
 * Parses the command line (and the config file it names) into the CLI's
 * configuration.
 *
 * @param args The arguments after the script name.
 * @param readStdin Reads standard input (for `--seeds -`).
 * @returns The validated configuration.
 * @throws {UsageError} On any bad input, naming the flag or config key.
 *
 * @example Usage
 * ```ts
 * import { parseCli } from "./args.ts";
 * import assert from "node:assert/strict";
 *
 * const config = await parseCli(["--seeds", "https://example.org", "--max-pages", "5"]);
 * assert.equal(config.options.maxPages, 5);
 * ```
 */
export async function parseCli(
  args: string[],
  readStdin: () => Promise<string> = () => new Response(Deno.stdin.readable).text(),
): Promise<CliConfig> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        seeds: { type: "string", multiple: true },
        config: { type: "string" },
        out: { type: "string" },
        grace: { type: "string" },
        format: { type: "string" },
        state: { type: "string" },
        restart: { type: "boolean" },
        recrawl: { type: "boolean" },
        "changed-only": { type: "boolean" },
        "max-age": { type: "string" },
        schedule: { type: "string" },
        redis: { type: "string" },
        job: { type: "string" },
        "lease-ms": { type: "string" },
        "fail-on-errors": { type: "string" },
        report: { type: "string" },
        extract: { type: "string" },
        "extract-module": { type: "string" },
        help: { type: "boolean", short: "h" },
        ...Object.fromEntries(
          Object.entries(FLAGS).map(([flag, { kind }]) => [
            flag,
            kind === "bool"
              ? { type: "boolean" as const }
              : { type: "string" as const, multiple: kind === "list" || kind === "regexes" },
          ]),
        ),
      },
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const ambiguous = /^Option '(--[\w-]+)' argument is ambiguous/.exec(message);
    if (ambiguous) {
      throw new UsageError(
        `${ambiguous[1]}: a value starting with '-' must be written ${ambiguous[1]}=VALUE`,
      );
    }
    // node's messages run over several sentences; the first says it all.
    throw new UsageError(message.split(/\.\s/)[0]!.replace(/\.$/, ""));
  }
  const values = parsed.values as Record<string, string | string[] | boolean | undefined>;
  if (values.help) {
    return {
      options: undefined as unknown as CrawlOptions,
      out: undefined,
      graceMs: 0,
      help: true,
      format: DEFAULT_FORMAT,
      report: undefined,
      state: undefined,
      schedule: undefined,
      failOnErrors: undefined,
      redis: undefined,
    };
  }

  const fromConfig = values.config === undefined ? {} : await readConfig(values.config as string);
  const out = (values.out as string | undefined) ??
    (typeof fromConfig.out === "string" ? fromConfig.out : undefined);
  delete fromConfig.out;
  let format: OutputFormat;
  try {
    format = outputFormat(
      (values.format as string | undefined) ??
        (typeof fromConfig.format === "string" ? fromConfig.format : DEFAULT_FORMAT),
    );
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  delete fromConfig.format;
  const report = (values.report as string | undefined) ??
    (typeof fromConfig.report === "string" ? fromConfig.report : undefined);
  delete fromConfig.report;
  const input: Record<string, unknown> = {};
  const source: Record<string, "flag" | "config"> = {};
  for (const [key, value] of Object.entries(fromConfig)) {
    input[key] = value;
    source[key] = "config";
  }
  for (const [flag, { option, kind }] of Object.entries(FLAGS)) {
    const value = values[flag];
    if (value === undefined) continue;
    input[option] = kind === "int"
      ? readNumber(value as string)
      : kind === "list"
      ? splitList(value as string[])
      : value;
    source[option] = "flag";
  }
  if (values.seeds !== undefined) {
    const seeds: string[] = [];
    for (const value of values.seeds as string[]) {
      seeds.push(...(await readSeedSource(value, readStdin)));
    }
    input.seeds = seeds;
    source.seeds = "flag";
  }
  if (values.extract !== undefined) {
    try {
      input.rules = await loadRules(values.extract as string);
    } catch (error) {
      if (error instanceof RulesError) throw new UsageError(`--extract: ${error.message}`);
      throw error;
    }
    source.rules = "flag";
  }
  if (values["extract-module"] !== undefined) {
    const specifier = values["extract-module"] as string;
    // A plain path is taken relative to the working directory, as users type it.
    input.extractModule = /^[a-z][a-z0-9+.-]*:/i.test(specifier)
      ? specifier
      : toFileUrl(resolve(specifier)).href;
    if ((input.extractModule as string).startsWith("file:")) {
      try {
        await Deno.stat(new URL(input.extractModule as string));
      } catch (error) {
        throw new UsageError(
          `--extract-module: cannot read '${specifier}': ${(error as Error).message}`,
        );
      }
    }
    source.extractModule = "flag";
  }
  if (input.seeds === undefined) {
    throw new UsageError("--seeds is required: give a URL, a file of URLs, or - for stdin");
  }

  let graceMs = DEFAULT_GRACE_MS;
  if (values.grace !== undefined) {
    graceMs = Number(values.grace);
    if (!/^\d+$/.test(values.grace as string) || graceMs > 2_147_483_647) {
      throw new UsageError(
        `--grace must be a non-negative integer of ms up to 2147483647: received ${
          JSON.stringify(values.grace)
        }`,
      );
    }
  }

  let options: CrawlOptions;
  try {
    options = parseCrawlOptions(input as unknown as CrawlOptionsInput);
  } catch (error) {
    if (!(error instanceof OptionsError)) throw error;
    const key = error.option.replace(/\[.*$/, "");
    const where = source[key] === "config"
      ? `${values.config}: '${error.option}'`
      : `--${FLAG_OF[key] ?? key}`;
    const received = error.received === undefined
      ? ""
      : `: received ${JSON.stringify(error.received)}`;
    throw new UsageError(`${where} ${error.expected}${received}`);
  }
  const { state, schedule, failOnErrors } = await durableFlags(values, out, format);
  const redis = redisFlags(values);
  if (redis && (state || schedule !== undefined)) {
    throw new UsageError(
      "--redis keeps the crawl in Redis: it does not go with --state or --schedule",
    );
  }
  return {
    options,
    out,
    graceMs,
    help: false,
    format,
    report,
    state,
    schedule,
    failOnErrors,
    redis,
  };
}
