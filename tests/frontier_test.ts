import assert from "node:assert/strict";
import { Frontier, type FrontierEntry } from "../src/frontier.ts";

const entry = (url: string, depth = 0) => ({ url, depth, parent: null });

/** Hands the entry back as a finished fetch and a finished parse. */
function finish(frontier: Frontier, e: FrontierEntry): void {
  frontier.release(e);
  frontier.done(e);
}

Deno.test("Frontier dedupes URLs and counts them pending until done()", async () => {
  const frontier = new Frontier();
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

Deno.test("Frontier.next() waits while work is in flight and ends only when idle", async () => {
  const frontier = new Frontier();
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

Deno.test("Frontier enforces maxPages and maxPagesPerHost", () => {
  const frontier = new Frontier({ maxPages: 3, maxPagesPerHost: 2 });
  assert.equal(frontier.add(entry("http://a.test/1")), "added");
  assert.equal(frontier.add(entry("http://a.test/2")), "added");
  assert.equal(frontier.add(entry("http://a.test/3")), "max_pages_per_host");
  assert.equal(frontier.add(entry("http://b.test/1")), "added");
  assert.equal(frontier.add(entry("http://c.test/1")), "max_pages");
  assert.equal(frontier.admitted, 3);
});

Deno.test("Frontier caps requests in flight per host and serves another host meanwhile", async () => {
  const frontier = new Frontier({ perHost: 1 });
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

Deno.test("Frontier spaces request starts to a host by delayMs without blocking other hosts", async () => {
  const delayMs = 60;
  const frontier = new Frontier({ delayMs });
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

Deno.test("Frontier.pauseHost() holds a host's URLs until the pause ends", async () => {
  const frontier = new Frontier();
  frontier.add(entry("http://a.test/1"));
  const before = performance.now();
  frontier.pauseHost("a.test", 50);
  const e = (await frontier.next())!;
  assert.ok(performance.now() - before >= 48);
  finish(frontier, e);
});

Deno.test("Frontier.retry() re-queues after the backoff and keeps the URL pending", async () => {
  const frontier = new Frontier();
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

Deno.test("Frontier.close() resolves waiting next() calls with undefined", async () => {
  const frontier = new Frontier({ perHost: 1 });
  frontier.add(entry("http://a.test/1"));
  frontier.add(entry("http://a.test/2"));
  await frontier.next();
  const waiting = frontier.next();
  frontier.close();
  assert.equal(await waiting, undefined);
  assert.equal(frontier.add(entry("http://a.test/3")), "closed");
});

Deno.test("Frontier.next() is aborted by its signal", async () => {
  const frontier = new Frontier({ perHost: 1 });
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

Deno.test("Frontier rejects bad limits", () => {
  assert.throws(() => new Frontier({ maxPages: 0 }), /'maxPages' must be a positive integer/);
  assert.throws(() => new Frontier({ delayMs: -1 }), RangeError);
});
