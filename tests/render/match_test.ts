import assert from "node:assert/strict";
import { compileRenderMatch, renderChoice } from "../../src/render/match.ts";

Deno.test("compileRenderMatch() reads /paths and scheme URLs as URL patterns, anything else as a regex", () => {
  assert.ok(compileRenderMatch("/app/*")("https://a.test/app/x"));
  assert.ok(!compileRenderMatch("/app/*")("https://a.test/about/app/x"));
  assert.ok(compileRenderMatch("https://*.shop.test/p/:id")("https://www.shop.test/p/7"));
  assert.ok(!compileRenderMatch("https://*.shop.test/p/:id")("https://shop.example/p/7"));
  assert.ok(compileRenderMatch("\\.spa$")("https://a.test/x.spa"));
  assert.ok(compileRenderMatch("#!")("https://a.test/#!/route"));
  assert.throws(() => compileRenderMatch("("), SyntaxError);
});

Deno.test("renderChoice() renders everything with render, the matches with renderMatch, else nothing", () => {
  assert.equal(renderChoice({ render: false, renderMatch: [] }), undefined);
  assert.ok(renderChoice({ render: true, renderMatch: ["/x"] })!("https://a.test/y"));
  const some = renderChoice({ render: false, renderMatch: ["/app/*", "dashboard"] })!;
  assert.ok(some("https://a.test/app/1"));
  assert.ok(some("https://a.test/my/dashboard"));
  assert.ok(!some("https://a.test/about"));
});
