/**
 * Runs a crawl in the test's own process and collects its records: the
 * library path of the pipeline tests, against loopback fixture servers.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { CrawlRecord } from "../../src/output/record.ts";
import { parseCrawlOptions } from "../../src/pipeline/options.ts";
import type { CrawlOptionsInput } from "../../src/pipeline/options_input.ts";
import { runCrawl } from "../../src/pipeline/run.ts";

/** How {@linkcode crawlRecords} runs the crawl. */
export interface CrawlRecordsOptions {
  /** Aborts the crawl after this long, so a hang fails the test instead of blocking it. Default 10,000 ms. */
  deadlineMs?: number;
  /** Also called with each record as it is written. */
  onRecord?: (record: CrawlRecord) => void;
}

/**
 * Crawls with `options` (parsing in this isolate unless they say otherwise:
 * starting parser workers costs more than these small crawls) and returns
 * the records and the summary.
 *
 * @param options The crawl's options, as a user gives them.
 * @param settings The deadline and a record callback.
 * @returns The records, in the order written, and the summary.
 *
 * @example Usage
 * ```ts
 * import { crawlRecords } from "./crawl.ts";
 * import { startFixtureServer } from "./fixture_server.ts";
 * import assert from "node:assert/strict";
 *
 * await using server = startFixtureServer();
 * const { records } = await crawlRecords({
 *   seeds: [`${server.origin}/about.html`],
 *   allowPrivate: true,
 *   maxDepth: 0,
 * });
 * assert.equal(records.length, 1);
 * ```
 */
export async function crawlRecords(
  options: CrawlOptionsInput,
  settings: CrawlRecordsOptions = {},
) {
  const records: CrawlRecord[] = [];
  const summary = await runCrawl(await parseCrawlOptions({ parsers: 0, ...options }), {
    signal: AbortSignal.timeout(settings.deadlineMs ?? 10_000),
    onRecord: (record) => {
      records.push(record);
      settings.onRecord?.(record);
    },
  });
  return { records, summary };
}

/**
 * {@linkcode crawlRecords}, asserting the crawl ran to its end (`stoppedBy: "done"`).
 *
 * @param options The crawl's options, as a user gives them.
 * @returns The records and the summary.
 *
 * @example Usage
 * ```ts
 * import { crawlToEnd } from "./crawl.ts";
 * import { startFixtureServer } from "./fixture_server.ts";
 * import assert from "node:assert/strict";
 *
 * await using server = startFixtureServer();
 * const { summary } = await crawlToEnd({ seeds: [`${server.origin}/about.html`], allowPrivate: true });
 * assert.ok(summary.pagesOk >= 1);
 * ```
 */
export async function crawlToEnd(options: CrawlOptionsInput) {
  const crawled = await crawlRecords(options);
  assert.equal(crawled.summary.stoppedBy, "done");
  return crawled;
}
