import assert from "node:assert/strict";
import { WaitQueue } from "../../src/async/wait_queue.ts";

Deno.test("WaitQueue.shift() serves callers in arrival order with their payloads", async () => {
  const queue = new WaitQueue<number, string>();
  const a = queue.wait({ payload: "a" });
  const b = queue.wait({ payload: "b" });
  const first = queue.shift()!;
  assert.equal(first.payload, "a");
  first.resolve(1);
  queue.shift()!.resolve(2);
  assert.deepEqual(await Promise.all([a, b]), [1, 2]);
  assert.equal(queue.shift(), undefined);
});

Deno.test("WaitQueue: an aborted caller leaves the queue, rejects with the reason and runs onAbort", async () => {
  const queue = new WaitQueue<string>();
  const controller = new AbortController();
  let aborted = 0;
  const leaving = queue.wait({ signal: controller.signal, onAbort: () => aborted++ });
  const staying = queue.wait();
  controller.abort(new Error("left"));
  await assert.rejects(leaving, /left/);
  assert.equal(aborted, 1);
  assert.equal(queue.length, 1);
  queue.shift()!.resolve("served");
  assert.equal(await staying, "served");
  await assert.rejects(queue.wait({ signal: AbortSignal.abort(new Error("pre")) }), /pre/);
  assert.equal(queue.length, 0);
});

Deno.test("WaitQueue: a served caller's signal is unhooked, so a later abort changes nothing", async () => {
  const queue = new WaitQueue<number>();
  const controller = new AbortController();
  let aborted = 0;
  const waiting = queue.wait({ signal: controller.signal, onAbort: () => aborted++ });
  queue.drain()[0]!.resolve(5);
  controller.abort();
  assert.equal(await waiting, 5);
  assert.equal(aborted, 0);
});
