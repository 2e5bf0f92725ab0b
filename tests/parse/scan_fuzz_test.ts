import assert from "node:assert/strict";
import { scanHtml, type ScannedPage } from "../../src/parse/scan.ts";
import { finishPage, type ParsedPage, type ParsePageOptions } from "../../src/parse/page.ts";
import { loadHtml, scanDocument } from "../../src/parse/dom.ts";
import { decodeHtml } from "../../src/parse/charset.ts";
import { createParser, type ParserConfig } from "../../src/parse/job.ts";
import { normalizeUrl } from "../../src/frontier/url.ts";
import { htmlFixtures } from "../support/fixture_server.ts";
import { fuzzTest } from "../support/fuzz.ts";
import { mutateBytes, randomBytes } from "../support/fuzz_bytes.ts";
import type { Rng } from "../support/fuzz_rng.ts";
import { mutateText, randomText, tokenSoup } from "../support/fuzz_text.ts";

const SEED_BYTES = htmlFixtures(["site", "shop", "charset"]);
const SEEDS = SEED_BYTES.map((bytes) => new TextDecoder().decode(bytes));

const TOKENS = [
  "<a href=",
  '<a href="',
  "<A HREF='",
  "<a href=x.html>",
  '<a href="../up.html#f" rel="nofollow">',
  '<a rel=NoFollow href="/n">',
  "<a href>",
  '<a href="" href="/second">',
  "<area href=",
  "</a>",
  "<base href=",
  '<base href="http://b.test/x/">',
  '<base href="/sub/">',
  '<base href="javascript:void(0)">',
  "<base>",
  '<link rel="canonical stylesheet" href=',
  '<meta name="robots" content="noindex, nofollow">',
  '<meta name=ROBOTS content="none">',
  '<meta name=description content="',
  "<title>",
  "</title>",
  "<h1>",
  "</h1>",
  "<h2>",
  "</h3>",
  "<script>",
  "</script>",
  "<style>",
  "<textarea>",
  "<noscript>",
  "<template>",
  "<svg>",
  "<math>",
  "<![CDATA[",
  "]]>",
  "<!--",
  "-->",
  "<!DOCTYPE html>",
  "<?xml ?>",
  '<meta charset="shift_jis">',
  '<meta http-equiv="Content-Type" content="text/html; charset=gbk">',
  "&amp;",
  "&lt;",
  "&gt",
  "&#x2F;",
  "&#47",
  "&quot;",
  "&nbsp;",
  "&ampx=1",
  "&notit;",
  "&#xD800;",
  ">",
  "/>",
  "=",
  '"',
  "'",
  " ",
  "\n",
  "?q=1",
  "#frag",
  "mailto:x@a.test",
  "http://a.test/p",
  "//c.test/x",
];

const CONTENT_TYPES = [
  null,
  "text/html",
  "text/html; charset=utf-8",
  "text/html; charset=windows-1252",
  'text/html; charset="Shift_JIS"',
  "text/html; charset=gbk",
  "text/html; charset=utf-16le",
  "text/html; charset=utf-16be",
  "text/html; charset=iso-2022-jp",
  "text/html; charset=replacement",
  "text/html; charset=bogus",
  "text/html; charset=",
];

const PAGE_URLS = [
  "http://a.test/",
  "http://a.test/dir/page.html?x=1",
  "https://a.test:8443/a/b/",
  "http://[::1]:8080/x",
];

const OPTIONS: ParsePageOptions[] = [
  {},
  { followNofollow: true },
  { sortQuery: true, stripParams: ["utm_*", "q"] },
];

/**
 * The longest page also parsed into a DOM. The DOM path takes time quadratic
 * in the nesting depth (cheerio's selectors and `text()`, parse5's tree
 * building; 1,000 nested `<h1>` take ~200 ms, 8,000 overflow the stack), so
 * deep nesting is only fuzzed through the streaming scan.
 */
const DOM_MAX_CHARS = 2048;

interface PageCase {
  body: Uint8Array;
  contentType: string | null;
  url: string;
  options: ParsePageOptions;
}

function pageCase(rng: Rng): PageCase {
  let body: Uint8Array;
  const encode = (text: string) => new TextEncoder().encode(text);
  switch (rng.int(6)) {
    case 0:
      body = randomBytes(rng, 2000);
      break;
    case 1:
      body = encode(rng.chance(0.5) ? randomText(rng, 2000) : tokenSoup(rng, TOKENS, 200));
      break;
    case 2:
      body = mutateBytes(rng, rng.pick(SEED_BYTES), TOKENS);
      break;
    default:
      body = encode(mutateText(rng, rng.pick(SEEDS), TOKENS, SEEDS));
  }
  return {
    // Long runs make pages of up to 100 KB: long enough, and quick to check.
    body: body.subarray(0, 100_000),
    contentType: rng.pick(CONTENT_TYPES),
    url: rng.pick(PAGE_URLS),
    options: rng.pick(OPTIONS),
  };
}

/**
 * What `finishPage` must give for a scanned page: every href resolved with
 * the URL parser against the base (the first `<base href>`, if it resolves
 * to http(s), else the page URL), then normalized; deduplicated; and the
 * followed ones without nofollow.
 */
function expectedLinks(
  scanned: ScannedPage,
  pageUrl: string,
  options: ParsePageOptions,
): Pick<ParsedPage, "links" | "follow"> {
  const declared = scanned.baseHref === undefined ? null : URL.parse(scanned.baseHref, pageUrl);
  const base = declared && (declared.protocol === "http:" || declared.protocol === "https:")
    ? declared
    : new URL(pageUrl);
  const pageNofollow = !options.followNofollow &&
    /\b(nofollow|none)\b/i.test(scanned.robots ?? "");
  const links = new Set<string>();
  const follow = new Set<string>();
  const resolved = new Map<string, string | undefined>(); // long runs repeat hrefs
  for (const { href, rel } of scanned.links) {
    let normalized = resolved.get(href);
    if (!resolved.has(href)) {
      const url = URL.parse(href, base);
      normalized = url ? normalizeUrl(url, undefined, options) : undefined;
      resolved.set(href, normalized);
    }
    if (!normalized) continue;
    links.add(normalized);
    if (!pageNofollow && (options.followNofollow || !/\bnofollow\b/i.test(rel))) {
      follow.add(normalized);
    }
  }
  return { links: [...links], follow: [...follow] };
}

/** The invariants of any parsed page's fields. */
function assertWellFormed(page: ParsedPage, options: ParsePageOptions): void {
  for (const link of page.links) {
    const url = new URL(link);
    assert.equal(url.href, link, "a link is a parsed URL");
    assert.ok(url.protocol === "http:" || url.protocol === "https:", "a link is http(s)");
    assert.equal(normalizeUrl(link, undefined, options), link, "a link is normalized");
  }
  assert.equal(new Set(page.links).size, page.links.length, "links are unique");
  const links = new Set(page.links);
  assert.ok(page.follow.every((link) => links.has(link)), "followed links are links");
  if (page.canonical !== null) assert.equal(new URL(page.canonical).href, page.canonical);
  for (const text of [page.title, page.description, ...page.h1]) {
    if (text !== null) assert.match(text, /^(?!\s)(?:\S| (?! ))*(?<!\s)$/, "text is cleaned");
  }
}

fuzzTest(
  import.meta.url,
  "scanHtml and finishPage resolve fuzzed pages' links as URL parsing does",
  {
    cases: 1000,
    input: pageCase,
    check({ body, contentType, url, options }) {
      const html = decodeHtml(body, contentType);
      const scanned = scanHtml(html);
      const page = finishPage(scanned, url, options);
      assertWellFormed(page, options);
      const expected = expectedLinks(scanned, url, options);
      assert.deepEqual(page.links, expected.links, "links as the URL parser resolves them");
      assert.deepEqual(page.follow, expected.follow, "followed links");
      // The DOM path (htmlparser2 too) reads the same raw links and base, but for character
      // references in attributes: htmlparser2's DOM decodes `&gtl` to `>l`, while the scan,
      // like parse5 and the HTML spec, leaves a legacy reference followed by a letter alone.
      if (html.length > DOM_MAX_CHARS) return;
      const dom = scanDocument(loadHtml(html));
      const same = (scan: string | undefined, other: string | undefined) =>
        scan?.includes("&") ? typeof other === "string" : scan === other;
      assert.equal(scanned.links.length, dom.links.length, "as many links as the DOM path");
      scanned.links.forEach(({ href, rel }, i) => {
        const { href: otherHref, rel: otherRel } = dom.links[i]!;
        assert.ok(same(href, otherHref) && same(rel, otherRel), `link ${i} as in the DOM path`);
      });
      assert.ok(same(scanned.baseHref, dom.baseHref), "the same base as the DOM path");
    },
  },
);

const PARSER_CONFIGS: ParserConfig[] = [
  { parser: "htmlparser2", followNofollow: false, stripParams: [], sortQuery: false },
  { parser: "parse5", followNofollow: true, stripParams: ["utm_*"], sortQuery: true },
  {
    parser: "htmlparser2",
    followNofollow: false,
    stripParams: [],
    sortQuery: false,
    linksFrom: "body a",
  },
];
const parsers = await Promise.all(PARSER_CONFIGS.map((config) => createParser(config)));

fuzzTest(import.meta.url, "the parse job parses fuzzed bodies with every parser", {
  cases: 300,
  input: (rng) => ({ ...pageCase(rng), parser: rng.int(parsers.length) }),
  check({ body, contentType, url, parser }) {
    const config = PARSER_CONFIGS[parser]!;
    // Every config here but the first builds a DOM.
    if (parser > 0 && body.length > DOM_MAX_CHARS) return;
    const result = parsers[parser]!.parse({ url, contentType, body });
    assertWellFormed(result, config);
  },
});
