import assert from "node:assert/strict";
import { LocalFrontier } from "../../src/frontier/local.ts";
import { MemoryQueue } from "../../src/frontier/memory_queue.ts";
import type { FrontierEntry, FrontierLimits } from "../../src/frontier/types.ts";

/** No politeness in the way: the tests below set what they test. */
const FREE: FrontierLimits = { perHost: Infinity, delayMs: 0 };

/** A frontier with {@linkcode FREE} limits but those given. */
function frontierOf(
  limits: Partial<FrontierLimits> = {},
  options: ConstructorParameters<typeof LocalFrontier>[1] = {},
): LocalFrontier {
  return new LocalFrontier({ ...FREE, ...limits }, options);
}

const entry = (url: string, depth = 0) => ({ url, depth, parent: null });

/** Hands the entry back as a finished fetch and a finished parse. */
function finish(frontier: LocalFrontier, e: FrontierEntry): void {
  frontier.release(e);
  frontier.done(e);
}

Deno.test("LocalFrontier dedupes URLs and counts them pending until done()", async () => {
  const frontier = frontierOf();
  assert.equal(frontier.add(entry("http://a.test/1")), "added");
  assert.equal(frontier.add(entry("http://a.test/1")), "seen");
  assert.equal(frontier.pending, 1);
  const e = (await frontier.next())!;
  assert.equal(frontier.queued, 0);
  assert.equal(frontier.fetching, 1);
  frontier.release(e);
  assert.equal(frontier.pending, 1, "released but not yet parsed: still pending");
  assert.equal(frontier.idle, false);
  frontier.done(e);
  assert.equal(frontier.idle, true);
  assert.throws(() => frontier.done(e), RangeError);
});

Deno.test("LocalFrontier.next() waits while work is in flight and ends only when idle", async () => {
  const frontier = frontierOf();
  frontier.add(entry("http://a.test/"));
  const first = (await frontier.next())!;
  let second: FrontierEntry | undefined | "waiting" = "waiting";
  const waiting = frontier.next().then((e) => (second = e));
  await Promise.resolve();
  assert.equal(second, "waiting", "an empty queue with a page in flight is not the end");
  // The in-flight page yields a child link: the waiter gets it.
  frontier.add(entry("http://a.test/child", 1));
  frontier.release(first);
  frontier.done(first);
  await waiting;
  assert.equal((second as unknown as FrontierEntry).url, "http://a.test/child");
  const ending = frontier.next();
  finish(frontier, second as unknown as FrontierEntry);
  assert.equal(await ending, undefined);
});

Deno.test("LocalFrontier enforces maxPagesPerHost when URLs are added", () => {
  const frontier = frontierOf({ maxPagesPerHost: 2 });
  assert.equal(frontier.add(entry("http://a.test/1")), "added");
  assert.equal(frontier.add(entry("http://a.test/2")), "added");
  assert.equal(frontier.add(entry("http://a.test/3")), "max_pages_per_host");
  assert.equal(frontier.add(entry("http://b.test/1")), "added");
});

Deno.test("LocalFrontier closes once maxPages first fetches were handed out", async () => {
  const frontier = frontierOf({ maxPages: 2 });
  for (let i = 0; i < 4; i++) frontier.add(entry(`http://a.test/${i}`));
  const first = (await frontier.next())!;
  assert.equal(frontier.limitReached, undefined);
  const second = (await frontier.next())!;
  assert.equal(frontier.limitReached, "max_pages");
  assert.equal(frontier.started, 2);
  assert.equal(await frontier.next(), undefined);
  frontier.release(first);
  assert.equal(frontier.retry({ ...first, attempts: 1 }), false, "no retry once closed");
  assert.equal(frontier.add(entry("http://a.test/new")), "closed");
  finish(frontier, second);
});

Deno.test("LocalFrontier keeps only its window in memory and refills from the store in order", async () => {
  const store = new MemoryQueue(new Set());
  const frontier = frontierOf({}, { queue: store, window: 2 });
  for (let i = 0; i < 5; i++) frontier.add(entry(`http://a.test/${i}`));
  assert.equal(frontier.queued, 5);
  assert.ok(store.backlog >= 3, "most wait in the store");
  const order: string[] = [];
  for (let i = 0; i < 5; i++) {
    const e = (await frontier.next())!;
    order.push(e.url);
    finish(frontier, e);
  }
  assert.deepEqual(order, [0, 1, 2, 3, 4].map((i) => `http://a.test/${i}`));
  assert.equal(frontier.idle, true);
});

Deno.test("LocalFrontier counts a store's resumed backlog as pending work", async () => {
  const store = new MemoryQueue(new Set());
  store.push({ url: "http://a.test/resumed", depth: 3, parent: null, attempts: 0, host: "a.test" });
  const frontier = frontierOf({}, { queue: store });
  assert.equal(frontier.pending, 1);
  const e = (await frontier.next())!;
  assert.equal(e.url, "http://a.test/resumed");
  finish(frontier, e);
  assert.equal(await frontier.next(), undefined);
});

Deno.test("LocalFrontier caps requests in flight per host and serves another host meanwhile", async () => {
  const frontier = frontierOf({ perHost: 1 });
  frontier.add(entry("http://a.test/1"));
  frontier.add(entry("http://a.test/2"));
  frontier.add(entry("http://b.test/1"));
  const first = (await frontier.next())!;
  const second = (await frontier.next())!;
  assert.equal(first.host, "a.test");
  assert.equal(second.host, "b.test", "a.test is busy, so b.test is served");
  let third: FrontierEntry | undefined;
  const waiting = frontier.next().then((e) => (third = e));
  await Promise.resolve();
  assert.equal(third, undefined, "a.test must wait for its slot");
  frontier.release(first);
  await waiting;
  assert.equal(third!.url, "http://a.test/2");
  frontier.done(first);
  finish(frontier, second);
  finish(frontier, third!);
  assert.equal(frontier.idle, true);
});

Deno.test("LocalFrontier spaces request starts to a host by delayMs without blocking other hosts", async () => {
  const delayMs = 60;
  const frontier = frontierOf({ delayMs });
  for (let i = 0; i < 3; i++) frontier.add(entry(`http://slow.test/${i}`));
  frontier.add(entry("http://other.test/"));
  const starts: { host: string; at: number }[] = [];
  for (let i = 0; i < 4; i++) {
    const e = (await frontier.next())!;
    starts.push({ host: e.host, at: performance.now() });
    finish(frontier, e);
  }
  const slow = starts.filter((s) => s.host === "slow.test").map((s) => s.at);
  for (let i = 1; i < slow.length; i++) {
    assert.ok(slow[i]! - slow[i - 1]! >= delayMs - 2, `gap ${slow[i]! - slow[i - 1]!}ms`);
  }
  // other.test was served right after the first slow.test start, not after a delay.
  assert.equal(starts[1]!.host, "other.test");
});

Deno.test("LocalFrontier.pauseHost() holds a host's URLs until the pause ends", async () => {
  const frontier = frontierOf();
  frontier.add(entry("http://a.test/1"));
  const before = performance.now();
  frontier.pauseHost("a.test", 50);
  const e = (await frontier.next())!;
  assert.ok(performance.now() - before >= 48);
  finish(frontier, e);
});

Deno.test("LocalFrontier.retry() re-queues after the backoff and keeps the URL pending", async () => {
  const frontier = frontierOf();
  frontier.add(entry("http://a.test/1"));
  const e = (await frontier.next())!;
  frontier.release(e);
  const before = performance.now();
  frontier.retry({ ...e, attempts: e.attempts + 1 }, 40);
  assert.equal(frontier.pending, 1);
  assert.equal(frontier.queued, 1);
  const again = (await frontier.next())!;
  assert.ok(performance.now() - before >= 38);
  assert.equal(again.attempts, 1);
  finish(frontier, again);
  assert.equal(frontier.idle, true);
});

Deno.test("LocalFrontier.close() resolves waiting next() calls with undefined", async () => {
  const frontier = frontierOf({ perHost: 1 });
  frontier.add(entry("http://a.test/1"));
  frontier.add(entry("http://a.test/2"));
  await frontier.next();
  const waiting = frontier.next();
  frontier.close();
  assert.equal(await waiting, undefined);
  assert.equal(frontier.add(entry("http://a.test/3")), "closed");
});

Deno.test("LocalFrontier.next() is aborted by its signal", async () => {
  const frontier = frontierOf({ perHost: 1 });
  frontier.add(entry("http://a.test/1"));
  frontier.add(entry("http://a.test/2"));
  const first = (await frontier.next())!;
  const controller = new AbortController();
  const waiting = frontier.next({ signal: controller.signal });
  controller.abort(new Error("stop"));
  await assert.rejects(waiting, /stop/);
  frontier.release(first);
  const second = await frontier.next();
  assert.equal(second!.url, "http://a.test/2", "the aborted waiter took nothing");
});

Deno.test("LocalFrontier rejects bad limits", () => {
  assert.throws(() => frontierOf({ maxPages: 0 }), /'maxPages' must be a positive integer/);
  assert.throws(() => frontierOf({ delayMs: -1 }), RangeError);
});

Deno.test("LocalFrontier.acquireHost() waits for the host's free slot and is served before its queued URLs", async () => {
  const frontier = frontierOf({ perHost: 1 });
  frontier.add(entry("http://a.test/1"));
  frontier.add(entry("http://a.test/2"));
  const first = (await frontier.next())!; // holds a.test's only slot
  const got: { hop?: Disposable; second?: FrontierEntry } = {};
  // Read through functions: an assertion on a property would narrow it for good.
  const hop = () => got.hop;
  const second = () => got.second;
  const hopping = frontier.acquireHost("a.test").then((slot) => (got.hop = slot));
  const queued = frontier.next().then((e) => (got.second = e));
  await Promise.resolve();
  assert.equal(hop(), undefined, "no slot while the host's only one is held");
  frontier.release(first);
  frontier.done(first);
  await hopping;
  assert.ok(hop(), "the hop, part of a request under way, goes first");
  assert.equal(second(), undefined);
  hop()![Symbol.dispose]();
  await queued;
  assert.equal(second()?.url, "http://a.test/2");
  finish(frontier, second()!);
  assert.throws(() => hop()![Symbol.dispose](), /given back already/);
});

Deno.test("LocalFrontier.acquireHost() keeps the host's delay between request starts", async () => {
  const delayMs = 40;
  const frontier = frontierOf({ delayMs });
  const a = await frontier.acquireHost("a.test");
  const started = performance.now();
  const b = await frontier.acquireHost("a.test");
  assert.ok(performance.now() - started >= delayMs - 1, "the second start waited for the delay");
  a[Symbol.dispose]();
  b[Symbol.dispose]();
});

Deno.test("LocalFrontier hands out each host's URLs first in, first out, round-robin over hosts", async () => {
  const frontier = new LocalFrontier({ perHost: 100, delayMs: 0 });
  for (let i = 0; i < 2_000; i++) {
    frontier.add({ url: `https://a.test/${i}`, depth: 1, parent: "https://a.test/" });
    if (i < 3) frontier.add({ url: `http://b.test:81/${i}`, depth: 2, parent: null });
  }
  const taken: FrontierEntry[] = [];
  for (let i = 0; i < 2_003; i++) {
    const entry = (await frontier.next())!;
    taken.push(entry);
    frontier.release(entry);
    frontier.done(entry);
  }
  assert.deepEqual(taken.slice(0, 6).map((e) => e.url), [
    "https://a.test/0",
    "http://b.test:81/0",
    "https://a.test/1",
    "http://b.test:81/1",
    "https://a.test/2",
    "http://b.test:81/2",
  ]);
  assert.deepEqual(taken[1], {
    url: "http://b.test:81/0",
    depth: 2,
    parent: null,
    attempts: 0,
    host: "b.test:81",
  });
  const a = taken.filter((e) => e.host === "a.test").map((e) => e.url);
  assert.deepEqual(a, Array.from({ length: 2_000 }, (_, i) => `https://a.test/${i}`));
  assert.equal(await frontier.next(), undefined);
});
