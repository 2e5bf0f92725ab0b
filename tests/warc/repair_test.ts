import assert from "node:assert/strict";
import { recordId, type WarcRecord } from "../../src/warc/record.ts";
import { repairRun } from "../../src/warc/repair.ts";
import { WarcWriter } from "../../src/warc/writer.ts";
import { readWarc, warcFiles } from "../support/warc.ts";

const record = (i: number): WarcRecord => ({
  type: "response",
  id: recordId(),
  date: "2026-01-02T03:04:05.000Z",
  fields: [["WARC-Target-URI", `https://a.test/${i}`], [
    "Content-Type",
    "application/http; msgtype=response",
  ]],
  block: [new TextEncoder().encode(`HTTP/1.1 200 OK\r\n\r\n${"x".repeat(400 + i)}`)],
});
const info = (): WarcRecord => ({
  type: "warcinfo",
  id: recordId(),
  date: "2026-01-02T03:04:05Z",
  fields: [],
  block: [],
});

Deno.test("repairRun() cuts the marked file back to the mark, torn tail included, and removes the run's later files and index lines", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const options = { prefix: `${dir}/s`, stamp: "1", maxSize: 1500, cdx: true, warcinfo: info };
    const writer = new WarcWriter(options);
    writer.write([record(1)]);
    writer.write([record(2)]);
    const mark = writer.mark; // what the last commit saved
    for (let i = 3; i < 9; i++) writer.write([record(i)]); // never committed: later files too
    // Killed inside a write: half a member at the end, the open index left as it was.
    await Deno.writeFile(writer.path, new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2]), { append: true });
    assert.ok((await warcFiles(dir)).length > 1);
    const result = await repairRun(`${dir}/s`, "1", mark);
    assert.ok(result.removed.length >= 1);
    assert.deepEqual(await warcFiles(dir), [`${dir}/s-1-00000.warc.gz`]);
    assert.deepEqual(
      (await readWarc(`${dir}/s-1-00000.warc.gz`)).map((r) => r.field("WARC-Target-URI") ?? r.type),
      ["warcinfo", "https://a.test/1", "https://a.test/2"],
    );
    // The index goes on from the lines of the records kept.
    const open = await Deno.readTextFile(`${dir}/s-1-00000.cdxj.open`);
    assert.deepEqual(
      open.trim().split("\n").map((l) => JSON.parse(l.split(" ").slice(2).join(" ")).url),
      [
        "https://a.test/1",
        "https://a.test/2",
      ],
    );
    // The writer continues the file where the mark is.
    const resumed = new WarcWriter({ ...options, resume: mark });
    resumed.write([record(9)]);
    resumed.close();
    assert.deepEqual(
      (await readWarc(`${dir}/s-1-00000.warc.gz`)).map((r) => r.field("WARC-Target-URI") ?? r.type),
      ["warcinfo", "https://a.test/1", "https://a.test/2", "https://a.test/9"],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("repairRun() without a mark removes every file of the run (nothing was committed)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const writer = new WarcWriter({
      prefix: `${dir}/s`,
      stamp: "1",
      maxSize: 1e9,
      cdx: false,
      warcinfo: info,
    });
    writer.write([record(1)]);
    writer.close();
    await Deno.writeFile(`${dir}/s-2-00000.warc.gz`, new Uint8Array(3)); // another run's: kept
    const result = await repairRun(`${dir}/s`, "1", undefined);
    assert.deepEqual(result, { cut: 0, removed: [`${dir}/s-1-00000.warc.gz`] });
    assert.deepEqual(await warcFiles(dir), [`${dir}/s-2-00000.warc.gz`]);
    await assert.rejects(repairRun(`${dir}/s`, "1", { serial: 0, end: 10 }), /is gone/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
