/**
 * The parser worker: a Web Worker that runs parse jobs for the crawler's
 * parser pool. Messages in: one `init` with the {@linkcode ParserConfig},
 * then `parse` batches of jobs whose body buffers are transferred. Messages
 * out: `ready`, then one `results` batch per `parse` batch.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { createParser, type Parser, type ParserConfig } from "./job.ts";

/** One page to parse, by id. */
export interface WorkerJob {
  /** Matches the job to its result. */
  id: number;
  /** The page's final URL. */
  url: string;
  /** The Content-Type header. */
  contentType: string | null;
  /** The body, transferred. */
  body: ArrayBuffer;
}

/** One page's outcome, by id. */
export type WorkerResult =
  | { id: number; result: import("./job.ts").ParseResult }
  | { id: number; error: string };

/** A message to the worker. */
export type WorkerRequest =
  | { type: "init"; config: ParserConfig }
  | { type: "parse"; jobs: WorkerJob[] };

/** A message from the worker. */
export type WorkerResponse =
  | { type: "ready" }
  | { type: "init_error"; message: string }
  | { type: "results"; results: WorkerResult[] };

let parser: Parser | undefined;

self.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const message = event.data;
  if (message.type === "init") {
    try {
      parser = await createParser(message.config);
      self.postMessage({ type: "ready" } satisfies WorkerResponse);
    } catch (error) {
      self.postMessage({ type: "init_error", message: String(error) } satisfies WorkerResponse);
    }
    return;
  }
  // A batch in, a batch out: one message (and one wake-up) each way for many pages.
  const results: WorkerResult[] = message.jobs.map((job) => {
    try {
      const body = new Uint8Array(job.body);
      return {
        id: job.id,
        result: parser!.parse({ url: job.url, contentType: job.contentType, body }),
      };
    } catch (error) {
      return { id: job.id, error: error instanceof Error ? error.message : String(error) };
    }
  });
  // Free the bodies now: their memory lives outside the heap, where it would otherwise
  // wait for a garbage collection the small heap of a worker seldom needs.
  for (const job of message.jobs) job.body.transfer(0);
  self.postMessage({ type: "results", results } satisfies WorkerResponse);
};
