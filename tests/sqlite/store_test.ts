import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { LocalFrontier } from "../../src/frontier/local.ts";
import type { FrontierEntry } from "../../src/frontier/types.ts";
import type { CrawlRecord } from "../../src/output/record.ts";
import { SqliteStore } from "../../src/sqlite/store.ts";
import { StateInUseError } from "../../src/sqlite/store.ts";
import { admit, open, record, withDir } from "./helpers.ts";

const noDeliver = () => Promise.resolve();
const urls = (entries: FrontierEntry[]) => entries.map((e) => e.url);

Deno.test("SqliteStore: a resumed crawl takes queued and in-flight URLs again, never done ones", async () => {
  await withDir(async (dir) => {
    const first = open(dir, { batchMs: 60_000 });
    assert.equal(first.resumed, false);
    admit(first, "http://a.test/");
    admit(first, "http://a.test/b", 1, "http://a.test/");
    admit(first, "http://a.test/c", 1, "http://a.test/");
    admit(first, "http://a.test/d", 1, "http://a.test/", { lastmod: "2024-01-01" });
    admit(first, "http://a.test/e", 1, "http://a.test/");
    const [root, b, c] = first.take(3);
    assert.deepEqual(urls([root!, b!, c!]), [
      "http://a.test/",
      "http://a.test/b",
      "http://a.test/c",
    ]);
    await first.finish(root!, record(root!.url), noDeliver);
    await first.finish(c!, undefined, noDeliver);
    await first.flush();
    // d and e were never taken; b is in flight, its finish not committed yet.
    await first.finish(b!, record(b!.url), noDeliver);

    // What a process killed now leaves behind: everything up to the last commit.
    first.abandon();
    const second = open(dir);
    assert.equal(second.resumed, true);
    assert.equal(second.runId, first.runId);
    assert.equal(second.backlog, 3);
    for (const url of ["http://a.test/", "http://a.test/b", "http://a.test/e"]) {
      assert.equal(second.seen.has(url), true, url);
    }
    assert.equal(second.seen.has("http://a.test/f"), false);
    const frontier = new LocalFrontier({ perHost: Infinity, delayMs: 0 }, {
      queue: second,
      window: 2,
    });
    assert.equal(frontier.pending, 3, "resumed entries are unfinished work");
    const resumed: FrontierEntry[] = [];
    for (let i = 0; i < 3; i++) resumed.push((await frontier.next())!);
    assert.deepEqual(urls(resumed), ["http://a.test/b", "http://a.test/d", "http://a.test/e"]);
    assert.deepEqual(resumed[1], {
      url: "http://a.test/d",
      host: "a.test",
      depth: 1,
      parent: "http://a.test/",
      attempts: 0,
      extra: { lastmod: "2024-01-01" },
    });
    frontier.close();
    await second.close();
    await first.close();
  });
});

Deno.test("SqliteStore: take() hands out unwritten pushes in order and keeps backlog exact", async () => {
  await withDir(async (dir) => {
    const store = open(dir, { batchMs: 60_000 });
    for (let i = 0; i < 5; i++) admit(store, `http://a.test/${i}`);
    assert.equal(store.backlog, 5);
    assert.deepEqual(urls(store.take(2)), ["http://a.test/0", "http://a.test/1"]);
    assert.equal(store.backlog, 3);
    await store.flush();
    assert.equal(store.backlog, 3);
    for (let i = 5; i < 7; i++) admit(store, `http://a.test/${i}`);
    assert.equal(store.backlog, 5);
    assert.deepEqual(urls(store.take(2)), ["http://a.test/2", "http://a.test/3"]);
    assert.deepEqual(urls(store.take(10)), [
      "http://a.test/4",
      "http://a.test/5",
      "http://a.test/6",
    ]);
    assert.equal(store.backlog, 0);
    assert.deepEqual(store.take(10), []);
    await store.close();

    const again = open(dir);
    assert.equal(again.backlog, 7, "all seven were in flight: all are fetched again");
    assert.deepEqual(
      urls(again.take(10)),
      Array.from({ length: 7 }, (_, i) => `http://a.test/${i}`),
    );
    await again.close();
  });
});

Deno.test("SqliteStore: recrawl queues done URLs again with validators, skipping recent ones", async () => {
  await withDir(async (dir) => {
    let clock = 1_000;
    const now = () => clock;
    const first = open(dir, { now });
    for (const path of ["a", "b", "c", "d"]) admit(first, `http://a.test/${path}`);
    const [a, b, c, d] = first.take(4);
    const lastModified = "Mon, 01 Jan 2024 00:00:00 GMT";
    await first.finish(a!, record(a!.url, { etag: '"a1"', lastModified }), noDeliver);
    await first.flush();
    clock = 5_000;
    await first.finish(b!, record(b!.url, { etag: '"b1"' }), noDeliver);
    await first.finish(c!, record(c!.url, { status: null, error: "timeout" }), noDeliver);
    await first.finish(d!, undefined, noDeliver);
    await first.endRun({ pagesOk: 2 });
    await first.close();

    const rerun = open(dir, { now });
    assert.equal(rerun.resumed, true, "without recrawl a finished crawl continues its run");
    assert.equal(rerun.ended, true);
    assert.equal(rerun.backlog, 0);
    await rerun.close();

    clock = 6_000;
    const second = open(dir, { now, recrawl: { maxAgeMs: 2_000 } });
    assert.equal(second.resumed, false);
    assert.deepEqual(second.run, { id: 2, kind: "recrawl", startedAt: 6_000, endedAt: null });
    assert.equal(second.backlog, 3, "b was fetched 1 s ago, under maxAgeMs");
    const again = second.take(10);
    assert.deepEqual(urls(again), ["http://a.test/a", "http://a.test/c", "http://a.test/d"]);
    // The validators, and the last status a recrawl compares against.
    assert.deepEqual(again[0]!.extra, { etag: '"a1"', lastModified, status: "200" });
    assert.equal(again[1]!.extra, undefined);
    // A 304 brings no validators: the stored ones stay.
    await second.finish(again[0]!, record(again[0]!.url, { status: 304 }), noDeliver);
    for (const entry of again.slice(1)) await second.finish(entry, undefined, noDeliver);
    await second.endRun({ pagesOk: 1 });
    await second.close();

    const db = new DatabaseSync(`${dir}/crawl.db`, { readOnly: true });
    const row = db.prepare("SELECT etag, last_modified, status FROM urls WHERE url = ?")
      .get("http://a.test/a");
    // A 304 keeps the status it confirmed: the next recrawl compares against that.
    assert.deepEqual({ ...row }, { etag: '"a1"', last_modified: lastModified, status: 200 });
    const runs = db.prepare("SELECT id, kind, started_at, ended_at, stats FROM runs").all();
    assert.deepEqual(runs.map((r) => ({ ...r })), [
      { id: 1, kind: "crawl", started_at: 1_000, ended_at: 5_000, stats: '{"pagesOk":2}' },
      { id: 2, kind: "recrawl", started_at: 6_000, ended_at: 6_000, stats: '{"pagesOk":1}' },
    ]);
    db.close();

    const third = open(dir, { now, recrawl: {} });
    assert.equal(third.runId, 3);
    assert.equal(third.backlog, 4, "without maxAgeMs every done URL is queued again");
    await third.close();
  });
});

Deno.test("SqliteStore: records are delivered in seq order, each only after its commit", async () => {
  await withDir(async (dir) => {
    const store = open(dir, { batchSize: 3, batchMs: 60_000 });
    const reader = new DatabaseSync(`${dir}/crawl.db`, { readOnly: true });
    const visible = reader.prepare(
      "SELECT count(*) AS n FROM records JOIN urls ON urls.ord = records.url_ord WHERE json = ? AND state = 2",
    );
    const delivered: string[] = [];
    const deliver = (r: CrawlRecord) => {
      assert.equal(visible.get(JSON.stringify(r))!.n, 1, `${r.url} is committed before delivery`);
      delivered.push(r.url);
      return Promise.resolve();
    };
    for (let i = 0; i < 7; i++) admit(store, `http://a.test/${i}`);
    const entries = store.take(7);
    await store.flush();
    await store.finish(entries[0]!, record(entries[0]!.url), deliver);
    await store.finish(entries[1]!, undefined, deliver);
    assert.deepEqual(delivered, [], "nothing is delivered before the batch commits");
    assert.equal(reader.prepare("SELECT count(*) AS n FROM records").get()!.n, 0);
    // The third write fills the batch: commit, then deliver.
    await store.finish(entries[2]!, record(entries[2]!.url), deliver);
    await store.flush();
    assert.deepEqual(delivered, ["http://a.test/0", "http://a.test/2"]);
    for (const entry of entries.slice(3)) await store.finish(entry, record(entry.url), deliver);
    await store.flush();
    const expected = urls(entries).filter((url) => url !== "http://a.test/1");
    assert.deepEqual(delivered, expected);
    assert.deepEqual([...store.records()].map((r) => r.url), expected);
    await store.close();

    // A lone finish is committed by the batchMs timer.
    const timed = open(dir, { batchMs: 10 });
    admit(timed, "http://a.test/timed");
    const done = Promise.withResolvers<void>();
    await timed.finish(timed.take(1)[0]!, record("http://a.test/timed"), (r) => {
      deliver(r);
      done.resolve();
      return Promise.resolve();
    });
    await done.promise;
    assert.equal(delivered.at(-1), "http://a.test/timed");
    await timed.close();
    reader.close();
  });
});

Deno.test("SqliteStore: finish() waits while maxPending records wait for delivery", async () => {
  await withDir(async (dir) => {
    const store = open(dir, { batchSize: 2, maxPending: 4, batchMs: 60_000 });
    const gate = Promise.withResolvers<void>();
    const deliver = () => gate.promise;
    for (let i = 0; i < 5; i++) admit(store, `http://a.test/${i}`);
    const entries = store.take(5);
    for (const entry of entries.slice(0, 4)) await store.finish(entry, record(entry.url), deliver);
    const fifth = store.finish(entries[4]!, record(entries[4]!.url), deliver);
    // Without back-pressure the fifth finish would settle within a few microtasks.
    const ticks = async () => {
      for (let i = 0; i < 20; i++) await null;
      return "waiting";
    };
    assert.equal(await Promise.race([fifth.then(() => "done"), ticks()]), "waiting");
    gate.resolve();
    await fifth;
    await store.close();
  });
});

Deno.test("SqliteStore: a failing deliver fails the next flush() and finish()", async () => {
  await withDir(async (dir) => {
    const store = open(dir, { batchSize: 1 });
    admit(store, "http://a.test/");
    admit(store, "http://a.test/2");
    const [a, b] = store.take(2);
    const boom = new Error("disk full");
    await store.finish(a!, record(a!.url), () => Promise.reject(boom));
    await assert.rejects(() => store.flush(), boom);
    await assert.rejects(() => store.finish(b!, undefined, noDeliver), boom);
    await store.close();
  });
});

Deno.test("SqliteStore: seen-only URLs are never queued and belong to their run", async () => {
  await withDir(async (dir) => {
    const store = open(dir);
    admit(store, "http://a.test/");
    assert.equal(store.seen.add("http://a.test/redirected"), true);
    assert.equal(store.seen.add("http://a.test/redirected"), false);
    await store.close();

    const db = new DatabaseSync(`${dir}/crawl.db`, { readOnly: true });
    const rows = db.prepare("SELECT url, state FROM urls ORDER BY ord").all();
    assert.deepEqual(rows.map((r) => ({ ...r })), [
      { url: "http://a.test/", state: 1 },
      { url: "http://a.test/redirected", state: 0 },
    ], "marking seen then pushing writes one row");
    db.close();

    // A later run claims redirect targets and canonicals again when their sources are refetched.
    const again = open(dir);
    assert.equal(again.seen.has("http://a.test/redirected"), false);
    assert.equal(again.seen.has("http://a.test/"), true);
    assert.equal(again.backlog, 1);
    assert.deepEqual(urls(again.take(10)), ["http://a.test/"]);
    await again.close();
  });
});

Deno.test("SqliteStore: close() commits, delivers and clears the commit timer", async () => {
  await withDir(async (dir) => {
    const store = open(dir, { batchMs: 60_000 });
    admit(store, "http://a.test/");
    const delivered: string[] = [];
    const [entry] = store.take(1);
    await store.finish(entry!, record("http://a.test/"), (r) => {
      delivered.push(r.url);
      return Promise.resolve();
    });
    assert.deepEqual(delivered, []);
    await store.close();
    assert.deepEqual(delivered, ["http://a.test/"]);
    await store.close();
    await assert.rejects(
      () => store.finish({ ...entry! }, undefined, noDeliver),
      /closed/,
    );
    const again = open(dir);
    assert.equal(again.countRecords(), 1);
    await again.close();
  });
});

Deno.test("SqliteStore.open() rejects bad batching and recrawl options", () => {
  assert.throws(
    () => SqliteStore.open(":memory:", { identity: {}, batchSize: 0 }),
    new RangeError("Cannot open store as 'batchSize' must be a positive integer: received 0"),
  );
  assert.throws(
    () => SqliteStore.open(":memory:", { identity: {}, recrawl: { maxAgeMs: -1 } }),
    new RangeError("Cannot open store as 'maxAgeMs' must be a non-negative number: received -1"),
  );
});

Deno.test("SqliteStore: JS heap stays flat while 200k URLs pass through a small window", async () => {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const heap = () => {
    gc();
    return Deno.memoryUsage().heapUsed;
  };
  await withDir(async (dir) => {
    const store = open(dir);
    const frontier = new LocalFrontier({ perHost: Infinity, delayMs: 0 }, {
      queue: store,
      window: 512,
    });
    const base = heap();
    const padding = "x".repeat(120);
    let peak = 0;
    for (let i = 0; i < 200_000; i++) {
      frontier.add({ url: `http://a.test/${padding}/${i}`, depth: 1, parent: "http://a.test/" });
      if (i % 50_000 === 49_999) peak = Math.max(peak, heap() - base);
    }
    assert.equal(frontier.queued, 200_000);
    for (let n = 0; n < 200_000; n++) {
      const entry = (await frontier.next())!;
      frontier.release(entry);
      await store.finish(entry, undefined, noDeliver);
      frontier.done(entry);
      if (n % 50_000 === 49_999) peak = Math.max(peak, heap() - base);
    }
    assert.equal(await frontier.next(), undefined);
    await store.close();
    // In memory, 200k entries with 150-character URLs hold about 60 MB.
    assert.ok(peak < 16 * 2 ** 20, `heap grew by ${(peak / 2 ** 20).toFixed(1)} MiB`);
  });
});

Deno.test("SqliteStore: a second process cannot open a state file in use", async () => {
  await withDir(async (dir) => {
    const store = open(dir);
    assert.throws(() => open(dir), StateInUseError);
    await store.close();
    const again = open(dir);
    await again.close();
  });
});

Deno.test("SqliteStore: the WAL is checkpointed into the file once it holds 32 MiB, not 8", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/crawl.db`;
    const store = open(dir, { batchSize: 60 });
    const title = "x".repeat(20_000);
    let largest = 0;
    // About 60 MB of records, 20 to a commit.
    for (let i = 0; i < 3_000; i++) {
      admit(store, `http://a.test/${i}`);
      const [entry] = store.take(1);
      await store.finish(entry!, record(entry!.url, { title }), noDeliver);
      if (i % 50 === 49) largest = Math.max(largest, Deno.statSync(`${path}-wal`).size);
    }
    await store.close();
    const mib = largest / 2 ** 20;
    // Fewer checkpoints, each copying the pages every commit rewrites once: 13-15 % less time.
    assert.ok(mib > 24 && mib < 40, `the WAL grew to ${mib.toFixed(1)} MiB`);
  });
});
