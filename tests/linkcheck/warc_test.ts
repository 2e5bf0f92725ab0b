/**
 * Link checks and the archive together: every request a link check makes
 * (a `HEAD`, the `GET` after a refused `HEAD`) is in the WARC as a request
 * and a response, as pages are.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runCli } from "../support/cli_run.ts";
import { startLinkSite } from "../support/link_site.ts";
import { httpParts, readWarc, warcFiles, warcio } from "../support/warc.ts";

Deno.test("link check CLI: with --warc, each check's HEAD (and the GET a refused HEAD leads to) is archived", async () => {
  await using site = startLinkSite();
  const dir = await Deno.makeTempDir({ prefix: "linkcheck-warc-test-" });
  try {
    const result = await runCli([
      "--seeds",
      `${site.origin}/`,
      "--check",
      "assets,external",
      "--allow-private",
      "--warc",
      `${dir}/crawl.warc.gz`,
      "--warc-cdx",
      "--out",
      `${dir}/pages.jsonl`,
      "-q",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const files = await warcFiles(dir);
    const records = (await Promise.all(files.map(readWarc))).flat();
    const requests = records.filter((r) => r.type === "request").map((r) =>
      `${httpParts(r.block).startLine.split(" ")[0]} ${r.field("WARC-Target-URI")}`
    );
    const o = site.origin;
    for (
      const expected of [
        `HEAD ${o}/logo.png`,
        `HEAD ${o}/missing.css`,
        `HEAD ${o}/clip.mp4`,
        `GET ${o}/clip.mp4`,
        `HEAD ${site.external}/partner.html`,
        `GET ${o}/about.html`,
      ]
    ) {
      assert.equal(requests.filter((r) => r === expected).length, 1, `${expected} in ${requests}`);
    }
    // Each request has its response, and an independent reader reads the files.
    const responses = records.filter((r) => r.type === "response");
    assert.equal(responses.length, requests.length);
    const missing = responses.find((r) => r.field("WARC-Target-URI") === `${o}/missing.css`)!;
    assert.match(httpParts(missing.block).startLine, /^HTTP\/1\.1 404 /);
    assert.ok((await warcio("index", files)).includes(`${o}/logo.png`));
    // The index keys a HEAD capture apart from a GET one, as warcio (and pywb) do.
    const ours = (await Promise.all(
      files.map((f) => Deno.readTextFile(f.replace(/\.warc\.gz$/, ".cdxj"))),
    )).join("").trim().split("\n").sort();
    const theirs = (await warcio("cdx-index", files)).trim().split("\n").sort();
    assert.deepEqual(ours, theirs);
    assert.ok(ours.some((line) => line.includes("/logo.png?__wb_method=head")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
