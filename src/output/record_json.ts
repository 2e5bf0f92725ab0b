/**
 * A record's JSON, made once per record. A durable crawl stores the text in
 * its state file and a Redis crawl sends the bytes to the job; its output
 * then writes the same JSON (the two are compared when a crawl resumes). The
 * first user keeps what it made ({@linkcode recordJson} the text,
 * {@linkcode recordJsonBytes} the UTF-8 bytes) and the output takes it
 * ({@linkcode takeRecordJson}): one `JSON.stringify` of a record (about
 * 15 µs for a page with 60 links) instead of two. An output alone makes the
 * text and keeps nothing.
 *
 * @module
 */

import type { CrawlRecord } from "./record.ts";

/** A record's JSON: its text, or that text's UTF-8 bytes. */
export type RecordJson = string | Uint8Array;

/** What was made, by record; an entry goes when its record does. */
const kept = new WeakMap<CrawlRecord, RecordJson>();
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The record's `JSON.stringify` text, made on the first call for this
 * record object and kept for {@linkcode takeRecordJson}. A record must not
 * change once its JSON is asked for.
 *
 * @param record The record.
 * @returns Its JSON text.
 *
 * @example Usage
 * ```ts
 * import { recordJson } from "./record_json.ts";
 * import type { CrawlRecord } from "./record.ts";
 * import assert from "node:assert/strict";
 *
 * const record = { url: "https://a.test/", status: 200 } as CrawlRecord;
 * assert.equal(recordJson(record), JSON.stringify(record));
 * assert.equal(recordJson(record), recordJson(record));
 * ```
 */
export function recordJson(record: CrawlRecord): string {
  const json = kept.get(record);
  if (typeof json === "string") return json;
  if (json !== undefined) return decoder.decode(json);
  const text = JSON.stringify(record);
  kept.set(record, text);
  return text;
}

/**
 * The record's JSON as UTF-8 bytes, made on the first call for this record
 * object and kept for {@linkcode takeRecordJson}. Bytes live outside V8's
 * heap, so a record waiting on the network (a Redis crawl's finish) costs
 * its collections nothing. A record must not change once its JSON is asked
 * for.
 *
 * @param record The record.
 * @returns Its JSON's UTF-8 bytes.
 *
 * @example Usage
 * ```ts
 * import { recordJsonBytes } from "./record_json.ts";
 * import type { CrawlRecord } from "./record.ts";
 * import assert from "node:assert/strict";
 *
 * const record = { url: "https://a.test/", title: "Ünïcode" } as CrawlRecord;
 * const bytes = recordJsonBytes(record);
 * assert.equal(new TextDecoder().decode(bytes), JSON.stringify(record));
 * assert.equal(recordJsonBytes(record), bytes);
 * ```
 */
export function recordJsonBytes(record: CrawlRecord): Uint8Array {
  const json = kept.get(record);
  if (json instanceof Uint8Array) return json;
  const bytes = encoder.encode(json ?? JSON.stringify(record));
  kept.set(record, bytes);
  return bytes;
}

/**
 * The record's JSON for its last user (the output): what
 * {@linkcode recordJson} or {@linkcode recordJsonBytes} kept, now
 * forgotten, or else the text made now.
 *
 * @param record The record.
 * @returns Its JSON text or bytes.
 *
 * @example Usage
 * ```ts
 * import { recordJson, takeRecordJson } from "./record_json.ts";
 * import type { CrawlRecord } from "./record.ts";
 * import assert from "node:assert/strict";
 *
 * const record = { url: "https://a.test/", status: 200 } as CrawlRecord;
 * const text = recordJson(record);
 * assert.equal(takeRecordJson(record), text);
 * assert.equal(takeRecordJson(record), JSON.stringify(record)); // made again: nothing kept
 * ```
 */
export function takeRecordJson(record: CrawlRecord): RecordJson {
  const json = kept.get(record);
  if (json === undefined) return JSON.stringify(record);
  kept.delete(record);
  return json;
}
