import assert from "node:assert/strict";
import { prepareSeeds } from "../../src/frontier/seeds.ts";

Deno.test("prepareSeeds normalizes seeds and turns credentials into a header for their origin", () => {
  const { seeds, authorization } = prepareSeeds(
    ["HTTP://Ann:p%40ss@A.test:80/x#frag", "https://b.test/", "https://j%C3%B6rg:%C3%A9@c.test/"],
    {},
  );
  assert.deepEqual(seeds, ["http://a.test/x", "https://b.test/", "https://c.test/"]);
  assert.equal(authorization.get("http://a.test"), `Basic ${btoa("Ann:p@ss")}`);
  assert.equal(authorization.has("https://b.test"), false);
  const utf8 = new TextDecoder().decode(
    Uint8Array.from(atob(authorization.get("https://c.test")!.slice(6)), (c) => c.charCodeAt(0)),
  );
  assert.equal(utf8, "jörg:é");
});
