/**
 * The library's entry point: {@linkcode crawl} validates the options once
 * and runs the pipeline, yielding its records as an async iterable.
 *
 * @module
 */

import { Channel } from "../async/channel.ts";
import type { CrawlRecord } from "../output/record.ts";
import type { CrawlSummary } from "../output/stats.ts";
import type { ExtractHook } from "../parse/job.ts";
import type { CrawlStore } from "../store/types.ts";
import type { LinkFilter } from "./admission.ts";
import { parseCrawlOptions } from "./options.ts";
import type { CrawlOptionsInput } from "./options_input.ts";
import { type CrawlProgress, runCrawl } from "./run.ts";

/** Signals, hooks and storage for {@linkcode crawl}. */
export interface CrawlContext {
  /** Hard cancellation: in-flight requests abort, nothing more is yielded. */
  signal?: AbortSignal;
  /**
   * Soft stop: no new URL is taken; pages in flight finish and are yielded.
   * Abort `signal` afterwards to bound how long that may take.
   */
  stopSignal?: AbortSignal;
  /**
   * Reads data out of each parsed page into the record's `data`. A function
   * cannot cross to a worker, so with it pages are parsed in this isolate;
   * give `extractModule` in the options instead to keep parser workers.
   */
  extract?: ExtractHook;
  /** Decides whether a discovered link is queued; `false` skips it (counted as `filtered`). */
  filter?: LinkFilter;
  /** Sees every record that has an `error`, as it is yielded. */
  onError?: (record: CrawlRecord) => void;
  /** Called when the crawl starts, with a function reading live counters (for a progress display). */
  onStart?: (progress: () => CrawlProgress) => void;
  /**
   * Where the crawl's seen set, queue and records are kept; opened before
   * and closed after by the caller. Default: in memory, for this run only.
   */
  store?: CrawlStore;
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
 * @param options The crawl options; validated before anything else happens.
 * @param context Signals, hooks and the store.
 * @returns The running crawl.
 * @throws {OptionsError} From the iteration (and `summary`) when an option is invalid.
 *
 * @example Usage
 * ```ts
 * import { crawl } from "./crawl.ts";
 * import assert from "node:assert/strict";
 *
 * // A two-page site on loopback (allowPrivate lets the crawler reach it).
 * const pages: Record<string, string> = {
 *   "/": `<title>Home</title><a href="/about">About</a>`,
 *   "/about": `<title>About</title><h1>Who we are</h1>`,
 * };
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
 *   const html = pages[new URL(req.url).pathname];
 *   return html === undefined
 *     ? new Response("not found", { status: 404 })
 *     : new Response(html, { headers: { "content-type": "text/html" } });
 * });
 * const run = crawl(
 *   { seeds: [`http://127.0.0.1:${server.addr.port}/`], allowPrivate: true, parsers: 0 },
 *   { filter: (url) => !url.endsWith("/login") },
 * );
 * const titles: string[] = [];
 * for await (const record of run) titles.push(record.title ?? "");
 * assert.deepEqual(titles.sort(), ["About", "Home"]);
 * assert.equal((await run.summary).pagesOk, 2);
 * ```
 */
export function crawl(options: CrawlOptionsInput, context: CrawlContext = {}): CrawlRun {
  const records = new Channel<CrawlRecord>({ capacity: 64 });
  const controller = new AbortController();
  const signal = context.signal
    ? AbortSignal.any([context.signal, controller.signal])
    : controller.signal;
  let started = false;
  let summary!: Promise<CrawlSummary>;
  const start = () => {
    if (started) return;
    started = true;
    summary = parseCrawlOptions(options).then((parsed) =>
      runCrawl(parsed, {
        signal,
        stopSignal: context.stopSignal,
        extract: context.extract,
        filter: context.filter,
        store: context.store,
        onStart: context.onStart,
        onRecord: async (record) => {
          // Cancelled: nobody reads any more. A durable store repairs the output on the next start.
          if (signal.aborted) return;
          if (record.error) context.onError?.(record);
          await records.send(record, { signal }).catch((error) => {
            if (!signal.aborted) throw error;
          });
        },
      })
    ).finally(() => records.close());
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
