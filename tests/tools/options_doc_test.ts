/**
 * The options table in docs/options.md is generated from the code: these
 * tests fail when the file and the code disagree (run `deno task docs`).
 *
 * @module
 */

import assert from "node:assert/strict";
import { CONFIG_KEYS } from "../../src/cli/args.ts";
import { CrawlOptionsSchema } from "../../src/pipeline/options.ts";
import { optionRows, OPTIONS_DOC, tableRowsIn } from "../../tools/options_doc.ts";

Deno.test("docs/options.md lists every option as the code has it (else: deno task docs)", async () => {
  const inFile = tableRowsIn(await Deno.readTextFile(OPTIONS_DOC));
  assert.deepEqual(inFile, await optionRows());
});

Deno.test("docs/options.md has a row for every config key the CLI accepts", async () => {
  const keys = tableRowsIn(await Deno.readTextFile(OPTIONS_DOC)).map(([key]) => key);
  const options = Object.keys(CrawlOptionsSchema.shape);
  assert.deepEqual(keys.map((k) => k.replaceAll("`", "")).sort(), [...options].sort());
  // The CLI's own outputs are the other config keys; docs/options.md names them in its flag table.
  const text = await Deno.readTextFile(OPTIONS_DOC);
  for (const key of CONFIG_KEYS.filter((k) => !options.includes(k))) {
    assert.match(text, new RegExp(`\\| \`--${key} `), `the CLI's --${key} is documented`);
  }
});
