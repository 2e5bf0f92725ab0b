/**
 * Every default is written once, in the options schema: the places that
 * show defaults to people (the documented input type, docs/options.md's
 * options table) are checked against it here, so they cannot drift.
 *
 * @module
 */

import assert from "node:assert/strict";
import { FLAGS } from "../../src/cli/args.ts";
import { OPTION_DEFAULTS, parseCrawlOptions } from "../../src/pipeline/options.ts";
import { ROOT } from "../support/cli_run.ts";
import { tableRowsIn } from "../../tools/options_doc.ts";

/** Reads a default as written for people ("30 000", "10 MiB", "false", "`count`"). */
function written(text: string): unknown {
  const t = text.replace(/`/g, "").trim();
  if (t === "unlimited" || t === "") return undefined;
  if (t === "off" || t === "false") return false;
  if (t === "true") return true;
  const mib = /^(\d+) MiB$/.exec(t);
  if (mib) return Number(mib[1]) * 1024 * 1024;
  if (/^\d[\d ]*$/.test(t)) return Number(t.replace(/ /g, ""));
  return t;
}

/** Defaults that depend on something else, written as a rule rather than a value. */
const RULES = new Set(["fetchers", "parsers", "renderTabs"]);

Deno.test("the documented option defaults (CrawlOptionsInput) are the schema's", async () => {
  const source = await Deno.readTextFile(`${ROOT}src/pipeline/options_input.ts`);
  const documented = [...source.matchAll(/\/\*\*([^*]*?)\*\/\s*\n\s*(\w+)\?:/g)];
  let checked = 0;
  for (const [, doc, name] of documented) {
    const match = /Default:? ([^.]*?)\.?\s*$/.exec(doc!.replace(/\s+/g, " "));
    if (!match || RULES.has(name!)) continue;
    assert.deepEqual(
      written(match[1]!),
      OPTION_DEFAULTS[name as keyof typeof OPTION_DEFAULTS],
      `${name}: documented "${match[1]}"`,
    );
    checked++;
  }
  assert.ok(checked >= 20, `only ${checked} documented defaults found`);
});

Deno.test("docs/options.md's options table shows the schema's defaults", async () => {
  const rows = tableRowsIn(await Deno.readTextFile(`${ROOT}docs/options.md`));
  let checked = 0;
  for (const [flag, { option }] of Object.entries(FLAGS)) {
    const row = rows.find(([key]) => key === `\`${option}\``);
    assert.ok(row, `--${flag}: no row for '${option}' in docs/options.md`);
    assert.ok(row[1]!.startsWith(`\`--${flag}`), `${option}: its flag cell is ${row[1]}`);
    if (RULES.has(option)) continue;
    const actual = OPTION_DEFAULTS[option as keyof typeof OPTION_DEFAULTS];
    // An empty cell stands for "none": no value, or an empty list.
    const none = Array.isArray(actual) && actual.length === 0 ? undefined : actual;
    assert.deepEqual(written(row[3]!), none, `--${flag}: docs/options.md says "${row[3]}"`);
    checked++;
  }
  assert.ok(checked >= 20, `only ${checked} rows checked`);
});

Deno.test("OPTION_DEFAULTS is what validating bare seeds fills in", async () => {
  const { seeds: _, ...filled } = await parseCrawlOptions({ seeds: ["https://a.test/"] });
  assert.deepEqual(filled, OPTION_DEFAULTS);
});

Deno.test("parseCrawlOptions() refuses settings that would be silently ignored or unsafe together", async () => {
  const seeds = ["https://a.test/"];
  await assert.rejects(
    parseCrawlOptions({ seeds, warcCdx: true }),
    /Cannot crawl as 'warcCdx' needs warc/,
  );
  await assert.rejects(
    parseCrawlOptions({ seeds, warc: "a.warc.gz", render: true }),
    /Cannot crawl as 'warc' does not archive rendered pages/,
  );
  await assert.rejects(
    parseCrawlOptions({ seeds, proxy: "http://proxy.test:3128", renderMatch: ["/app/*"] }),
    /Cannot crawl as 'proxy' does not reach the browser/,
  );
  await assert.rejects(
    parseCrawlOptions({ seeds, check: [] }),
    /'check' must list some of/,
  );
  await assert.rejects(
    parseCrawlOptions({ seeds, accept: [200] }),
    /'accept\[0\]' must hold 4xx or 5xx/,
  );
  assert.deepEqual((await parseCrawlOptions({ seeds, accept: ["400..403", 429] })).accept, [
    { from: 400, to: 403 },
    { from: 429, to: 429 },
  ]);
});
