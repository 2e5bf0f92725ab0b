/**
 * The storage seam from the user's side: a store written here, in the test,
 * against the public interface only (`CrawlStore`, with `LocalFrontier` over
 * a queue of its own), crawls a real loopback site through `crawl()`.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  crawl,
  type CrawlFrontier,
  type CrawlRecord,
  type CrawlStore,
  type Deliver,
  type FrontierEntry,
  type FrontierLimits,
  LocalFrontier,
  type UrlQueue,
} from "../../src/mod.ts";
import { SITE_PATHS, startFixtureServer } from "../support/fixture_server.ts";

/** A store that keeps everything in arrays and counts what the crawl asked of it. */
class ListStore implements CrawlStore, UrlQueue {
  readonly durable = false;
  readonly seen = new Set<string>();
  readonly records: CrawlRecord[] = [];
  readonly skipped: string[] = [];
  pushed = 0;
  opened = 0;
  flushed = 0;
  closed = false;
  #queue: FrontierEntry[] = [];

  get backlog(): number {
    return this.#queue.length;
  }

  push(entry: FrontierEntry): void {
    this.pushed++;
    this.#queue.push(entry);
  }

  take(limit: number): FrontierEntry[] {
    return this.#queue.splice(0, limit);
  }

  openFrontier(limits: FrontierLimits): Promise<CrawlFrontier> {
    this.opened++;
    return Promise.resolve(new LocalFrontier(limits, { queue: this, durable: this.durable }));
  }

  async finish(entry: FrontierEntry, record: CrawlRecord | undefined, deliver: Deliver) {
    if (!record) return void this.skipped.push(entry.url);
    this.records.push(record);
    await deliver(record);
  }

  flush(): Promise<void> {
    this.flushed++;
    return Promise.resolve();
  }

  describe(): Record<string, unknown> {
    return { records: this.records.length };
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

Deno.test("crawl() keeps a crawl in a store written by the user, through the public interface only", async () => {
  await using server = startFixtureServer();
  const store = new ListStore();
  const run = crawl(
    { seeds: [`${server.origin}/index.html`], allowPrivate: true, parsers: 0 },
    { store },
  );
  const yielded: string[] = [];
  for await (const record of run) yielded.push(record.requestedUrl);
  const summary = await run.summary;
  assert.equal(summary.stoppedBy, "done");
  assert.equal(store.opened, 1);
  assert.equal(store.flushed, 1);
  assert.equal(store.closed, false, "the store's owner closes it, not the crawl");
  // Every URL went through the store's queue, and every record through its finish().
  const crawled = store.records.map((r) => r.requestedUrl);
  assert.deepEqual(yielded, crawled);
  assert.equal(store.pushed, crawled.length + store.skipped.length);
  for (const path of SITE_PATHS) {
    assert.ok(store.seen.has(`${server.origin}${path}`), `${path} was not admitted`);
  }
  assert.equal(new Set(crawled).size, crawled.length, "each URL once");
});

Deno.test("a store that is not durable gets a record for a retry the stop left, whatever its class", async () => {
  let attempts = 0;
  await using server = startFixtureServer({
    routes: {
      "/": () =>
        new Response('<a href="/flaky">flaky</a><a href="/b">b</a>', {
          headers: { "content-type": "text/html" },
        }),
      "/flaky": () => (attempts++, new Response("busy", { status: 503 })),
      "/b": () => new Response("<title>b</title>", { headers: { "content-type": "text/html" } }),
    },
  });
  const store = new ListStore();
  // maxPages 3: the seed, /flaky and /b are taken; /flaky's retry waits a minute and never runs.
  const run = crawl({
    seeds: [`${server.origin}/`],
    allowPrivate: true,
    ignoreRobots: true,
    parsers: 0,
    maxPages: 3,
    retryDelayMs: 60_000,
    maxRetryDelayMs: 60_000,
  }, { store });
  const records: CrawlRecord[] = [];
  for await (const record of run) records.push(record);
  assert.equal((await run.summary).stoppedBy, "max_pages");
  assert.equal(attempts, 1);
  const flaky = records.find((r) => r.url === `${server.origin}/flaky`);
  assert.equal(flaky?.error, "http_5xx", "the retry cut short by the stop still gets its record");
  assert.equal(flaky?.status, 503);
});
