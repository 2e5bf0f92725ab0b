/**
 * One crawl run of the CLI: opens its store and output, runs the crawl,
 * writes the report, closes everything in order.
 *
 * @module
 */

import type { LinkCheckResult } from "../linkcheck/check_links.ts";
import type { RecordSpill } from "../linkcheck/spill.ts";
import type { CrawlRecord } from "../output/record.ts";
import { openSink, type RecordSink } from "../output/sink.ts";
import type { CrawlSummary } from "../output/stats.ts";
import { type CrawlOptions, shownOptions } from "../pipeline/options.ts";
import { runCrawl } from "../pipeline/run.ts";
import type { ReportBuilder } from "../report/builder.ts";
import type { CrawlHistory } from "../store/types.ts";
import type { CliConfig } from "./args.ts";
import { linkCheck } from "./link_check.ts";
import type { Reporter } from "./reporter.ts";
import { openStore } from "./store.ts";
import { UsageError } from "./usage_error.ts";

/** The signals the CLI's caller drives. */
export interface RunSignals {
  /** Aborted on SIGINT/SIGTERM: stop taking URLs, finish in-flight work. */
  stop: AbortSignal;
  /** Aborted on a second signal or when the grace period ends. */
  abort: AbortSignal;
}

/** What a run ended with. */
export interface RunResult {
  /** The crawl's summary, with what the store adds (a run id, this process's share of a job). */
  summary: CrawlSummary & Record<string, unknown>;
  /** Whether the state's crawl had already ended and nothing was crawled. */
  alreadyComplete: boolean;
  /**
   * Whether a run that fetched no page ok in this process had fetched some
   * in the processes before it (a resumed durable run).
   */
  fetchedEarlier?: boolean;
  /** What the link check found, when links were kept (`--check`, `--links-out`, `--report`). */
  links?: LinkCheckResult;
}

/**
 * Runs one crawl as the CLI does.
 *
 * @param config The parsed command line.
 * @param signals Stop and abort signals.
 * @param recrawl Start a recrawl run (from `--recrawl`, or each scheduled tick after the first).
 * @param reporter Tells the person what happens (status line, progress, hints); none: silent.
 * @returns The summary.
 * @throws {UsageError} For a state file that does not match, or an output that cannot be opened.
 *
 * @example Usage
 * ```ts
 * import { runCrawlCommand } from "./crawl.ts";
 * import { parseCli } from "./args.ts";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
 *   new Response("<title>Home</title>", { headers: { "content-type": "text/html" } }));
 * const dir = await Deno.makeTempDir();
 * const seed = `http://127.0.0.1:${server.addr.port}/`;
 * const out = `${dir}/pages.jsonl`;
 * const config = await parseCli(["--seeds", seed, "--allow-private", "--parsers", "0", "--out", out]);
 * const signals = { stop: new AbortController().signal, abort: new AbortController().signal };
 * const { summary } = await runCrawlCommand(config, signals, false);
 * assert.equal(summary.pagesOk, 1);
 * assert.match(await Deno.readTextFile(out), /"title":"Home"/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function runCrawlCommand(
  config: CliConfig,
  signals: RunSignals,
  recrawl: boolean,
  reporter?: Reporter,
): Promise<RunResult> {
  const note = (text: string) => reporter?.note(text);
  const store = await openStore(config, recrawl, note);
  // Set once every output is written: only then may the store mark the run ended.
  let ended: CrawlSummary | undefined;
  try {
    const history = store.history;
    const out = config.out?.replaceAll("{run}", String(history?.runId ?? 1));
    const { options } = config;
    const checking = options.linkRefs || options.check.length > 0;
    const linksOut = config.linksOut &&
      { ...config.linksOut, path: withRun(config.linksOut.path, history) };
    // A link check of a state reads the site as last seen: each URL's latest record.
    const checkHistory = (history: CrawlHistory) =>
      linkCheck(() => history.linkRecords?.() ?? history.records(), linksOut, signals.abort);
    if (history?.ended && !recrawl) {
      // Nothing to crawl: leave the output as the finished run wrote it (JSON Lines repaired).
      if (out !== undefined && config.format === "jsonl") await history.repairOutput(out);
      return {
        summary: { ...previousSummary(history), ...store.describe() },
        alreadyComplete: true,
        // The links are judged again all the same (a CI job's --fail-on-broken asks).
        links: checking ? await checkHistory(history) : undefined,
      };
    }
    // With a history, json/csv and the report are written from it at the end, so a resumed
    // run's earlier records are in them too.
    const streaming = !history || config.format === "jsonl";
    // The report's and the link checker's code is loaded only by a run that uses it.
    const report = config.report === undefined
      ? undefined
      : new (await import("../report/builder.ts")).ReportBuilder();
    const reportPath = config.report && withRun(config.report, history);
    // Without a store history, the link check reads the run's records back from a spill, kept
    // beside an output the person named (where the crawl may write already).
    await using spill: RecordSpill | undefined = checking && !history
      ? await (await import("../linkcheck/spill.ts")).RecordSpill.create(
        linksOut?.path ?? reportPath ?? out,
      )
      : undefined;
    // Opened last: nothing between here and the crawl's own error handling can fail and leave it
    // open (a scheduled run would keep its handle).
    const sink = await openOutput(config, out, history);
    // The links of each page go to the output when asked for (--link-refs, --check) only.
    const shown = config.recordRefs ? (r: CrawlRecord) => r : withoutRefs;
    const startedAt = new Date().toISOString();
    if (config.schedule !== undefined) {
      reporter?.info(`schedule: run ${history?.runId ?? 1} started at ${startedAt}`);
    }
    let summary: CrawlSummary;
    try {
      summary = await runCrawl(config.options, {
        signal: signals.abort,
        stopSignal: signals.stop,
        store,
        onRecord: async (record) => {
          reporter?.record(record);
          await spill?.write(record);
          if (!streaming) return;
          if (!history) report?.add(record);
          await sink.write(shown(record));
        },
        onStart: (progress) => reporter?.startRun(progress),
      });
      reporter?.endRun();
      // A hard abort leaves committed records undelivered: they go out now, while the output
      // is open (closing the store would deliver them to a closed output).
      await store.flush();
      if (!streaming) { for (const record of history!.records()) await sink.write(shown(record)); }
      if (history && report) { for (const record of history.records()) report.add(record); }
      await sink.close();
      await spill?.flush();
    } catch (error) {
      reporter?.endRun();
      await sink.close().catch(() => {});
      // Files the run cannot continue are the person's to sort out: the same --warc, or --restart.
      if (
        config.options.warc !== undefined &&
        error instanceof (await import("../warc/repair.ts")).WarcResumeError
      ) throw new UsageError(`--warc: ${error.message}`);
      throw error;
    }
    let links: LinkCheckResult | undefined;
    if (checking) {
      links = spill
        ? await linkCheck(() => spill.records(), linksOut, signals.abort)
        : await checkHistory(history!);
      report?.setLinks(links);
    }
    if (report && reportPath !== undefined) {
      await writeReport(reportPath, report, summary, { options: config.options, startedAt });
    }
    ended = summary;
    // Only asked when this process fetched nothing: it stops at the first page that was ok.
    const fetchedEarlier = summary.pagesOk === 0 && history !== undefined &&
      someOk(history.records());
    return {
      summary: { ...summary, ...store.describe() },
      alreadyComplete: false,
      fetchedEarlier,
      links,
    };
  } finally {
    // A run stopped by a signal, --max-duration or --max-pages-per-run is not over: the next
    // invocation continues it (its --max-pages budget counts every run).
    await store.close(ended);
  }
}

/**
 * Opens the output. With a history, JSON Lines are first repaired against
 * it and then appended to, so a resumed run writes each record once.
 */
async function openOutput(
  config: CliConfig,
  out: string | undefined,
  history: CrawlHistory | undefined,
): Promise<RecordSink> {
  if (history && out !== undefined && config.format === "jsonl") await history.repairOutput(out);
  try {
    return history && out !== undefined && config.format === "jsonl"
      ? await openSink("jsonl", out, { append: true })
      : await openSink(config.format, out);
  } catch (error) {
    throw new UsageError(`--out: cannot open '${out}': ${(error as Error).message}`);
  }
}

function withRun(path: string, history: CrawlHistory | undefined): string {
  return path.replaceAll("{run}", String(history?.runId ?? 1));
}

/** A record without the links the link check kept in it (`refs`, `anchors`). */
function withoutRefs(record: CrawlRecord): CrawlRecord {
  if (record.refs === undefined && record.anchors === undefined) return record;
  const { refs: _, anchors: __, ...rest } = record;
  return rest;
}

function someOk(records: Iterable<CrawlRecord>): boolean {
  for (const record of records) if (!record.error) return true;
  return false;
}

/** What a rerun of an ended crawl reports: nothing crawled, the run's records still there. */
function previousSummary(history: CrawlHistory): CrawlSummary {
  return {
    pagesOk: 0,
    errors: {},
    skipped: {},
    records: history.countRecords(),
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
  const options = shownOptions(meta.options);
  const html = report.render(summary, { seeds: options.seeds, startedAt: meta.startedAt, options });
  // Written beside its final name and renamed, so no reader sees half a report.
  const temp = `${path}.part`;
  try {
    await Deno.writeTextFile(temp, html);
    await Deno.rename(temp, path);
  } finally {
    await Deno.remove(temp).catch(() => {});
  }
}
