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
import { loadRules, RulesError } from "./extract_rules.ts";
import { checkRedisUrl } from "./redis_url.ts";
import { jobPrefix } from "./redis_scripts.ts";
import {
  type CrawlOptions,
  type CrawlOptionsInput,
  OptionsError,
  parseCrawlOptions,
} from "./options.ts";
import type { OutputFormat } from "./record_sink.ts";

/** Bad command-line input: the CLI prints the message and exits 2. */
export class UsageError extends Error {
  /**
   * Creates the error for one bad input.
   *
   * @param message One line naming the flag and what is wrong.
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

type Kind = "int" | "string" | "bool" | "list" | "regexes";

/** Each flag: the option it sets, and how its text is read. */
const FLAGS: Record<string, { option: keyof CrawlOptionsInput; kind: Kind }> = {
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

/** How `--redis` is used. */
export interface RedisConfig {
  /** The Redis URL (`redis://` or `rediss://`, maybe with a password). */
  url: string;
  /** The shared crawl's name. */
  job: string;
  /** How long a process may hold a URL before others take it back, in ms. */
  leaseMs: number;
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

/** The `--help` text. */
export const HELP = `Usage: deno run -P main.ts --seeds URL[,URL...] [options]

Crawls from the seeds and writes one JSON record per URL (JSON Lines).

Input and output
  --seeds LIST|FILE|-      comma-separated URLs, a file of URLs (one a line, # comments), or - for stdin
  --config FILE            options as JSON (keys as in the library, e.g. "maxPages"); flags override it
  --out FILE               write records here (default: stdout)
  --format jsonl|json|csv  output format (default jsonl; json and csv are renamed into place at the end)
  --report FILE            also write a self-contained HTML report of the crawl

Durable crawls and scheduled jobs
  --state FILE             keep the crawl in SQLite: a rerun resumes it; output stays exactly-once
  --restart                start the state over (needed when seeds or scope changed)
  --recrawl                new run over the known URLs, sending If-None-Match/If-Modified-Since
  --changed-only           write records only for new or changed pages (304s are left out)
  --max-age MS             with --recrawl, skip URLs fetched less than this long ago
  --schedule CRON          keep running; start an incremental run on each tick (needs --state);
                           "{run}" in --out becomes the run id
  --fail-on-errors N       exit 3 when a run ends with more than N errors

Several processes or machines (one crawl shared through Redis)
  --redis URL              redis:// or rediss:// (password allowed; never printed)
  --job NAME               the shared crawl's name (required with --redis)
  --lease-ms MS            how long a URL stays leased to a process that stops answering (default 30000)
  export --redis URL --job NAME [--out FILE] [--format F]
                           write all of the job's records

Extraction
  --extract FILE           declarative extraction rules (JSON): CSS selectors per URL pattern
  --extract-module MODULE  a module whose extract($, page) export fills each record's data
  --links-from SELECTOR    follow only links inside (or matching) this selector

Scope and limits
  --scope host|domain|any  how far from the seeds' hosts to go (default host)
  --include REGEX          follow only URLs matching one of these (repeatable)
  --exclude REGEX          never follow URLs matching one of these (repeatable)
  --max-pages N            stop after fetching this many URLs (seeds included)
  --max-depth N            most links followed from a seed
  --max-duration MS        stop taking new URLs after this long
  --follow-nofollow        follow rel=nofollow links too
  --strip-params LIST      drop these query parameters for dedupe (utm_*,fbclid)
  --sort-query             sort query parameters for dedupe
  --dedupe-canonical       treat rel=canonical targets as seen; skip pages whose canonical was seen
  --max-url-length N       longest URL queued (default 2048)
  --max-pages-per-host N   most URLs fetched per host
  --sitemaps               also seed from robots.txt Sitemap: lines and /sitemap.xml
  --max-sitemap-urls N     most URLs taken from sitemaps (default 100000)

Politeness and safety
  --user-agent TEXT        User-Agent header; its product token selects the robots.txt group
  --ignore-robots          do not fetch or obey robots.txt
  --log-skipped            write records (error "robots") for URLs robots.txt disallows
  --per-host N             most requests in flight per host (default 2)
  --delay MS               least interval between requests to one host (default 0)
  --retries N              extra attempts after a transient failure (default 2)
  --retry-delay MS         first retry backoff, doubling per attempt, with jitter (default 500)
  --max-retry-delay MS     longest retry backoff (default 30000)
  --max-retry-after MS     longest Retry-After pause honoured (default 300000)
  --allow-private          allow private, loopback and link-local addresses
  --allow-address CIDR     allow this range despite the private-address guard (repeatable)
  --cookies                keep cookies across requests

Pipeline
  --concurrency N          most requests in flight (default 16)
  --fetchers N             fetcher workers (default: concurrency)
  --parsers N              parser Web Workers (default: one per core; 0 parses in the main isolate)
  --queue-size N           pages buffered between fetchers and parsers (default 32)
  --shutdown count|sentinel  how parsers learn the crawl is over (default count)
  --parser htmlparser2|parse5  HTML parser (default htmlparser2)

Requests
  --timeout MS             whole-request deadline (default 30000)
  --max-bytes N            most body bytes read (default 10485760)
  --max-redirects N        most redirects followed (default 10)
  --grace MS               after SIGINT/SIGTERM, how long in-flight work may finish (default 10000)

Exit status: 0 crawl finished, 1 could not run, 2 bad input, 130 SIGINT, 143 SIGTERM.
`;

function readNumber(text: string): number | string {
  return /^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text;
}

function splitList(values: string[]): string[] {
  return values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "");
}

function isUrlList(value: string): boolean {
  return splitList([value]).every((part) => /^[a-z][a-z0-9+.-]*:\/\//i.test(part));
}

async function readSeedSource(value: string, readStdin: () => Promise<string>): Promise<string[]> {
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

async function readConfig(path: string): Promise<Record<string, unknown>> {
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
 * import { parseCli } from "./cli_args.ts";
 * const config = await parseCli(["--seeds", "https://example.org", "--max-pages", "5"]);
 * console.log(config.options.maxPages); // 5
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
      format: "jsonl",
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
  const format = (values.format as string | undefined) ??
    (typeof fromConfig.format === "string" ? fromConfig.format : "jsonl");
  delete fromConfig.format;
  if (format !== "jsonl" && format !== "json" && format !== "csv") {
    throw new UsageError(
      `--format must be one of jsonl, json, csv: received ${JSON.stringify(format)}`,
    );
  }
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

  let graceMs = 10_000;
  if (values.grace !== undefined) {
    graceMs = Number(values.grace);
    if (!/^\d+$/.test(values.grace as string)) {
      throw new UsageError(
        `--grace must be a non-negative integer: received ${JSON.stringify(values.grace)}`,
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

/** The durable-mode flags, checked against each other. */
async function durableFlags(
  values: Record<string, string | string[] | boolean | undefined>,
  out: string | undefined,
  format: OutputFormat,
): Promise<Pick<CliConfig, "state" | "schedule" | "failOnErrors">> {
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
      new Cron(schedule, { paused: true }).stop();
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

/** The `--redis` flags, checked; `undefined` without `--redis`. */
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
  if (leaseText !== undefined && !/^[1-9]\d*$/.test(leaseText)) {
    throw new UsageError(
      `--lease-ms must be a positive integer: received ${JSON.stringify(leaseText)}`,
    );
  }
  return { url, job, leaseMs: leaseText === undefined ? 30_000 : Number(leaseText) };
}
