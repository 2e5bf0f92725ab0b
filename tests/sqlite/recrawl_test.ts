/**
 * Recrawls through the real CLI against a server whose pages change between
 * runs and that honours If-None-Match / If-Modified-Since: validators sent,
 * 304s recorded unchanged and not parsed, `--changed-only`, `--max-age`, the
 * runs table, and `--fail-on-errors`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { CrawlRecord } from "../../src/output/record.ts";
import { parseJsonl, runCli } from "../support/cli_run.ts";
import { type FixtureServer, type Routes, startFixtureServer } from "../support/fixture_server.ts";

/** One request as the server saw it. */
interface Hit {
  path: string;
  ifNoneMatch: string | null;
  ifModifiedSince: string | null;
  status: number;
}

const HTML = { "content-type": "text/html; charset=utf-8" };

/**
 * A site whose pages have versions: `/` and `/etag/*` and `/new/*` pages
 * carry an ETag, `/lm/*` pages a Last-Modified date; both kinds answer a
 * matching conditional request with 304. `change()` bumps a page's version
 * and may add a link to it.
 */
function versionedSite() {
  const versions = new Map<string, number>();
  const extraLinks = new Map<string, string[]>();
  const hits: Hit[] = [];
  const routes: Routes = {};
  const etagOf = (path: string) => `"${path.replace(/\W+/g, "-")}v${versions.get(path)}"`;
  const lastModifiedOf = (path: string) =>
    new Date(Date.UTC(2024, 0, versions.get(path)!)).toUTCString();
  const add = (path: string, kind: "etag" | "lm", links: string[] = []) => {
    versions.set(path, 1);
    extraLinks.set(path, links);
    routes[path] = (request) => {
      const hit: Hit = {
        path,
        ifNoneMatch: request.headers.get("if-none-match"),
        ifModifiedSince: request.headers.get("if-modified-since"),
        status: 200,
      };
      hits.push(hit);
      const headers: Record<string, string> = kind === "etag"
        ? { etag: etagOf(path) }
        : { "last-modified": lastModifiedOf(path) };
      const notModified = kind === "etag"
        ? hit.ifNoneMatch === headers.etag
        : hit.ifModifiedSince !== null &&
          Date.parse(hit.ifModifiedSince) >= Date.parse(headers["last-modified"]!);
      if (notModified) {
        hit.status = 304;
        return new Response(null, { status: 304, headers });
      }
      const anchors = ["/", ...extraLinks.get(path)!].map((href) => `<a href="${href}">x</a>`);
      return new Response(
        `<!doctype html><title>${path} v${versions.get(path)}</title>${anchors.join("")}`,
        { headers: { ...HTML, ...headers } },
      );
    };
  };
  const pages = ["/etag/1.html", "/etag/2.html", "/etag/3.html", "/lm/1.html", "/lm/2.html"];
  pages.push("/lm/3.html");
  add("/", "etag", pages);
  for (const path of pages) add(path, path.startsWith("/etag/") ? "etag" : "lm");
  add("/new/1.html", "etag");
  add("/new/2.html", "etag");
  return {
    routes,
    hits,
    etagOf,
    lastModifiedOf,
    /** Bumps a page's version; `link` is a new link it gets. */
    change(path: string, link?: string) {
      versions.set(path, versions.get(path)! + 1);
      if (link) extraLinks.get(path)!.push(link);
    },
  };
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "recrawl_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The summary line the CLI prints on stderr (the last JSON object line). */
function summaryOf(stderr: string): Record<string, unknown> {
  const line = stderr.trim().split("\n").findLast((l) => l.startsWith("{"));
  assert.ok(line, stderr);
  return JSON.parse(line);
}

const pathOf = (server: FixtureServer, url: string) => url.slice(server.origin.length);
const KNOWN = [
  "/",
  "/etag/1.html",
  "/etag/2.html",
  "/etag/3.html",
  "/lm/1.html",
  "/lm/2.html",
  "/lm/3.html",
];

Deno.test("recrawl: validators sent, 304s unchanged and unparsed, --changed-only, --max-age, runs recorded", async () => {
  const site = versionedSite();
  await using server = startFixtureServer({ routes: site.routes });
  await withDir(async (dir) => {
    const state = `${dir}/crawl.db`;
    const crawl = async (run: number, flags: string[]) => {
      site.hits.length = 0;
      const out = `${dir}/out${run}.jsonl`;
      const result = await runCli([
        ...["--seeds", `${server.origin}/`, "--state", state, "--out", out],
        ...["--allow-private", "--ignore-robots", "--parsers", "0", ...flags],
      ]);
      assert.equal(result.code, 0, result.stderr);
      const summary = summaryOf(result.stderr);
      assert.equal(summary.runId, run);
      const records = parseJsonl<CrawlRecord>(await Deno.readTextFile(out));
      const byPath = new Map(records.map((r) => [pathOf(server, r.requestedUrl), r]));
      assert.equal(byPath.size, records.length, "each page once");
      return { summary, byPath, hits: [...site.hits] };
    };
    const requested = (hits: Hit[]) => hits.map((h) => h.path).sort();

    // Run 1: a first crawl, no conditional request.
    const first = await crawl(1, []);
    assert.deepEqual(requested(first.hits), [...KNOWN].sort());
    assert.ok(first.hits.every((h) => h.ifNoneMatch === null && h.ifModifiedSince === null));
    assert.equal(first.byPath.get("/etag/2.html")!.etag, site.etagOf("/etag/2.html"));
    assert.equal(first.byPath.get("/lm/2.html")!.lastModified, site.lastModifiedOf("/lm/2.html"));
    const validators = new Map(KNOWN.map((path) => [path, first.byPath.get(path)!]));

    // Run 2: two pages changed; one of them links to a new page.
    site.change("/etag/2.html", "/new/1.html");
    site.change("/lm/2.html");
    const second = await crawl(2, ["--recrawl"]);
    assert.deepEqual(requested(second.hits), [...KNOWN, "/new/1.html"].sort());
    for (const hit of second.hits) {
      const before = validators.get(hit.path);
      assert.equal(hit.ifNoneMatch, before?.etag ?? null, `If-None-Match of ${hit.path}`);
      assert.equal(
        hit.ifModifiedSince,
        before?.lastModified ?? null,
        `If-Modified-Since of ${hit.path}`,
      );
    }
    const changed = ["/etag/2.html", "/lm/2.html", "/new/1.html"];
    assert.deepEqual([...second.byPath.keys()].sort(), [...KNOWN, "/new/1.html"].sort());
    for (const [path, record] of second.byPath) {
      if (changed.includes(path)) {
        assert.equal(record.status, 200, path);
        assert.equal(record.unchanged, undefined, path);
        assert.match(record.title!, path === "/new/1.html" ? / v1$/ : / v2$/);
        assert.ok(record.links.length > 0, `${path} is parsed`);
      } else {
        assert.equal(record.status, 304, path);
        assert.equal(record.unchanged, true, path);
        // Not parsed: its links are known from the run that fetched it.
        assert.deepEqual([record.title, record.links], [null, []], path);
      }
    }
    assert.equal(second.byPath.get("/etag/2.html")!.etag, site.etagOf("/etag/2.html"));
    assert.equal(second.summary.unchanged, KNOWN.length - 2);

    // Run 3: --changed-only writes the changed page and the new one it links to.
    site.change("/lm/3.html", "/new/2.html");
    const third = await crawl(3, ["--recrawl", "--changed-only"]);
    assert.deepEqual(requested(third.hits), [...KNOWN, "/new/1.html", "/new/2.html"].sort());
    assert.deepEqual(
      third.hits.filter((h) => h.status === 200).map((h) => h.path).sort(),
      ["/lm/3.html", "/new/2.html"],
    );
    assert.deepEqual([...third.byPath.keys()].sort(), ["/lm/3.html", "/new/2.html"]);

    // Run 4: everything was fetched less than an hour ago.
    const fourth = await crawl(4, ["--recrawl", "--max-age", "3600000"]);
    assert.deepEqual(fourth.hits, []);
    assert.equal(fourth.byPath.size, 0);

    // Run 5: with --max-age 0 nothing is recent enough to skip.
    const fifth = await crawl(5, ["--recrawl", "--max-age", "0"]);
    const all = [...KNOWN, "/new/1.html", "/new/2.html"].sort();
    assert.deepEqual(requested(fifth.hits), all);
    assert.ok(fifth.hits.every((h) => h.status === 304), "nothing changed since run 3");
    assert.deepEqual([...fifth.byPath.keys()].sort(), all);

    const db = new DatabaseSync(state, { readOnly: true });
    try {
      const runs = db.prepare("SELECT id, kind, started_at, ended_at FROM runs ORDER BY id").all();
      assert.deepEqual(runs.map((r) => [r.id, r.kind]), [
        [1, "crawl"],
        [2, "recrawl"],
        [3, "recrawl"],
        [4, "recrawl"],
        [5, "recrawl"],
      ]);
      let previousEnd = 0;
      for (const run of runs) {
        const started = run.started_at as number, ended = run.ended_at as number | null;
        assert.ok(ended !== null && started <= ended, `run ${run.id}: ${started}..${ended}`);
        assert.ok(started >= previousEnd, `run ${run.id} starts after the previous one ended`);
        previousEnd = ended;
      }
    } finally {
      db.close();
    }
  });
});

Deno.test("recrawl: --fail-on-errors N exits 3 when a run has more than N errors, 0 otherwise", async () => {
  const routes: Routes = {
    "/": () =>
      new Response(
        '<!doctype html><title>home</title><a href="/gone.html">a</a><a href="/lost.html">b</a>',
        { headers: HTML },
      ),
    "/gone.html": () => new Response("gone", { status: 410, headers: HTML }),
  };
  await using server = startFixtureServer({ routes });
  await withDir(async (dir) => {
    const args = [
      ...["--seeds", `${server.origin}/`, "--state", `${dir}/crawl.db`],
      ...["--out", `${dir}/out.jsonl`, "--allow-private", "--ignore-robots", "--parsers", "0"],
    ];
    const over = await runCli([...args, "--fail-on-errors", "1"]);
    assert.equal(over.code, 3, over.stderr);
    assert.deepEqual(summaryOf(over.stderr).errors, { http_4xx: 2 });
    const within = await runCli([...args, "--recrawl", "--fail-on-errors", "2"]);
    assert.equal(within.code, 0, within.stderr);
    assert.deepEqual(summaryOf(within.stderr).errors, { http_4xx: 2 });
    const none = await runCli([...args, "--recrawl", "--fail-on-errors", "0"]);
    assert.equal(none.code, 3, none.stderr);
  });
});

Deno.test({
  name: "recrawl: --changed-only still counts the 304s it leaves out in the summary",
  fn: async () => {
    const site = versionedSite();
    await using server = startFixtureServer({ routes: site.routes });
    await withDir(async (dir) => {
      const args = [
        ...["--seeds", `${server.origin}/`, "--state", `${dir}/crawl.db`],
        ...["--out", `${dir}/out.jsonl`, "--allow-private", "--ignore-robots", "--parsers", "0"],
      ];
      const first = await runCli(args);
      assert.equal(first.code, 0, first.stderr);
      const again = await runCli([...args, "--recrawl", "--changed-only"]);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(await Deno.readTextFile(`${dir}/out.jsonl`), "", "nothing changed");
      const summary = summaryOf(again.stderr);
      assert.equal(summary.records, 0);
      assert.equal(summary.unchanged, KNOWN.length);
      assert.equal(summary.pagesOk, KNOWN.length);
    });
  },
});
