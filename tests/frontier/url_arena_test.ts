import assert from "node:assert/strict";
import { UrlArena } from "../../src/frontier/url_arena.ts";

Deno.test("UrlArena reads back every string it stored, across many chunks", () => {
  const arena = new UrlArena();
  const urls = Array.from({ length: 50_000 }, (_, i) => `https://example.org/p/${i}.html?q=${i}`);
  const positions = urls.map((url) => arena.store(url));
  assert.ok(arena.byteLength > 65_536 * 10, `${arena.byteLength} bytes: expected several chunks`);
  urls.forEach((url, i) => assert.equal(arena.read(positions[i]!), url));
});

Deno.test("UrlArena keeps non-ASCII text, long strings and empty ones exactly", () => {
  const arena = new UrlArena();
  const texts = [
    "",
    "https://exämple.org/ü/€/😀",
    "x".repeat(200),
    `https://a.test/${"y".repeat(70_000)}`, // larger than a chunk: a chunk of its own
    "https://a.test/after-the-big-one",
    `日本語${"z".repeat(100_000)}`,
  ];
  const positions = texts.map((text) => arena.store(text));
  texts.forEach((text, i) => assert.equal(arena.read(positions[i]!), text));
});

Deno.test("UrlArena stores a string's end under a tag", () => {
  const arena = new UrlArena();
  const a = arena.store("https://a.test/path", "https://a.test".length, 2);
  const b = arena.store("http://b.test/é", "http://b.test".length, 1);
  const c = arena.store("x".repeat(300), 0, 3); // a two-byte header
  assert.equal(arena.read(a), "/path");
  assert.equal(arena.tag(a), 2);
  assert.equal(arena.read(b), "/é");
  assert.equal(arena.tag(b), 1);
  assert.equal(arena.read(c), "x".repeat(300));
  assert.equal(arena.tag(c), 3);
});

Deno.test("UrlArena drops a chunk once all its strings are released and reuses its id", () => {
  const arena = new UrlArena();
  const first = Array.from(
    { length: 5_000 },
    (_, i) => arena.store(`https://a.test/${i}/abcdefgh`),
  );
  const peak = arena.byteLength;
  for (const position of first) arena.release(position);
  // Only the chunk being appended to stays.
  assert.ok(arena.byteLength <= 65_536, `${arena.byteLength} bytes left`);
  const second = Array.from(
    { length: 5_000 },
    (_, i) => arena.store(`https://b.test/${i}/abcdefgh`),
  );
  assert.ok(arena.byteLength <= peak, `${arena.byteLength} bytes after refilling, peak ${peak}`);
  second.forEach((position, i) =>
    assert.equal(arena.read(position), `https://b.test/${i}/abcdefgh`)
  );
});

Deno.test("UrlArena keeps a chunk while any of its strings is live", () => {
  const arena = new UrlArena();
  const positions = Array.from({ length: 10_000 }, (_, i) => arena.store(`https://a.test/${i}`));
  // Release all but every 1000th: the survivors' chunks stay readable.
  positions.forEach((position, i) => {
    if (i % 1000 !== 0) arena.release(position);
  });
  for (let i = 0; i < positions.length; i += 1000) {
    assert.equal(arena.read(positions[i]!), `https://a.test/${i}`);
  }
});
