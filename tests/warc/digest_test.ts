import assert from "node:assert/strict";
import { base32, sha1Digest } from "../../src/warc/digest.ts";

Deno.test("base32() gives RFC 4648's test vectors", () => {
  const vectors = [
    ["", ""],
    ["f", "MY======"],
    ["fo", "MZXQ===="],
    ["foo", "MZXW6==="],
    [
      "foob",
      "MZXW6YQ=",
    ],
    ["fooba", "MZXW6YTB"],
    ["foobar", "MZXW6YTBOI======"],
  ];
  for (const [text, encoded] of vectors) {
    assert.equal(base32(new TextEncoder().encode(text)), encoded);
  }
});

Deno.test("sha1Digest() of parts is the digest of their concatenation, in the sha1:BASE32 form", () => {
  const abc = new TextEncoder().encode("abc");
  // SHA-1("abc") = a9993e36 4706816a ba3e2571 7850c26c 9cd0d89d
  assert.equal(sha1Digest(abc), "sha1:VGMT4NSHA2AWVOR6EVYXQUGCNSONBWE5");
  assert.equal(sha1Digest(abc.subarray(0, 1), abc.subarray(1)), sha1Digest(abc));
});
