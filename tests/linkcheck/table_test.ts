import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import type { LinkRow } from "../../src/linkcheck/check_links.ts";
import { LinkTable } from "../../src/linkcheck/table.ts";
import type { OutputFormat } from "../../src/output/sink.ts";

const ROWS: LinkRow[] = [
  {
    source: "https://a.test/",
    target: "https://a.test/gone",
    tag: "a[href]",
    text: '=HYPERLINK("http://evil/","x")',
    result: "broken",
    status: 404,
    error: "http_4xx",
    errorMessage: "HTTP 404",
  },
  {
    source: "https://a.test/",
    target: "https://a.test/doc",
    fragment: "intro",
    tag: "a[href]",
    result: "ok",
    status: 200,
    redirectedTo: "https://a.test/doc/",
  },
];

async function write(format: OutputFormat, rows: LinkRow[]): Promise<string> {
  const dir = await Deno.makeTempDir();
  try {
    const table = await LinkTable.create(`${dir}/links`, format);
    for (const row of rows) await table.write(row);
    await table.close();
    assert.deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name), ["links"]);
    return await Deno.readTextFile(`${dir}/links`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("LinkTable writes CSV with one row per link, formula-looking cells made inert", async () => {
  const rows = parse(await write("csv", ROWS), { columns: true }) as Record<string, string>[];
  assert.equal(rows.length, 2);
  assert.equal(rows[0].text, `'=HYPERLINK("http://evil/","x")`);
  assert.deepEqual(
    [rows[1].fragment, rows[1].result, rows[1].status, rows[1].redirectedTo, rows[1].error],
    ["intro", "ok", "200", "https://a.test/doc/", ""],
  );
});

Deno.test("LinkTable writes JSON Lines and JSON that read back as the rows", async () => {
  const lines = (await write("jsonl", ROWS)).trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines, ROWS);
  assert.deepEqual(JSON.parse(await write("json", ROWS)), ROWS);
  assert.deepEqual(JSON.parse(await write("json", [])), []);
});

Deno.test("LinkTable.abandon() leaves no file behind", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const table = await LinkTable.create(`${dir}/links.csv`, "csv");
    await table.write(ROWS[0]!);
    await table.abandon();
    assert.deepEqual(await Array.fromAsync(Deno.readDir(dir)), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
