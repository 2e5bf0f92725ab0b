import assert from "node:assert/strict";
import { abortable } from "../../src/async/abortable.ts";

Deno.test("abortable() settles like the promise while the signal is not aborted", async () => {
  const controller = new AbortController();
  assert.equal(await abortable(Promise.resolve(3), controller.signal), 3);
  await assert.rejects(abortable(Promise.reject(new Error("own")), controller.signal), /own/);
});

Deno.test("abortable() rejects with the signal's reason once it aborts, before or during the wait", async () => {
  const { promise, resolve } = Promise.withResolvers<number>();
  const controller = new AbortController();
  const waiting = abortable(promise, controller.signal);
  controller.abort(new Error("stopped"));
  await assert.rejects(waiting, /stopped/);
  await assert.rejects(abortable(promise, controller.signal), /stopped/);
  resolve(1);
  assert.equal(await promise, 1);
});
