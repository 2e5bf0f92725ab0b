/**
 * Tests of the output formats: JSON Lines streaming, JSON and CSV written
 * to a temporary file and renamed into place at the end, CSV columns and
 * quoting (read back with an independent CSV parser), and the CLI's
 * `--format` to a file and to stdout.
 *
 * @module
 */

import assert from "node:assert/strict";
// An independent CSV reader, to check our quoting against.
import { parse as parseCsv } from "csv-parse/sync";
import type { CrawlRecord } from "../../src/output/record.ts";
import { openSink, type OutputFormat } from "../../src/output/sink.ts";
import { parseJsonl, ROOT, withoutDenoNotices } from "../support/cli_run.ts";
import { FIXTURES, startFixtureServer } from "../support/fixture_server.ts";

const ORIGIN = "https://shop.example.test";

/** The CSV columns before the `data.*` ones, written out so a change to them shows here. */
const FIXED_COLUMNS = [
  "url",
  "requestedUrl",
  "status",
  "depth",
  "parent",
  "fetchedAt",
  "contentType",
  "bytes",
  "durationMs",
  "attempts",
  "title",
  "description",
  "canonical",
  "h1",
  "links",
  "lastmod",
  "etag",
  "lastModified",
  "unchanged",
  "contentHash",
  "redirects",
  "rendered",
  "blockedRequests",
  "check",
  "error",
  "errorMessage",
  "dataErrors",
];

function rec(path: string, fields: Partial<CrawlRecord> = {}): CrawlRecord {
  return {
    url: `${ORIGIN}${path}`,
    requestedUrl: `${ORIGIN}${path}`,
    status: 200,
    depth: 1,
    parent: `${ORIGIN}/`,
    fetchedAt: "2025-01-01T10:00:01.000Z",
    contentType: "text/html",
    bytes: 1000,
    durationMs: 12.5,
    attempts: 1,
    title: null,
    description: null,
    canonical: null,
    h1: [],
    links: [],
    ...fields,
  };
}

/** Three records whose `data` have different keys, one with data errors, one failed. */
const MIXED: CrawlRecord[] = [
  rec("/products/tent", {
    title: "Tent",
    h1: ["Tent", "Specs"],
    links: [`${ORIGIN}/a`, `${ORIGIN}/b`],
    data: { name: "Tent", price: 1299 },
  }),
  rec("/products/jacket", {
    data: { price: 249, inStock: false, tags: ["down", "winter"], sku: null },
    dataErrors: [
      { field: "sku", error: "missing" },
      { field: "reviews", error: 'expected an integer: received "none"' },
    ],
  }),
  rec("/gone", { status: 404, error: "http_4xx", errorMessage: "HTTP 404" }),
];

/** Runs `fn` with a fresh directory, removed afterwards. */
async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "record-sink-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function listDir(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
}

async function writeAll(format: OutputFormat, out: string, records: CrawlRecord[]) {
  const sink = await openSink(format, out);
  for (const record of records) await sink.write(record);
  await sink.close();
  return await Deno.readTextFile(out);
}

Deno.test("record sink: CSV header is the fixed columns, then data.NAME in first-seen order", async () => {
  await withDir(async (dir) => {
    const rows: string[][] = parseCsv(await writeAll("csv", `${dir}/out.csv`, MIXED));
    const dataColumns = ["data.name", "data.price", "data.inStock", "data.tags", "data.sku"];
    assert.deepEqual(rows[0], [...FIXED_COLUMNS, ...dataColumns]);
    assert.equal(rows.length, 1 + MIXED.length);
    const cells = rows.slice(1).map((row) =>
      Object.fromEntries(rows[0]!.map((name, i) => [name, row[i]]))
    );
    assert.deepEqual(cells.map((c) => dataColumns.map((name) => c[name])), [
      ["Tent", "1299", "", "", ""],
      ["", "249", "false", '["down","winter"]', ""],
      ["", "", "", "", ""],
    ]);
    assert.equal(cells[0]!.h1, "Tent | Specs");
    assert.equal(cells[0]!.links, `${ORIGIN}/a ${ORIGIN}/b`);
    assert.equal(cells[0]!.parent, `${ORIGIN}/`);
    assert.equal(cells[0]!.durationMs, "12.5");
    assert.equal(cells[0]!.title, "Tent");
    assert.equal(cells[0]!.description, "");
    assert.equal(
      cells[1]!.dataErrors,
      'sku: missing; reviews: expected an integer: received "none"',
    );
    assert.deepEqual([cells[2]!.status, cells[2]!.error, cells[2]!.errorMessage], [
      "404",
      "http_4xx",
      "HTTP 404",
    ]);
  });
});

Deno.test("record sink: CSV quotes commas, quotes and line breaks", async () => {
  await withDir(async (dir) => {
    const title = 'Tents, stoves & "more"';
    const description = "line one\nline two";
    const errorMessage = "first\r\nsecond\rthird";
    const note = 'a, "b"\nc';
    const text = await writeAll("csv", `${dir}/out.csv`, [
      rec("/q?a=1,2", { title, description, errorMessage, data: { note } }),
    ]);
    assert.ok(text.includes(`"Tents, stoves & ""more"""`), text);
    assert.ok(text.includes(`"line one\nline two"`), text);
    const rows: string[][] = parseCsv(text);
    assert.equal(rows.length, 2);
    const row = Object.fromEntries(rows[0]!.map((name, i) => [name, rows[1]![i]]));
    assert.equal(row.url, `${ORIGIN}/q?a=1,2`);
    assert.equal(row.title, title);
    assert.equal(row.description, description);
    assert.equal(row.errorMessage, errorMessage);
    assert.equal(row["data.note"], note);
  });
});

Deno.test("record sink: JSON is one array of the records", async () => {
  await withDir(async (dir) => {
    const text = await writeAll("json", `${dir}/out.json`, MIXED);
    assert.deepEqual(JSON.parse(text), MIXED);
  });
});

Deno.test("record sink: an empty crawl is [] in JSON and the header alone in CSV", async () => {
  await withDir(async (dir) => {
    const json = await writeAll("json", `${dir}/out.json`, []);
    assert.deepEqual(JSON.parse(json), []);
    assert.equal(json.trim(), "[]");
    const csv = await writeAll("csv", `${dir}/out.csv`, []);
    assert.deepEqual(parseCsv(csv), [FIXED_COLUMNS]);
  });
});

for (const format of ["json", "csv"] as const) {
  Deno.test(`record sink: ${format} appears at close only, renamed over the output, no temporary file left`, async () => {
    await withDir(async (dir) => {
      const out = `${dir}/pages.${format}`;
      await Deno.writeTextFile(out, "previous run\n");
      const sink = await openSink(format, out);
      for (const record of MIXED) await sink.write(record);
      // Until close the old output is untouched; the records sit in a temporary file beside it.
      assert.equal(await Deno.readTextFile(out), "previous run\n");
      const during = await listDir(dir);
      assert.equal(during.length, 2, during.join(", "));
      assert.match(during.find((name) => name !== `pages.${format}`)!, /^\.crawl-.*\.part$/);
      await sink.close();
      assert.deepEqual(await listDir(dir), [`pages.${format}`]);
      const text = await Deno.readTextFile(out);
      if (format === "json") assert.equal(JSON.parse(text).length, MIXED.length);
      else assert.equal(parseCsv(text).length, 1 + MIXED.length);
    });
  });
}

Deno.test("record sink: JSON Lines stream to the file before close", async () => {
  await withDir(async (dir) => {
    const out = `${dir}/pages.jsonl`;
    const sink = await openSink("jsonl", out);
    // Past the writer's 64 KiB buffer, a write waits for the flush.
    const big = rec("/big", { description: "x".repeat(1000) });
    for (let i = 0; i < 80; i++) await sink.write({ ...big, depth: i });
    const before = await Deno.readTextFile(out);
    assert.ok(before.length > 0 && before.endsWith("\n"), "lines written before close");
    assert.ok(parseJsonl(before).length > 0);
    await sink.close();
    assert.deepEqual(parseJsonl<CrawlRecord>(await Deno.readTextFile(out)).map((r) => r.depth), [
      ...Array(80).keys(),
    ]);
    assert.deepEqual(await listDir(dir), ["pages.jsonl"]);
  });
});

/** Runs the CLI with its own TMPDIR, so temporary files it leaves can be seen. */
async function runCliIn(tmpdir: string, args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-P", `${ROOT}main.ts`, ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", TMPDIR: tmpdir },
  }).output();
  const decoder = new TextDecoder();
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: withoutDenoNotices(decoder.decode(stderr)),
  };
}

const PRODUCT_COLUMNS = ["name", "sku", "price", "currency", "inStock", "reviews", "image"];

for (const format of ["json", "csv"] as const) {
  Deno.test(`record sink CLI: --format ${format} to stdout and to --out, no temporary file left`, async () => {
    await using server = startFixtureServer({ root: `${FIXTURES}shop` });
    await withDir(async (dir) => {
      await Deno.mkdir(`${dir}/tmp`);
      await Deno.mkdir(`${dir}/out`);
      const args = [
        "--seeds",
        `${server.origin}/index.html`,
        "--extract",
        "fixtures/rules/shop.json",
        "--format",
        format,
        "--allow-private",
      ];
      const toStdout = await runCliIn(`${dir}/tmp`, args);
      assert.equal(toStdout.code, 0, toStdout.stderr);
      const out = `${dir}/out/pages.${format}`;
      const toFile = await runCliIn(`${dir}/tmp`, [...args, "--out", out]);
      assert.equal(toFile.code, 0, toFile.stderr);
      assert.equal(toFile.stdout, "");
      assert.deepEqual(await listDir(`${dir}/tmp`), []);
      assert.deepEqual(await listDir(`${dir}/out`), [`pages.${format}`]);

      for (const text of [toStdout.stdout, await Deno.readTextFile(out)]) {
        if (format === "json") {
          const records: CrawlRecord[] = JSON.parse(text);
          assert.equal(records.length, 5);
          const jacket = records.find((r) => r.url.endsWith("/down-jacket.html"))!;
          assert.equal(jacket.data?.price, 249);
          assert.equal(jacket.dataErrors?.length, 2);
        } else {
          const [header, ...rows]: string[][] = parseCsv(text);
          assert.equal(rows.length, 5);
          assert.deepEqual(header!.slice(0, FIXED_COLUMNS.length), FIXED_COLUMNS);
          // Listing and product pages have different fields; every one gets a column.
          const data = header!.slice(FIXED_COLUMNS.length).sort();
          const fields = [...PRODUCT_COLUMNS, "released", "tags", "heading", "page", "products"];
          assert.deepEqual(data, [...fields, "prices"].map((f) => `data.${f}`).sort());
          const jacket = rows.find((row) => row[0]!.endsWith("/down-jacket.html"))!;
          assert.equal(jacket[header!.indexOf("data.price")], "249");
          assert.equal(jacket[header!.indexOf("data.sku")], "");
          assert.match(jacket[header!.indexOf("dataErrors")]!, /^sku: missing; reviews: /);
        }
      }
    });
  });
}

Deno.test("record sink CLI: a crawl without records writes [] as JSON to stdout (and exits 4)", async () => {
  await using server = startFixtureServer({
    routes: { "/robots.txt": () => new Response("User-agent: *\nDisallow: /\n") },
  });
  await withDir(async (dir) => {
    const result = await runCliIn(dir, [
      "--seeds",
      `${server.origin}/index.html`,
      "--format",
      "json",
      "--allow-private",
    ]);
    // robots.txt let no page be fetched: the output is still whole, and the exit code says so.
    assert.equal(result.code, 4, result.stderr);
    assert.equal(result.stdout, "[]\n");
    assert.deepEqual(await listDir(dir), []);
    assert.deepEqual([...server.hits.keys()], ["/robots.txt"]);
  });
});
