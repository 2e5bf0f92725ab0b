import assert from "node:assert/strict";
import { loadHtml, scanDocument } from "../../src/parse/dom.ts";
import { finishPage, parsePage } from "../../src/parse/page.ts";
import { scanHtml } from "../../src/parse/scan.ts";
import { MAX_LINK_TEXT, srcsetUrls } from "../../src/parse/link_refs.ts";

const PAGE = `<!doctype html><title>T</title>
<link rel="stylesheet" href="/s.css"><link rel="icon" href="/i.ico"><link rel="canonical" href="/c">
<link rel="preload" href="/not-a-resource.js">
<script src="/app.js"></script><h1 id="top-heading">Welcome <img src="/h.png" alt="logo"></h1>
<a href="/a">Plain  &amp;
  text</a> <a href="/b"><img src="/b.png" alt="Bee"> picture</a>
<a href="/c" name="anchor-c">C</a><a name="just-a-name">no href</a>
<area href="/map" alt="Map area"><img srcset="/s1.png 1x, /s2.png 2x" src="/s.png" title="Set">
<iframe src="/frame.html" title="Map"></iframe><video src="/v.mp4"><source src="/v.webm"></video>
<audio src="/a.mp3"></audio><picture><source srcset="/p.avif"></picture>
<div id="section-1"><span id="">empty id</span></div>`;

const OPTIONS = { details: true, resources: true, ids: true };

Deno.test("scanHtml() with details reads each link's tag and text, an image's alt counting as text", () => {
  const page = scanHtml(PAGE, OPTIONS);
  assert.deepEqual(page.links.map((l) => [l.href, l.tag, l.text]), [
    ["/a", "a[href]", "Plain & text"],
    ["/b", "a[href]", "Bee picture"],
    ["/c", "a[href]", "C"],
    ["/map", "area[href]", "Map area"],
  ]);
  // The heading's text is unchanged by the image's alt.
  assert.deepEqual(page.h1, ["Welcome "]);
});

Deno.test("scanHtml() with resources reads images, srcsets, scripts, stylesheets, icons, frames and media", () => {
  const page = scanHtml(PAGE, OPTIONS);
  assert.deepEqual(page.resources.map((l) => [l.href, l.tag, l.text ?? null]), [
    ["/s.css", "link[href]", null],
    ["/i.ico", "link[href]", null],
    ["/app.js", "script[src]", null],
    ["/h.png", "img[src]", "logo"],
    ["/b.png", "img[src]", "Bee"],
    ["/s.png", "img[src]", "Set"],
    ["/s1.png", "img[srcset]", "Set"],
    ["/s2.png", "img[srcset]", "Set"],
    ["/frame.html", "iframe[src]", "Map"],
    ["/v.mp4", "video[src]", null],
    ["/v.webm", "source[src]", null],
    ["/a.mp3", "audio[src]", null],
    ["/p.avif", "source[srcset]", null],
  ]);
});

Deno.test("scanHtml() with ids reads every element id and <a name>", () => {
  assert.deepEqual(scanHtml(PAGE, OPTIONS).ids, [
    "top-heading",
    "anchor-c",
    "just-a-name",
    "section-1",
  ]);
});

Deno.test("scanHtml() without options collects no resources, ids, tags or texts", () => {
  const page = scanHtml(PAGE);
  assert.deepEqual(page.resources, []);
  assert.deepEqual(page.ids, []);
  assert.ok(page.links.every((l) => l.tag === undefined && l.text === undefined));
});

Deno.test("scanDocument() reads the same links, resources and ids as scanHtml()", () => {
  const fromText = scanHtml(PAGE, OPTIONS);
  const fromDom = scanDocument(loadHtml(PAGE), OPTIONS);
  assert.deepEqual(fromDom.links, fromText.links);
  assert.deepEqual(
    [...fromDom.resources].sort((a, b) => a.href.localeCompare(b.href)),
    [...fromText.resources].sort((a, b) => a.href.localeCompare(b.href)),
  );
  assert.deepEqual(fromDom.ids, fromText.ids);
});

Deno.test("scanHtml() ends a link's text where a new <a> starts, as HTML parsing does", () => {
  const page = scanHtml(`<a href="/open">unclosed <a href="/next">next</a> after`, {
    details: true,
  });
  assert.deepEqual(page.links.map((l) => l.text), ["unclosed", "next"]);
});

Deno.test("scanHtml() cuts a long link text", () => {
  const page = scanHtml(`<a href="/x">${"word ".repeat(200)}</a>`, { details: true });
  assert.equal(page.links[0]!.text!.length, MAX_LINK_TEXT);
  assert.ok(page.links[0]!.text!.endsWith("…"));
});

Deno.test("srcsetUrls() splits candidates as HTML does, commas inside URLs kept", () => {
  assert.deepEqual(srcsetUrls(" a.png 1x,b.png 2x , c.png"), ["a.png", "b.png", "c.png"]);
  assert.deepEqual(srcsetUrls("a.png,b.png"), ["a.png,b.png"]);
  assert.deepEqual(srcsetUrls("a.png, b.png 100w"), ["a.png", "b.png"]);
  assert.deepEqual(srcsetUrls("x.png (max-width: 1px, 2px) 1x, y.png 2x"), ["x.png", "y.png"]);
  assert.deepEqual(srcsetUrls(""), []);
});

Deno.test("finishPage() resolves refs with their fragments, one per distinct target, tag and text", () => {
  const html =
    `<a href="/doc#intro">Intro</a><a href="/doc#intro">Intro</a><a href="/doc#Sch%C3%B6n">Schön</a>
<a href="#top">Top</a><a href="/doc">Doc</a><a href="/doc">Document</a><a href="mailto:a@b.test">mail</a>
<img src="/doc" alt="Doc">`;
  const page = parsePage(new TextEncoder().encode(html), "text/html", "https://a.test/page", {
    details: true,
    resources: true,
    ids: true,
  });
  assert.deepEqual(page.refs, [
    { url: "https://a.test/doc", tag: "a[href]", text: "Intro", fragment: "intro" },
    { url: "https://a.test/doc", tag: "a[href]", text: "Schön", fragment: "Schön" },
    { url: "https://a.test/page", tag: "a[href]", text: "Top", fragment: "top" },
    { url: "https://a.test/doc", tag: "a[href]", text: "Doc" },
    { url: "https://a.test/doc", tag: "a[href]", text: "Document" },
    { url: "https://a.test/doc", tag: "img[src]", text: "Doc" },
  ]);
  assert.deepEqual(page.links, ["https://a.test/doc", "https://a.test/page"]);
  assert.deepEqual(page.anchors, []);
  // Without details the page carries neither.
  const plain = finishPage(scanHtml(html), "https://a.test/page");
  assert.equal(plain.refs, undefined);
  assert.equal(plain.anchors, undefined);
});

Deno.test("scanHtml() and scanDocument() leave script and style text out of a link's text, and decode an alt once", () => {
  const html = `<a href="/a">x<script>var y = "<b>";</script><style>p{}</style>z</a>
<a href="/b"><img src="/i.png" alt="&amp;lt;b&amp;gt; &amp; more"></a>`;
  for (const page of [scanHtml(html, OPTIONS), scanDocument(loadHtml(html), OPTIONS)]) {
    assert.deepEqual(page.links.map((l) => l.text), ["xz", "&lt;b&gt; & more"]);
  }
});

Deno.test("srcsetUrls() drops a long run of trailing commas from a candidate", () => {
  // `/,+$/` took time quadratic in a run of commas followed by more of the URL.
  const commas = ",".repeat(200_000);
  // As HTML parses it: trailing commas end a candidate, so "2x" is the next one's URL.
  assert.deepEqual(srcsetUrls(`a${commas}b${commas} 2x`), [`a${commas}b`, "2x"]);
  assert.deepEqual(srcsetUrls(`a${commas}b${commas}`), [`a${commas}b`]);
});
