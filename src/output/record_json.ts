/**
 * A record's JSON text, made once per record. A durable crawl stores the
 * text in its state file and a Redis crawl sends it to the job; its JSONL
 * output then writes the same text (a durable crawl compares the two when it
 * resumes): the first user keeps the text it made ({@linkcode recordJson})
 * and the output takes it ({@linkcode takeRecordJson}), one `JSON.stringify`
 * of a record (about 15 µs for a page with 60 links) instead of two. An
 * output alone makes the text and keeps nothing.
 *
 * @module
 */

import type { CrawlRecord } from "./record.ts";

/** Texts by record; an entry goes when its record does. */
const texts = new WeakMap<CrawlRecord, string>();

/**
 * The record's `JSON.stringify` text, made on the first call for this
 * record object and kept for {@linkcode takeRecordJson}. A record must not
 * change once its text is asked for.
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
  let text = texts.get(record);
  if (text === undefined) {
    text = JSON.stringify(record);
    texts.set(record, text);
  }
  return text;
}

/**
 * The record's `JSON.stringify` text for its last user (the output): the
 * text {@linkcode recordJson} kept, now forgotten, or else made now.
 *
 * @param record The record.
 * @returns Its JSON text.
 *
 * @example Usage
 * ```ts
 * import { recordJson, takeRecordJson } from "./record_json.ts";
 * import type { CrawlRecord } from "./record.ts";
 * import assert from "node:assert/strict";
 *
 * const record = { url: "https://a.test/", status: 200 } as CrawlRecord;
 * const kept = recordJson(record);
 * assert.equal(takeRecordJson(record), kept);
 * assert.equal(takeRecordJson(record), JSON.stringify(record)); // made again: nothing kept
 * ```
 */
export function takeRecordJson(record: CrawlRecord): string {
  const text = texts.get(record);
  if (text === undefined) return JSON.stringify(record);
  texts.delete(record);
  return text;
}
