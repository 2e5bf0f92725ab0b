import assert from "node:assert/strict";
import type { HttpExchange } from "../../src/http/request.ts";
import { requestBlock, responseHead } from "../../src/warc/http_message.ts";

const exchange: HttpExchange = {
  url: "https://a.test/p?q=1",
  method: "GET",
  startedAt: "2026-01-02T03:04:05.000Z",
  requestHeaders: [["user-agent", "bot"], ["accept-encoding", "identity"], ["host", "a.test"]],
  status: 200,
  statusText: "OK",
  responseHeaders: [["content-encoding", "gzip"], ["content-type", "text/html"], [
    "transfer-encoding",
    "chunked",
  ]],
  body: new Uint8Array(4),
};

Deno.test("responseHead() keeps the encoding the body is stored in and renames the chunking fetch undid", () => {
  assert.equal(
    new TextDecoder().decode(responseHead(exchange)),
    "HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-type: text/html\r\n" +
      "x-archive-orig-transfer-encoding: chunked\r\n\r\n",
  );
});

Deno.test("requestBlock() writes the request line with path and query, and the headers sent", () => {
  assert.equal(
    new TextDecoder().decode(requestBlock(exchange)),
    "GET /p?q=1 HTTP/1.1\r\nuser-agent: bot\r\naccept-encoding: identity\r\nhost: a.test\r\n\r\n",
  );
});
