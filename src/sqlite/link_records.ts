/**
 * The records a link check of a state reads: each URL's latest record
 * across every run (the site as last seen), a page that answered 304 Not
 * Modified (not parsed again) carrying the links of the URL's latest
 * parsed record.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import type { CrawlRecord } from "../output/record.ts";

/** Each URL's latest record, with the URL's latest record that has links (a 304 has none). */
const LATEST = `WITH latest AS (SELECT max(seq) AS seq FROM records GROUP BY url_ord),
  parsed AS (SELECT url_ord, max(seq) AS seq FROM records
    WHERE json_extract(json, '$.refs') IS NOT NULL GROUP BY url_ord)
  SELECT r.json AS json, p.json AS parsed FROM latest JOIN records r ON r.seq = latest.seq
  LEFT JOIN parsed ON parsed.url_ord = r.url_ord LEFT JOIN records p ON p.seq = parsed.seq
  ORDER BY r.seq`;

/**
 * Reads each URL's latest record from a state's database.
 *
 * @param db The state's database.
 * @returns The records, in the order they were finished.
 *
 * @example Usage
 * ```ts
 * import { latestLinkRecords } from "./link_records.ts";
 * import { DatabaseSync } from "node:sqlite";
 * import assert from "node:assert/strict";
 *
 * const db = new DatabaseSync(":memory:");
 * db.exec("CREATE TABLE records (seq INTEGER PRIMARY KEY, run INTEGER, url_ord INTEGER, json TEXT)");
 * const insert = db.prepare("INSERT INTO records (run, url_ord, json) VALUES (?, ?, ?)");
 * insert.run(1, 1, JSON.stringify({ url: "https://a.test/", status: 200, refs: [] }));
 * insert.run(2, 1, JSON.stringify({ url: "https://a.test/", status: 304, unchanged: true }));
 * const [record] = [...latestLinkRecords(db)];
 * assert.equal(record!.status, 304);
 * assert.deepEqual(record!.refs, []);
 * ```
 */
export function* latestLinkRecords(db: DatabaseSync): IterableIterator<CrawlRecord> {
  for (const row of db.prepare(LATEST).iterate()) {
    const record: CrawlRecord = JSON.parse(row.json as string);
    if (record.refs === undefined && record.unchanged && row.parsed !== null) {
      const parsed: CrawlRecord = JSON.parse(row.parsed as string);
      record.refs = parsed.refs;
      if (parsed.anchors) record.anchors = parsed.anchors;
    }
    yield record;
  }
}
