import assert from "node:assert/strict";
import { detach } from "../../src/output/detach.ts";

/** The modules the probe imports, as absolute URLs (it runs from stdin). */
const MODULES = {
  page: new URL("../../src/parse/page.ts", import.meta.url).href,
  job: new URL("../../src/parse/job.ts", import.meta.url).href,
  rules: new URL("../../src/extract/rules.ts", import.meta.url).href,
};

/**
 * Parses 100 pages of ~30 KB per case in a Deno started with `--expose-gc`,
 * keeps what the parse returned, collects garbage, and prints the heap's
 * growth per page for each case: what a kept result costs, or the whole page
 * when a string in it is a view on the page's text. A case with extraction
 * fields parses through a DOM (cheerio) and the rules.
 */
const PROBE = `
const { page, job, rules } = ${JSON.stringify(MODULES)};
const { parsePage } = await import(page);
const { createParser } = await import(job);
const { parseRules } = await import(rules);
const cases = JSON.parse(Deno.args[0]);
const growth = {};
for (const [name, { html, options, fields }] of Object.entries(cases)) {
  const parser = fields && await createParser({
    parser: "htmlparser2", followNofollow: false, stripParams: [], sortQuery: false,
    rules: await parseRules({ rules: [{ match: "/*", fields }] }),
  });
  const kept = [];
  gc(); gc();
  const before = Deno.memoryUsage().heapUsed;
  for (let i = 0; i < 100; i++) {
    // Each page its own text: a number in every URL and field, then filler.
    const text = html.replaceAll("N", String(1000 + i)) + " ".repeat(30_000) + "<p>end</p>";
    const body = new TextEncoder().encode(text);
    const url = "http://a.test/dir/page.html";
    kept.push(parser
      ? parser.parse({ url, contentType: "text/html", body })
      : parsePage(body, "text/html", url, options));
  }
  gc(); gc();
  growth[name] = Math.round((Deno.memoryUsage().heapUsed - before) / 100);
  if (kept.length !== 100) throw new Error("lost results");
}
console.log(JSON.stringify(growth));
`;

/** Each field a parse returns, made from text long enough to be a view on the page. */
const CASES = {
  // No whitespace to collapse: the regex hands back its input.
  title: { html: "<title>A_title_without_spaces_N</title>", options: {} },
  description: { html: '<meta name="description" content="Description_N_here">', options: {} },
  h1: { html: "<h1>Heading_number_N_of_the_site</h1>", options: {} },
  canonical: { html: '<link rel="canonical" href="http://a.test/canonical/N.html">', options: {} },
  "same-origin absolute link": { html: '<a href="http://a.test/p/N.html">x</a>', options: {} },
  "relative link": { html: '<a href="pages/number_N.html">x</a>', options: {} },
  // These go through the resolver's cache, which keeps them for later pages.
  "other-site link": { html: '<a href="http://other.test/p/N.html">x</a>', options: {} },
  "query link": { html: '<a href="?page=N&amp;sort=name">x</a>', options: {} },
  "link details": {
    html: '<a href="pages/number_N.html#Section_number_N">Link_text_number_N</a>',
    options: { details: true },
  },
  // A fragment that does not decode is kept as written.
  "undecodable fragment": {
    html: '<a href="#Section_%E0%A4%A_N">x</a>',
    options: { details: true },
  },
  anchors: { html: '<h2 id="Anchor_number_N_here">x</h2>', options: { ids: true } },
  "extracted fields": {
    html: '<p class="sku">Stock_keeping_unit_N</p><img class="photo" src="images/photo_N.jpg">',
    options: {},
    fields: {
      sku: { selector: ".sku" },
      photo: { selector: "img.photo", value: "attr:src" },
    },
  },
};

Deno.test("parsePage and extraction rules return nothing that keeps the page's text alive", async () => {
  // The resolver's cache is per options object: a case's pages share one, as a crawl's do.
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--v8-flags=--expose-gc", "--allow-read", "-", JSON.stringify(CASES)],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(PROBE));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const growth: Record<string, number> = JSON.parse(new TextDecoder().decode(stdout));
  // A result is 1 to 5 KB; a page's text kept alive is 30 KB.
  const leaks = Object.keys(CASES).filter((name) => !(growth[name]! < 10_000));
  assert.deepEqual(leaks.map((name) => `${name}: ${growth[name]} bytes a page`), []);
});

Deno.test("detach() gives back the same text, cut from a larger string or short", () => {
  const page = `<title>${"t".repeat(40)}</title>${"x".repeat(1_000)}`;
  assert.equal(detach(page.slice(7, 47)), "t".repeat(40));
  assert.equal(detach("short"), "short");
  assert.equal(detach(""), "");
});
