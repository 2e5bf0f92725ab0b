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
import {
  type CrawlOptions,
  CrawlOptionsSchema,
  OptionsError,
  parseCrawlOptions,
} from "../pipeline/options.ts";
import type { CrawlOptionsInput } from "../pipeline/options_input.ts";
import { DEFAULT_FORMAT, type OutputFormat } from "../output/sink.ts";
import { chooseFormat, linksOutFlag } from "./outputs.ts";
import type { Verbosity } from "./reporter.ts";
import { nearest, nearestOption } from "./suggest.ts";
import { DEFAULT_GRACE_MS, DEFAULT_PROGRESS_INTERVAL_MS } from "./help.ts";
import { UsageError } from "./usage_error.ts";

/** How a flag's text is read. */
export type Kind = "int" | "string" | "bool" | "list" | "regexes" | "headers";

/** Each flag that sets a crawl option: the option it sets, and how its text is read. */
export const FLAGS: Record<string, { option: keyof CrawlOptionsInput; kind: Kind }> = {
  "max-pages": { option: "maxPages", kind: "int" },
  "max-pages-per-run": { option: "maxPagesPerRun", kind: "int" },
  "max-depth": { option: "maxDepth", kind: "int" },
  "scope": { option: "scope", kind: "string" },
  "include": { option: "include", kind: "regexes" },
  "exclude": { option: "exclude", kind: "regexes" },
  "concurrency": { option: "concurrency", kind: "int" },
  "fetchers": { option: "fetchers", kind: "int" },
  "parsers": { option: "parsers", kind: "int" },
  "parse-timeout": { option: "parseTimeoutMs", kind: "int" },
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
  "header": { option: "headers", kind: "headers" },
  "proxy": { option: "proxy", kind: "string" },
  "check": { option: "check", kind: "list" },
  "accept": { option: "accept", kind: "list" },
  "link-refs": { option: "linkRefs", kind: "bool" },
  "warc": { option: "warc", kind: "string" },
  "warc-max-size": { option: "warcMaxSize", kind: "int" },
  "warc-cdx": { option: "warcCdx", kind: "bool" },
  "render": { option: "render", kind: "bool" },
  "render-match": { option: "renderMatch", kind: "regexes" },
  "render-tabs": { option: "renderTabs", kind: "int" },
  "render-idle": { option: "renderIdleMs", kind: "int" },
  "wait-for": { option: "waitFor", kind: "string" },
  "render-resources": { option: "renderResources", kind: "bool" },
};

/** The flags of the CLI itself (not crawl options), as `node:util`'s `parseArgs` takes them. */
export const CLI_FLAGS = {
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
  "links-out": { type: "string" },
  "fail-on-broken": { type: "boolean" },
  extract: { type: "string" },
  "extract-module": { type: "string" },
  quiet: { type: "boolean", short: "q" },
  verbose: { type: "boolean", short: "v" },
  "stats-json": { type: "boolean" },
  "progress-interval": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const;

const FLAG_OF = Object.fromEntries(
  Object.entries(FLAGS).map(([flag, { option }]) => [option, flag]),
) as Record<string, string>;
FLAG_OF.seeds = "seeds";
const OPTION_OF_FLAG: Record<string, string> = Object.fromEntries(
  Object.entries(FLAGS).map(([flag, { option }]) => [flag, option]),
);
// --extract reads the rules file into `rules`; the config file names the CLI's outputs too.
Object.assign(OPTION_OF_FLAG, {
  seeds: "seeds",
  extract: "rules",
  "extract-module": "extractModule",
});

/**
 * Every key a `--config` file may hold: the crawl options (the schema's
 * keys) and the CLI's outputs (`out`, `format`, `report`).
 */
export const CONFIG_KEYS: readonly string[] = [
  ...Object.keys(CrawlOptionsSchema.shape),
  "out",
  "format",
  "report",
];

/** Reads `--header "Name: value"` values into a header object. */
function readHeaders(values: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const value of values) {
    const colon = value.indexOf(":");
    if (colon <= 0) {
      throw new UsageError(
        `--header must be "Name: value": received ${JSON.stringify(value.slice(0, 40))}`,
      );
    }
    headers[value.slice(0, colon).trim()] = value.slice(colon + 1).trim();
  }
  return headers;
}

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
  /** Whether `--version` was asked for. */
  version: boolean;
  /** How much is said on stderr: `--quiet`, the default, or `--verbose`. */
  verbosity: Verbosity;
  /** Print the JSON stats line on stdout (`--stats-json`, which needs `--out FILE`). */
  statsJson: boolean;
  /** Between progress lines when stderr is not a terminal, in ms; 0 for none. */
  progressIntervalMs: number;
  /** The output format. */
  format: OutputFormat;
  /** Where to write the HTML report, if asked. */
  report: string | undefined;
  /** Where to write the link table (`--links-out`), and in which format (by its extension). */
  linksOut: { path: string; format: OutputFormat } | undefined;
  /** Exit 3 when a link on the crawled pages is broken. */
  failOnBroken: boolean;
  /**
   * Whether records written keep their links' details (`refs`, `anchors`):
   * when asked for (`--link-refs`, `--check`), not when only the link check
   * needed them (`--links-out`, `--report`, `--fail-on-broken`).
   */
  recordRefs: boolean;
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
        ...CLI_FLAGS,
        ...Object.fromEntries(
          Object.entries(FLAGS).map(([flag, { kind }]) => [
            flag,
            kind === "bool" ? { type: "boolean" as const } : {
              type: "string" as const,
              multiple: kind === "list" || kind === "regexes" || kind === "headers",
            },
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
    const unknown = /^Unknown option '(--?)([^']+)'/.exec(message);
    if (unknown) {
      const known = [...Object.keys(CLI_FLAGS), ...Object.keys(FLAGS)];
      const meant = nearest(unknown[2]!, known);
      throw new UsageError(
        `unknown flag '${unknown[1]}${unknown[2]}'` +
          (meant === undefined ? "; --help lists them" : `: did you mean --${meant}?`),
      );
    }
    // node's messages run over several sentences; the first says it all.
    throw new UsageError(message.split(/\.\s/)[0]!.replace(/\.$/, ""));
  }
  const values = parsed.values as Record<string, string | string[] | boolean | undefined>;
  if (values.help || values.version) {
    return {
      options: undefined as unknown as CrawlOptions,
      out: undefined,
      graceMs: 0,
      help: values.help === true,
      version: values.version === true && values.help !== true,
      verbosity: "normal",
      statsJson: false,
      progressIntervalMs: 0,
      format: DEFAULT_FORMAT,
      report: undefined,
      linksOut: undefined,
      failOnBroken: false,
      recordRefs: false,
      state: undefined,
      schedule: undefined,
      failOnErrors: undefined,
      redis: undefined,
    };
  }
  if (values.quiet && values.verbose) {
    throw new UsageError("--quiet and --verbose go against each other: give one of them");
  }
  const verbosity: Verbosity = values.quiet ? "quiet" : values.verbose ? "verbose" : "normal";
  let progressIntervalMs = DEFAULT_PROGRESS_INTERVAL_MS;
  if (values["progress-interval"] !== undefined) {
    const text = values["progress-interval"] as string;
    progressIntervalMs = Number(text);
    if (!/^\d+$/.test(text) || progressIntervalMs > 2_147_483_647) {
      throw new UsageError(
        `--progress-interval must be a non-negative integer of ms up to 2147483647 (0 for ` +
          `none): received ${JSON.stringify(text)}`,
      );
    }
  }

  const fromConfig = values.config === undefined ? {} : await readConfig(values.config as string);
  const out = (values.out as string | undefined) ??
    (typeof fromConfig.out === "string" ? fromConfig.out : undefined);
  delete fromConfig.out;
  const format = chooseFormat(
    out,
    (values.format as string | undefined) ??
      (typeof fromConfig.format === "string" ? fromConfig.format : undefined),
  );
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
      : kind === "headers"
      ? readHeaders(value as string[])
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
    options = await parseCrawlOptions(input as unknown as CrawlOptionsInput);
  } catch (error) {
    if (!(error instanceof OptionsError)) throw error;
    const key = error.option.replace(/\[.*$/, "");
    const where = source[key] === "config"
      ? `${values.config}: '${error.option}'`
      : `--${FLAG_OF[key] ?? key}`;
    const received = error.received === undefined
      ? ""
      : `: received ${JSON.stringify(error.received)}`;
    let meant = "";
    if (error.expected === "is not a known option") {
      const option = nearestOption(key, [...CONFIG_KEYS], OPTION_OF_FLAG);
      meant = option === undefined
        ? " (docs/options.md lists the keys)"
        : `: did you mean '${option}'?`;
    }
    throw new UsageError(`${where} ${error.expected}${received}${meant}`);
  }
  const statsJson = values["stats-json"] === true;
  if (statsJson && out === undefined) {
    throw new UsageError(
      "--stats-json writes the stats to stdout, which carries the records: add --out FILE",
    );
  }
  const linksOut = linksOutFlag(values["links-out"] as string | undefined);
  const failOnBroken = values["fail-on-broken"] === true;
  const recordRefs = options.linkRefs || options.check.length > 0;
  // The link check reads each link's tag and text from the records.
  if (linksOut || report !== undefined || failOnBroken) options.linkRefs = true;
  const { state, schedule, failOnErrors } = await durableFlags(values, out, format);
  const redis = redisFlags(values);
  if (redis && failOnBroken) {
    throw new UsageError(
      "--fail-on-broken judges the whole crawl, and a --redis process sees its own share: " +
        "run export --redis URL --job NAME --links-out FILE --fail-on-broken once the job is done",
    );
  }
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
    version: false,
    verbosity,
    statsJson,
    progressIntervalMs,
    format,
    report,
    linksOut,
    failOnBroken,
    recordRefs,
    state,
    schedule,
    failOnErrors,
    redis,
  };
}
