/**
 * Micro-benchmarks of the per-page parse path (`deno bench -P=bench bench/parse_bench.ts`):
 * decoding, the streaming scan, link resolution, and the cheerio DOM path for comparison.
 *
 * @module
 */

import { decodeHtml } from "../src/parse/charset.ts";
import { loadHtml, scanDocument } from "../src/parse/dom.ts";
import { scanHtml } from "../src/parse/scan.ts";
import { finishPage, parsePage } from "../src/parse/page.ts";
import { generateSite } from "./gen_site.ts";

const site = generateSite({ pages: 200, origin: "http://127.0.0.1:8000" });
const pages = [...site.files].filter(([path]) => path.startsWith("/p/"))
  .map(([path, body]) => ({ url: `http://127.0.0.1:8000${path}`, body: body as Uint8Array }));
const texts = pages.map((p) => decodeHtml(p.body, "text/html; charset=utf-8"));
const scanned = texts.map((t) => scanHtml(t));
const options = {};
let i = 0;
const next = () => (i = (i + 1) % pages.length);

Deno.bench("decode: UTF-8 body to text", { group: "parse" }, () => {
  decodeHtml(pages[next()]!.body, "text/html; charset=utf-8");
});
Deno.bench(
  "scan: htmlparser2 tokenizer, default fields",
  { group: "parse", baseline: true },
  () => {
    scanHtml(texts[next()]!);
  },
);
Deno.bench("finish: resolve and normalize links", { group: "parse" }, () => {
  const k = next();
  finishPage(scanned[k]!, pages[k]!.url, options);
});
Deno.bench("parsePage: decode + scan + finish", { group: "parse" }, () => {
  const k = next();
  parsePage(pages[k]!.body, "text/html; charset=utf-8", pages[k]!.url, options);
});
Deno.bench("dom: cheerio htmlparser2 load + the same fields", { group: "parse" }, () => {
  scanDocument(loadHtml(texts[next()]!, "htmlparser2"));
});
