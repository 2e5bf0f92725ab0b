import assert from "node:assert/strict";
import { concatBytes } from "../../src/http/body.ts";
import { serializeRecord } from "../../src/warc/record.ts";
import { parseRecord } from "../support/warc.ts";

Deno.test("serializeRecord() writes the WARC/1.1 grammar, a field value never starting a field of its own", () => {
  const bytes = concatBytes(serializeRecord({
    type: "response",
    id: "<urn:uuid:00000000-0000-4000-8000-000000000000>",
    date: "2026-01-02T03:04:05.678Z",
    fields: [["WARC-Target-URI", "https://a.test/\r\nWARC-Type: metadata"]],
    block: [new TextEncoder().encode("HTTP/1.1 200 OK\r\n\r\n"), new TextEncoder().encode("body")],
  }));
  const record = parseRecord(bytes);
  assert.equal(record.type, "response");
  assert.equal(record.field("WARC-Target-URI"), "https://a.test/%0D%0AWARC-Type: metadata");
  assert.deepEqual(record.fields.filter(([n]) => n === "WARC-Type").length, 1);
  assert.equal(new TextDecoder().decode(record.block), "HTTP/1.1 200 OK\r\n\r\nbody");
  assert.equal(record.field("Content-Length"), "23");
});
