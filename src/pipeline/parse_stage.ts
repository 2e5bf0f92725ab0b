/**
 * Where pages are parsed: in a pool of Web Workers (one per core by
 * default), or in the crawler's own isolate when `parsers` is 0, workers
 * are not permitted, or a hook function must run (functions cannot cross to
 * a worker; a hook module can).
 *
 * @module
 */

import type { CrawlOptions } from "./options.ts";
import {
  createParser,
  type ExtractHook,
  type ParseJob,
  type ParserConfig,
  type ParseResult,
} from "../parse/job.ts";
import { ParserPool, workersPermitted } from "../parse/pool.ts";

/** The parse side of the pipeline. */
export interface ParseStage {
  /** `workers` or `isolate`. */
  readonly mode: "workers" | "isolate";
  /** How many consumer tasks should feed it. */
  readonly consumers: number;
  /**
   * Parses one page. With workers the body's buffer is transferred.
   *
   * @param job The page.
   * @param signal The crawl's signal.
   * @returns The parse result.
   */
  parse(job: ParseJob, signal: AbortSignal): Promise<ParseResult>;
  /** Stops the workers. */
  close(): void;
}

/**
 * Consumers per worker: while a worker parses a batch, the pages its
 * consumers bring wait and go out together as the next batch, so a busy
 * crawl costs one message each way per batch, not per page.
 */
const DEPTH = 8;

/**
 * Creates the parse stage the options ask for.
 *
 * @param options The crawl options (`parsers`, `parser`, rules, extract module).
 * @param extract A hook function; forces in-isolate parsing.
 * @returns The stage.
 * @throws If workers fail to start or the extract module cannot be loaded.
 *
 * @example Usage
 * ```ts ignore
 * const stage = await createParseStage(options);
 * const result = await stage.parse({ url, contentType, body }, signal);
 * stage.close();
 * ```
 */
export async function createParseStage(
  options: CrawlOptions,
  extract?: ExtractHook,
): Promise<ParseStage> {
  const config: ParserConfig = {
    parser: options.parser,
    followNofollow: options.followNofollow,
    stripParams: options.stripParams,
    sortQuery: options.sortQuery,
    rules: options.rules,
    extractModule: options.extractModule,
    linksFrom: options.linksFrom,
  };
  if (options.parsers > 0 && !extract && workersPermitted()) {
    const pool = await ParserPool.create(options.parsers, config);
    return {
      mode: "workers",
      consumers: options.parsers * DEPTH,
      parse: (job, signal) => pool.parse(job, { signal }),
      close: () => pool.close(),
    };
  }
  const parser = await createParser(config, extract);
  return {
    mode: "isolate",
    consumers: 1,
    parse: (job) =>
      Promise.resolve().then(() => {
        try {
          return parser.parse(job);
        } finally {
          // Free the body at once (see parse_worker.ts); only a buffer it owns whole.
          const { buffer, byteOffset, byteLength } = job.body;
          if (byteOffset === 0 && byteLength === buffer.byteLength) {
            (buffer as ArrayBuffer).transfer(0);
          }
        }
      }),
    close: () => {},
  };
}
