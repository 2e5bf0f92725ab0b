import assert from "node:assert/strict";
import { EntryPool, newEntryList } from "../../src/frontier/entry_pool.ts";
import type { FrontierEntry } from "../../src/frontier/types.ts";

function entry(url: string, host: string, more: Partial<FrontierEntry> = {}): FrontierEntry {
  return { url, depth: 1, parent: "https://a.test/", attempts: 0, host, ...more };
}

Deno.test("EntryPool lists are FIFO, each on its own, across growth", () => {
  const pool = new EntryPool(2);
  const a = newEntryList();
  const b = newEntryList();
  for (let i = 0; i < 3_000; i++) {
    pool.push(a, entry(`https://a.test/${i}`, "a.test", { depth: i }));
    pool.push(b, entry(`http://b.test:8080/${i}?x=${i}`, "b.test:8080"));
  }
  assert.equal(pool.size, 6_000);
  assert.equal(a.length, 3_000);
  for (let i = 0; i < 3_000; i++) {
    const fromA = pool.shift(a, "a.test")!;
    assert.equal(fromA.url, `https://a.test/${i}`);
    assert.equal(fromA.depth, i);
    assert.equal(fromA.host, "a.test");
  }
  assert.equal(pool.shift(a, "a.test"), undefined);
  assert.equal(a.length, 0);
  assert.equal(pool.shift(b, "b.test:8080")?.url, "http://b.test:8080/0?x=0");
  assert.equal(b.length, 2_999);
});

Deno.test("EntryPool gives back every field of an entry", () => {
  const pool = new EntryPool();
  const list = newEntryList();
  const entries: FrontierEntry[] = [
    { url: "https://a.test/", depth: 0, parent: null, attempts: 0, host: "a.test" },
    entry("https://a.test/x", "a.test", { extra: { lastmod: "2024-01-01" } }),
    entry("https://a.test/y", "a.test", {
      attempts: 2,
      failure: { status: 503, error: "http_5xx", message: "busy" },
    }),
    // Not under its host's origin: stored whole.
    entry("https://user@a.test/z", "a.test"),
    entry("https://a.testing.example/", "a.test"),
    entry("https://a.test", "a.test"),
    entry("https://a.test/é?q=ü", "a.test", { parent: "https://b.test/p" }),
  ];
  for (const e of entries) pool.push(list, e);
  assert.deepEqual([...pool.entries(list, "a.test")], entries);
  for (const e of entries) assert.deepEqual(pool.shift(list, "a.test"), e);
  assert.equal(pool.size, 0);
});

Deno.test("EntryPool reuses the slots and URL bytes of taken entries", () => {
  const pool = new EntryPool(1024);
  const list = newEntryList();
  const push = (round: number) => {
    for (let i = 0; i < 1_000; i++) {
      pool.push(list, entry(`https://a.test/${round}/${i}/some/path`, "a.test"));
    }
  };
  push(0);
  const before = pool.byteLength;
  for (let round = 1; round <= 20; round++) {
    for (let i = 0; i < 1_000; i++) pool.shift(list, "a.test");
    push(round);
  }
  assert.ok(pool.byteLength <= before + 65_536, `${pool.byteLength} bytes, was ${before}`);
  assert.equal(pool.shift(list, "a.test")?.url, "https://a.test/20/0/some/path");
});

Deno.test("EntryPool keeps a shared parent while any child is queued", () => {
  const pool = new EntryPool();
  const list = newEntryList();
  pool.push(list, entry("https://a.test/1", "a.test", { parent: "https://a.test/p" }));
  pool.push(list, entry("https://a.test/2", "a.test", { parent: "https://a.test/q" }));
  pool.push(list, entry("https://a.test/3", "a.test", { parent: "https://a.test/p" }));
  assert.equal(pool.shift(list, "a.test")?.parent, "https://a.test/p");
  assert.equal(pool.shift(list, "a.test")?.parent, "https://a.test/q");
  // The parent's first child was taken: a new parent takes a freed id, the old one is still right.
  pool.push(list, entry("https://a.test/4", "a.test", { parent: "https://a.test/r" }));
  assert.equal(pool.shift(list, "a.test")?.parent, "https://a.test/p");
  assert.equal(pool.shift(list, "a.test")?.parent, "https://a.test/r");
});

Deno.test("EntryPool compacts its URLs when a few old entries of a slow host outlive the rest", () => {
  // Without compaction each chunk stays while one of its URLs is queued: the slow host's one
  // URL in a thousand held every chunk, about 50 KB per queued URL.
  const fill = (withSlow: boolean) => {
    const pool = new EntryPool();
    const slow = newEntryList();
    const fast = newEntryList();
    for (let i = 0; i < 200_000; i++) {
      const isSlow = i % 1000 === 0;
      if (isSlow && !withSlow) continue;
      const host = isSlow ? "slow.test" : "fast.test";
      pool.push(isSlow ? slow : fast, {
        url: `http://${host}/page/${i}/a-longer-path-segment`,
        depth: 1,
        parent: null,
        attempts: 0,
        host,
      });
      if (!isSlow && i % 2 === 0) pool.shift(fast, "fast.test");
    }
    while (pool.shift(fast, "fast.test")) { /* drain the fast host */ }
    return { pool, slow };
  };
  const { pool, slow } = fill(true);
  const { pool: without } = fill(false);
  assert.equal(pool.size, 200);
  // The slow host's 200 URLs cost a few chunks at most, not the 8 MB the fast ones took.
  assert.ok(pool.byteLength - without.byteLength < 4 * 65_536, `${pool.byteLength}`);
  // And they come back intact, in order.
  for (let i = 0; i < 200; i++) {
    assert.equal(
      pool.shift(slow, "slow.test")!.url,
      `http://slow.test/page/${i * 1000}/a-longer-path-segment`,
    );
  }
  assert.equal(pool.size, 0);
});
