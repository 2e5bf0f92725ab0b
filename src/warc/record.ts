/**
 * One WARC/1.1 record as bytes (ISO 28500:2017, section 4): the version
 * line, named fields, `Content-Length`, a blank line, the block, and two
 * CRLFs. Field values are kept to one line of visible text; the block is
 * written as given, in parts that are never joined.
 *
 * @module
 */

/** The record types this crawler writes. */
export type WarcType = "warcinfo" | "request" | "response" | "revisit" | "metadata";

/** A record before it is serialized. */
export interface WarcRecord {
  /** `WARC-Type`. */
  type: WarcType;
  /** `WARC-Record-ID`, `<urn:uuid:...>`. */
  id: string;
  /** `WARC-Date`, ISO 8601 UTC. */
  date: string;
  /** Other fields in order (`WARC-Target-URI`, digests, `Content-Type`...), `Content-Length` excepted. */
  fields: [string, string][];
  /** The block, in parts. */
  block: Uint8Array[];
}

const ENCODER = new TextEncoder();
const CRLF2 = ENCODER.encode("\r\n\r\n");

/**
 * A fresh `WARC-Record-ID`.
 *
 * @returns `<urn:uuid:...>` with a random UUID.
 *
 * @example Usage
 * ```ts
 * import { recordId } from "./record.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(recordId(), /^<urn:uuid:[0-9a-f-]{36}>$/);
 * ```
 */
export function recordId(): string {
  return `<urn:uuid:${crypto.randomUUID()}>`;
}

/**
 * A field value as the grammar allows it: no control characters (a line
 * break would start a field of the server's choosing).
 *
 * @param value The text.
 * @returns The text, each control character replaced by `%XX`.
 *
 * @example Usage
 * ```ts
 * import { fieldValue } from "./record.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(fieldValue("a\r\nWARC-Type: x"), "a%0D%0AWARC-Type: x");
 * ```
 */
export function fieldValue(value: string): string {
  return value.replace(
    // deno-lint-ignore no-control-regex
    /[\x00-\x1f\x7f]/g,
    (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0").toUpperCase()}`,
  );
}

/**
 * The bytes of one record.
 *
 * @param record The record.
 * @returns Its head, block and the closing CRLFs, as parts to write in order.
 *
 * @example Usage
 * ```ts
 * import { serializeRecord } from "./record.ts";
 * import { concatBytes } from "../http/body.ts";
 * import assert from "node:assert/strict";
 *
 * const parts = serializeRecord({
 *   type: "metadata",
 *   id: "<urn:uuid:00000000-0000-4000-8000-000000000000>",
 *   date: "2026-01-02T03:04:05Z",
 *   fields: [["Content-Type", "text/plain"]],
 *   block: [new TextEncoder().encode("hi")],
 * });
 * const text = new TextDecoder().decode(concatBytes(parts));
 * assert.match(text, /^WARC\/1\.1\r\nWARC-Type: metadata\r\n/);
 * assert.ok(text.endsWith("Content-Length: 2\r\n\r\nhi\r\n\r\n"));
 * ```
 */
export function serializeRecord(record: WarcRecord): Uint8Array[] {
  const length = record.block.reduce((n, part) => n + part.byteLength, 0);
  let head = `WARC/1.1\r\nWARC-Type: ${record.type}\r\nWARC-Record-ID: ${record.id}\r\n` +
    `WARC-Date: ${record.date}\r\n`;
  for (const [name, value] of record.fields) head += `${name}: ${fieldValue(value)}\r\n`;
  head += `Content-Length: ${length}\r\n\r\n`;
  return [ENCODER.encode(head), ...record.block, CRLF2];
}
