/**
 * The parser worker: a Web Worker that runs parse jobs for the crawler's
 * parser pool. Messages in: one `init` with the {@linkcode ParserConfig},
 * then `parse` batches of jobs whose body buffers are transferred. Messages
 * out: `ready`, then one `results` batch per `parse` batch.
 *
 * @module
 */

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

/**
 * A message to the worker. `init` may carry a progress buffer: a shared
 * `Float64Array` of two numbers the worker writes before each job of a
 * batch, the job's index and `Date.now()`, so the pool can tell which job a
 * stuck worker is on and since when.
 */
export type WorkerRequest =
  | { type: "init"; config: ParserConfig; progress?: SharedArrayBuffer }
  | { type: "parse"; jobs: WorkerJob[] };

/** A message from the worker. */
export type WorkerResponse =
  | { type: "ready" }
  | { type: "init_error"; message: string }
  | { type: "results"; results: WorkerResult[] };

let parser: Parser | undefined;
let progress: Float64Array | undefined;

/**
 * The worker's global scope, typed here rather than by a `deno.worker` lib
 * reference: JSR refuses triple-slash directives that change globals.
 */
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: WorkerResponse): void;
};

scope.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const message = event.data;
  if (message.type === "init") {
    try {
      if (message.progress) progress = new Float64Array(message.progress);
      parser = await createParser(message.config);
      scope.postMessage({ type: "ready" } satisfies WorkerResponse);
    } catch (error) {
      scope.postMessage({ type: "init_error", message: String(error) } satisfies WorkerResponse);
    }
    return;
  }
  // A batch in, a batch out: one message (and one wake-up) each way for many pages.
  const results: WorkerResult[] = message.jobs.map((job, i) => {
    if (progress) {
      progress[0] = i;
      progress[1] = Date.now();
    }
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
  scope.postMessage({ type: "results", results } satisfies WorkerResponse);
};
