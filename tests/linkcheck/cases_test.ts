/**
 * The link check's edge cases through the CLI: recrawls, robots.txt on the
 * site itself, excluded URLs, errors of checked URLs, a finished state,
 * `export --fail-on-broken`, and outputs under narrowed write permission.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { ROOT, runCli } from "../support/cli_run.ts";

type Row = Record<string, string>;

const HTML = { "content-type": "text/html" };

/** A small site: `/` and `/about` link to `/gone` (404); pages answer 304 to their ETag. */
function startSite(extra: Record<string, (req: Request) => Response> = {}) {
  const log: string[] = [];
  const pages: Record<string, string> = {
    "/": `<a href="/about">About</a> <a href="/gone">Gone from home</a> <img src="/missing.png">
<a href="/private/page">Private</a> <a href="/logout">Log out</a>`,
    "/about": `<a href="/gone">Gone from about</a>`,
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    log.push(`${req.method} ${path}`);
    if (extra[path]) return extra[path](req);
    if (path === "/robots.txt") return new Response("User-agent: *\nDisallow: /private/\n");
    const body = pages[path];
    if (body === undefined) return new Response("no", { status: 404 });
    const etag = `"${path.length}"`;
    if (req.headers.get("if-none-match") === etag) return new Response(null, { status: 304 });
    return new Response(body, { headers: { ...HTML, etag } });
  });
  return { server, log, origin: `http://127.0.0.1:${server.addr.port}` };
}

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "linkcheck-cases-test-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function rowsOf(path: string): Promise<Row[]> {
  return parse(await Deno.readTextFile(path), { columns: true }) as Row[];
}

function gone(rows: Row[], origin: string): string[] {
  return rows.filter((r) => r.target === `${origin}/gone`).map((r) =>
    `${r.source} ${r.text} ${r.result}`
  )
    .sort();
}

Deno.test("link check CLI: a --recrawl whose pages answer 304 still checks their links", async () => {
  const { server, origin } = startSite();
  await using _ = server;
  await withDir(async (dir) => {
    const args = [
      "--seeds",
      `${origin}/`,
      "--allow-private",
      "--state",
      `${dir}/site.db`,
      "--out",
      `${dir}/pages.jsonl`,
      "--links-out",
      `${dir}/links.csv`,
      "--fail-on-broken",
    ];
    const first = await runCli(args);
    assert.equal(first.code, 3, first.stderr);
    const expected = [`${origin}/ Gone from home broken`, `${origin}/about Gone from about broken`];
    assert.deepEqual(gone(await rowsOf(`${dir}/links.csv`), origin), expected);
    for (const extra of [["--recrawl"], ["--recrawl", "--changed-only"]]) {
      const again = await runCli([...args, ...extra]);
      assert.equal(again.code, 3, again.stderr);
      assert.match(again.stderr, /unchanged/);
      assert.deepEqual(gone(await rowsOf(`${dir}/links.csv`), origin), expected);
    }
    // A finished crawl run again is judged again: the table is written, the exit says so.
    const done = await runCli(args);
    assert.equal(done.code, 3, done.stderr);
    assert.deepEqual(gone(await rowsOf(`${dir}/links.csv`), origin), expected);
    // So is its export.
    const exported = await runCli([
      "export",
      "--state",
      `${dir}/site.db`,
      "--out",
      `${dir}/all.jsonl`,
      "--fail-on-broken",
      "-q",
    ]);
    assert.equal(exported.code, 3, exported.stderr);
    assert.match(exported.stderr, /3 broken links \(--fail-on-broken\)/);
  });
});

Deno.test("link check CLI: a page robots.txt disallows is listed refused, an excluded URL never requested", async () => {
  await using external = Deno.serve(
    { hostname: "127.0.0.2", port: 0, onListen() {} },
    () => new Response("should not be asked", { status: 500 }),
  );
  const ext = `http://127.0.0.2:${external.addr.port}`;
  const { server, log, origin } = startSite({
    "/": () =>
      new Response(`<a href="/private/page">Private</a> <a href="${ext}/logout">Out</a>`, {
        headers: HTML,
      }),
  });
  await using _ = server;
  await withDir(async (dir) => {
    const result = await runCli([
      "--seeds",
      `${origin}/`,
      "--allow-private",
      "--check",
      "external",
      "--exclude",
      "logout",
      "--links-out",
      `${dir}/links.csv`,
      "--out",
      `${dir}/pages.jsonl`,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const rows = await rowsOf(`${dir}/links.csv`);
    const byTarget = Object.fromEntries(rows.map((r) => [r.target, [r.result, r.error]]));
    assert.deepEqual(byTarget[`${origin}/private/page`], ["refused", "robots"]);
    assert.deepEqual(byTarget[`${ext}/logout`], ["unchecked", ""]);
    assert.ok(!log.includes("GET /private/page"));
  });
});

Deno.test("link check CLI: --fail-on-errors counts checked URLs that failed", async () => {
  const { server, origin } = startSite({
    "/": () => new Response(`<img src="/missing.png" alt="x">`, { headers: HTML }),
  });
  await using _ = server;
  const result = await runCli([
    "--seeds",
    `${origin}/`,
    "--allow-private",
    "--check",
    "assets",
    "--fail-on-errors",
    "0",
    "-q",
  ]);
  assert.equal(result.code, 3, result.stderr);
});

Deno.test("link check CLI: --report and --links-out write only where the crawl may write", async () => {
  const { server, origin } = startSite();
  await using _ = server;
  await withDir(async (dir) => {
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        "--allow-read",
        "--allow-env",
        "--allow-sys",
        `--allow-write=${dir}`,
        `${ROOT}main.ts`,
        "--seeds",
        `${origin}/`,
        "--allow-private",
        "--out",
        `${dir}/pages.jsonl`,
        "--report",
        `${dir}/report.html`,
        "--links-out",
        `${dir}/links.csv`,
        "-q",
      ],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const names = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
    assert.deepEqual(names, ["links.csv", "pages.jsonl", "report.html"]);
    // Records keep no link details unless asked: --links-out alone does not grow them.
    assert.ok(!(await Deno.readTextFile(`${dir}/pages.jsonl`)).includes('"refs"'));
  });
});
