/**
 * The parser worker: a Web Worker that runs parse jobs for the crawler's
 * parser pool. Messages in: one `init` with the {@linkcode ParserConfig},
 * then `parse` jobs whose body buffer is transferred. Messages out: `ready`,
 * then one result or error per job, by id.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { createParser, type Parser, type ParserConfig } from "./parse_job.ts";

/** A message to the worker. */
export type WorkerRequest =
  | { type: "init"; config: ParserConfig }
  | { type: "parse"; id: number; url: string; contentType: string | null; body: ArrayBuffer };

/** A message from the worker. */
export type WorkerResponse =
  | { type: "ready" }
  | { type: "init_error"; message: string }
  | { type: "result"; id: number; result: import("./parse_job.ts").ParseResult }
  | { type: "error"; id: number; message: string };

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
  try {
    const result = parser!.parse({
      url: message.url,
      contentType: message.contentType,
      body: new Uint8Array(message.body),
    });
    self.postMessage({ type: "result", id: message.id, result } satisfies WorkerResponse);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    self.postMessage({ type: "error", id: message.id, message: text } satisfies WorkerResponse);
  }
};
