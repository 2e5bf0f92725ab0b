import assert from "node:assert/strict";
import {
  handOver,
  READ_BUFFER_BYTES,
  readBuffer,
  releaseBody,
} from "../../src/http/read_buffers.ts";

Deno.test("releaseBody() detaches a handed-over body and gives its memory to the next readBuffer()", () => {
  const buffer = readBuffer();
  buffer.fill(7);
  const body = handOver(buffer, 100, 200);
  const other = new Uint8Array(body.buffer, 300, 10);
  releaseBody(body);
  // Every view of the buffer is detached: none can see what is read into the memory next.
  assert.equal(body.byteLength, 0);
  assert.equal(other.byteLength, 0);
  const again = readBuffer();
  assert.equal(again.byteLength, READ_BUFFER_BYTES);
  // The same memory, as it was left (a fresh buffer is zeroed).
  assert.equal(again[0], 7);
  releaseBody(body); // a second release is a no-op
});

Deno.test("releaseBody() frees a body that is its own whole buffer and leaves a view that shares one alone", () => {
  const whole = new TextEncoder().encode("<p>page</p>");
  releaseBody(whole);
  assert.equal(whole.byteLength, 0);
  const shared = new Uint8Array(64);
  const view = shared.subarray(8, 16);
  releaseBody(view);
  assert.equal(view.byteLength, 8);
  assert.equal(shared.byteLength, 64);
  // A read buffer not handed over is not a body: releasing a view of it does nothing.
  const unlent = readBuffer();
  releaseBody(unlent.subarray(0, 10));
  assert.equal(unlent.byteLength, READ_BUFFER_BYTES);
});

Deno.test("readBuffer() reuses the memory of every body a crawl's burst releases (96 at concurrency 32)", () => {
  // Empty the kept memory first: other tests in this process may have left some.
  const held = Array.from({ length: 200 }, () => readBuffer());
  const bodies = Array.from({ length: 96 }, (_, i) => {
    const buffer = readBuffer();
    buffer.fill(i + 1);
    return handOver(buffer, 0, 10);
  });
  for (const body of bodies) releaseBody(body);
  const reused = Array.from({ length: 96 }, () => readBuffer());
  // Kept memory comes back as it was left; a fresh buffer is zeroed.
  assert.deepEqual(
    reused.map((buffer) => buffer[0]).sort((a, b) => a - b),
    Array.from({ length: 96 }, (_, i) => i + 1),
  );
  assert.equal(held.length, 200);
});
