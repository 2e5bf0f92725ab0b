/**
 * Turning HTTP exchanges into WARC records: per exchange a `request` and a
 * `response` (or `revisit`) record, tied by `WARC-Concurrent-To`, each with
 * its target, date, the address the guard vetted, and block and payload
 * digests; a cut body gets `WARC-Truncated`.
 *
 * @module
 */

import type { HttpExchange } from "../http/request.ts";
import { sha1Digest } from "./digest.ts";
import { requestBlock, responseHead } from "./http_message.ts";
import { type CaptureRef, revisitFields, revisitProfile } from "./revisit.ts";
import { recordId, type WarcRecord } from "./record.ts";

/** The records of one exchange, and what a later revisit would point at. */
export interface ExchangeRecords {
  /** The `request` record and the `response` or `revisit` one. */
  records: [WarcRecord, WarcRecord];
  /** The response as a later revisit refers to it; `undefined` when it is a revisit itself. */
  capture: CaptureRef | undefined;
}

const EMPTY = new Uint8Array();
const EMPTY_DIGEST = sha1Digest(EMPTY);
const HTTP_REQUEST = "application/http; msgtype=request";
const HTTP_RESPONSE = "application/http; msgtype=response";

/**
 * The records of one exchange.
 *
 * @param exchange The exchange, as the request client recorded it.
 * @param ip The address the guard vetted for its host, if known.
 * @param earlier The URL's earlier capture, when a store keeps one: an
 * answer that repeats it becomes a `revisit`.
 * @returns The two records.
 *
 * @example Usage
 * ```ts
 * import { exchangeRecords } from "./capture.ts";
 * import assert from "node:assert/strict";
 *
 * const { records: [request, response] } = exchangeRecords({
 *   url: "https://a.test/", method: "GET", startedAt: "2026-01-02T03:04:05.000Z", status: 200,
 *   statusText: "OK", requestHeaders: [["host", "a.test"]], responseHeaders: [],
 *   body: new TextEncoder().encode("hi"),
 * }, "192.0.2.1", undefined);
 * assert.equal(request.type, "request");
 * assert.equal(response.type, "response");
 * assert.deepEqual(response.fields.find(([n]) => n === "WARC-Concurrent-To"), ["WARC-Concurrent-To", request.id]);
 * ```
 */
export function exchangeRecords(
  exchange: HttpExchange,
  ip: string | undefined,
  earlier: CaptureRef | undefined,
): ExchangeRecords {
  const date = exchange.startedAt;
  const target: [string, string][] = [["WARC-Target-URI", exchange.url]];
  if (ip !== undefined) target.push(["WARC-IP-Address", ip]);
  const responseId = recordId();
  const requestId = recordId();
  const sent = requestBlock(exchange);
  const request: WarcRecord = {
    type: "request",
    id: requestId,
    date,
    fields: [
      ...target,
      ["WARC-Concurrent-To", responseId],
      ["Content-Type", HTTP_REQUEST],
      ["WARC-Block-Digest", sha1Digest(sent)],
      ["WARC-Payload-Digest", EMPTY_DIGEST],
    ],
    block: [sent],
  };
  const head = responseHead(exchange);
  const payloadDigest = sha1Digest(exchange.body);
  const profile = exchange.truncated
    ? undefined
    : revisitProfile(exchange.status, payloadDigest, earlier);
  const common: [string, string][] = [
    ...target,
    ["WARC-Concurrent-To", requestId],
    ["Content-Type", HTTP_RESPONSE],
  ];
  if (profile !== undefined) {
    // The head alone: the payload is the earlier capture's (or, for a 304, there is none).
    const revisit: WarcRecord = {
      type: "revisit",
      id: responseId,
      date,
      fields: [
        ...common,
        ["WARC-Block-Digest", sha1Digest(head)],
        ["WARC-Payload-Digest", exchange.status === 304 ? earlier!.digest : payloadDigest],
        ...revisitFields(profile, earlier!),
      ],
      block: [head],
    };
    return { records: [request, revisit], capture: undefined };
  }
  const fields: [string, string][] = [
    ...common,
    ["WARC-Block-Digest", sha1Digest(head, exchange.body)],
    ["WARC-Payload-Digest", payloadDigest],
  ];
  if (exchange.truncated) fields.push(["WARC-Truncated", exchange.truncated]);
  const response: WarcRecord = {
    type: "response",
    id: responseId,
    date,
    fields,
    block: exchange.body.byteLength > 0 ? [head, exchange.body] : [head],
  };
  const capture = { id: responseId, uri: exchange.url, date, digest: payloadDigest };
  return { records: [request, response], capture };
}

/** The empty payload's digest, for tests and readers. */
export { EMPTY_DIGEST };
