import assert from "node:assert/strict";
import { BodyTooLargeError, concatBytes, readBody } from "../../src/http/body.ts";

function stream(chunks: number[], onCancel?: () => void): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i === chunks.length) return controller.close();
      controller.enqueue(new Uint8Array(chunks[i++]!).fill(i));
    },
    cancel: onCancel,
  });
}

Deno.test("readBody returns a body within the limit", async () => {
  const bytes = await readBody(stream([3, 4]), { limit: 7 });
  assert.deepEqual([...bytes], [1, 1, 1, 2, 2, 2, 2]);
});

Deno.test("readBody throws past the limit and cancels the stream", async () => {
  let cancelled = false;
  const error = await readBody(stream([4, 4, 4], () => (cancelled = true)), { limit: 7 })
    .then(() => undefined, (e) => e);
  assert.ok(error instanceof BodyTooLargeError);
  assert.equal(error.limit, 7);
  assert.equal(cancelled, true);
});

Deno.test("readBody with overflow cut keeps what it read and cancels the rest", async () => {
  let cancelled = false;
  const bytes = await readBody(stream([4, 4, 4, 4], () => (cancelled = true)), {
    limit: 6,
    overflow: "cut",
  });
  assert.equal(bytes.byteLength, 8, "whole chunks up to the first past the limit");
  assert.equal(cancelled, true);
});

Deno.test("concatBytes joins chunks and passes a single chunk through", () => {
  const one = new Uint8Array([9]);
  assert.equal(concatBytes([one]), one);
  assert.deepEqual([...concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])])], [1, 2, 3]);
  assert.deepEqual([...concatBytes([])], []);
});
