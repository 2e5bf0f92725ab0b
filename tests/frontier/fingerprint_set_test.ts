import assert from "node:assert/strict";
import { fingerprint, FingerprintSet } from "../../src/frontier/fingerprint_set.ts";

Deno.test("FingerprintSet adds, finds and refuses duplicates across growth", () => {
  const set = new FingerprintSet(4);
  const urls = Array.from({ length: 20_000 }, (_, i) => `https://example.org/p/${i}.html`);
  for (const url of urls) assert.equal(set.add(url), true, url);
  assert.equal(set.size, urls.length);
  for (const url of urls) {
    assert.equal(set.has(url), true);
    assert.equal(set.add(url), false);
  }
  assert.equal(set.has("https://example.org/p/20000.html"), false);
  assert.equal(set.size, urls.length);
});

Deno.test("FingerprintSet costs at most 32 bytes per member", () => {
  const set = new FingerprintSet();
  for (let i = 0; i < 100_000; i++) set.add(`https://example.org/a/very/long/path/${i}?q=${i}`);
  assert.ok(set.byteLength / set.size <= 32, `${set.byteLength / set.size} bytes per member`);
});

Deno.test("fingerprint spreads similar strings over 64 bits without collisions", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200_000; i++) {
    const [hi, lo] = fingerprint(`http://a.test/${i}`);
    seen.add(`${hi}:${lo}`);
  }
  assert.equal(seen.size, 200_000);
  assert.notDeepEqual(fingerprint("ab"), fingerprint("ba"));
});

Deno.test("FingerprintSet.addFingerprint() shares members with add()", () => {
  const set = new FingerprintSet();
  const [hi, lo] = fingerprint("http://a.test/x");
  assert.equal(set.addFingerprint(hi, lo), true);
  assert.equal(set.has("http://a.test/x"), true);
  assert.equal(set.add("http://a.test/x"), false);
});
