import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { gzipRecord, GzipWorker } from "../../src/warc/gzip.ts";
import { recordId, type WarcRecord } from "../../src/warc/record.ts";

const record = (text: string): WarcRecord => ({
  type: "metadata",
  id: recordId(),
  date: "2026-01-02T03:04:05Z",
  fields: [["Content-Type", "text/plain"]],
  block: [new TextEncoder().encode(text)],
});

Deno.test("GzipWorker.compress() gives the members gzipRecord() gives, in order, and refuses once closed", async () => {
  const worker = new GzipWorker();
  const records = ["one", "two", "three"].map(record);
  const [first, second] = await Promise.all([
    worker.compress(records.slice(0, 2)),
    worker.compress(records.slice(2)),
  ]);
  const members = [...first, ...second];
  assert.deepEqual(
    members.map((m) => gunzipSync(m)),
    records.map((r) => gunzipSync(gzipRecord(r))),
  );
  worker.close();
  await assert.rejects(worker.compress(records), /the worker is closed/);
});
