import assert from "node:assert/strict";
import { LinkResolver } from "../../src/parse/links.ts";
import { type NormalizeOptions, normalizeUrl } from "../../src/frontier/url.ts";
import { fuzzTest } from "../support/fuzz.ts";
import type { Rng } from "../support/fuzz_rng.ts";
import { mutateText, randomText, tokenSoup } from "../support/fuzz_text.ts";

/** Page URLs and `<base href>`s, some odd. */
const BASES = [
  "http://a.test/",
  "http://a.test/d1/d2/page.html?q=1#f",
  "https://a.test:8443/d1/",
  "http://[::1]:8080/x/y",
  "http://u:p@a.test/d1/%7e/p%2e",
  "http://a.test/d1/?",
  "https://xn--bcher-kva.example/ü/",
  "http://a.test/a/./b/../c/",
  "http://a.test/%3%61/",
  "http://a.test/c:/d|/e/",
  "file:///etc/",
  "mailto:x@a.test",
  "not a base",
];

/** Hrefs as pages write them, to mutate. */
const HREFS = [
  "p/1.html",
  "./p/1.html",
  "../x.html",
  "../../../../x",
  "..",
  ".",
  "./",
  "../",
  "/abs/x.tar.gz",
  "/",
  "//c.test/p",
  "?q=1",
  "#frag",
  "",
  " x.html ",
  "x-y_z~1",
  ".hidden",
  "a..b",
  "http://a.test/p/1.html#frag",
  "http://A.test:80/p",
  "https://a.test:8443/x",
  "http:x",
  "HTTP://a.test/x",
  "mailto:me@a.test",
  "javascript:void(0)",
  "/p?q=1#f",
  "p q",
  "\\\\evil.test\\x",
  "/%2e%2e/x",
  "dir/%7Efile",
  "\t/x\n",
  "http://b.test/p/1.html",
  "https://www.b.test/x-y/z#f",
  "http://b.test",
  "http://xn--bcher-kva.example/x",
  "http://b.0x7f/x",
  "http://127.1/x",
];

const TOKENS = [
  "/",
  "./",
  "../",
  ".",
  "..",
  "#",
  "?",
  "//",
  "\\",
  "http:",
  "https:",
  "http://a.test/",
  "https://a.test:8443/",
  "%2e",
  "%2F",
  "%7e",
  "c:",
  "|",
  "~",
  "_",
  "-",
  "a",
  "x.html",
  " ",
  "\t",
  "\n",
  "\0",
  "http://b.test/",
  "xn--",
  "0x",
  "1",
  "B",
  ":80",
  "@",
];

const OPTIONS: NormalizeOptions[] = [{}, { sortQuery: true }, { stripParams: ["utm_*", "q"] }];

function href(rng: Rng): string {
  switch (rng.int(5)) {
    case 0:
      return randomText(rng, 24);
    case 1:
      return tokenSoup(rng, TOKENS, 10);
    default:
      return mutateText(rng, rng.pick(HREFS), TOKENS, HREFS).slice(0, 2000);
  }
}

interface Case {
  options: NormalizeOptions;
  capacity: number;
  /** Pages: a base and its hrefs, resolved in turn through one resolver (one cache). */
  pages: { base: string; hrefs: string[] }[];
}

fuzzTest(import.meta.url, "LinkResolver resolves fuzzed hrefs as URL parsing and normalizeUrl do", {
  cases: 1000,
  input(rng): Case {
    const pages = Array.from({ length: rng.range(1, 6) }, () => {
      const base = rng.chance(0.8)
        ? rng.pick(BASES)
        : mutateText(rng, rng.pick(BASES), TOKENS).slice(0, 2000);
      // Hrefs repeat, so later ones come out of the cache.
      const hrefs = Array.from({ length: rng.range(1, 12) }, () => href(rng));
      return { base, hrefs: [...hrefs, ...hrefs.filter(() => rng.chance(0.5))] };
    });
    return { options: rng.pick(OPTIONS), capacity: rng.pick([2, 10, 10_000]), pages };
  },
  check({ options, capacity, pages }) {
    const resolver = new LinkResolver(options, capacity);
    for (const { base, hrefs } of pages) {
      const resolve = resolver.forBase(base);
      for (const raw of hrefs) {
        const parsed = URL.parse(raw, base);
        const want = (parsed && normalizeUrl(parsed, undefined, options)) ?? null;
        assert.equal(resolve(raw), want, `${JSON.stringify(raw)} against ${JSON.stringify(base)}`);
      }
    }
  },
});
