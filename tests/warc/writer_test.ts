import assert from "node:assert/strict";
import { recordId, type WarcRecord } from "../../src/warc/record.ts";
import { WarcWriter } from "../../src/warc/writer.ts";
import { readWarc, warcFiles, warcio } from "../support/warc.ts";

function response(i: number): WarcRecord {
  const block = new TextEncoder().encode(
    `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\n${String(i).repeat(900)}`,
  );
  return {
    type: "response",
    id: recordId(),
    date: "2026-01-02T03:04:05.000Z",
    fields: [
      ["WARC-Target-URI", `https://a.test/${i}`],
      ["Content-Type", "application/http; msgtype=response"],
      ["WARC-Payload-Digest", "sha1:AAAA"],
    ],
    block: [block],
  };
}

const info = (): WarcRecord => ({
  type: "warcinfo",
  id: recordId(),
  date: new Date().toISOString(),
  fields: [["Content-Type", "application/warc-fields"]],
  block: [new TextEncoder().encode("software: test\r\n")],
});

Deno.test("WarcWriter starts a new numbered file, with its warcinfo, before one passes maxSize", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const started: string[] = [];
    const writer = new WarcWriter({
      prefix: `${dir}/site`,
      stamp: "20260102030405678",
      maxSize: 1000,
      cdx: true,
      warcinfo: info,
      onFile: (path) => started.push(path),
    });
    // Two records per group: a group is never split between files.
    for (let i = 0; i < 10; i += 2) writer.write([response(i), response(i + 1)]);
    writer.close();
    const files = await warcFiles(dir);
    assert.deepEqual(started, files);
    assert.deepEqual(
      files.map((f) => f.slice(dir.length + 1)),
      [0, 1, 2, 3, 4].map((n) => `site-20260102030405678-0000${n}.warc.gz`),
    );
    for (const [n, file] of files.entries()) {
      const records = await readWarc(file);
      assert.deepEqual(records.map((r) => r.type), ["warcinfo", "response", "response"]);
      assert.deepEqual(
        records.slice(1).map((r) => r.field("WARC-Target-URI")),
        [`https://a.test/${2 * n}`, `https://a.test/${2 * n + 1}`],
      );
      const index = await Deno.readTextFile(file.replace(/\.warc\.gz$/, ".cdxj"));
      assert.equal(
        index,
        (await warcio("cdx-index", [file])).split("\n").sort().join("\n").trim() + "\n",
      );
    }
    assert.deepEqual(
      (await Array.fromAsync(Deno.readDir(dir))).filter((e) => e.name.endsWith(".open")),
      [],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("WarcWriter.mark says how far the file goes once write() returns", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const writer = new WarcWriter({
      prefix: `${dir}/s`,
      stamp: "1",
      maxSize: 1e9,
      cdx: false,
      warcinfo: info,
    });
    writer.write([response(1)]);
    const { serial, end } = writer.mark;
    assert.equal(serial, 0);
    assert.equal(end, (await Deno.stat(writer.path)).size);
    writer.close();
    assert.throws(() => writer.write([response(2)]), /writer is closed/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
