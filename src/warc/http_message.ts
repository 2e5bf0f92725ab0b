/**
 * The HTTP messages of an exchange as a WARC block (`application/http`):
 * Deno's `fetch` does not expose the bytes on the wire, so they are
 * rebuilt: an HTTP/1.1 request line and the headers sent; an HTTP/1.1
 * status line with `fetch`'s reason phrase and the headers received. The
 * body is stored as it arrived: a server that encoded it although
 * `identity` was asked for has it stored encoded, its `Content-Encoding`
 * kept (the headers and the payload agree). Only the chunking is gone
 * (`fetch` undoes it), so `Transfer-Encoding` is kept as
 * `X-Archive-Orig-Transfer-Encoding` (pywb's convention): a reader must
 * not de-chunk the payload again.
 *
 * @module
 */

import type { HttpExchange } from "../http/request.ts";

const ENCODER = new TextEncoder();
/** Headers that describe the bytes on the wire rather than the body stored. */
const WIRE_HEADERS = new Set(["transfer-encoding"]);

/**
 * The request block: request line, headers, blank line (a GET has no body).
 *
 * @param exchange The exchange.
 * @returns The block's bytes.
 *
 * @example Usage
 * ```ts
 * import { requestBlock } from "./http_message.ts";
 * import assert from "node:assert/strict";
 *
 * const block = requestBlock({
 *   url: "https://a.test/x?y=1", method: "GET", startedAt: "", status: 200, statusText: "OK",
 *   requestHeaders: [["user-agent", "bot"], ["host", "a.test"]], responseHeaders: [],
 *   body: new Uint8Array(),
 * });
 * assert.equal(new TextDecoder().decode(block), "GET /x?y=1 HTTP/1.1\r\nuser-agent: bot\r\nhost: a.test\r\n\r\n");
 * ```
 */
export function requestBlock(exchange: HttpExchange): Uint8Array {
  const url = new URL(exchange.url);
  let head = `${exchange.method} ${url.pathname}${url.search} HTTP/1.1\r\n`;
  for (const [name, value] of exchange.requestHeaders) head += `${name}: ${oneLine(value)}\r\n`;
  return ENCODER.encode(`${head}\r\n`);
}

/**
 * The head of the response block: status line, headers (a
 * `Transfer-Encoding` as `X-Archive-Orig-Transfer-Encoding`), blank line.
 *
 * @param exchange The exchange.
 * @returns The head's bytes; the payload (the body) follows it in the block.
 *
 * @example Usage
 * ```ts
 * import { responseHead } from "./http_message.ts";
 * import assert from "node:assert/strict";
 *
 * const head = responseHead({
 *   url: "https://a.test/", method: "GET", startedAt: "", status: 404, statusText: "Not Found",
 *   requestHeaders: [], responseHeaders: [["content-type", "text/html"]], body: new Uint8Array(3),
 * });
 * assert.equal(new TextDecoder().decode(head), "HTTP/1.1 404 Not Found\r\ncontent-type: text/html\r\n\r\n");
 * ```
 */
export function responseHead(exchange: HttpExchange): Uint8Array {
  let head = `HTTP/1.1 ${exchange.status} ${oneLine(exchange.statusText)}\r\n`;
  for (const [name, value] of exchange.responseHeaders) {
    const stored = WIRE_HEADERS.has(name) ? `x-archive-orig-${name}` : name;
    head += `${stored}: ${oneLine(value)}\r\n`;
  }
  return ENCODER.encode(`${head}\r\n`);
}

/** Header values are single lines once fetch has them; this keeps it so whatever comes. */
function oneLine(value: string): string {
  return value.replace(/[\r\n]+/g, " ");
}
