import assert from "node:assert/strict";
import type { CrawlRecord } from "../../src/output/record.ts";
import { admit, open, record, withDir } from "./helpers.ts";

Deno.test("SqliteStore: repairOutput cuts a torn line and appends committed records lost from the buffer", async () => {
  await withDir(async (dir) => {
    const out = `${dir}/out.jsonl`;
    await Deno.writeTextFile(out, "a line of an older run\n");
    const first = open(dir);
    assert.deepEqual(await first.repairOutput(out), { kept: 0, appended: 0, rewritten: true });
    assert.equal(await Deno.readTextFile(out), "", "a new run starts from an empty file");
    for (let i = 0; i < 5; i++) admit(first, `http://a.test/${i}`);
    const entries = first.take(5);
    const records = entries.map((entry) => record(entry.url));
    // The writer got three lines out, half of the fourth, and none of the fifth.
    const written = [
      ...records.slice(0, 3).map((r) => JSON.stringify(r) + "\n"),
      JSON.stringify(records[3]).slice(0, 20),
      "",
    ];
    const deliver = async (r: CrawlRecord) => {
      await Deno.writeTextFile(out, written[records.indexOf(r)]!, { append: true });
    };
    for (const [i, entry] of entries.entries()) await first.finish(entry, records[i], deliver);
    await first.close();
    const expected = records.map((r) => JSON.stringify(r) + "\n").join("");
    assert.notEqual(await Deno.readTextFile(out), expected);

    const second = open(dir);
    assert.deepEqual(await second.repairOutput(out), { kept: 3, appended: 2, rewritten: false });
    assert.equal(await Deno.readTextFile(out), expected);
    assert.deepEqual(await second.repairOutput(out), { kept: 5, appended: 0, rewritten: false });
    assert.equal(await Deno.readTextFile(out), expected);

    // A file whose last line is not this run's record there is rewritten from the store.
    await Deno.writeTextFile(out, expected.replace("http://a.test/4", "http://a.test/x"));
    assert.deepEqual(await second.repairOutput(out), { kept: 0, appended: 5, rewritten: true });
    assert.equal(await Deno.readTextFile(out), expected);
    // So is a file the run has not written to yet.
    const other = `${dir}/other.jsonl`;
    assert.deepEqual(await second.repairOutput(other), {
      kept: 0,
      appended: 5,
      rewritten: true,
    });
    assert.equal(await Deno.readTextFile(other), expected);
    assert.deepEqual([...second.records()], records);
    assert.equal(second.countRecords(), 5);
    await second.close();
  });
});
