/**
 * Every output checked before the first request, through the real CLI: a
 * missing folder, a folder given as a file, a path Deno may not write, for
 * `--out`, `--report` and `--state`, exit 2 with nothing requested and
 * nothing left behind; `--format` follows `--out`'s extension and may not
 * contradict it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { cliCommand, parseJsonl, runCli, withoutDenoNotices } from "../support/cli_run.ts";
import { startFixtureServer } from "../support/fixture_server.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "outputs_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const list = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

Deno.test("outputs: a --report, --out or --state that cannot be written exits 2 before any request, leaving nothing behind", async () => {
  await using server = startFixtureServer();
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/folder`);
    const cases: [string[], string][] = [
      [
        ["--out", `${dir}/out.jsonl`, "--report", `${dir}/missing/report.html`],
        `error: --report: cannot write '${dir}/missing/report.html': no folder '${dir}/missing'`,
      ],
      [
        ["--out", `${dir}/folder`],
        `error: --out: cannot write '${dir}/folder': it is a folder; give a file name`,
      ],
      [
        ["--out", `${dir}/out.jsonl/x.jsonl`],
        `error: --out: cannot write '${dir}/out.jsonl/x.jsonl': no folder '${dir}/out.jsonl'`,
      ],
      [
        ["--state", `${dir}/nowhere/site.db`, "--out", `${dir}/out.jsonl`],
        `error: --state: cannot write '${dir}/nowhere/site.db': no folder '${dir}/nowhere'`,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(["--seeds", `${server.origin}/`, "--allow-private", ...args]);
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stderr.trim(), message);
      assert.deepEqual(list(dir), ["folder"], `${args.join(" ")}: nothing created`);
    }
    assert.equal(server.hits.size, 0, "no request was made");
  });
});

Deno.test("outputs: a path Deno's permissions do not let the CLI write exits 2 naming -P and --allow-write", async () => {
  await using server = startFixtureServer();
  await withDir(async (dir) => {
    // -P grants write access everywhere; a narrower --allow-write overrides it.
    const command = cliCommand(
      ["--seeds", `${server.origin}/`, "--allow-private", "--report", `${dir}/report.html`],
      [`--allow-write=${dir}/elsewhere`],
    );
    const child = command.spawn();
    await child.stdin.close();
    const { code, stderr } = await child.output();
    assert.equal(code, 2);
    assert.equal(
      withoutDenoNotices(new TextDecoder().decode(stderr)).trim(),
      `error: --report: cannot write '${dir}/report.html': Deno's permissions do not allow ` +
        "writing there: run with -P, or add the path to --allow-write",
    );
    assert.equal(server.hits.size, 0);
  });
});

Deno.test("outputs: --format follows --out's extension; a contradiction is refused", async () => {
  await using server = startFixtureServer();
  await withDir(async (dir) => {
    const seed = ["--seeds", `${server.origin}/about.html`, "--max-depth", "0", "--allow-private"];
    for (const name of ["links.csv", "links.json", "links.ndjson", "links.txt"]) {
      const result = await runCli([...seed, "--out", `${dir}/${name}`]);
      assert.equal(result.code, 0, result.stderr);
      const text = await Deno.readTextFile(`${dir}/${name}`);
      if (name.endsWith(".csv")) {
        const [header, row] = parse(text) as string[][];
        assert.equal(header![0], "url");
        assert.equal(row![0], `${server.origin}/about.html`);
      } else if (name.endsWith(".json")) {
        assert.equal(JSON.parse(text)[0].url, `${server.origin}/about.html`);
      } else {
        assert.equal(parseJsonl(text).length, 1, `${name} is JSON Lines`);
      }
    }
    const config = `${dir}/crawl.json`;
    await Deno.writeTextFile(config, JSON.stringify({ out: `${dir}/from-config.csv` }));
    const fromConfig = await runCli([...seed, "--config", config]);
    assert.equal(fromConfig.code, 0, fromConfig.stderr);
    assert.match(await Deno.readTextFile(`${dir}/from-config.csv`), /^url,requestedUrl,/);

    const contradiction = await runCli([...seed, "--out", `${dir}/x.csv`, "--format", "json"]);
    assert.equal(contradiction.code, 2);
    assert.equal(
      contradiction.stderr.trim(),
      `error: --format json does not match --out '${dir}/x.csv', a .csv file: drop --format ` +
        "or name the file .json",
    );
    const explicit = await runCli([...seed, "--out", `${dir}/x.data`, "--format", "csv"]);
    assert.equal(explicit.code, 0, explicit.stderr);
    assert.match(await Deno.readTextFile(`${dir}/x.data`), /^url,requestedUrl,/);
  });
});
