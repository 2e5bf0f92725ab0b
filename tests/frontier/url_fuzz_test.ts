import assert from "node:assert/strict";
import { type NormalizeOptions, normalizeUrl } from "../../src/frontier/url.ts";
import { checkTrap, hasRepeatedSegments } from "../../src/frontier/trap_guard.ts";
import { fuzzTest } from "../support/fuzz.ts";
import type { Rng } from "../support/fuzz_rng.ts";
import { mutateText, randomText, tokenSoup } from "../support/fuzz_text.ts";

/** Realistic URLs and references to mutate. */
export const URL_SEEDS = [
  "http://example.org/",
  "https://Example.ORG:443/a/./b/../c?#top",
  "HTTP://user:pa%20ss@example.org:80/p%7e/%2a?q=%61&utm_source=x&b=2&a=1#f",
  "https://xn--bcher-kva.example/b%C3%BCcher?x=%zz",
  "http://bücher.example/ü?ü=ü#ü",
  "http://[::1]:8080/x/y?z",
  "http://192.168.0.1./%2e%2E/x",
  "http://0x7f.1/a//b///c/",
  "https://a.test/search?q=a+b&q=c%20d&&=&x",
  "https://a.test/p;param?x=1;y=2",
  "https://a.test/a/b/a/b/a/b/a/b",
  "http://a.test\\b\\c?d\\e",
  "//cdn.example/x.js",
  "/abs/path?x#y",
  "../up/one",
  "./same",
  "?only=query",
  "#only-fragment",
  "",
  "mailto:me@a.test",
  "javascript:alert(1)",
  "data:text/html,<a>",
  "http:relative",
  "https://a.test:65536/",
  "http://[bad/",
];

/** Bases relative references are resolved against. */
const BASES = [
  "http://a.test/dir/page.html?x=1#f",
  "https://a.test:8443/",
  "http://u:p@a.test/a/b/",
  "http://[::1]/x",
  "file:///etc/passwd",
  "not a url",
];

const TOKENS = [
  "http://",
  "https://",
  "HTTP://",
  "//",
  "@",
  ":80",
  ":443",
  ":0",
  ":99999",
  "[::1]",
  "[",
  "xn--",
  "a.test",
  ".",
  "%2e",
  "%2E%2E",
  "?",
  "&",
  "=",
  "+",
  "utm_source=1",
  "utm_=",
  "a=1",
  "b=2",
  "%3D",
  "%26",
  "%23",
  "%3F",
  "#",
  "\\",
  "\t",
  "\n",
];

const OPTIONS: NormalizeOptions[] = [
  {},
  { sortQuery: true },
  { stripParams: ["utm_*", "ref", "a"] },
  { stripParams: ["utm_*", "b"], sortQuery: true },
];

interface Case {
  input: string;
  base: string | undefined;
  options: NormalizeOptions;
}

/** Escapes worth more than their share of random ones: `%`, dots, slashes, hex digits. */
const HEX_PAIRS = ["25", "2e", "2E", "2f", "2F", "3f", "23", "26", "3D", "41", "61", "7e", "00"];
const HEX = "0123456789abcdefABCDEF";

/** Percent-escapes, stray `%`s and hex digits, with a few URL delimiters among them. */
function percentSoup(rng: Rng): string {
  let out = "";
  for (let i = rng.range(1, 16); i > 0; i--) {
    switch (rng.int(5)) {
      case 0:
        out += `%${rng.pick(HEX_PAIRS)}`;
        break;
      case 1:
        out += `%${rng.pick([...HEX])}${rng.pick([...HEX])}`;
        break;
      case 2:
        out += "%";
        break;
      case 3:
        out += rng.pick([...HEX]);
        break;
      default:
        out += rng.pick(["/", ".", "?", "&", "=", "#", "+", "a"]);
    }
  }
  return out;
}

/** A URL or reference: a mutated seed, random text, or a soup of URL pieces or escapes. */
function urlInput(rng: Rng): string {
  switch (rng.int(7)) {
    case 0:
      return randomText(rng, 80);
    case 1:
      return tokenSoup(rng, TOKENS, 20);
    case 2:
      return rng.pick(["http://", "https://"]) + tokenSoup(rng, TOKENS, 12);
    case 3:
      return `${rng.pick(["http://a.test/", "https://a.test/p?", "/", ""])}${percentSoup(rng)}`;
    default:
      return mutateText(rng, rng.pick(URL_SEEDS), TOKENS, URL_SEEDS);
  }
}

function urlCase(rng: Rng): Case {
  return {
    // Long enough for long runs, short enough to stay well within the time limit.
    input: urlInput(rng).slice(0, 20_000),
    base: rng.chance(0.3) ? rng.pick(BASES) : undefined,
    options: rng.pick(OPTIONS),
  };
}

/** The invariants of one normalized URL. */
function assertNormalForm(href: string, options: NormalizeOptions): void {
  const url = new URL(href);
  assert.equal(url.href, href, "the URL parser serializes it unchanged");
  assert.ok(url.protocol === "http:" || url.protocol === "https:", "http(s)");
  assert.ok(!href.includes("#"), "no fragment");
  assert.ok(url.search !== "" || !href.endsWith("?"), "no empty query");
  assert.equal(url.username + url.password, "", "no credentials");
  assert.equal(normalizeUrl(href, undefined, options), href, "idempotent");
}

fuzzTest(import.meta.url, "normalizeUrl is idempotent on fuzzed URLs", {
  cases: 6000,
  input: urlCase,
  check({ input, base, options }) {
    const result = normalizeUrl(input, base, options);
    const parsed = URL.parse(input, base);
    const http = parsed !== null && (parsed.protocol === "http:" || parsed.protocol === "https:");
    assert.equal(result !== undefined, http, "defined exactly for http(s) URLs");
    if (result === undefined) return;
    assertNormalForm(result, options);
    // The parsed-URL entry point agrees with the string one.
    assert.equal(normalizeUrl(parsed!, undefined, options), result, "same from a URL object");
    // What normalization keeps of the URL: origin, and the path up to escapes.
    assert.equal(new URL(result).origin, parsed!.origin, "same origin");
    assert.equal(normalizeUrl(result), result, "normal under the default options too");
  },
});

fuzzTest(import.meta.url, "the trap guard answers every fuzzed normalized URL", {
  cases: 3000,
  input(rng) {
    // Paths that repeat pieces, so the repeat check has work to do.
    const pieces = Array.from({ length: rng.range(1, 4) }, () => randomText(rng, 4) || "a");
    let path = "";
    for (let i = rng.size(40); i > 0; i--) path += `/${rng.pick(pieces)}`;
    return {
      url: rng.chance(0.5) ? `http://a.test${path}` : urlInput(rng) + path,
      maxUrlLength: rng.range(1, 400),
      maxPathRepeats: rng.range(1, 4),
    };
  },
  check({ url, maxUrlLength, maxPathRepeats }) {
    const href = normalizeUrl(url);
    if (href === undefined) return;
    const reason = checkTrap(href, { maxUrlLength, maxPathRepeats });
    if (href.length > maxUrlLength) assert.equal(reason, "url_too_long");
    else {
      const repeated = hasRepeatedSegments(new URL(href).pathname, maxPathRepeats);
      assert.equal(reason, repeated ? "repeated_path" : undefined);
    }
  },
});
