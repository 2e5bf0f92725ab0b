import assert from "node:assert/strict";
import { MemoryStore } from "../../src/store/memory.ts";
import type { CrawlRecord } from "../../src/output/record.ts";
import type { CrawlStore } from "../../src/store/types.ts";

Deno.test("MemoryStore opens a fresh frontier under the given limits and delivers records at once", async () => {
  const store = new MemoryStore();
  assert.equal(store.durable, false);
  assert.equal((store as CrawlStore).history, undefined, "no history: outputs stream");
  const frontier = await store.openFrontier({ perHost: 1, delayMs: 0, maxPagesPerHost: 1 });
  assert.equal(frontier.add({ url: "http://a.test/1", depth: 0, parent: null }), "added");
  assert.equal(
    frontier.add({ url: "http://a.test/2", depth: 0, parent: null }),
    "max_pages_per_host",
  );
  const entry = (await frontier.next())!;
  frontier.release(entry);
  const delivered: string[] = [];
  const record = { url: entry.url } as CrawlRecord;
  await store.finish(entry, record, (r) => (delivered.push(r.url), Promise.resolve()));
  await store.finish(entry, undefined, () => Promise.reject(new Error("no record, no delivery")));
  assert.deepEqual(delivered, ["http://a.test/1"]);
  frontier.done(entry);
  assert.equal(await frontier.next(), undefined);
  assert.deepEqual(store.describe(), {});
  await store.flush();
  await store.close();
});
