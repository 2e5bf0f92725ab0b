/**
 * The link checker end to end, through the CLI as a subprocess, against a
 * site and an external host on loopback (tests/support/link_site.ts).
 *
 * @module
 */

import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { parseJsonl, runCli } from "../support/cli_run.ts";
import { type LinkSite, startLinkSite } from "../support/link_site.ts";
import { redisTest, startRedis } from "../support/redis_server.ts";

/** A link table row as the CSV has it. */
type Row = Record<string, string>;

async function readTable(path: string): Promise<Row[]> {
  return parse(await Deno.readTextFile(path), { columns: true }) as Row[];
}

/** Rows about one target, as "source tag text result" strings, sorted. */
function referrersOf(rows: Row[], target: string, fragment = ""): string[] {
  return rows.filter((r) => r.target === target && r.fragment === fragment)
    .map((r) => `${r.source} ${r.tag} ${r.text} ${r.result}`).sort();
}

const CHECK_ALL = ["--check", "assets,external,fragments", "--allow-private"];

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "linkcheck-cli-test-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Asserts the table of a complete check of the link site. */
function assertSiteTable(site: LinkSite, rows: Row[]): void {
  const o = site.origin;
  const x = site.external;
  // One broken page, linked from three pages with three texts: every referrer named.
  assert.deepEqual(referrersOf(rows, `${o}/gone.html`), [
    `${o}/ a[href] Old page broken`,
    `${o}/about.html a[href] Former page broken`,
    `${o}/blog.html a[href] Archive broken`,
  ]);
  const gone = rows.find((r) => r.target === `${o}/gone.html`)!;
  assert.deepEqual([gone.status, gone.error], ["404", "http_4xx"]);
  // Resources: broken ones broken, working ones ok, each with its tag.
  assert.deepEqual(referrersOf(rows, `${o}/missing.png`), [`${o}/ img[src] Missing logo broken`]);
  assert.deepEqual(referrersOf(rows, `${o}/missing.css`), [`${o}/ link[href]  broken`]);
  assert.deepEqual(referrersOf(rows, `${o}/app.js`), [`${o}/ script[src]  ok`]);
  assert.deepEqual(referrersOf(rows, `${o}/logo.png`), [
    `${o}/ img[src] Logo ok`,
    `${o}/about.html img[src] Logo ok`,
  ]);
  assert.deepEqual(referrersOf(rows, `${o}/clip.mp4`), [`${o}/blog.html video[src]  ok`]);
  assert.deepEqual(referrersOf(rows, `${o}/frame.html`), [`${o}/about.html iframe[src] Map ok`]);
  // External links: checked, the disallowed one refused by robots.txt and not requested.
  assert.deepEqual(referrersOf(rows, `${x}/partner.html`), [
    `${o}/ a[href] Partner ok`,
    `${o}/about.html a[href] Our partner ok`,
  ]);
  assert.deepEqual(referrersOf(rows, `${x}/dead.html`), [`${o}/ a[href] Dead partner broken`]);
  const secret = rows.find((r) => r.target === `${x}/private/secret.html`)!;
  assert.deepEqual([secret.result, secret.status, secret.error], ["refused", "", "robots"]);
  // Fragments: present ones ok (on another page and the same page, #top always), missing broken.
  assert.deepEqual(referrersOf(rows, `${o}/about.html`, "team"), [`${o}/ a[href] Team ok`]);
  assert.deepEqual(referrersOf(rows, `${o}/`, "intro"), [`${o}/ a[href] Intro ok`]);
  assert.deepEqual(referrersOf(rows, `${o}/`, "top"), [`${o}/ a[href] Top ok`]);
  const missing = rows.filter((r) => r.fragment === "nowhere" || r.fragment === "outro");
  assert.deepEqual(missing.map((r) => [r.target, r.fragment, r.result, r.status, r.error]), [
    [`${o}/about.html`, "nowhere", "broken", "200", "fragment_missing"],
    [`${o}/`, "outro", "broken", "200", "fragment_missing"],
  ]);
}

/**
 * Asserts the servers saw each checked URL once, never parsed, never
 * followed; robots.txt at most once per process (`processes`).
 */
function assertRequests(site: LinkSite, processes = 1): void {
  const { siteLog, externalLog, count } = site;
  for (const path of ["/logo.png", "/missing.png", "/app.js", "/missing.css", "/favicon.ico"]) {
    assert.equal(count(siteLog, path), 1, `${path} requested ${count(siteLog, path)} times`);
    assert.equal(count(siteLog, path, "HEAD"), 1, `${path} not checked with HEAD`);
  }
  // The server refusing HEAD is asked again with GET, once.
  assert.equal(count(siteLog, "/clip.mp4", "HEAD"), 1);
  assert.equal(count(siteLog, "/clip.mp4", "GET"), 1);
  // A frame is checked, not parsed: its link is never requested.
  assert.equal(count(siteLog, "/frame.html", "HEAD"), 1);
  assert.equal(count(siteLog, "/frame.html", "GET"), 0);
  assert.equal(count(siteLog, "/only-in-frame.html"), 0);
  // The broken page linked three times: one request. A page with two fragments linked: one.
  assert.equal(count(siteLog, "/gone.html"), 1);
  assert.equal(count(siteLog, "/about.html"), 1);
  // The external host: its robots.txt read, each link checked once, nothing crawled further.
  const robots = count(externalLog, "/robots.txt");
  assert.ok(robots >= 1 && robots <= processes, `robots.txt read ${robots} times`);
  assert.equal(count(externalLog, "/partner.html", "HEAD"), 1);
  assert.equal(count(externalLog, "/partner.html", "GET"), 0);
  assert.equal(count(externalLog, "/dead.html"), 1);
  assert.equal(count(externalLog, "/private/secret.html"), 0);
  assert.equal(count(externalLog, "/partner-deeper.html"), 0);
}

Deno.test("link check CLI: every referrer, resources, external links and fragments, each target requested once", async () => {
  await using site = startLinkSite();
  await withDir(async (dir) => {
    const result = await runCli([
      "--seeds",
      `${site.origin}/`,
      ...CHECK_ALL,
      "--links-out",
      `${dir}/links.csv`,
      "--out",
      `${dir}/pages.jsonl`,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const rows = await readTable(`${dir}/links.csv`);
    assertSiteTable(site, rows);
    assertRequests(site);
    // Checked URLs get records marked as such, counted apart from pages.
    const records = parseJsonl<{ url: string; check?: string; error?: string }>(
      await Deno.readTextFile(`${dir}/pages.jsonl`),
    );
    const checked = records.filter((r) => r.check !== undefined);
    assert.equal(checked.filter((r) => r.check === "asset").length, 8);
    assert.equal(checked.filter((r) => r.check === "external").length, 3);
    const summary = JSON.parse(result.stderr.trim().split("\n").at(-1)!);
    assert.equal(summary.pagesOk, 3);
    assert.deepEqual(summary.errors, { http_4xx: 1 });
    assert.deepEqual(summary.checked, { ok: 7, errors: { http_4xx: 3 } });
    // robots.txt refusals are policy, counted as skipped, as for pages.
    assert.deepEqual(summary.skipped, { robots: 1 });
    // The person reading the terminal sees the link check's counts and the worst target first.
    assert.match(result.stderr, /links {4}23 links on the pages: 8 broken \(6 targets\)/);
    assert.match(
      result.stderr,
      /broken {3}404 http:\/\/.*\/gone\.html {2}<- .* "Old page" and 2 more pages/,
    );
  });
});

Deno.test("link check CLI: --fail-on-broken exits 3 on a broken link and 0 on a clean site", async () => {
  await using site = startLinkSite();
  const broken = await runCli([
    "--seeds",
    `${site.origin}/`,
    ...CHECK_ALL,
    "--fail-on-broken",
    "-q",
  ]);
  assert.equal(broken.code, 3, broken.stderr);
  // The blog's links all work: nothing broken, exit 0.
  const clean = await runCli([
    "--seeds",
    `${site.origin}/about.html`,
    "--max-depth",
    "0",
    "--check",
    "assets,fragments",
    "--allow-private",
    "--fail-on-broken",
    "-q",
  ]);
  assert.equal(clean.code, 0, clean.stderr);
});

Deno.test("link check CLI: --accept counts a listed 4xx status as fine", async () => {
  await using site = startLinkSite();
  await withDir(async (dir) => {
    const result = await runCli([
      "--seeds",
      `${site.origin}/`,
      "--max-depth",
      "1",
      "--allow-private",
      "--accept",
      "404",
      "--links-out",
      `${dir}/links.jsonl`,
      "--fail-on-broken",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const rows = parseJsonl<Row>(await Deno.readTextFile(`${dir}/links.jsonl`));
    const gone = rows.filter((r) => r.target === `${site.origin}/gone.html`);
    assert.equal(gone.length, 3);
    for (const row of gone) {
      assert.deepEqual([row.result, row.status, row.error], ["ok", 404, undefined]);
    }
  });
});

Deno.test("link check CLI: without --check only crawled pages are requested, the rest is listed unchecked", async () => {
  await using site = startLinkSite();
  await withDir(async (dir) => {
    const result = await runCli([
      "--seeds",
      `${site.origin}/`,
      "--allow-private",
      "--links-out",
      `${dir}/links.csv`,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(site.externalLog.length, 0);
    assert.equal(site.count(site.siteLog, "/logo.png"), 0);
    const rows = await readTable(`${dir}/links.csv`);
    const partner = rows.find((r) => r.target === `${site.external}/partner.html`)!;
    assert.deepEqual([partner.result, partner.status], ["unchecked", ""]);
    // Resources are links of a page too, only found with --check assets.
    assert.equal(rows.filter((r) => r.tag !== "a[href]").length, 0);
    assert.deepEqual(referrersOf(rows, `${site.origin}/gone.html`).length, 3);
  });
});

Deno.test("link check CLI: with --state the referrers of pages crawled before a stop are in the table after the resume", async () => {
  await using site = startLinkSite();
  await withDir(async (dir) => {
    const args = [
      "--seeds",
      `${site.origin}/`,
      ...CHECK_ALL,
      "--state",
      `${dir}/crawl.db`,
      "--out",
      `${dir}/pages.jsonl`,
      "--links-out",
      `${dir}/links.csv`,
      "--concurrency",
      "1",
    ];
    // The first run stops after four URLs (the seed and its first links); the second finishes.
    const first = await runCli([...args, "--max-pages-per-run", "4"]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(
      JSON.parse(first.stderr.trim().split("\n").at(-1)!).stoppedBy,
      "max_pages_per_run",
    );
    const second = await runCli(args);
    assert.equal(second.code, 0, second.stderr);
    assertSiteTable(site, await readTable(`${dir}/links.csv`));
    assertRequests(site, 2);
    // The state's table can be written again from the state alone.
    const exported = await runCli([
      "export",
      "--state",
      `${dir}/crawl.db`,
      "--out",
      `${dir}/all.jsonl`,
      "--links-out",
      `${dir}/again.csv`,
    ]);
    assert.equal(exported.code, 0, exported.stderr);
    assertSiteTable(site, await readTable(`${dir}/again.csv`));
  });
});

Deno.test("link check CLI: --links-out names a file it can tell the format of", async () => {
  const result = await runCli(["--seeds", "http://127.0.0.1:9/", "--links-out", "links.txt"]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--links-out: cannot tell the format of 'links.txt'/);
  const check = await runCli(["--seeds", "http://127.0.0.1:9/", "--check", "images"]);
  assert.equal(check.code, 2);
  assert.match(check.stderr, /--check must list some of assets, external, fragments/);
  const accept = await runCli(["--seeds", "http://127.0.0.1:9/", "--accept", "4xx"]);
  assert.equal(accept.code, 2);
  assert.match(accept.stderr, /--accept must hold 4xx or 5xx statuses/);
  // A status below 400 is fine already; an empty list is a mistake.
  const ok = await runCli(["--seeds", "http://127.0.0.1:9/", "--accept", "200"]);
  assert.equal(ok.code, 2);
  const none = await runCli(["--seeds", "http://127.0.0.1:9/", "--check="]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /--check must list some of assets, external, fragments/);
  // Two outputs in one file would overwrite each other.
  const same = await runCli([
    "--seeds",
    "http://127.0.0.1:9/",
    "--out",
    "/tmp/same.jsonl",
    "--links-out",
    "/tmp/same.jsonl",
  ]);
  assert.equal(same.code, 2);
  assert.match(same.stderr, /--links-out and --out name the same file/);
  // A Redis process sees its share of the job: the verdict is export's.
  const redis = await runCli([
    "--seeds",
    "http://127.0.0.1:9/",
    "--redis",
    "redis://127.0.0.1:9/0",
    "--job",
    "j",
    "--fail-on-broken",
  ]);
  assert.equal(redis.code, 2);
  assert.match(redis.stderr, /--fail-on-broken judges the whole crawl/);
});

redisTest(
  "link check CLI: with --redis, export writes the job's link table with every referrer",
  async () => {
    await using site = startLinkSite();
    await using redis = await startRedis();
    await withDir(async (dir) => {
      const job = ["--redis", redis.url, "--job", "links"];
      // Two processes share the job: each page's links are in the records of whichever parsed it.
      const crawl = (n: number) =>
        runCli([
          "--seeds",
          `${site.origin}/`,
          ...CHECK_ALL,
          ...job,
          "--concurrency",
          "2",
          "--out",
          `${dir}/part-${n}.jsonl`,
        ]);
      const results = await Promise.all([crawl(1), crawl(2)]);
      for (const result of results) assert.equal(result.code, 0, result.stderr);
      assertRequests(site, 2);
      const exported = await runCli(["export", ...job, "--links-out", `${dir}/links.csv`, "-q"]);
      assert.equal(exported.code, 0, exported.stderr);
      assertSiteTable(site, await readTable(`${dir}/links.csv`));
    });
  },
);

Deno.test("link check CLI: external links keep the address guard and per-host limits: one request per URL, one at a time", async () => {
  let inFlight = 0;
  let peak = 0;
  const requested: string[] = [];
  await using external = Deno.serve(
    { hostname: "127.0.0.2", port: 0, onListen() {} },
    async (req) => {
      requested.push(`${req.method} ${new URL(req.url).pathname}`);
      inFlight++;
      peak = Math.max(peak, inFlight);
      // Answer after the next request could have started, had the limit allowed one.
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return new URL(req.url).pathname === "/robots.txt"
        ? new Response("User-agent: *\nAllow: /\n")
        : new Response(null, { status: 200 });
    },
  );
  const ext = `http://127.0.0.2:${external.addr.port}`;
  const links = Array.from({ length: 30 }, (_, i) => `<a href="${ext}/p${i}">p${i}</a>`).join("");
  await using site = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    const nav = `<a href="/a">a</a><a href="/b">b</a>`;
    // Every page links to the same 30 external URLs, and to the cloud metadata address.
    return new Response(
      `${nav}${links}<a href="http://169.254.169.254/latest/meta-data/">metadata</a>`,
      { headers: { "content-type": "text/html" }, status: path === "/robots.txt" ? 404 : 200 },
    );
  });
  await withDir(async (dir) => {
    const result = await runCli([
      "--seeds",
      `http://127.0.0.1:${site.addr.port}/`,
      "--check",
      "external",
      "--allow-address",
      "127.0.0.0/8",
      "--per-host",
      "1",
      "--concurrency",
      "8",
      "--links-out",
      `${dir}/links.jsonl`,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const heads = requested.filter((r) => r.startsWith("HEAD "));
    assert.equal(heads.length, 30);
    assert.equal(new Set(heads).size, 30);
    assert.equal(peak, 1, `the external host saw ${peak} requests at once`);
    const rows = parseJsonl<Row>(await Deno.readTextFile(`${dir}/links.jsonl`));
    assert.equal(rows.filter((r) => r.target.startsWith(ext) && r.result === "ok").length, 90);
    const metadata = rows.filter((r) => r.target.startsWith("http://169.254.169.254/"));
    assert.equal(metadata.length, 3);
    for (const row of metadata) {
      assert.deepEqual([row.result, row.error], ["refused", "blocked_address"]);
    }
  });
});
