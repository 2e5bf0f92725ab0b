/**
 * `--warc` end to end, through the real CLI against a loopback site: the
 * files are read back by an independent reader (warcio's `index` and
 * `cdx-index`) and by a strict WARC/1.1 grammar parser; every digest is
 * recomputed; every fetched URL has one response; the HTML read back from
 * the WARC gives the records' titles and links; cut bodies carry
 * `WARC-Truncated`; a body the server encoded anyway is stored decoded with
 * its encoding headers renamed.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import type { CrawlRecord } from "../../src/output/record.ts";
import { parsePage } from "../../src/parse/page.ts";
import { parseJsonl, runCli } from "../support/cli_run.ts";
import { startFixtureServer } from "../support/fixture_server.ts";
import { httpParts, type ReadRecord, readWarc, warcFiles, warcio } from "../support/warc.ts";

const BIG = `<!doctype html><title>Big</title>${"<p>filler</p>".repeat(4000)}`;

function routes() {
  let stalled: ReadableStreamDefaultController<Uint8Array> | undefined;
  return {
    routes: {
      "/start.html": (_: Request, server: { origin: string }) =>
        new Response(
          `<!doctype html><title>Start</title><h1>Start</h1>` +
            ["/index.html", "/big.html", "/slow.html", "/gz.html", "/moved", "/missing.html"]
              .map((path) => `<a href="${server.origin}${path}">${path}</a>`).join(" "),
          { headers: { "content-type": "text/html; charset=utf-8" } },
        ),
      "/big.html": () => new Response(BIG, { headers: { "content-type": "text/html" } }),
      // Half a page, then nothing: the crawler's deadline cuts it.
      "/slow.html": () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              stalled = controller;
              controller.enqueue(new TextEncoder().encode("<!doctype html><title>Slow</title>"));
            },
            cancel() {
              stalled = undefined; // the crawler gave up on it
            },
          }),
          { headers: { "content-type": "text/html" } },
        ),
      // Encoded whatever was asked for.
      "/gz.html": () =>
        new Response(
          gzipSync(new TextEncoder().encode("<title>Zipped</title><a href=/about.html>a</a>")),
          {
            headers: { "content-type": "text/html", "content-encoding": "gzip" },
          },
        ),
      "/moved": (_: Request, server: { origin: string }) =>
        Response.redirect(`${server.origin}/about.html`, 301),
    },
    close: () => stalled?.close(),
  };
}

function sha1(...parts: Uint8Array[]): string {
  const hash = createHash("sha1");
  for (const part of parts) hash.update(part);
  // base32 by hand: an independent implementation of the writer's.
  const bytes = hash.digest();
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const byte of bytes) bits += byte.toString(2).padStart(8, "0");
  let out = "";
  for (let i = 0; i < bits.length; i += 5) {
    out += alphabet[parseInt(bits.slice(i, i + 5).padEnd(5, "0"), 2)];
  }
  return `sha1:${out}`;
}

Deno.test("--warc writes WARC/1.1 that warcio reads, with one response per fetched URL, digests that check out and the records' titles and links", async () => {
  const site = routes();
  await using server = startFixtureServer({ routes: site.routes });
  const dir = await Deno.makeTempDir({ prefix: "warc_test_" });
  try {
    const result = await runCli([
      "--seeds",
      `${server.origin}/start.html`,
      "--allow-private",
      "--parsers",
      "1", // a parser worker: the body it is sent must not be the one archived
      "--sitemaps",
      "--retries",
      "0",
      "--max-bytes",
      "20000",
      "--timeout",
      "2000",
      "--out",
      `${dir}/out.jsonl`,
      "--warc",
      `${dir}/site.warc.gz`,
      "--warc-cdx",
      "--quiet",
    ]);
    site.close();
    assert.equal(result.code, 0, result.stderr);
    const records = parseJsonl<CrawlRecord>(await Deno.readTextFile(`${dir}/out.jsonl`));
    const files = await warcFiles(dir);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /\/site-\d{17}-00000\.warc\.gz$/);

    // The independent reader reads the file, and indexes it as we did.
    const index = (await warcio("index", files)).trim().split("\n").map((l) => JSON.parse(l));
    const ours = (await Deno.readTextFile(files[0]!.replace(/\.warc\.gz$/, ".cdxj"))).trim().split(
      "\n",
    );
    const theirs = (await warcio("cdx-index", files)).trim().split("\n").sort();
    assert.deepEqual(ours, theirs, "our CDXJ is warcio's, sorted");

    // Our strict reader: one record per member, in the grammar, at warcio's offsets.
    const warc = await readWarc(files[0]!);
    assert.deepEqual(
      warc.map((r) => [r.offset, r.type]),
      index.map((e) => [e.offset, e["warc-type"]]),
    );
    assert.equal(warc[0]!.type, "warcinfo", "warcinfo first");
    const info = new TextDecoder().decode(warc[0]!.block);
    assert.match(info, /^software: @deno-crawler\/crawler\/0\.1\.0 /m);
    assert.match(info, /^robots: obey\r$/m);
    assert.match(info, /^http-header-user-agent: deno-crawler\/0\.1 /m);
    assert.match(info, /^crawl-options: \{.*"maxBytes":20000/m);

    // Requests and responses in pairs, tied both ways, with every field the issue names.
    const byId = new Map(warc.map((r) => [r.field("WARC-Record-ID")!, r]));
    const responses = warc.filter((r) => r.type === "response");
    for (const record of warc.slice(1)) {
      for (
        const name of [
          "WARC-Target-URI",
          "WARC-Date",
          "WARC-IP-Address",
          "WARC-Record-ID",
          "WARC-Block-Digest",
          "WARC-Payload-Digest",
        ]
      ) {
        assert.ok(
          record.field(name),
          `${record.type} ${record.field("WARC-Target-URI")} has ${name}`,
        );
      }
      assert.equal(record.field("WARC-IP-Address"), "127.0.0.1");
      const other = byId.get(record.field("WARC-Concurrent-To")!);
      assert.ok(other, "the concurrent record exists");
      assert.equal(other.field("WARC-Concurrent-To"), record.field("WARC-Record-ID"));
      assert.equal(other.field("WARC-Target-URI"), record.field("WARC-Target-URI"));
      assert.deepEqual([record.type, other.type].sort(), ["request", "response"]);
      // Digests, recomputed.
      assert.equal(record.field("WARC-Block-Digest"), sha1(record.block), "block digest");
      assert.equal(
        record.field("WARC-Payload-Digest"),
        sha1(httpParts(record.block).payload),
        "payload digest",
      );
    }
    for (const request of warc.filter((r) => r.type === "request")) {
      const { startLine, headers } = httpParts(request.block);
      assert.match(startLine, /^GET \/\S* HTTP\/1\.1$/);
      assert.deepEqual(headers.find(([n]) => n === "accept-encoding"), [
        "accept-encoding",
        "identity",
      ]);
    }

    // One response per fetched URL: each record's URL, each redirect hop, robots.txt, sitemap.xml.
    const fetched = new Set([`${server.origin}/robots.txt`, `${server.origin}/sitemap.xml`]);
    for (const record of records) {
      if (record.status !== null) fetched.add(record.url);
      for (const hop of record.redirects ?? []) fetched.add(hop.url);
    }
    // As warcio lists them, and as our reader does.
    const listed = index.filter((e) => e["warc-type"] === "response").map((e) =>
      e["warc-target-uri"]
    );
    assert.deepEqual(listed.sort(), [...fetched].sort(), "warcio: one response per fetched URL");
    const targets = responses.map((r) => r.field("WARC-Target-URI")!);
    assert.deepEqual(targets.sort(), [...fetched].sort(), "one response per fetched URL");

    // Bodies read back give the records' titles and links.
    let compared = 0;
    for (const record of records.filter((r) => r.title !== null)) {
      const response = responses.find((r) => r.field("WARC-Target-URI") === record.url)!;
      const { headers } = httpParts(response.block);
      let { payload } = httpParts(response.block);
      if (headers.some(([n, v]) => n === "content-encoding" && v === "gzip")) {
        payload = gunzipSync(payload);
      }
      const type = headers.find(([n]) => n === "content-type")?.[1] ?? null;
      const parsed = parsePage(payload, type, record.url);
      assert.equal(parsed.title, record.title, record.url);
      assert.deepEqual(parsed.links, record.links, record.url);
      compared++;
    }
    assert.ok(compared >= 10, `${compared} pages compared`);

    const responseOf = (path: string): ReadRecord =>
      responses.find((r) => r.field("WARC-Target-URI") === `${server.origin}${path}`)!;
    // Cut by --max-bytes, and by --timeout.
    assert.equal(records.find((r) => r.url.endsWith("/big.html"))?.error, "too_large");
    assert.equal(responseOf("/big.html").field("WARC-Truncated"), "length");
    assert.equal(httpParts(responseOf("/big.html").block).payload.length, 20000);
    assert.equal(records.find((r) => r.url.endsWith("/slow.html"))?.error, "timeout");
    assert.equal(responseOf("/slow.html").field("WARC-Truncated"), "time");
    assert.equal(
      new TextDecoder().decode(httpParts(responseOf("/slow.html").block).payload),
      "<!doctype html><title>Slow</title>",
    );
    // Encoded anyway: stored as it came, encoded, its header saying so; the crawl read it decoded.
    const gz = httpParts(responseOf("/gz.html").block);
    assert.deepEqual(gz.headers.find(([n]) => n === "content-encoding"), [
      "content-encoding",
      "gzip",
    ]);
    assert.equal(
      new TextDecoder().decode(gunzipSync(gz.payload)),
      "<title>Zipped</title><a href=/about.html>a</a>",
    );
    assert.equal(records.find((r) => r.url.endsWith("/gz.html"))?.title, "Zipped");
    // The redirect hop, and the 404, are stored as they answered.
    assert.match(
      httpParts(responseOf("/moved").block).startLine,
      /^HTTP\/1\.1 301 Moved Permanently$/,
    );
    assert.match(
      httpParts(responseOf("/missing.html").block).startLine,
      /^HTTP\/1\.1 404 Not Found$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--warc needs a .warc.gz name in a folder that exists: exit 2 before any request", async () => {
  const dir = await Deno.makeTempDir({ prefix: "warc_test_" });
  try {
    const seed = ["--seeds", "http://127.0.0.1:9/", "--allow-private"];
    const wrongName = await runCli([...seed, "--warc", `${dir}/site.warc`]);
    assert.equal(wrongName.code, 2);
    assert.match(
      wrongName.stderr,
      /^error: --warc must be a file name ending in \.warc\.gz: received ".*site\.warc"$/m,
    );
    const noFolder = await runCli([...seed, "--warc", `${dir}/missing/site.warc.gz`]);
    assert.equal(noFolder.code, 2);
    assert.match(
      noFolder.stderr,
      /^error: --warc: cannot write '.*missing\/site\.warc\.gz': no folder/m,
    );
    const tooSmall = await runCli([...seed, "--warc", `${dir}/a.warc.gz`, "--warc-max-size", "0"]);
    assert.equal(tooSmall.code, 2);
    assert.match(
      tooSmall.stderr,
      /^error: --warc-max-size must be a positive integer: received 0$/m,
    );
    assert.deepEqual(await Array.fromAsync(Deno.readDir(dir)), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
