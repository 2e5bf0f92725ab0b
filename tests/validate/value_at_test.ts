import assert from "node:assert/strict";
import { valueAt } from "../../src/validate/value_at.ts";

Deno.test("valueAt() follows own properties down a zod issue path", () => {
  const input = { rules: [{ fields: { price: { type: "numbr" } } }] };
  assert.equal(valueAt(input, ["rules", 0, "fields", "price", "type"]), "numbr");
  assert.equal(valueAt(input, ["rules", 1, "fields"]), undefined);
  assert.equal(valueAt(input, ["rules", 0, "fields", "price", "type", "length"]), undefined);
});

Deno.test("valueAt() never reads inherited properties, __proto__ included", () => {
  const input = JSON.parse('{"fields": {"__proto__": {"selector": "h1"}}}');
  assert.deepEqual(valueAt(input, ["fields", "__proto__"]), { selector: "h1" });
  assert.equal(valueAt({}, ["__proto__"]), undefined);
  assert.equal(valueAt({}, ["constructor"]), undefined);
  assert.equal(valueAt([1], ["map"]), undefined);
});
