import assert from "node:assert/strict";
import { scanBody, scanHtml, type ScanOptions } from "../../src/parse/scan.ts";
import { decodeHtmlPieces, utf8BytePieces } from "../../src/parse/charset.ts";
import { fuzzTest } from "../support/fuzz.ts";
import type { Rng } from "../support/fuzz_rng.ts";
import { tokenSoup } from "../support/fuzz_text.ts";

const ALL: ScanOptions = { details: true, resources: true, ids: true };
const PIECE = 32 * 1024;
const encode = (text: string) => new TextEncoder().encode(text);

/** What a body's decoded text gives: what scanBody() must give from its bytes. */
function fromText(body: Uint8Array, contentType: string, options: ScanOptions) {
  return scanHtml(decodeHtmlPieces(body, contentType), options);
}

Deno.test("scanBody() decodes every value it keeps from a UTF-8 page's bytes", () => {
  const html = `<html><head><title>Grüße → &eacute;t&eacute; 日本</title>` +
    `<meta name="description" content="Déjà vu &amp; ✓">` +
    `<meta name="robots" content="noïndex">` +
    `<link rel="canonical" href="/kanonisch/ü">` +
    `<base href="/basé/"></head><body>` +
    `<h1>Überschrift 😀 &lt;1&gt;</h1>` +
    `<a href="/ü?q=日本" rel="nofollow → x" id="ancre-é">Link ü <img src="/bild-ö.png" alt="Bild ö &amp; ✓"> fin</a>` +
    `<a name="nom-à"></a><area href="/zone-ß" alt="Zone ß">` +
    `<img src="/i.png" srcset="/klein-ä.png 1x, /groß.png 2x" title="Titel ñ">` +
    `<script src="/s-ç.js" title="Skript ç"></script>`;
  const body = encode(html);
  const page = scanBody(body, "text/html; charset=utf-8", ALL);
  assert.equal(page.title, "Grüße → été 日本");
  assert.equal(page.description, "Déjà vu & ✓");
  assert.equal(page.robots, "noïndex");
  assert.equal(page.canonical, "/kanonisch/ü");
  assert.equal(page.baseHref, "/basé/");
  assert.deepEqual(page.h1, ["Überschrift 😀 <1>"]);
  assert.deepEqual(page.links[0], {
    href: "/ü?q=日本",
    rel: "nofollow → x",
    tag: "a[href]",
    text: "Link ü Bild ö & ✓ fin",
  });
  assert.deepEqual(page.links[1], { href: "/zone-ß", rel: "", tag: "area[href]", text: "Zone ß" });
  assert.deepEqual(page.ids, ["ancre-é", "nom-à"]);
  assert.deepEqual(page.resources.map((r) => [r.href, r.text]), [
    ["/bild-ö.png", "Bild ö & ✓"],
    ["/i.png", "Titel ñ"],
    ["/klein-ä.png", "Titel ñ"],
    ["/groß.png", "Titel ñ"],
    ["/s-ç.js", "Skript ç"],
  ]);
  assert.deepEqual(page, fromText(body, "text/html", ALL));
});

Deno.test("scanBody() reads a title whose characters straddle the end of a 32 KiB piece", () => {
  // The title's end tag is looked for across the pieces' boundary: the scanner keeps the
  // piece's last characters for the next one, which cuts a multi-byte character in two.
  for (let shift = 0; shift < 12; shift++) {
    const title = "日本語😀é".repeat(4);
    const head = `<p>${"x".repeat(PIECE - 20 - shift)}</p><title>`;
    const body = encode(`${head}${title}</title><a href="/日本">日本</a>`);
    assert.ok([...utf8BytePieces(body)].length === 2);
    const page = scanBody(body, "text/html", { details: true });
    assert.equal(page.title, title, `shift ${shift}`);
    assert.deepEqual(page.links, [{ href: "/日本", rel: "", tag: "a[href]", text: "日本" }]);
  }
});

Deno.test("scanBody() decodes malformed bytes in a value as the page's decoder does", () => {
  const body = new Uint8Array([
    0xef,
    0xbb,
    0xbf, // a BOM
    ...encode("<title>a"),
    0xc3, // a lead byte cut short
    ...encode('b</title><a href="/x'),
    0xff,
    0x80,
    ...encode('">'),
  ]);
  const page = scanBody(body, "text/html");
  assert.equal(page.title, "a\ufffdb");
  assert.deepEqual(page.links, [{ href: "/x\ufffd\ufffd", rel: "" }]);
  assert.deepEqual(page, fromText(body, "text/html", {}));
});

Deno.test("scanBody() decodes a page in another charset before scanning it", () => {
  // "café" in windows-1252: 0xE9 alone, which as UTF-8 would be malformed.
  const body = new Uint8Array([...encode("<title>caf"), 0xe9, ...encode("</title>")]);
  assert.equal(scanBody(body, "text/html; charset=windows-1252").title, "café");
  assert.equal(scanBody(body, "text/html").title, "caf\ufffd");
});

/** Tokens whose kept values hold characters of every UTF-8 length, and references. */
const TOKENS = [
  '<a href="/é/日本?q=😀" rel="nofollow ✓">',
  "<a href=/ü>",
  "</a>",
  "<title>",
  "</title>",
  "<h1>",
  "</h1>",
  "<textarea>",
  "</textarea>",
  '<img src="ö.png" alt="ä &amp; ✓ 😀">',
  '<source srcset="à.png 1x, 日.png 2x">',
  '<base href="/sœur/">',
  '<meta name="description" content="dé &lt; ✓">',
  '<meta name="robots" content="nofollow">',
  '<link rel="canonical" href="/ç">',
  '<div id="frägment">',
  "<script>var a = '</a> é';</script>",
  "<!-- <a href=no> ü -->",
  "&amp;",
  "&eacute;",
  " text ",
  "日本語",
  "é",
  "😀",
  "→",
];

/** Byte runs that are not UTF-8 (and a BOM, which is text past the start). */
const ODD_BYTES: number[][] = [[0x80], [0xc3], [0xe2, 0x9c], [0xf0, 0x9f, 0x98], [0xff], [
  0xef,
  0xbb,
  0xbf,
]];

/** A soup of tokens and odd bytes, often after ASCII filler that puts a piece's end in it. */
function body(rng: Rng): Uint8Array {
  const bytes: number[] = rng.chance(0.1) ? [0xef, 0xbb, 0xbf] : [];
  if (rng.chance(0.6)) {
    // The first piece ends within the soup's first 80 bytes (or within the second piece's).
    const pieces = rng.range(1, 2);
    bytes.push(...encode(`<p>${"x".repeat(pieces * PIECE - 7 - rng.int(80))}</p>`));
  }
  const parts = rng.range(1, 12);
  for (let i = 0; i < parts; i++) {
    if (rng.chance(0.2)) bytes.push(...rng.pick(ODD_BYTES));
    else bytes.push(...encode(tokenSoup(rng, TOKENS, 30)));
  }
  return new Uint8Array(bytes);
}

fuzzTest(
  import.meta.url,
  "scanBody() finds in a UTF-8 body's bytes what scanHtml() finds in its text",
  {
    cases: 300,
    input(rng) {
      return { body: body(rng), options: rng.pick<ScanOptions>([{}, ALL]) };
    },
    check({ body, options }) {
      assert.deepEqual(scanBody(body, "text/html", options), fromText(body, "text/html", options));
    },
  },
);
