/**
 * `--warc` with `--recrawl`: a page that answers 304 becomes a
 * `server-not-modified` revisit, one whose body did not change an
 * `identical-payload-digest` revisit, each pointing at the first capture
 * (record id, target URI, date) even after several recrawls; a changed page
 * is stored in full again.
 *
 * @module
 */

import assert from "node:assert/strict";
import { IDENTICAL_PAYLOAD_PROFILE, NOT_MODIFIED_PROFILE } from "../../src/warc/revisit.ts";
import { runCli } from "../support/cli_run.ts";
import { startFixtureServer } from "../support/fixture_server.ts";
import { httpParts, type ReadRecord, readWarc, warcFiles, warcio } from "../support/warc.ts";

Deno.test("--warc --recrawl: 304 and unchanged pages become revisit records pointing at the first capture", async () => {
  let version = 1;
  const html = { "content-type": "text/html" };
  await using server = startFixtureServer({
    routes: {
      "/": (_, s) =>
        new Response(
          `<title>Home</title><a href="${s.origin}/etag.html">e</a> <a href="/same.html">s</a> <a href="/changing.html">c</a>`,
          { headers: html },
        ),
      "/etag.html": (request) =>
        request.headers.get("if-none-match") === '"v1"'
          ? new Response(null, { status: 304, headers: { etag: '"v1"' } })
          : new Response("<title>Tagged</title>", { headers: { ...html, etag: '"v1"' } }),
      "/same.html": () => new Response("<title>Same</title>", { headers: html }),
      "/changing.html": () => new Response(`<title>Version ${version}</title>`, { headers: html }),
    },
  });
  const dir = await Deno.makeTempDir({ prefix: "warc_revisit_test_" });
  try {
    const args = [
      "--seeds",
      `${server.origin}/`,
      "--state",
      `${dir}/crawl.db`,
      "--out",
      `${dir}/out.jsonl`,
      "--warc",
      `${dir}/site.warc.gz`,
      "--warc-cdx",
      "--allow-private",
      "--ignore-robots",
      "--parsers",
      "0",
      "--quiet",
    ];
    const runs: ReadRecord[][] = [];
    for (let run = 1; run <= 3; run++) {
      version = run;
      const before = new Set(await warcFiles(dir));
      const result = await runCli(run === 1 ? args : [...args, "--recrawl"]);
      assert.equal(result.code, 0, result.stderr);
      const files = (await warcFiles(dir)).filter((f) => !before.has(f));
      assert.equal(files.length, 1, `run ${run} wrote a file of its own`);
      const index = (await Deno.readTextFile(files[0]!.replace(/\.warc\.gz$/, ".cdxj"))).trim();
      assert.deepEqual(
        index.split("\n"),
        (await warcio("cdx-index", files)).trim().split("\n").sort(),
      );
      runs.push(await readWarc(files[0]!));
    }
    const find = (records: ReadRecord[], path: string) =>
      records.find((r) =>
        r.field("WARC-Target-URI") === `${server.origin}${path}` &&
        (r.type === "response" || r.type === "revisit")
      )!;
    const first = Object.fromEntries(
      ["/etag.html", "/same.html", "/changing.html"].map((path) => [path, find(runs[0]!, path)]),
    );
    for (const record of Object.values(first)) assert.equal(record.type, "response");
    for (const later of runs.slice(1)) {
      const notModified = find(later, "/etag.html");
      assert.equal(notModified.type, "revisit");
      assert.equal(notModified.field("WARC-Profile"), NOT_MODIFIED_PROFILE);
      assert.match(httpParts(notModified.block).startLine, /^HTTP\/1\.1 304 Not Modified$/);
      const same = find(later, "/same.html");
      assert.equal(same.type, "revisit");
      assert.equal(same.field("WARC-Profile"), IDENTICAL_PAYLOAD_PROFILE);
      assert.equal(
        same.field("WARC-Payload-Digest"),
        first["/same.html"]!.field("WARC-Payload-Digest"),
      );
      assert.equal(httpParts(same.block).payload.length, 0, "the payload is the earlier capture's");
      // Both point at the first capture, not at the previous revisit.
      for (
        const [revisit, original] of [[notModified, first["/etag.html"]!], [
          same,
          first["/same.html"]!,
        ]]
      ) {
        assert.equal(revisit.field("WARC-Refers-To"), original.field("WARC-Record-ID"));
        assert.equal(revisit.field("WARC-Refers-To-Target-URI"), original.field("WARC-Target-URI"));
        assert.equal(revisit.field("WARC-Refers-To-Date"), original.field("WARC-Date"));
      }
      assert.equal(
        find(later, "/changing.html").type,
        "response",
        "a changed page is stored again",
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
