import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { CrawlRecord } from "../../src/output/record.ts";
import { admit, open, record, withDir } from "./helpers.ts";

Deno.test("SqliteStore: the crawl's thread goes on while a commit waits for the file", async () => {
  await withDir(async (dir) => {
    const store = open(dir, { batchSize: 1 });
    // Another connection holds the write lock: a commit has to wait for it.
    const blocker = new DatabaseSync(`${dir}/crawl.db`);
    blocker.exec("BEGIN IMMEDIATE");
    admit(store, "http://a.test/");
    admit(store, "http://a.test/b");
    const [a, b] = store.take(2);
    const delivered: string[] = [];
    const deliver = (r: CrawlRecord) => {
      delivered.push(r.url);
      return Promise.resolve();
    };
    await store.finish(a!, record(a!.url), deliver);
    await store.finish(b!, record(b!.url), deliver);
    assert.equal(store.backlog, 0);
    assert.deepEqual(delivered, [], "nothing is delivered before its commit");
    const flushed = store.flush();
    blocker.exec("ROLLBACK");
    await flushed;
    assert.deepEqual(delivered, ["http://a.test/", "http://a.test/b"]);
    blocker.close();
    await store.close();

    const again = open(dir);
    assert.equal(again.countRecords(), 2);
    assert.equal(again.backlog, 0);
    await again.close();
  });
});

Deno.test("SqliteStore: a failed commit fails the next finish() and flush() with SQLite's error", async () => {
  await withDir(async (dir) => {
    const store = open(dir, { batchSize: 1 });
    admit(store, "http://a.test/");
    admit(store, "http://a.test/b");
    const [a, b] = store.take(2);
    await store.flush();
    // The records table is gone: the commit that stores a record fails.
    const other = new DatabaseSync(`${dir}/crawl.db`);
    other.exec("DROP TABLE records");
    other.close();
    const delivered: string[] = [];
    const deliver = (r: CrawlRecord) => {
      delivered.push(r.url);
      return Promise.resolve();
    };
    await store.finish(a!, record(a!.url), deliver);
    const failure = (error: Error) => /no such table: records/.test(error.message);
    await assert.rejects(() => store.flush(), failure);
    await assert.rejects(() => store.finish(b!, record(b!.url), deliver), failure);
    assert.deepEqual(delivered, [], "a record whose commit failed is never delivered");
    await store.close();
  });
});
