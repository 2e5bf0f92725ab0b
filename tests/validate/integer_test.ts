import assert from "node:assert/strict";
import { checkInteger } from "../../src/validate/integer.ts";

Deno.test("checkInteger() passes integers at or above the least value through", () => {
  assert.equal(checkInteger("create frontier", "perHost", 1), 1);
  assert.equal(checkInteger("create frontier", "delayMs", 0, { least: 0 }), 0);
  assert.equal(checkInteger("create frontier", "window", Infinity, { infinite: true }), Infinity);
});

Deno.test("checkInteger() refuses with std's wording, naming what, the option and the value", () => {
  assert.throws(
    () => checkInteger("create frontier", "perHost", 0),
    new RangeError("Cannot create frontier as 'perHost' must be a positive integer: received 0"),
  );
  assert.throws(
    () => checkInteger("read sitemap", "maxDepth", -1, { least: 0 }),
    new RangeError("Cannot read sitemap as 'maxDepth' must be a non-negative integer: received -1"),
  );
  assert.throws(() => checkInteger("x", "n", 1.5), /must be a positive integer: received 1.5/);
  assert.throws(() => checkInteger("x", "n", NaN), /received NaN/);
  assert.throws(() => checkInteger("x", "n", Infinity), /received Infinity/);
});
