import assert from "node:assert/strict";
import type { CrawlRecord } from "../../src/output/record.ts";
import { recordJson, takeRecordJson } from "../../src/output/record_json.ts";
import { openSink } from "../../src/output/sink.ts";
import { admit, open, record, withDir } from "../sqlite/helpers.ts";

/** A record that counts how often it is turned into JSON. */
function counted(url: string): { record: CrawlRecord; count: () => number } {
  let count = 0;
  const fields = record(url);
  const target = {
    ...fields,
    toJSON() {
      count++;
      return fields;
    },
  } as unknown as CrawlRecord;
  return { record: target, count: () => count };
}

Deno.test("recordJson() keeps a record's JSON for takeRecordJson(), which takes it once", () => {
  const { record, count } = counted("https://a.test/");
  const text = recordJson(record);
  assert.equal(recordJson(record), text);
  assert.equal(takeRecordJson(record), text);
  assert.equal(count(), 1);
  assert.equal(takeRecordJson(record), text, "made again");
  assert.equal(count(), 2, "nothing is kept once taken");
});

Deno.test("a durable crawl stores a record and writes its JSONL line from one JSON.stringify", async () => {
  await withDir(async (dir) => {
    const store = open(dir, { batchSize: 1 });
    const sink = await openSink("jsonl", `${dir}/out.jsonl`);
    admit(store, "http://a.test/");
    const [entry] = store.take(1);
    const { record, count } = counted(entry!.url);
    await store.finish(entry!, record, (r) => sink.write(r));
    await store.flush();
    await sink.close();
    await store.close();
    assert.equal(count(), 1);
    const line = (await Deno.readTextFile(`${dir}/out.jsonl`)).trimEnd();
    assert.equal(line, JSON.stringify(record));
    const again = open(dir);
    assert.deepEqual([...again.records()], [JSON.parse(line)], "the store holds the same text");
    await again.close();
  });
});

Deno.test("an output writes a record's kept JSON as its line", async () => {
  await withDir(async (dir) => {
    const sink = await openSink("jsonl", `${dir}/out.jsonl`);
    const first = counted("https://a.test/ü");
    const second = counted("https://a.test/b");
    recordJson(first.record);
    await sink.write(first.record);
    await sink.write(second.record);
    await sink.close();
    assert.equal(first.count(), 1);
    assert.equal(second.count(), 1);
    assert.equal(
      await Deno.readTextFile(`${dir}/out.jsonl`),
      `${JSON.stringify(first.record)}\n${JSON.stringify(second.record)}\n`,
    );
  });
});
