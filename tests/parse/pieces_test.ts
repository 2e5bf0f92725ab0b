import assert from "node:assert/strict";
import { scanHtml, type ScanOptions } from "../../src/parse/scan.ts";
import { decodeHtml, decodeHtmlPieces } from "../../src/parse/charset.ts";
import { htmlFixtures } from "../support/fixture_server.ts";
import { fuzzTest } from "../support/fuzz.ts";
import type { Rng } from "../support/fuzz_rng.ts";
import { mutateText, tokenSoup } from "../support/fuzz_text.ts";

const SEEDS = htmlFixtures(["site", "shop", "charset"]).map((bytes) =>
  new TextDecoder().decode(bytes)
);
const TOKENS = [
  '<a href="/x" rel="nofollow">',
  "<a href=y>",
  "</a>",
  "<title>",
  "</title>",
  "<h1>",
  "</h1>",
  '<img src="i.png" alt="alt &amp; text">',
  '<source srcset="a.png 1x, b.png 2x">',
  '<base href="/sub/">',
  '<meta name="description" content="d &lt; e">',
  '<link rel="canonical" href="/c">',
  '<div id="frag">',
  "<script>var a = '</a>';</script>",
  "<!-- <a href=no> -->",
  "&amp;",
  " text ",
];
const OPTIONS: ScanOptions[] = [{}, { details: true, resources: true, ids: true }];

/** Cuts a text at random places, pieces of 1 to `max` characters (single characters included). */
function cut(rng: Rng, text: string, max: number): string[] {
  const pieces: string[] = [];
  for (let at = 0; at < text.length;) {
    const size = 1 + rng.int(max);
    pieces.push(text.slice(at, at + size));
    at += size;
  }
  return pieces;
}

fuzzTest(import.meta.url, "scanHtml() finds the same page in its text cut into pieces as whole", {
  cases: 400,
  input(rng) {
    const text = rng.chance(0.5)
      ? mutateText(rng, rng.pick(SEEDS), TOKENS, SEEDS)
      : tokenSoup(rng, TOKENS, 300);
    return { text, pieces: cut(rng, text, rng.pick([3, 40, 2000])), options: rng.pick(OPTIONS) };
  },
  check({ text, pieces, options }) {
    assert.equal(pieces.join(""), text);
    assert.deepEqual(scanHtml(pieces, options), scanHtml(text, options));
  },
});

Deno.test("decodeHtmlPieces() decodes a large page in pieces that join to decodeHtml()'s text", () => {
  // Multi-byte characters straddle the piece boundaries; the charset comes from a meta tag.
  const text = `<meta charset="utf-8"><title>Grüße</title>${"<p>日本語 é ✓</p>".repeat(20_000)}`;
  const body = new TextEncoder().encode(text);
  const pieces = [...decodeHtmlPieces(body, "text/html")];
  assert.ok(pieces.length > 10, `${pieces.length} pieces`);
  assert.ok(pieces.every((piece) => piece.length <= 32 * 1024));
  assert.equal(pieces.join(""), decodeHtml(body, "text/html"));
  const latin = new Uint8Array(100_000).fill(0xe9);
  assert.equal(
    [...decodeHtmlPieces(latin, "text/html; charset=windows-1252")].join(""),
    "é".repeat(100_000),
  );
});

Deno.test("scanHtml() reads a title and links that straddle decodeHtmlPieces() boundaries", () => {
  const filler = "x".repeat(32 * 1024 - 10);
  const html =
    `<p>${filler}<title>Straddling</title><a href="/after">after</a>${filler}<a href="/end">`;
  const body = new TextEncoder().encode(html);
  const page = scanHtml(decodeHtmlPieces(body, "text/html"), { details: true });
  assert.equal(page.title, "Straddling");
  assert.deepEqual(page.links.map((link) => link.href), ["/after", "/end"]);
});

/** Byte runs that make UTF-8 hard to cut: every length of sequence, malformed ones, BOMs. */
const UTF8_RUNS: number[][] = [
  [0x61],
  [0x3c, 0x61, 0x3e],
  [0xc3, 0xa9], // é
  [0xe2, 0x9c, 0x93], // ✓
  [0xf0, 0x9f, 0x98, 0x80], // 😀
  [0xef, 0xbb, 0xbf], // U+FEFF: text anywhere but at the start
  [0x80], // a continuation byte alone
  [0xc3], // a lead byte cut short
  [0xe2, 0x9c], // a three-byte sequence cut short
  [0xf0, 0x9f, 0x98], // a four-byte sequence cut short
  [0xe0, 0x80, 0x80], // overlong
  [0xed, 0xa0, 0x80], // a surrogate
  [0xff],
];

fuzzTest(
  import.meta.url,
  "decodeHtmlPieces() decodes UTF-8 cut into pieces as decodeHtml() does whole",
  {
    cases: 60,
    input(rng) {
      // Bodies of one to three pieces, with hard runs dense near each 32 KiB boundary.
      const length = 32 * 1024 + rng.int(70 * 1024);
      const bytes: number[] = rng.chance(0.2) ? [0xef, 0xbb, 0xbf] : [];
      while (bytes.length < length) {
        const boundary = (bytes.length % (32 * 1024)) > 32 * 1024 - 12;
        const run = boundary || rng.chance(0.05) ? rng.pick(UTF8_RUNS) : UTF8_RUNS[0];
        bytes.push(...run);
      }
      return new Uint8Array(bytes);
    },
    check(bytes) {
      const pieces = [...decodeHtmlPieces(bytes, "text/html; charset=utf-8")];
      assert.ok(pieces.every((piece) => piece.length > 0 && piece.length <= 32 * 1024));
      assert.equal(pieces.join(""), decodeHtml(bytes, "text/html; charset=utf-8"));
      assert.equal(pieces.join(""), decodeHtml(bytes, "text/html"));
    },
  },
);
