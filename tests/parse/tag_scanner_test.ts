import assert from "node:assert/strict";
import { Tokenizer } from "htmlparser2";
import { type TagHandler, TagScanner } from "../../src/parse/tag_scanner.ts";
import { renderPage } from "../../bench/gen_site.ts";
import { FIXTURES } from "../support/fixture_server.ts";
import { fuzzTest } from "../support/fuzz.ts";
import { mutateText, randomText, tokenSoup } from "../support/fuzz_text.ts";

/**
 * One token: a whole start tag (name, attributes with `null` for no value,
 * self-closing), an end tag, or a run of text (consecutive runs merged).
 */
type Token =
  | { start: string; attributes: [string, string | null][]; selfClosing: boolean }
  | { end: string }
  | { text: string };

function pushText(tokens: Token[], text: string): void {
  const last = tokens.at(-1);
  if (last && "text" in last) last.text += text;
  else if (text !== "") tokens.push({ text });
}

/** The tokens htmlparser2's Tokenizer reads (entities left as written), in pieces of `chunk`. */
function htmlparser2Tokens(html: string, chunk = html.length || 1): Token[] {
  const tokens: Token[] = [];
  // A start tag is a token once its end is read: one cut by the document's end is dropped.
  let tag: { start: string; attributes: [string, string | null][] } | undefined;
  let attribute: [string, string | null] | undefined;
  const slice = (start: number, end: number) => html.slice(start, end);
  const noop = () => {};
  const tagEnd = (selfClosing: boolean) => {
    tokens.push({ ...tag!, selfClosing });
    tag = undefined;
  };
  const tokenizer = new Tokenizer({ xmlMode: false, decodeEntities: false }, {
    onopentagname: (start, end) => tag = { start: slice(start, end), attributes: [] },
    onattribname: (start, end) => attribute = [slice(start, end), null],
    onattribdata: (start, end) => attribute![1] = (attribute![1] ?? "") + slice(start, end),
    onattribend: (quote) => {
      // QuoteType.NoValue is 0: no value; any other, a value (maybe empty).
      if (quote !== 0) attribute![1] ??= "";
      tag!.attributes.push(attribute!);
    },
    onopentagend: () => tagEnd(false),
    onselfclosingtag: () => tagEnd(true),
    onclosetag: (start, end) => tokens.push({ end: slice(start, end) }),
    // Text from a forgotten position (-1: a document ending in `<a/`) is not reported, on purpose.
    ontext: (start, end) => start >= 0 && pushText(tokens, slice(start, end)),
    onattribentity: noop,
    ontextentity: noop,
    oncdata: noop,
    oncomment: noop,
    ondeclaration: noop,
    onend: noop,
    onprocessinginstruction: noop,
  });
  for (let at = 0; at < html.length; at += chunk) tokenizer.write(html.slice(at, at + chunk));
  tokenizer.end();
  return tokens;
}

/** The tokens TagScanner reads, wanting every tag and all text, in pieces of `chunk`. */
function scannerTokens(html: string, chunk = html.length || 1): Token[] {
  const tokens: Token[] = [];
  let name = "";
  let attributes: [string, string | null][] = [];
  const handler: TagHandler = {
    tag(text, start, end) {
      name = text.slice(start, end);
      return 1;
    },
    attribute(_code, text, nameStart, nameEnd, valueStart, valueEnd) {
      attributes.push([
        text.slice(nameStart, nameEnd),
        valueStart < 0 ? null : text.slice(valueStart, valueEnd),
      ]);
    },
    startTag(_code, selfClosing) {
      tokens.push({ start: name, attributes, selfClosing });
      attributes = [];
    },
    endTag: (text, start, end) => tokens.push({ end: text.slice(start, end) }),
    text: (text, start, end) => pushText(tokens, text.slice(start, end)),
    wantsText: () => true,
  };
  const scanner = new TagScanner(handler);
  for (let at = 0; at < html.length; at += chunk) scanner.write(html.slice(at, at + chunk));
  scanner.end();
  return tokens;
}

/**
 * Asserts both read the same tokens. htmlparser2 matches raw text's end tag
 * by OR-ing 0x20 into each character, so to it U+001C and U+000F also stand
 * for `<` and `/` there; TagScanner does not copy that (no HTML has those
 * control characters), so they are replaced first.
 */
function assertSameTokens(written: string, chunk?: number): void {
  const html = written.replaceAll("\x0f", "?").replaceAll("\x1c", "?");
  assert.deepEqual(scannerTokens(html, chunk), htmlparser2Tokens(html, chunk), html);
}

const TRICKY = [
  "",
  "plain text only",
  "<p>a<b>b</b>c</p>",
  '<a href="x>y" title=\'q"t\'>t</a>',
  "<!-- a comment with < and > -- and -> inside -->after",
  "<!---->x<!--->y<!-- unterminated",
  "<!-->a<!--->b<!---->c<!-- -- --->d",
  "<![CDATA[ x ]]> <!DOCTYPE html><?pi x?>",
  "<![CDATA[ x ]]]> <![CDAT x> <![cdata[ y ]]> z",
  "<!>swallowed>x<!->y>z<!x>w",
  "<script>if (a < b) document.write('</scr' + 'ipt>')</script><p>x</p>",
  "<script>x</scripty>y</script\t>z</script/>w</script >v",
  "<style>a > b { color: red }</style><title>A &amp; B</title>",
  "<textarea><a href=x></textarea>",
  "<SCRIPT>x</Script><TiTlE>t</tItLe><xmp><b></XMP>",
  "<tmp><a></xmp>after<xitle><b></title>after<xextarea><i></textarea>end",
  "<script/>not raw <b>x</b><script / >also</script>",
  "<script/x>raw <b></script>",
  "<a href=unquoted>x</a><a href = 'spaced' >y</a>",
  "<a href=>x</a><a href= >y</a><a href>z</a><a href/>w",
  "<a =x ==y href=z/>t</a>",
  '<a href="1" href="2" HREF=3>dup</a>',
  '<a href="x"title=y>no space</a>',
  "<a/b><a / c=d><a//>",
  "<div <a href=x>>",
  "text with no tag at the end <",
  '<a href="never closed',
  "</>x</ a></a b=c>",
  "</ >a</\t\n>b</1>c</-x>d",
  "a < b > c <3 <= d",
  "<h1>cut <scr",
  "<h1>cut <s",
  "<h1>cut <titl",
  "<h1>cut <x",
  "<h1>cut <div",
  "<h1>cut </",
  "<h1>cut </ ",
  "<h1>cut </a",
  "<h1>cut </a x",
  "<h1>cut <!",
  "<h1>cut <!-",
  "<h1>cut <!-x",
  "<h1>cut <!doctype",
  "<h1>cut <![CDA",
  "<h1>cut <![CDATA[ x",
  "<h1>cut <?pi",
  "<h1>cut </1 bogus",
  "<h1>cut <a/",
  "<title>cut",
  "<script>cut </scr",
];

Deno.test("TagScanner reads the tags and text htmlparser2's Tokenizer reads, on tricky HTML", () => {
  for (const html of TRICKY) {
    assertSameTokens(html);
    for (const chunk of [1, 2, 3, 7]) assertSameTokens(html, chunk);
  }
});

Deno.test("TagScanner reads the tags and text htmlparser2's Tokenizer reads, on the fixture and bench pages", () => {
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
    assertSameTokens(html);
    assertSameTokens(html, 1000);
    assertSameTokens(html, 97);
  }
});

Deno.test("TagScanner reports nothing of an unwanted tag and no text unless wanted", () => {
  const calls: string[] = [];
  let wantsText = false;
  const scanner = new TagScanner({
    tag: (text, start, end) => text.slice(start, end) === "title" ? 1 : 0,
    attribute: (_code, text, start, end) => calls.push(`attribute ${text.slice(start, end)}`),
    startTag: () => {
      calls.push("title");
      wantsText = true;
    },
    endTag: (text, start, end) => {
      calls.push(`/${text.slice(start, end)}`);
      wantsText = false;
    },
    text: (text, start, end) => calls.push(`text ${text.slice(start, end)}`),
    wantsText: () => wantsText,
  });
  scanner.write('<p class="x">before<title lang=en>Ti');
  scanner.write("tle</title>after</p>");
  scanner.end();
  // The title's text comes in one run: its last characters were kept until its end tag could be told.
  assert.deepEqual(calls, ["attribute lang", "title", "text Title", "/title", "/p"]);
  assert.throws(() => scanner.write("x"), /Cannot write to the tag scanner as it has ended/);
});

Deno.test("TagScanner reads on a tag cut over a thousand pieces, not again from its start", () => {
  // A megabyte data: URL in 1 KiB pieces: the tag is followed piece by piece, not read again from
  // its `<` with each one (which made a long tag's time grow with its length squared).
  const data = `data:image/png;base64,${"QUJD".repeat(256 * 1024)}`;
  const html = `<p>x</p><img alt="a" src="${data}" title=t><a href=/after>after</a>`;
  let names = 0;
  const values: string[] = [];
  const scanner = new TagScanner({
    tag: () => {
      names++;
      return 1;
    },
    attribute: (_code, text, _nameStart, _nameEnd, valueStart, valueEnd) => {
      if (valueStart >= 0) values.push(text.slice(valueStart, valueEnd));
    },
    startTag: () => {},
    endTag: () => {},
    text: () => {},
    wantsText: () => false,
  });
  for (let at = 0; at < html.length; at += 1024) scanner.write(html.slice(at, at + 1024));
  scanner.end();
  // p and a once; img twice: in the piece it starts in (before its value was cut), then whole.
  assert.equal(names, 4);
  assert.deepEqual(values, ["a", data, "t", "/after"]);
  assertSameTokens(html, 1024);
});

const SOUP = [
  "<a href=",
  "'",
  '"',
  ">",
  "<",
  "</",
  "/",
  "=",
  "</a>",
  "<!--",
  "-->",
  "-",
  "<!",
  "<?",
  "<script>",
  "</script>",
  "</script",
  "<![CDATA[",
  "]]>",
  "&amp;",
  "<style>",
  "</style>",
  "<title>",
  "</title>",
  "<xmp>",
  "<tmp>",
  "</xmp>",
  " ",
  "\n",
  "x=y",
  "<s",
  "<t",
  "<h1>",
];

fuzzTest(
  import.meta.url,
  "TagScanner reads the tags and text htmlparser2's Tokenizer reads, on fuzzed text",
  {
    cases: 800,
    input: (rng) => {
      const html = rng.chance(0.5)
        ? tokenSoup(rng, SOUP, 200)
        : mutateText(rng, rng.pick(TRICKY) + randomText(rng, 200), SOUP, TRICKY);
      return { html, chunk: rng.range(1, 64) };
    },
    check({ html, chunk }) {
      assertSameTokens(html);
      assertSameTokens(html, chunk);
    },
  },
);
