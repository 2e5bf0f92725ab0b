/**
 * Friendly input errors, through the real CLI: `--version`, the nearest
 * flag or config key for a mistyped one, and flags that go against each
 * other.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ROOT, runCli } from "../support/cli_run.ts";

Deno.test("input: --version prints the name and version deno.json holds", async () => {
  const { name, version } = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  for (const flag of ["--version", "-V"]) {
    const result = await runCli([flag]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${name} ${version}\n`);
  }
});

Deno.test("input: a mistyped config key gets the key meant, whether written as a flag or misspelt", async () => {
  const config = await Deno.makeTempFile({ suffix: ".json" });
  try {
    const cases: [Record<string, unknown>, string][] = [
      [{ timeout: 5000 }, "'timeout' is not a known option: did you mean 'timeoutMs'?"],
      [{ "max-pages": 5 }, "'max-pages' is not a known option: did you mean 'maxPages'?"],
      [{ max_depth: 1 }, "'max_depth' is not a known option: did you mean 'maxDepth'?"],
      [{ userAgnet: "x" }, "'userAgnet' is not a known option: did you mean 'userAgent'?"],
      [{ header: { "X-A": "1" } }, "'header' is not a known option: did you mean 'headers'?"],
    ];
    for (const [options, message] of cases) {
      await Deno.writeTextFile(config, JSON.stringify({ seeds: ["http://a.test/"], ...options }));
      const result = await runCli(["--config", config]);
      assert.equal(result.code, 2);
      assert.equal(result.stderr.trim(), `error: ${config}: ${message}`);
    }
  } finally {
    await Deno.remove(config);
  }
});

Deno.test("input: flags that go against each other, or without what they need, exit 2 with one line", async () => {
  const seeds = ["--seeds", "http://a.test/"];
  const cases: [string[], string][] = [
    [
      [...seeds, "--quiet", "--verbose"],
      "error: --quiet and --verbose go against each other: give one of them",
    ],
    [
      [...seeds, "--stats-json"],
      "error: --stats-json writes the stats to stdout, which carries the records: add --out FILE",
    ],
    [
      [...seeds, "--progress-interval", "soon"],
      'error: --progress-interval must be a non-negative integer of ms up to 2147483647 (0 for none): received "soon"',
    ],
    [[...seeds, "--verbos"], "error: unknown flag '--verbos': did you mean --verbose?"],
    [
      [...seeds, "--header", "X-Token"],
      'error: --header must be "Name: value": received "X-Token"',
    ],
    [
      [...seeds, "--header", "User-Agent: x"],
      "error: --header must not set User-Agent: use userAgent (--user-agent)",
    ],
    [
      [...seeds, "--proxy", "ftp://user:secret@proxy.test:21"],
      'error: --proxy must be an http://, https://, socks5:// or socks5h:// URL: received "ftp://user:***@proxy.test:21"',
    ],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(args);
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stderr.trim(), message);
  }
});
