/**
 * The HTTP messages of an exchange as a WARC block (`application/http`):
 * Deno's `fetch` does not expose the bytes on the wire, so they are
 * rebuilt: an HTTP/1.1 request line and the headers sent; an HTTP/1.1
 * status line with `fetch`'s reason phrase and the headers received. Where
 * the body stored is not the one the headers describe (the server encoded
 * it although `identity` was asked for, or chunked it; `fetch` undoes
 * both), those headers are kept under `X-Archive-Orig-` names (pywb's
 * convention), so a reader does not decode the body twice.
 *
 * @module
 */

import type { HttpExchange } from "../http/request.ts";

const ENCODER = new TextEncoder();
/** Headers that describe the bytes on the wire rather than the body stored. */
const WIRE_HEADERS = new Set(["transfer-encoding", "content-encoding"]);

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
 * The head of the response block: status line, headers, blank line. When
 * the body is not as the wire carried it, `Transfer-Encoding` and
 * `Content-Encoding` become `X-Archive-Orig-...`, and so does a
 * `Content-Length` that no longer matches, replaced by the stored length.
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
  const length = String(exchange.body.byteLength);
  let renamed = false;
  for (const [name, value] of exchange.responseHeaders) {
    if (WIRE_HEADERS.has(name) && !(name === "content-encoding" && value === "identity")) {
      head += `x-archive-orig-${name}: ${oneLine(value)}\r\n`;
      renamed = true;
    } else head += `${name}: ${oneLine(value)}\r\n`;
  }
  const declared = exchange.responseHeaders.find(([name]) => name === "content-length")?.[1];
  if (renamed && declared !== undefined && declared !== length && !exchange.truncated) {
    head = head.replace(
      /^content-length: .*\r\n/m,
      `x-archive-orig-content-length: ${declared}\r\ncontent-length: ${length}\r\n`,
    );
  }
  return ENCODER.encode(`${head}\r\n`);
}

/** Header values are single lines once fetch has them; this keeps it so whatever comes. */
function oneLine(value: string): string {
  return value.replace(/[\r\n]+/g, " ");
}
