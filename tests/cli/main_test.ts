import assert from "node:assert/strict";
import type { CrawlRecord } from "../../src/output/record.ts";
import { cliCommand, parseJsonl, runCli, withoutDenoNotices } from "../support/cli_run.ts";
import { SITE_PATHS, startFixtureServer } from "../support/fixture_server.ts";

function lastJsonLine(stderr: string): Record<string, unknown> {
  const lines = stderr.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]!);
}

Deno.test("CLI crawls the fixture site into a JSONL file and prints stats", async () => {
  await using server = startFixtureServer();
  const out = await Deno.makeTempFile({ suffix: ".jsonl" });
  try {
    const result = await runCli([
      "--seeds",
      `${server.origin}/index.html`,
      "--out",
      out,
      "--allow-private",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const records = parseJsonl<CrawlRecord>(await Deno.readTextFile(out));
    const paths = records.map((r) => r.requestedUrl.slice(server.origin.length)).sort();
    assert.deepEqual(paths, [...SITE_PATHS].sort());
    const stats = lastJsonLine(result.stderr);
    assert.equal(stats.pagesOk, SITE_PATHS.length - 1);
    assert.deepEqual(stats.errors, { http_4xx: 1 });
    assert.equal(stats.stoppedBy, "done");
    assert.equal(typeof stats.pagesPerSecond, "number");
    assert.equal(typeof stats.maxQueueDepth, "number");
    assert.equal(result.stdout, "");
  } finally {
    await Deno.remove(out);
  }
});

Deno.test("CLI writes records to stdout without --out, under sentinel shutdown", async () => {
  await using server = startFixtureServer();
  const result = await runCli([
    "--seeds",
    `${server.origin}/index.html`,
    "--shutdown",
    "sentinel",
    "--fetchers",
    "1",
    "--parsers",
    "1",
    "--allow-private",
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(parseJsonl(result.stdout).length, SITE_PATHS.length);
});

Deno.test("CLI reads seeds from a file with comments and from stdin", async () => {
  await using server = startFixtureServer();
  const file = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(
      file,
      `# seeds\n${server.origin}/chain/11.html\n\n  ${server.origin}/cycle/a.html  # inline\n`,
    );
    const fromFile = await runCli(["--seeds", file, "--max-depth", "0", "--allow-private"]);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.deepEqual(
      parseJsonl<CrawlRecord>(fromFile.stdout).map((r) => `${r.status} ${r.url}`).sort(),
      [`200 ${server.origin}/chain/11.html`, `200 ${server.origin}/cycle/a.html`],
    );
    const fromStdin = await runCli(
      ["--seeds", "-", "--max-depth", "0", "--allow-private"],
      `${server.origin}/about.html\n`,
    );
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    assert.deepEqual(parseJsonl<CrawlRecord>(fromStdin.stdout).map((r) => [r.url, r.status]), [
      [`${server.origin}/about.html`, 200],
    ]);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("CLI takes options from --config and lets flags override them", async () => {
  await using server = startFixtureServer();
  const config = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(
      config,
      JSON.stringify({
        seeds: [`${server.origin}/chain/1.html`],
        maxDepth: 1,
        maxPages: 50,
        allowPrivate: true,
      }),
    );
    const result = await runCli(["--config", config, "--max-depth", "2"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(parseJsonl(result.stdout).length, 3);
  } finally {
    await Deno.remove(config);
  }
});

const BAD_INPUTS: { args: string[]; message: RegExp }[] = [
  { args: ["--bogus"], message: /^error: unknown flag '--bogus'; --help lists them$/ },
  { args: ["--sedes", "x"], message: /^error: unknown flag '--sedes': did you mean --seeds\?$/ },
  { args: [], message: /^error: --seeds is required/ },
  {
    args: ["--concurrency", "0"],
    message: /^error: --concurrency must be a positive integer: received 0$/,
  },
  {
    args: ["--concurrency", "abc"],
    message: /^error: --concurrency must be a positive integer: received "abc"$/,
  },
  { args: ["--max-depth=-1"], message: /^error: --max-depth must be a non-negative integer/ },
  {
    args: ["--max-depth", "-1"],
    message: /^error: --max-depth: a value starting with '-' must be written --max-depth=VALUE$/,
  },
  { args: ["--scope", "planet"], message: /^error: --scope must be one of host, domain, any/ },
  { args: ["--include", "("], message: /^error: --include must be a valid regular expression/ },
  { args: ["--timeout"], message: /^error: Option '--timeout <value>' argument missing$/ },
  { args: ["--config", "/nonexistent/crawl.json"], message: /^error: --config: cannot read/ },
  {
    args: ["--out", "/nonexistent/dir/out.jsonl"],
    message:
      /^error: --out: cannot write '\/nonexistent\/dir\/out.jsonl': no folder '\/nonexistent\/dir'$/,
  },
];

for (const { args, message } of BAD_INPUTS) {
  Deno.test(`CLI refuses bad input with one line and exit 2: ${args.join(" ") || "(no seeds)"}`, async () => {
    await using server = startFixtureServer();
    const seedArgs = args.length === 0 ? [] : ["--seeds", `${server.origin}/`];
    const result = await runCli([...seedArgs, ...args]);
    assert.equal(result.code, 2);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, message);
    assert.equal(server.hits.size, 0, "no request may be made on bad input");
  });
}

Deno.test("CLI refuses malformed seeds and bad config values, naming where they came from", async () => {
  const ftp = await runCli(["--seeds", "ftp://example.org/"]);
  assert.equal(ftp.code, 2);
  assert.match(
    ftp.stderr.trim(),
    /^error: --seeds must be an http\(s\) URL: received "ftp:\/\/example.org\/"$/,
  );
  const badCredentials = await runCli(["--seeds", "http://a%zz:s3cret@example.org/"]);
  assert.equal(badCredentials.code, 2);
  assert.equal(
    badCredentials.stderr.trim(),
    'error: --seeds must be an http(s) URL: received "http://a%zz:***@example.org/"',
    "the password is never repeated",
  );
  const noScheme = await runCli(["--seeds", "example.org"]);
  assert.equal(noScheme.code, 2);
  assert.match(noScheme.stderr.trim(), /^error: --seeds: cannot read 'example.org': no such file/);
  const config = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(
      config,
      JSON.stringify({ seeds: ["http://a.test/"], maxPages: "many" }),
    );
    const bad = await runCli(["--config", config]);
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr.trim(),
      `error: ${config}: 'maxPages' must be a positive integer: received "many"`,
    );
    await Deno.writeTextFile(config, "{ not json");
    const notJson = await runCli(["--config", config]);
    assert.equal(notJson.code, 2);
    assert.match(notJson.stderr.trim(), /is not valid JSON/);
    await Deno.writeTextFile(config, JSON.stringify({ seeds: ["http://a.test/"], colour: "red" }));
    const unknown = await runCli(["--config", config]);
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr.trim(),
      /'colour' is not a known option \(docs\/options.md lists the keys\)$/,
    );
  } finally {
    await Deno.remove(config);
  }
});

for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  Deno.test(`CLI on ${signal} stops, flushes complete records, prints stats and exits ${code}`, async () => {
    await using server = startFixtureServer({ latencyMs: 40 });
    const child = cliCommand([
      "--seeds",
      `${server.origin}/index.html`,
      "--concurrency",
      "2",
      "--allow-private",
    ])
      .spawn();
    await child.stdin.close();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let stdout = "";
    // Wait for the first complete record, then signal.
    while (!stdout.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += value;
    }
    child.kill(signal);
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += value;
    }
    const [status, stderr] = await Promise.all([
      child.status,
      new Response(child.stderr).text(),
    ]);
    assert.equal(status.code, code);
    const records = parseJsonl<CrawlRecord>(stdout);
    assert.ok(
      records.length >= 1 && records.length < SITE_PATHS.length,
      `${records.length} records`,
    );
    const stats = lastJsonLine(withoutDenoNotices(stderr));
    assert.equal(stats.stoppedBy, "interrupted");
    assert.equal(stats.records, records.length);
  });
}

Deno.test("CLI --help prints usage and exits 0", async () => {
  const result = await runCli(["--help"]);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /^Usage: deno run -P main.ts --seeds/);
});
