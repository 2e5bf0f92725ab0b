/**
 * The package: deno.json names it, versions it and exports the library and
 * the CLI, and `deno publish --dry-run` (which runs offline: it checks the
 * files, the types and the public API's explicit types, and uploads
 * nothing) passes.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ROOT } from "./support/cli_run.ts";

Deno.test("package: deno.json has a name, a version and exports for the library and the CLI", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  assert.match(config.name, /^@[a-z0-9-]+\/[a-z0-9-]+$/);
  assert.match(config.version, /^\d+\.\d+\.\d+$/);
  assert.deepEqual(config.exports, {
    ".": "./src/mod.ts",
    "./async": "./src/async/mod.ts",
    "./cli": "./main.ts",
  });
  for (const file of Object.values(config.exports) as string[]) {
    assert.ok((await Deno.stat(`${ROOT}${file}`)).isFile, file);
  }
});

Deno.test("package: deno publish --dry-run passes", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    // --allow-dirty: the check runs on a working tree, committed or not.
    args: ["publish", "--dry-run", "--allow-dirty"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stderr);
  assert.equal(code, 0, text);
  assert.match(text, /Success Dry run complete/);
  // Only the package's own files are published: no tests, fixtures or benchmarks.
  assert.doesNotMatch(text, /\/(tests|fixtures|bench)\//);
});
