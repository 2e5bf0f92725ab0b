/**
 * The WARC gzip worker: a Web Worker that turns serialized records into
 * gzip members for {@linkcode GzipWorker}, off the crawl's thread.
 *
 * @module
 */

import { gzipSync } from "node:zlib";
import { concatBytes } from "../http/body.ts";

/** Records to compress: each one's serialized parts. */
export interface GzipRequest {
  /** Matches the answer to the request. */
  id: number;
  /** Each record's bytes, in parts. */
  records: Uint8Array[][];
  /** The gzip level (the sender's `GZIP_LEVEL`). */
  level: number;
}

/** The members, one per record, in order. */
export interface GzipResponse {
  /** The request's id. */
  id: number;
  /** The gzip members. */
  members: Uint8Array[];
}

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<GzipRequest>) => void) | null;
  postMessage(message: GzipResponse, transfer: Transferable[]): void;
};

scope.onmessage = (event) => {
  const { id, records, level } = event.data;
  // Copied out of zlib's buffers (which may be pooled) so each can be transferred whole.
  const members = records.map((parts) => new Uint8Array(gzipSync(concatBytes(parts), { level })));
  scope.postMessage({ id, members }, members.map((member) => member.buffer as ArrayBuffer));
};
