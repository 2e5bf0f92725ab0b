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
