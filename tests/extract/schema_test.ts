import assert from "node:assert/strict";
import { compilePattern } from "../../src/extract/schema.ts";

Deno.test("extract rules: a pathname pattern matches any origin, a full pattern only its own", () => {
  const path = compilePattern("/products/*");
  assert.ok(path.test("https://shop.test/products/tent"));
  assert.ok(path.test("http://127.0.0.1:8080/products/tent?ref=home#reviews"));
  assert.ok(!path.test("https://shop.test/product/tent"));
  assert.ok(!path.test("https://shop.test/about/products/tent"));

  const query = compilePattern("/search?q=*");
  assert.ok(query.test("https://a.test/search?q=tent"));
  assert.ok(!query.test("https://a.test/search?page=2"));

  const full = compilePattern("https://shop.test/products/:id");
  assert.ok(full.test("https://shop.test/products/tent"));
  assert.ok(full.test("https://shop.test/products/tent?ref=home"));
  assert.ok(!full.test("https://other.test/products/tent"));
  assert.ok(!full.test("http://shop.test/products/tent"));

  const init = compilePattern({ hostname: "{*.}?shop.test", pathname: "/p/*" });
  assert.ok(init.test("https://www.shop.test/p/1"));
  assert.ok(init.test("http://shop.test/p/1"));
  assert.ok(!init.test("https://shop.example/p/1"));

  assert.throws(() => compilePattern("/p/("), TypeError);
});
