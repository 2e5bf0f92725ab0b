import assert from "node:assert/strict";
import { checkTrap, hasRepeatedSegments } from "../../src/frontier/trap_guard.ts";

Deno.test("hasRepeatedSegments catches runs of 1 to 4 segments repeated past the limit", () => {
  assert.ok(hasRepeatedSegments("/a/a/a", 2));
  assert.ok(hasRepeatedSegments("/x/a/b/a/b/a/b/", 2));
  assert.ok(hasRepeatedSegments("/a/b/c/a/b/c/a/b/c", 2));
  assert.ok(hasRepeatedSegments("/p/q/r/s/p/q/r/s/p/q/r/s", 2));
  assert.ok(hasRepeatedSegments("/a/b/a/b", 1));
});

Deno.test("hasRepeatedSegments lets ordinary paths through", () => {
  assert.ok(!hasRepeatedSegments("/a/a", 2));
  assert.ok(!hasRepeatedSegments("/a/b/a/b", 2));
  assert.ok(!hasRepeatedSegments("/2026/11/11/post", 2));
  assert.ok(!hasRepeatedSegments("/docs/v1/api/v1/ref", 2));
  assert.ok(!hasRepeatedSegments("/", 2));
});

Deno.test("checkTrap refuses overlong URLs and repeated paths, ignoring the query", () => {
  assert.equal(checkTrap(`http://a.test/${"x".repeat(30)}`, { maxUrlLength: 30 }), "url_too_long");
  assert.equal(checkTrap("http://a.test/a/b/a/b/a/b", { maxUrlLength: 2048 }), "repeated_path");
  assert.equal(checkTrap("http://a.test/p?x=a/a/a/a", { maxUrlLength: 2048 }), undefined);
  assert.equal(checkTrap("http://a.test", { maxUrlLength: 2048 }), undefined);
  assert.equal(checkTrap("http://a.test/ok/page", { maxUrlLength: 2048 }), undefined);
});
