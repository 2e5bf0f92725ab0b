import assert from "node:assert/strict";
import { type ByteWriter, JsonlWriter } from "../../src/output/jsonl_writer.ts";

/** Collects writes; each write may be partial (`chunk` bytes at most). */
class Sink implements ByteWriter {
  writes: Uint8Array[] = [];
  #written = Promise.withResolvers<void>();
  constructor(readonly chunk = Infinity) {}
  write(p: Uint8Array): Promise<number> {
    const n = Math.min(p.byteLength, this.chunk);
    this.writes.push(p.slice(0, n));
    this.#written.resolve();
    return Promise.resolve(n);
  }
  get written(): Promise<void> {
    return this.#written.promise;
  }
  text(): string {
    return this.writes.map((w) => new TextDecoder().decode(w)).join("");
  }
}

Deno.test("JsonlWriter batches records into whole-line writes", async () => {
  const sink = new Sink();
  const writer = new JsonlWriter(sink, { flushBytes: 1 << 20 });
  await Promise.all(Array.from({ length: 100 }, (_, i) => writer.write({ i })));
  assert.equal(sink.writes.length, 0, "nothing written before the buffer fills or closes");
  await writer.close();
  assert.equal(sink.writes.length, 1);
  const lines = sink.text().split("\n");
  assert.equal(lines.pop(), "");
  assert.deepEqual(lines.map((l) => JSON.parse(l).i), Array.from({ length: 100 }, (_, i) => i));
});

Deno.test("JsonlWriter flushes when the buffer passes flushBytes", async () => {
  const sink = new Sink();
  const writer = new JsonlWriter(sink, { flushBytes: 50 });
  for (let i = 0; i < 10; i++) await writer.write({ text: "0123456789" });
  assert.ok(sink.writes.length >= 3, `${sink.writes.length} writes`);
  for (const w of sink.writes) assert.equal(w[w.byteLength - 1], 0x0a, "every write ends a line");
  await writer.close();
});

Deno.test("JsonlWriter flushes buffered lines after flushMs without further writes", async () => {
  const sink = new Sink();
  const writer = new JsonlWriter(sink, { flushMs: 10 });
  await writer.write({ a: 1 });
  await sink.written;
  assert.equal(sink.text(), '{"a":1}\n');
  await writer.close();
});

Deno.test("JsonlWriter completes partial writes", async () => {
  const sink = new Sink(3);
  const writer = new JsonlWriter(sink);
  await writer.write({ long: "x".repeat(20) });
  await writer.close();
  assert.equal(sink.text(), `{"long":"${"x".repeat(20)}"}\n`);
});

Deno.test("JsonlWriter reports a failed write to later callers", async () => {
  const failing: ByteWriter = { write: () => Promise.reject(new Error("disk full")) };
  const writer = new JsonlWriter(failing, { flushBytes: 1 });
  await assert.rejects(writer.write({ a: 1 }), /disk full/);
  await assert.rejects(writer.write({ a: 2 }), /disk full/);
});

Deno.test("JsonlWriter.writeJson() writes JSON text made elsewhere in order with write()", async () => {
  const sink = new Sink();
  const writer = new JsonlWriter(sink, { flushBytes: 1 << 20 });
  await writer.writeJson('{"a":1}');
  await writer.write({ b: "ü" });
  await writer.writeJson('{"c":"ß"}');
  await writer.close();
  assert.equal(sink.writes.length, 1);
  assert.equal(sink.text(), '{"a":1}\n{"b":"ü"}\n{"c":"ß"}\n');
});

Deno.test("JsonlWriter.write() refuses a value without a JSON form and keeps the lines around it", async () => {
  const sink = new Sink();
  const writer = new JsonlWriter(sink, { flushBytes: 1 << 20 });
  await writer.write({ a: 1 });
  await assert.rejects(writer.write(undefined), TypeError);
  await assert.rejects(writer.writeJson(42 as unknown as string), TypeError);
  await writer.write({ a: 2 });
  await writer.close();
  assert.equal(sink.text(), '{"a":1}\n{"a":2}\n');
});
