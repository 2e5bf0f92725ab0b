import assert from "node:assert/strict";
import { parseRobots, type Robots, ROBOTS_MAX_BYTES } from "../../src/robots/rules.ts";
import { fuzzTest } from "../support/fuzz.ts";
import { mutateBytes, randomBytes } from "../support/fuzz_bytes.ts";
import type { Rng } from "../support/fuzz_rng.ts";
import { mutateText, randomText, tokenSoup } from "../support/fuzz_text.ts";

const SITE = "https://example.org";

/** Realistic robots.txt files: RFC 9309's and Google's examples, and odd ones. */
const SEEDS = [
  "User-agent: *\nDisallow: /private\nAllow: /private/ok\nCrawl-delay: 2\nSitemap: /sitemap.xml\n",
  "User-Agent: barbot\nUser-Agent: bazbot\nDisallow: /example/page.html\n\nUser-agent: *\nDisallow: /",
  "# robots.txt\nUser-agent: deno-crawler # us\nDisallow: /own\nAllow: /own/ok$\n\n" +
  "User-agent: *\nDisallow: /*.gif$\nDisallow: /this/*/exactly\nDisallow: /search?q=\n" +
  "Disallow: /*&sid=\nSitemap: https://example.org/sitemap_index.xml\n",
  "\uFEFFUser-agent: *\r\nDisallow: /a\r\nDisallow: /%7Euser/\r\nAllow: /%2Fencoded\r\n",
  "User-agent *\nDisallow /a b\nCrawl-delay: 0.5\nsitemap: http://other.test/s.xml",
  "User-agent: *\nDisallow:\nUser-agent: other\nDisallow: /\nCrawl-delay: soon",
  "User-agent: *\nDisallow: /\u00e9\nAllow: /*xxxx\nDisallow: /page\nAllow: /pa*e\nDisallow: /q$x",
  "Disallow: /before-any-agent\nUser-agent: DENO-Crawler/9.9 extra\nDisallow: /mine\n",
];

const TOKENS = [
  "User-agent:",
  "User-Agent: *",
  "user-agent: deno-crawler",
  "Disallow:",
  "Disallow: /",
  "Allow:",
  "Allow: /",
  "Crawl-delay:",
  "Crawl-delay: 1e3",
  "Crawl-delay: 99999999999999999999999",
  "Sitemap:",
  "Sitemap: //x.test/s.xml",
  "*",
  "$",
  "/*",
  "*$",
  "/robots.txt",
  "#",
  ":",
  "\n",
  "\r",
  "\r\n",
  " ",
  "\t",
  "%2A",
  "%24",
  "%7e",
  "%",
];

const AGENTS = ["deno-crawler/0.1 (+https://example.invalid/)", "barbot/1", "", "*", "Other"];

/** Paths the rules are asked about, to mutate. */
const PATHS = [
  "/",
  "/private/x",
  "/private/ok",
  "/own/ok",
  "/example/page.html",
  "/a/b.gif",
  "/this/is/exactly",
  "/search?q=1&sid=2",
  "/%7Euser/",
  "/~user/",
  "/\u00e9xxxx",
  "/robots.txt",
  "/q$x",
  "/p*ge",
];

/** URLs to ask about: absolute, mostly on the site, sometimes not URLs at all. */
function urls(rng: Rng): string[] {
  return Array.from({ length: rng.range(1, 8) }, () => {
    if (rng.chance(0.05)) return randomText(rng, 20);
    return SITE + mutateText(rng, rng.pick(PATHS), TOKENS, PATHS).slice(0, 500);
  });
}

/** What a parsed file says about some URLs: all of its observable behaviour. */
function observe(robots: Robots, asked: string[]) {
  return {
    verdicts: asked.map((url) => URL.parse(url) === null ? "invalid" : robots.isAllowed(url)),
    crawlDelayMs: robots.crawlDelayMs,
    sitemaps: robots.sitemaps,
  };
}

interface FileCase {
  body: string | Uint8Array;
  agent: string;
  baseUrl: string | undefined;
  asked: string[];
}

fuzzTest(import.meta.url, "parseRobots and isAllowed never throw on fuzzed robots.txt files", {
  cases: 1000,
  input(rng): FileCase {
    let body: string | Uint8Array;
    switch (rng.int(6)) {
      case 0:
        body = randomBytes(rng, 1000);
        break;
      case 1:
        body = mutateBytes(rng, new TextEncoder().encode(rng.pick(SEEDS)), TOKENS);
        break;
      case 2:
        body = rng.chance(0.5) ? randomText(rng, 1000) : tokenSoup(rng, TOKENS, 100);
        break;
      default:
        body = mutateText(rng, rng.pick(SEEDS), TOKENS, SEEDS);
    }
    const baseUrl = rng.pick([undefined, `${SITE}/robots.txt`, "http://[::1]:8080/robots.txt"]);
    // Long runs make files of up to 64 KiB here; the cap has a test of its own.
    body = body.slice(0, 65_536);
    return { body, agent: rng.pick(AGENTS), baseUrl, asked: urls(rng) };
  },
  check({ body, agent, baseUrl, asked }) {
    const robots = parseRobots(body, agent, { baseUrl });
    for (const url of asked) {
      if (URL.parse(url) === null) {
        assert.throws(() => robots.isAllowed(url), TypeError, "only a non-URL throws");
      } else {
        assert.equal(typeof robots.isAllowed(url), "boolean");
        assert.equal(robots.isAllowed(new URL(url)), robots.isAllowed(url), "a URL object too");
      }
    }
    const seen = observe(robots, asked);
    if (seen.crawlDelayMs !== undefined) assert.ok(seen.crawlDelayMs >= 0, "a delay is >= 0");
    assert.equal(new Set(seen.sitemaps).size, seen.sitemaps.length, "sitemaps are unique");
    for (const sitemap of seen.sitemaps) {
      const url = new URL(sitemap);
      assert.ok(url.protocol === "http:" || url.protocol === "https:", "a sitemap is http(s)");
      assert.equal(url.href, sitemap, "a sitemap is absolute and serialized");
    }
    // The same file as text or as bytes, and parsed again, says the same.
    const other = typeof body === "string" ? new TextEncoder().encode(body) : decoder.decode(body);
    assert.deepEqual(observe(parseRobots(other, agent, { baseUrl }), asked), seen, "text or bytes");
    assert.deepEqual(observe(parseRobots(body, agent, { baseUrl }), asked), seen, "parsed again");
  },
  show: ({ body, ...rest }) =>
    JSON.stringify({ ...rest, body: typeof body === "string" ? body : [...body] }),
});

const decoder = new TextDecoder();

fuzzTest(import.meta.url, "parseRobots ignores everything past 500 KiB of fuzzed files", {
  cases: 40,
  input(rng) {
    const head = mutateText(rng, rng.pick(SEEDS), TOKENS, SEEDS).slice(0, 20_000);
    // A comment, in ASCII or in 2- and 3-byte characters, up to a line the cap cuts.
    const fill = rng.pick(["#", "\u00e9", "\u20ac", "#\u20ac\u00e9"]);
    return { head, fill, cut: rng.range(1, 40), bytes: rng.chance(0.5), asked: urls(rng) };
  },
  check({ head, fill, cut, bytes, asked }) {
    // Open a group for every agent, so that any rule read past the cap would count.
    const start = `${head}\nUser-agent: *\nUser-agent: deno-crawler\n`;
    const encoder = new TextEncoder();
    // A comment line that ends `cut` bytes before the cap.
    const room = ROBOTS_MAX_BYTES - encoder.encode(start).byteLength - cut;
    const unit = encoder.encode(fill).byteLength / fill.length;
    let pad = `#${fill.repeat(Math.max(0, Math.floor((room - 1) / unit / fill.length)))}`;
    pad += "#".repeat(room - encoder.encode(pad).byteLength);
    // The line the cap cuts would disallow a prefix of what it disallows whole.
    const tail = `\nDisallow: /${"x".repeat(cut + 10)}\nDisallow: /\nCrawl-delay: 7\n` +
      `Sitemap: ${SITE}/past-the-cap.xml\n`;
    const capped = start + pad + tail;
    assert.equal(encoder.encode(start + pad).byteLength, ROBOTS_MAX_BYTES - cut);
    const agent = "deno-crawler/0.1";
    const asked2 = [
      ...asked,
      `${SITE}/x`,
      `${SITE}/${"x".repeat(cut)}`,
      `${SITE}/${"x".repeat(50)}`,
    ];
    const expected = observe(parseRobots(start, agent), asked2);
    const body = bytes ? encoder.encode(capped) : capped;
    assert.deepEqual(observe(parseRobots(body, agent), asked2), expected);
  },
  show: ({ head, ...rest }) => JSON.stringify({ head, ...rest }),
});

/**
 * A reference for RFC 9309 matching over a small alphabet, by dynamic
 * programming: `*` matches any run, a final `$` anchors, and everything else
 * (a `$` elsewhere, and `*` or `$` in the path) is literal.
 */
function referenceAllowed(rules: { allow: boolean; pattern: string }[], path: string): boolean {
  // Both sides in the escaped form the parser compares: `$` is %24, a path's `*` is %2A.
  const target = path.replaceAll("$", "%24").replaceAll("*", "%2A");
  let best: { allow: boolean; length: number } | undefined;
  for (const { allow, pattern } of rules) {
    const anchored = pattern.endsWith("$");
    const body = (anchored ? pattern.slice(0, -1) : pattern).replaceAll("$", "%24");
    // can[j]: the pattern read so far can end at target[j].
    let can = Array.from({ length: target.length + 1 }, (_, j) => j === 0);
    for (const char of body) {
      const next = Array.from({ length: target.length + 1 }, () => false);
      for (let j = 0; j <= target.length; j++) {
        if (char === "*") next[j] = can[j]! || (j > 0 && next[j - 1]!);
        else next[j] = j > 0 && can[j - 1]! && target[j - 1] === char;
      }
      can = next;
    }
    const matched = anchored ? can[target.length]! : can.some((c) => c);
    const length = body.length + (anchored ? 1 : 0);
    if (
      matched && (!best || length > best.length || (length === best.length && allow))
    ) best = { allow, length };
  }
  return best?.allow ?? true;
}

fuzzTest(import.meta.url, "isAllowed follows the longest matching fuzzed rule", {
  cases: 2500,
  input(rng) {
    const word = (alphabet: string, max: number) =>
      Array.from({ length: rng.size(max) }, () => rng.pick([...alphabet])).join("");
    const rules = Array.from({ length: rng.range(1, 6) }, () => ({
      allow: rng.chance(0.5),
      pattern: (rng.chance(0.8) ? "/" : "") + word("ab/*$", 6),
    }));
    const paths = Array.from({ length: 8 }, () => `/${word("ab/$*", 8)}`);
    return { rules, paths };
  },
  check({ rules, paths }) {
    const text = "User-agent: *\n" +
      rules.map(({ allow, pattern }) => `${allow ? "Allow" : "Disallow"}: ${pattern}`).join("\n");
    const robots = parseRobots(text, "deno-crawler");
    // An empty pattern is no rule.
    const real = rules.filter((rule) => rule.pattern !== "");
    for (const path of paths) {
      assert.equal(robots.isAllowed(SITE + path), referenceAllowed(real, path), path);
    }
  },
});
