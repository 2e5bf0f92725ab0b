import assert from "node:assert/strict";
import { RecordSpill } from "../../src/linkcheck/spill.ts";

Deno.test("RecordSpill reads back every record's link fields, more than once, and removes its file", async () => {
  let path: string;
  {
    await using spill = await RecordSpill.create();
    path = spill.path;
    for (let i = 0; i < 3000; i++) {
      await spill.write({
        url: `https://a.test/${i}`,
        requestedUrl: `https://a.test/${i}`,
        status: 200,
        depth: 1,
        parent: "https://a.test/",
        fetchedAt: "2026-01-01T00:00:00.000Z",
        contentType: "text/html",
        bytes: 1,
        durationMs: 1,
        attempts: 1,
        title: "kept out of the spill",
        description: null,
        canonical: null,
        h1: [],
        links: [],
        refs: [{ url: `https://a.test/${i + 1}`, tag: "a[href]", text: "next" }],
      });
    }
    await spill.flush();
    for (let pass = 0; pass < 2; pass++) {
      const read = await Array.fromAsync(spill.records());
      assert.equal(read.length, 3000);
      assert.deepEqual(read[2999]!.refs, [{
        url: "https://a.test/3000",
        tag: "a[href]",
        text: "next",
      }]);
      assert.equal((read[0] as Record<string, unknown>).title, undefined);
    }
  }
  await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
});

Deno.test("RecordSpill.create() puts the spill beside an output it is given", async () => {
  const dir = await Deno.makeTempDir();
  try {
    {
      await using spill = await RecordSpill.create(`${dir}/links.csv`);
      assert.equal(spill.path, `${dir}/links.csv.links-spill`);
      await Deno.stat(spill.path);
    }
    assert.deepEqual(await Array.fromAsync(Deno.readDir(dir)), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
