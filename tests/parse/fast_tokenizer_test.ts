import assert from "node:assert/strict";
import { Tokenizer } from "htmlparser2";
import { FastTokenizer } from "../../src/parse/fast_tokenizer.ts";
import { renderPage } from "../../bench/gen_site.ts";
import { FIXTURES } from "../support/fixture_server.ts";
import { fuzzTest } from "../support/fuzz.ts";
import { mutateText, randomText, tokenSoup } from "../support/fuzz_text.ts";

/** Every callback a tokenizer makes, with its arguments, in order. */
function tokens(Kind: typeof Tokenizer, html: string, chunk = html.length || 1): string[] {
  const out: string[] = [];
  const log = (name: string) => (...args: unknown[]) => out.push(`${name}(${args.join(",")})`);
  const names = [
    "onattribdata",
    "onattribentity",
    "onattribend",
    "onattribname",
    "oncdata",
    "onclosetag",
    "oncomment",
    "ondeclaration",
    "onend",
    "onopentagend",
    "onopentagname",
    "onprocessinginstruction",
    "onselfclosingtag",
    "ontext",
    "ontextentity",
  ];
  const callbacks = Object.fromEntries(names.map((name) => [name, log(name)]));
  const tokenizer = new Kind(
    { xmlMode: false, decodeEntities: false },
    callbacks as unknown as ConstructorParameters<typeof Tokenizer>[1],
  );
  // Written in chunks too: the cursor arithmetic differs once the buffer has an offset.
  for (let at = 0; at < html.length; at += chunk) tokenizer.write(html.slice(at, at + chunk));
  tokenizer.end();
  return out;
}

const TRICKY = [
  "",
  "plain text only",
  "<p>a<b>b</b>c</p>",
  '<a href="x>y" title=\'q"t\'>t</a>',
  "<!-- a comment with < and > -- and -> inside -->after",
  "<!---->x<!--->y<!-- unterminated",
  "<![CDATA[ x ]]> <!DOCTYPE html><?pi x?>",
  "<script>if (a < b) document.write('</scr' + 'ipt>')</script><p>x</p>",
  "<style>a > b { color: red }</style><title>A &amp; B</title>",
  "<textarea><a href=x></textarea>",
  "<a href=unquoted>x</a><a href = 'spaced' >y</a>",
  "text with no tag at the end <",
  '<a href="never closed',
  "</>x</ a></a b=c>",
];

Deno.test("FastTokenizer gives htmlparser2's Tokenizer's tokens on tricky HTML", () => {
  for (const html of TRICKY) {
    assert.deepEqual(tokens(FastTokenizer, html), tokens(Tokenizer, html), html);
    assert.deepEqual(tokens(FastTokenizer, html, 3), tokens(Tokenizer, html, 3), html);
  }
});

Deno.test("FastTokenizer gives htmlparser2's Tokenizer's tokens on the fixture and bench pages", () => {
  const pages: string[] = [
    renderPage(7, { pages: 100, origin: "http://127.0.0.1:8080" }),
    renderPage(42, { pages: 100, origin: "http://127.0.0.1:8080" }),
  ];
  for (const dir of ["site", "shop", "charset"]) {
    for (const entry of Deno.readDirSync(`${FIXTURES}${dir}`)) {
      if (entry.name.endsWith(".html")) {
        pages.push(Deno.readTextFileSync(`${FIXTURES}${dir}/${entry.name}`));
      }
    }
  }
  for (const html of pages) {
    assert.deepEqual(tokens(FastTokenizer, html), tokens(Tokenizer, html));
    assert.deepEqual(tokens(FastTokenizer, html, 1000), tokens(Tokenizer, html, 1000));
  }
});

Deno.test("FastTokenizer replaces a method htmlparser2's Tokenizer still has", () => {
  // An htmlparser2 upgrade that renames or drops it must fail here, not go slow silently.
  const proto = Tokenizer.prototype as unknown as Record<string, unknown>;
  assert.equal(typeof proto.fastForwardTo, "function");
  assert.notEqual(
    (FastTokenizer.prototype as unknown as Record<string, unknown>).fastForwardTo,
    proto.fastForwardTo,
  );
});

const SOUP = [
  "<a href=",
  "'",
  '"',
  ">",
  "<",
  "</a>",
  "<!--",
  "-->",
  "<script>",
  "</script>",
  "<![CDATA[",
  "]]>",
  "&amp;",
  "<style>",
  "</style>",
  "<title>",
  "</title>",
  " ",
  "x=y",
];

fuzzTest(import.meta.url, "FastTokenizer gives htmlparser2's Tokenizer's tokens on fuzzed text", {
  cases: 500,
  input: (rng) => {
    const html = rng.chance(0.5)
      ? tokenSoup(rng, SOUP, 200)
      : mutateText(rng, rng.pick(TRICKY) + randomText(rng, 200), SOUP, TRICKY);
    return { html, chunk: rng.range(1, 64) };
  },
  check({ html, chunk }) {
    assert.deepEqual(tokens(FastTokenizer, html), tokens(Tokenizer, html));
    assert.deepEqual(tokens(FastTokenizer, html, chunk), tokens(Tokenizer, html, chunk));
  },
});
