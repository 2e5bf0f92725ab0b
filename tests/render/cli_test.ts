/**
 * The renderer from the command line, as a real subprocess: `--render` with
 * `--state`, `--extract`, CSV and the report; blocked requests on stderr;
 * bad render flags; and no browser process left behind on any way out (the
 * end, SIGINT, SIGTERM, a second signal). Each run gets a unique mark in its
 * environment, which every process it starts inherits: a browser orphaned
 * by the crawler would still carry it. Ignored without chromium (with the
 * install command) unless `REQUIRE_CHROMIUM=1`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parse as parseCsv } from "csv-parse/sync";
import type { CrawlRecord } from "../../src/output/record.ts";
import { chromiumTest, processesMarked, renderBrowsers } from "../support/chromium.ts";
import { parseJsonl, runCli } from "../support/cli_run.ts";
import { spawnCli } from "../support/cli_stream.ts";
import { FIXTURES, startFixtureServer } from "../support/fixture_server.ts";

const SITE = "127.0.0.2";
const ALLOW = ["--allow-address", `${SITE}/32`];
const MARK = "DENO_CRAWLER_RENDER_TEST";

async function assertNothingLeft(mark: string): Promise<void> {
  // Chromium's crashpad handlers are daemons of its own (re-parented, started whatever the
  // crash-reporter flags say) that exit by themselves a moment after the browser: not a browser
  // left behind. (`--disable-crashpad-for-testing` stops them, but makes a SIGINT end the browser
  // mid-render.)
  const left = (await processesMarked(MARK, mark)).filter(({ cmdline }) =>
    !/(^|\/)chrome_crashpad_handler\s/.test(cmdline)
  );
  assert.deepEqual(left, []);
}

chromiumTest(
  "render CLI: --render with --state, --extract, CSV and --report; the browser is gone at the end",
  async () => {
    await using server = startFixtureServer({ root: `${FIXTURES}spa`, hostname: SITE });
    const dir = await Deno.makeTempDir({ prefix: "render-cli-" });
    try {
      const rules = `${dir}/rules.json`;
      await Deno.writeTextFile(
        rules,
        JSON.stringify({ rules: [{ match: "/page/*", fields: { heading: { selector: "h1" } } }] }),
      );
      const mark = crypto.randomUUID();
      const run = spawnCli([
        "--seeds",
        `${server.origin}/`,
        ...ALLOW,
        "--render",
        "--render-tabs",
        "2",
        "--state",
        `${dir}/crawl.db`,
        "--extract",
        rules,
        "--out",
        `${dir}/pages.csv`,
        "--report",
        `${dir}/report.html`,
      ], { [MARK]: mark });
      const { code, stderr } = await run.done();
      assert.equal(code, 0, stderr);
      const rows: Record<string, string>[] = parseCsv(await Deno.readTextFile(`${dir}/pages.csv`), {
        columns: true,
      });
      assert.equal(rows.length, 4);
      for (const row of rows) assert.equal(row.rendered, "true");
      const pageA = rows.find((row) => row.url.endsWith("/page/a.html"))!;
      assert.equal(pageA["data.heading"], "Page A");
      const report = await Deno.readTextFile(`${dir}/report.html`);
      assert.match(report, /Rendered<\/div>\s*<div class="v">4</);
      assert.match(report, /<span class="tag">rendered<\/span>/);
      await assertNothingLeft(mark);

      // The state file holds the rendered records: export writes them again.
      const exported = await runCli(["export", "--state", `${dir}/crawl.db`]);
      assert.equal(exported.code, 0, exported.stderr);
      const records = parseJsonl<CrawlRecord>(exported.stdout);
      assert.equal(records.length, 4);
      assert.ok(records.every((record) => record.rendered === true));
      assert.deepEqual(
        records.find((record) => record.url.endsWith("/page/c.html"))!.data,
        { heading: "Page C" },
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

chromiumTest(
  "render CLI: a blocked request of a rendered page is refused and said on stderr",
  async () => {
    await using inside = startFixtureServer({
      routes: { "/secret": () => new Response("secret") },
    });
    await using server = startFixtureServer({
      hostname: SITE,
      routes: {
        "/": () =>
          new Response(`<title>t</title><script>fetch("${inside.origin}/secret")</script>`, {
            headers: { "content-type": "text/html" },
          }),
      },
    });
    const { code, stdout, stderr } = await runCli([
      "--seeds",
      `${server.origin}/`,
      ...ALLOW,
      "--render",
    ]);
    assert.equal(code, 0, stderr);
    assert.match(
      stderr,
      new RegExp(
        `blocked: ${server.origin}/ asked for ${inside.origin}/secret \\(blocked_address\\)`,
      ),
    );
    const [record] = parseJsonl<CrawlRecord>(stdout);
    assert.deepEqual(record!.blockedRequests, [
      { url: `${inside.origin}/secret`, error: "blocked_address" },
    ]);
    assert.equal(inside.hits.size, 0);
  },
);

chromiumTest("render CLI: bad render flags are refused before any request, exit 2", async () => {
  const cases: [string[], RegExp][] = [
    [["--wait-for", "#app a"], /--wait-for needs render or renderMatch/],
    [["--render-resources"], /--render-resources needs render or renderMatch/],
    [
      ["--render-match", "("],
      /--render-match must be a URL pattern .* or a valid regular expression/,
    ],
    [["--render", "--render-tabs", "0"], /--render-tabs must be a positive integer/],
    [["--render", "--wait-for", "a:nope"], /--wait-for must be a valid CSS selector/],
  ];
  for (const [flags, message] of cases) {
    const { code, stderr } = await runCli(["--seeds", "http://127.0.0.2:9/", ...flags]);
    assert.equal(code, 2, `${flags.join(" ")}: ${stderr}`);
    assert.match(stderr, message);
  }
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  chromiumTest(
    `render CLI: ${signal} mid-render finishes the page, exits ${
      signal === "SIGINT" ? 130 : 143
    }, and leaves no browser`,
    async () => {
      const hit = Promise.withResolvers<void>();
      const answer = Promise.withResolvers<void>();
      await using server = startFixtureServer({
        hostname: SITE,
        routes: {
          "/": async () => {
            hit.resolve();
            await answer.promise;
            return new Response(`<title>late</title><a href="/next">next</a>`, {
              headers: { "content-type": "text/html" },
            });
          },
        },
      });
      const mark = crypto.randomUUID();
      const run = spawnCli(["--seeds", `${server.origin}/`, ...ALLOW, "--render"], {
        [MARK]: mark,
      });
      await hit.promise;
      run.child.kill(signal);
      await run.stderr.waitFor(/stopping:/);
      answer.resolve();
      const { code, stdout, stderr } = await run.done();
      assert.equal(code, signal === "SIGINT" ? 130 : 143, stderr);
      const records = parseJsonl<CrawlRecord>(stdout);
      assert.equal(records.length, 1);
      assert.equal(records[0]!.title, "late");
      assert.equal(records[0]!.rendered, true);
      await assertNothingLeft(mark);
    },
  );
}

/**
 * A site whose page answers only once `answer` resolves (`hit` resolves when
 * it is asked for): a render in progress, to stop mid-way. Disposing it
 * answers and stops the server.
 */
function startStalledSite() {
  const hit = Promise.withResolvers<void>();
  const answer = Promise.withResolvers<void>();
  const server = startFixtureServer({
    hostname: SITE,
    routes: {
      "/": async () => {
        hit.resolve();
        await answer.promise;
        return new Response("late", { headers: { "content-type": "text/html" } });
      },
    },
  });
  return {
    server,
    hit,
    answer,
    async [Symbol.asyncDispose]() {
      answer.resolve();
      await server[Symbol.asyncDispose]();
    },
  };
}

chromiumTest(
  "render CLI: a second SIGINT aborts the render at once and leaves no browser",
  async () => {
    await using site = startStalledSite();
    const { server, hit, answer } = site;
    const mark = crypto.randomUUID();
    const run = spawnCli(["--seeds", `${server.origin}/`, ...ALLOW, "--render"], { [MARK]: mark });
    try {
      await hit.promise;
      run.child.kill("SIGINT");
      await run.stderr.waitFor(/stopping:/);
      run.child.kill("SIGINT");
      const { code, stderr } = await run.done();
      assert.equal(code, 130, stderr);
      await assertNothingLeft(mark);
    } finally {
      answer.resolve();
    }
  },
);

chromiumTest("render CLI: a crawler killed with SIGKILL takes its browser with it", async () => {
  await using site = startStalledSite();
  const { server, hit, answer } = site;
  const mark = crypto.randomUUID();
  const run = spawnCli(["--seeds", `${server.origin}/`, ...ALLOW, "--render"], { [MARK]: mark });
  try {
    await hit.promise;
    assert.ok((await processesMarked(MARK, mark)).some(({ cmdline }) => /chromium/.test(cmdline)));
    run.child.kill("SIGKILL");
    await run.done();
    // The kernel sends the browser its parent-death signal (SIGKILL) as the crawler exits,
    // before the crawler can be waited for: the browser is gone (its helpers follow it, on
    // their own time, which nothing here can await).
    assert.deepEqual(renderBrowsers(await processesMarked(MARK, mark)), []);
  } finally {
    answer.resolve();
  }
});
