/**
 * A deterministic synthetic site for the throughput benchmark, generated in
 * memory.
 *
 * The site is `/index.html` plus `/p/<i>.html` for `i` in `0..pages-1`. Each
 * page is 25-40 KB of HTML: head (title, description, canonical), a 20-link
 * nav, text paragraphs, a table, and ~30 in-body links to other pages in
 * every form a crawler must resolve (`/p/7.html`, `7.html`, `./7.html`,
 * `../p/7.html`, `ORIGIN/p/7.html`, some with a `#fragment`), plus links it
 * must not follow (`#top`, `mailto:`, `javascript:`, `tel:`, other hosts).
 * Page `i` links its tree children `2i+1` and `2i+2`, so every page is
 * reachable from `/index.html` whatever the random links are.
 *
 * The same `pages`, `origin` and `seed` always give the same bytes: every
 * page has its own PRNG seeded from `seed` and its number.
 *
 * Run it to print the site's size and link counts:
 * `deno run bench/gen_site.ts --pages 5000`.
 *
 * @module
 */

import { pick, type Prng, randomInt, randomSeeded } from "../tests/support/prng.ts";

/** Options for {@linkcode renderPage}, {@linkcode renderIndex} and {@linkcode generateSite}. */
export interface SiteOptions {
  /** Pages besides `/index.html`; at least 3. */
  pages: number;
  /** The site's origin, e.g. `http://127.0.0.1:8080`, used in absolute links. */
  origin: string;
  /** The PRNG seed (default {@linkcode DEFAULT_SEED}). */
  seed?: number;
  /**
   * For a site spread over several hosts: the origin page `i` is served from
   * (default: `origin` for every page). A link to a page on another origin
   * is an absolute URL; `origin` is then the origin of the document being
   * rendered (see `bench/serve_hosts.ts`). The bytes of a single-host site
   * do not change.
   */
  originOf?: (i: number) => string;
}

/** A generated site: path → encoded HTML. */
export interface Site {
  /** Every HTML document by path, index first, then `/p/0.html`... */
  files: Map<string, Uint8Array<ArrayBuffer>>;
  /** Sum of the documents' sizes, in bytes. */
  totalBytes: number;
}

/** The seed used when none is given. */
export const DEFAULT_SEED = 20240611;

/** Links in each page's nav (Home included). */
export const NAV_LINKS = 20;

/** In-body links to other pages of the site on each page. */
export const BODY_LINKS = 30;

// Plain lower-case words: generated text never needs HTML escaping.
const WORDS = (
  "the of and to in is for on that with as by at from this be are it or an was which crawler " +
  "network server request response latency throughput queue worker page link index parse html " +
  "document header table row column value system data model result measure benchmark static " +
  "archive library history river mountain city village market science energy policy design " +
  "engineering language culture music theatre festival harbour railway bridge garden forest " +
  "coast island valley weather climate season report survey analysis method review article " +
  "chapter section figure example question answer problem solution process resource memory"
).split(" ");

/** An integer in `[min, max)`. */
const between = (r: Prng, min: number, max: number) => min + randomInt(r, max - min);

function sentence(r: Prng, min = 8, max = 22): string {
  const words: string[] = [];
  for (let n = between(r, min, max); n > 0; n--) words.push(pick(r, WORDS));
  const text = words.join(" ");
  return text[0]!.toUpperCase() + text.slice(1) + ".";
}

const phrase = (r: Prng, min: number, max: number) => sentence(r, min, max).slice(0, -1);

const POOL_SIZE = 4096;
const pools = new Map<number, string[]>();

/**
 * A body sentence, drawn from a pool made once per seed: building every
 * sentence word by word made generation several times slower, and the
 * crawler gains nothing from text that never repeats.
 */
function bodySentence(r: Prng, seed: number): string {
  let pool = pools.get(seed);
  if (!pool) {
    const poolRandom = randomSeeded(seed ^ 0x9e3779b9);
    pool = Array.from({ length: POOL_SIZE }, () => sentence(poolRandom));
    pools.set(seed, pool);
  }
  return pool[randomInt(r, POOL_SIZE)]!;
}

/**
 * A link to page `j` in one of the forms a crawler must resolve. Every page
 * lives in `/p/`, so `7.html` is relative to the linking page; the index
 * lives at the root, so its relative form is `p/7.html`. A page on another
 * origin (`options.originOf`) is linked by its absolute URL.
 */
function pageHref(r: Prng, j: number, options: SiteOptions, fromIndex: boolean): string {
  const { origin } = options;
  const target = options.originOf?.(j) ?? origin;
  const x = r();
  let href: string;
  if (target !== origin) href = `${target}/p/${j}.html`;
  else if (fromIndex) {
    href = x < 0.5 ? `p/${j}.html` : x < 0.8 ? `/p/${j}.html` : `${origin}/p/${j}.html`;
  } else if (x < 0.40) href = `/p/${j}.html`;
  else if (x < 0.65) href = `${j}.html`;
  else if (x < 0.75) href = `../p/${j}.html`;
  else if (x < 0.85) href = `./${j}.html`;
  else href = `${origin}/p/${j}.html`;
  // A fragment must dedupe to the same page.
  if (r() < 0.06) href += `#sec-${between(r, 1, 6)}`;
  return href;
}

/** Links a crawler must never follow: same-page, non-http(s) and other hosts. */
function unfollowedLinks(r: Prng): string[] {
  const external = () => {
    const k = randomInt(r, 100_000);
    return pick(r, [
      `https://www.example.com/articles/${k}`,
      `http://external.invalid/ref/${k}.html`,
      `https://example.org/wiki/Item_${k}`,
      `//cdn.example.net/assets/${k}.html`,
    ]);
  };
  return [
    `<a href="#top">Back to top</a>`,
    `<a href="mailto:editor@example.com">Mail the editor</a>`,
    `<a href="javascript:void(0)" onclick="return false">Toggle</a>`,
    `<a href="tel:+10000000000">Call</a>`,
    `<a href="${external()}">External reference</a>`,
    `<a href="${external()}">Source</a>`,
    `<a href="${external()}" rel="nofollow">Partner site</a>`,
  ];
}

function nav(r: Prng, options: SiteOptions, fromIndex: boolean): string {
  const items = [`<li><a href="/index.html">Home</a></li>`];
  for (let k = 0; k < NAV_LINKS - 1; k++) {
    const j = Math.floor((k * options.pages) / (NAV_LINKS - 1));
    const href = pageHref(r, j, options, fromIndex);
    items.push(`<li><a href="${href}">Section ${k + 1}</a></li>`);
  }
  return `<nav class="main-nav" aria-label="Main"><ul>${items.join("")}</ul></nav>`;
}

function table(r: Prng): string {
  const rows = [
    `<table class="data"><thead><tr><th>ID</th><th>Name</th><th>Region</th><th>Value</th>` +
    `<th>Change</th></tr></thead><tbody>`,
  ];
  for (let n = between(r, 12, 26); n > 0; n--) {
    rows.push(
      `<tr><td>${between(r, 1000, 10000)}</td><td>${sentence(r, 2, 4)}</td>` +
        `<td>${pick(r, WORDS)}</td><td>${(r() * 10000).toFixed(2)}</td>` +
        `<td>${(r() * 20 - 10).toFixed(1)}%</td></tr>`,
    );
  }
  rows.push(`</tbody></table>`);
  return rows.join("\n");
}

function checkOptions(options: SiteOptions): void {
  if (!Number.isInteger(options.pages) || options.pages < 3) {
    throw new RangeError(
      `Cannot generate site as 'pages' must be an integer >= 3: received ${options.pages}`,
    );
  }
}

/**
 * Renders page `i` (`/p/<i>.html`).
 *
 * @param i The page number, `0 <= i < options.pages`.
 * @param options The site's size, origin and seed.
 * @returns The page's HTML.
 * @throws {RangeError} If `options.pages` is not an integer >= 3 or `i` is out of range.
 * @example Usage
 * ```ts
 * import { renderPage } from "./gen_site.ts";
 * const html = renderPage(0, { pages: 10, origin: "http://127.0.0.1:8080" });
 * console.log(html.length > 25_000); // true
 * ```
 */
export function renderPage(i: number, options: SiteOptions): string {
  checkOptions(options);
  if (!Number.isInteger(i) || i < 0 || i >= options.pages) {
    throw new RangeError(
      `Cannot render page as 'i' must be in [0, ${options.pages}): received ${i}`,
    );
  }
  // A page is rendered on its own origin: relative links resolve against it.
  const origin = options.originOf?.(i) ?? options.origin;
  const own = origin === options.origin ? options : { ...options, origin };
  const n = options.pages;
  const seed = options.seed ?? DEFAULT_SEED;
  const r = randomSeeded(seed ^ Math.imul(i + 1, 2654435761));
  const targetBytes = between(r, 25_000, 40_000);
  const title = `Page ${i}: ${phrase(r, 3, 6)}`;
  const description = sentence(r, 12, 20);
  // Tree children and neighbours first (reachability), then random targets.
  const links: string[] = [];
  for (const child of [2 * i + 1, 2 * i + 2]) {
    if (child < n) links.push(pageHref(r, child, own, false));
  }
  links.push(pageHref(r, (i + 1) % n, own, false), pageHref(r, (i + n - 1) % n, own, false));
  while (links.length < BODY_LINKS) links.push(pageHref(r, randomInt(r, n), own, false));
  const extra = unfollowedLinks(r);
  const head = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<meta name="description" content="${description}">
<link rel="canonical" href="${origin}/p/${i}.html">
<link rel="stylesheet" href="/static/site.css">
</head>
<body>
<header id="top"><div class="brand"><a href="../index.html">Bench Site</a></div>
${nav(r, own, false)}
</header>
<main><article>
<h1>${title}</h1>
<p class="lead">${description}</p>
`;
  const parts = [head];
  let size = head.length;
  let linkAt = 0, extraAt = 0, section = 1;
  const tableAfter = between(r, 3, 7);
  // Paragraphs until the size is reached and every link is placed.
  for (
    let para = 0;
    size < targetBytes - 1200 || linkAt < links.length || extraAt < extra.length;
    para++
  ) {
    let html = "";
    if (para % 4 === 0) html += `<h2 id="sec-${section++}">${phrase(r, 3, 7)}</h2>\n`;
    const sentences: string[] = [];
    for (let s = between(r, 3, 8); s > 0; s--) {
      let text = bodySentence(r, seed);
      if (linkAt < links.length && r() < 0.45) {
        text += ` See <a href="${links[linkAt++]}">${phrase(r, 2, 5)}</a>.`;
      } else if (extraAt < extra.length && r() < 0.08) {
        text += ` ${extra[extraAt++]}.`;
      }
      sentences.push(text);
    }
    html += `<p>${sentences.join(" ")}</p>\n`;
    if (para === tableAfter) html += table(r) + "\n";
    parts.push(html);
    size += html.length;
  }
  parts.push(`</article></main>
<footer><p>Generated page ${i} of ${n}. <a href="/index.html">Home</a> &middot; <a href="#top">Top</a></p></footer>
</body>
</html>
`);
  return parts.join("");
}

/**
 * Renders `/index.html`: the nav and links to the first 50 pages.
 *
 * @param options The site's size, origin and seed.
 * @returns The index's HTML.
 * @throws {RangeError} If `options.pages` is not an integer >= 3.
 * @example Usage
 * ```ts
 * import { renderIndex } from "./gen_site.ts";
 * console.log(renderIndex({ pages: 10, origin: "http://127.0.0.1:8080" }).includes("p/0.html")); // true
 * ```
 */
export function renderIndex(options: SiteOptions): string {
  checkOptions(options);
  const r = randomSeeded((options.seed ?? DEFAULT_SEED) ^ 0x5eed);
  const items: string[] = [];
  for (let j = 0; j < Math.min(50, options.pages); j++) {
    items.push(`<li><a href="${pageHref(r, j, options, true)}">Page ${j}</a></li>`);
  }
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Bench Site Index</title>
<meta name="description" content="Synthetic site with ${options.pages} pages for crawler benchmarks.">
<link rel="canonical" href="${options.origin}/index.html"></head>
<body><header><h1>Bench Site</h1>${nav(r, options, true)}</header>
<main><p>${sentence(r, 20, 30)}</p><ul>${items.join("")}</ul>
<p><a href="mailto:a@example.com">mail</a> <a href="javascript:void(0)">js</a> <a href="https://www.example.com/">external</a></p></main>
</body></html>
`;
}

/**
 * The site's HTML paths: `/index.html`, then `/p/0.html` to `/p/<pages-1>.html`.
 *
 * @param pages Pages besides the index.
 * @returns The `pages + 1` paths, in order.
 * @example Usage
 * ```ts
 * import { sitePaths } from "./gen_site.ts";
 * console.log(sitePaths(3)); // ["/index.html", "/p/0.html", "/p/1.html", "/p/2.html"]
 * ```
 */
export function sitePaths(pages: number): string[] {
  const paths = ["/index.html"];
  for (let i = 0; i < pages; i++) paths.push(`/p/${i}.html`);
  return paths;
}

/**
 * Generates the whole site, UTF-8 encoded, in memory.
 *
 * @param options The site's size, origin and seed.
 * @returns Every document by path, and the total size.
 * @throws {RangeError} If `options.pages` is not an integer >= 3.
 * @example Usage
 * ```ts
 * import { generateSite } from "./gen_site.ts";
 * const site = generateSite({ pages: 10, origin: "http://127.0.0.1:8080" });
 * console.log(site.files.size); // 11
 * ```
 */
export function generateSite(options: SiteOptions): Site {
  checkOptions(options);
  const encoder = new TextEncoder();
  const files = new Map<string, Uint8Array<ArrayBuffer>>();
  let totalBytes = 0;
  const add = (path: string, html: string) => {
    const bytes = encoder.encode(html);
    files.set(path, bytes);
    totalBytes += bytes.length;
  };
  add("/index.html", renderIndex(options));
  for (let i = 0; i < options.pages; i++) add(`/p/${i}.html`, renderPage(i, options));
  return { files, totalBytes };
}

if (import.meta.main) {
  // Size and link statistics of a sample, to check the site looks as intended.
  const at = Deno.args.indexOf("--pages");
  const pages = at >= 0 ? Number(Deno.args[at + 1]) : 5000;
  const options = { pages, origin: "http://127.0.0.1:8080" };
  const started = performance.now();
  const site = generateSite(options);
  const ms = performance.now() - started;
  const sample = [0, 1, Math.floor(pages / 2), pages - 1].map((i) => renderPage(i, options));
  const anchors = sample.map((html) => html.match(/<a href=/g)?.length ?? 0);
  console.log(
    `pages=${pages} documents=${site.files.size} total_bytes=${site.totalBytes} ` +
      `avg_bytes=${Math.round(site.totalBytes / site.files.size)} generate_ms=${Math.round(ms)} ` +
      `anchors_on_sample_pages=${anchors.join(",")}`,
  );
}
