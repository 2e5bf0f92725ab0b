/**
 * One crawl run of the CLI: opens the output (and the state file in
 * durable mode), runs the crawl through the library's {@linkcode crawl},
 * writes the report, closes everything in order.
 *
 * @module
 */

import type { CliConfig } from "./args.ts";
import type { StateConfig } from "./mode_flags.ts";
import type { CrawlOptions } from "../pipeline/options.ts";
import { openSink, type RecordSink } from "../output/sink.ts";
import { ReportBuilder } from "../report/builder.ts";
import type { RedisJob } from "../redis/job.ts";
import { SqliteStore, StateInUseError, StateMismatchError } from "../sqlite/store.ts";
import type { CrawlSummary } from "../output/stats.ts";
import { formatStatus, StatusLine } from "./status_line.ts";
import { UsageError } from "./usage_error.ts";
import { crawl } from "../mod.ts";

/** The signals the CLI's caller drives. */
export interface RunSignals {
  /** Aborted on SIGINT/SIGTERM: stop taking URLs, finish in-flight work. */
  stop: AbortSignal;
  /** Aborted on a second signal or when the grace period ends. */
  abort: AbortSignal;
}

/** What a run ended with. */
export interface RunResult {
  /** The crawl's summary (with the run id in durable mode, this process's leases with Redis). */
  summary: CrawlSummary & { runId?: number; redis?: Record<string, unknown> };
  /** Whether the state's crawl had already ended and nothing was crawled. */
  alreadyComplete: boolean;
}

/** A seed as shown in reports and logs: a password never leaves the process. */
export function withoutPassword(seed: string): string {
  const url = new URL(seed);
  if (url.password) url.password = "***";
  return url.href;
}

function withoutCredentials(seed: string): string {
  const url = new URL(seed);
  url.username = "";
  url.password = "";
  return url.href;
}

/** The options a resumed crawl must not change: they decide which URLs belong to it. */
function identityOf(options: CrawlOptions): Record<string, unknown> {
  return {
    // Without credentials: they are kept in no file, and a changed password changes no URL.
    seeds: options.seeds.map(withoutCredentials).sort(),
    scope: options.scope,
    include: options.include,
    exclude: options.exclude,
    stripParams: options.stripParams,
    sortQuery: options.sortQuery,
  };
}

function openState(state: StateConfig, options: CrawlOptions, recrawl: boolean): SqliteStore {
  try {
    return SqliteStore.open(state.path, {
      identity: identityOf(options),
      restart: state.restart,
      recrawl: recrawl ? { maxAgeMs: state.maxAgeMs } : undefined,
      options: { ...options, seeds: options.seeds.map(withoutPassword), rules: undefined },
      output: state.changedOnly ? (record) => !record.unchanged : undefined,
    });
  } catch (error) {
    if (error instanceof StateMismatchError) throw new UsageError(`--state: ${error.message}`);
    // Busy is not bad input: the command is right, it cannot run now (exit 1).
    if (error instanceof StateInUseError) throw error;
    throw new UsageError(`--state: cannot open '${state.path}': ${(error as Error).message}`);
  }
}

/**
 * Runs one crawl as the CLI does.
 *
 * @param config The parsed command line.
 * @param signals Stop and abort signals.
 * @param recrawl Start a recrawl run (from `--recrawl`, or each scheduled tick after the first).
 * @returns The summary.
 * @throws {UsageError} For a state file that does not match, or an output that cannot be opened.
 */
export async function runCrawlCommand(
  config: CliConfig,
  signals: RunSignals,
  recrawl: boolean,
): Promise<RunResult> {
  const store = config.state ? openState(config.state, config.options, recrawl) : undefined;
  let job: RedisJob | undefined;
  try {
    if (config.redis) {
      // Loaded only for a shared crawl: the Redis client reads the environment when it loads.
      const { connectJob } = await import("../redis/job.ts");
      job = await connectJob(config.redis.url, config.redis.job, {
        crawl: config.options,
        leaseMs: config.redis.leaseMs,
      });
      for (const note of job.notes) {
        Deno.stderr.writeSync(new TextEncoder().encode(`note: ${note}\n`));
      }
    }
    const out = config.out?.replaceAll("{run}", String(store?.runId ?? 1));
    // With a state file, json/csv and the report are written from the state at the end,
    // so a resumed run's earlier records are in them too.
    const streaming = !store || config.format === "jsonl";
    if (store?.alreadyEnded && !recrawl) {
      // Nothing to crawl: leave the output as the finished run wrote it (JSON Lines repaired).
      if (out !== undefined && config.format === "jsonl") await store.reconcileOutput(out);
      return { summary: { ...previousSummary(store), runId: store.runId }, alreadyComplete: true };
    }
    let sink: RecordSink;
    try {
      if (store && out !== undefined && config.format === "jsonl") {
        await store.reconcileOutput(out);
        sink = await openSink("jsonl", out, { append: true });
      } else {
        sink = await openSink(config.format, out);
      }
    } catch (error) {
      throw new UsageError(`--out: cannot open '${out}': ${(error as Error).message}`);
    }
    const report = config.report === undefined ? undefined : new ReportBuilder();
    const startedAt = new Date().toISOString();
    let status: StatusLine | undefined;
    let summary: CrawlSummary;
    try {
      const shared = job;
      const run = crawl(config.options, {
        signal: signals.abort,
        stopSignal: signals.stop,
        store: store ?? shared?.store,
        frontier: shared ? () => shared.frontier : undefined,
        robots: shared?.robots,
        window: store ? 10_000 : undefined,
        onStart: (progress) => {
          if (Deno.stderr.isTerminal()) {
            status = new StatusLine(Deno.stderr, () => formatStatus(progress()));
          }
        },
      });
      for await (const record of run) {
        if (streaming && !(config.state?.changedOnly && record.unchanged)) {
          // With a state file the report is built from the state at the end, resumed records too.
          if (!store) report?.add(record);
          await sink.write(record);
        }
      }
      summary = await run.summary;
      status?.stop();
      status = undefined;
      if (!streaming) { for (const record of store!.records()) await sink.write(record); }
      if (store && report) { for (const record of store.records()) report.add(record); }
      await sink.close();
    } catch (error) {
      status?.stop();
      await sink.close().catch(() => {});
      throw error;
    }
    if (report && config.report !== undefined) {
      await writeReport(
        config.report.replaceAll("{run}", String(store?.runId ?? 1)),
        report,
        summary,
        {
          options: config.options,
          startedAt,
        },
      );
    }
    // A run stopped by a limit (--max-pages, --max-duration) or a signal is not over:
    // the next invocation continues it with a fresh budget.
    if (store && summary.stoppedBy === "done") {
      await store.endRun(summary);
    }
    if (job) {
      const redis = { job: config.redis!.job, ...job.frontier.stats };
      return { summary: { ...summary, redis }, alreadyComplete: false };
    }
    return {
      summary: store ? { ...summary, runId: store.runId } : summary,
      alreadyComplete: false,
    };
  } finally {
    await store?.close();
    await job?.close();
  }
}

/** What a rerun of an ended crawl reports: nothing crawled, the run's records still there. */
function previousSummary(store: SqliteStore): CrawlSummary {
  return {
    pagesOk: 0,
    errors: {},
    skipped: {},
    records: store.countRecords(store.runId),
    retries: 0,
    dataErrors: 0,
    unchanged: 0,
    bytes: 0,
    durationMs: 0,
    pagesPerSecond: 0,
    maxQueueDepth: 0,
    cpuMs: 0,
    peakRssBytes: 0,
    stoppedBy: "already_complete",
  };
}

async function writeReport(
  path: string,
  report: ReportBuilder,
  summary: CrawlSummary,
  meta: { options: CrawlOptions; startedAt: string },
): Promise<void> {
  const seeds = meta.options.seeds.map(withoutPassword);
  const html = report.render(summary, {
    seeds,
    startedAt: meta.startedAt,
    options: { ...meta.options, seeds, rules: undefined },
  });
  // Written beside its final name and renamed, so no reader sees half a report.
  const temp = `${path}.part`;
  try {
    await Deno.writeTextFile(temp, html);
    await Deno.rename(temp, path);
  } finally {
    await Deno.remove(temp).catch(() => {});
  }
}
