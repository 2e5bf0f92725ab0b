/**
 * A web crawler pipeline: fetcher workers download pages into a bounded
 * channel, parser workers (Web Workers, one per core) parse them and feed
 * links back to the frontier; records stream out as an async iterable.
 *
 * ```ts ignore
 * import { crawl } from "./src/mod.ts";
 *
 * const run = crawl({ seeds: ["https://example.org/"], maxPages: 50 });
 * for await (const record of run) console.log(record.status, record.url, record.title);
 * console.log(await run.summary);
 * ```
 *
 * @module
 */

import { Channel } from "./async/channel.ts";
import { runCrawl, type RunCrawlContext } from "./pipeline/run.ts";
import type { CrawlOptionsInput } from "./pipeline/options.ts";
import type { CrawlRecord } from "./output/record.ts";
import type { CrawlSummary } from "./output/stats.ts";

export { Channel, ChannelClosedError, type ChannelWaitOptions } from "./async/channel.ts";
export { type AcquireOptions, type Permit, Semaphore } from "./async/semaphore.ts";
export { TaskGroup, type TaskGroupOptions } from "./async/task_group.ts";
export { type CrawlStore, type Deliver, MemoryStore } from "./store/types.ts";
export { FingerprintSet } from "./frontier/fingerprint_set.ts";
export type {
  AddOutcome,
  CrawlFrontier,
  FrontierEntry,
  NextOptions,
  SeenSet,
} from "./frontier/types.ts";
export { Frontier, type FrontierOptions } from "./frontier/local.ts";
export type { HostSlot } from "./frontier/host_slot.ts";
export {
  type CrawlProgress,
  type LinkContext,
  runCrawl,
  type RunCrawlContext,
} from "./pipeline/run.ts";
export { type CrawlOptionsInput, OptionsError } from "./pipeline/options.ts";
export { type CrawlRecord, ERROR_CODES, type ErrorCode } from "./output/record.ts";
export { CrawlStats, type CrawlSummary } from "./output/stats.ts";
export type { ExtractHook, PageInfo } from "./parse/job.ts";
export type { Document, ParsedPage } from "./parse/page.ts";
export { type NormalizeOptions, normalizeUrl } from "./frontier/url.ts";
export type { RobotsStore, StoredRobots } from "./robots/cache.ts";
export {
  FIELD_TYPES,
  type FieldInput,
  type FieldType,
  type PatternInput,
  type RuleInput,
  type RulesFileInput,
} from "./extract/schema.ts";

/**
 * Hooks and signals for {@linkcode crawl}: those of {@linkcode runCrawl}
 * (`signal`, `stopSignal`, `extract`, `filter`, `store`, `onStart`...) but
 * the record sink, which is the iteration itself.
 */
export interface CrawlHooks extends Omit<RunCrawlContext, "onRecord"> {
  /** Sees every record that has an `error`, as it is yielded. */
  onError?: (record: CrawlRecord) => void;
}

/** A running crawl: iterate it for records; `summary` settles when it ends. */
export interface CrawlRun extends AsyncIterable<CrawlRecord> {
  /** The end-of-crawl summary; rejects if the crawl failed. */
  readonly summary: Promise<CrawlSummary>;
}

/**
 * Crawls from the options' seeds, yielding one record per URL.
 *
 * The crawl runs while the caller iterates, and waits while the caller does
 * not (the records go through a bounded channel). Leaving the loop early
 * cancels the crawl.
 *
 * @param options The crawl options, validated with {@linkcode CrawlOptionsSchema}.
 * @param hooks Signals and hooks.
 * @returns The running crawl.
 * @throws {OptionsError} From the iteration (and `summary`) when an option is invalid.
 *
 * @example Usage
 * ```ts ignore
 * import { crawl } from "./mod.ts";
 *
 * const run = crawl(
 *   { seeds: ["https://example.org/"], maxDepth: 2, parsers: 0 },
 *   {
 *     extract: ($) => ({ price: $(".price").first().text() }),
 *     filter: (url) => !url.includes("/login"),
 *   },
 * );
 * for await (const record of run) console.log(record.url, record.data?.price);
 * ```
 */
export function crawl(options: CrawlOptionsInput, hooks: CrawlHooks = {}): CrawlRun {
  const records = new Channel<CrawlRecord>(64);
  const controller = new AbortController();
  const signal = hooks.signal
    ? AbortSignal.any([hooks.signal, controller.signal])
    : controller.signal;
  let started = false;
  let summary!: Promise<CrawlSummary>;
  const start = () => {
    if (started) return;
    started = true;
    const { onError: _, ...context } = hooks;
    summary = runCrawl(options, {
      ...context,
      signal,
      onRecord: async (record) => {
        // Cancelled: nobody reads any more. A durable store repairs the output on the next start.
        if (signal.aborted) return;
        if (record.error) hooks.onError?.(record);
        await records.send(record, { signal }).catch((error) => {
          if (!signal.aborted) throw error;
        });
      },
    }).finally(() => records.close());
  };
  return {
    get summary() {
      start();
      return summary;
    },
    async *[Symbol.asyncIterator]() {
      start();
      try {
        for await (const record of records) yield record;
        await summary;
      } finally {
        // Leaving early cancels the crawl; then its outcome is the caller's break, not an error.
        controller.abort(new Error("crawl iteration ended"));
        await summary.catch(() => {});
      }
    },
  };
}
